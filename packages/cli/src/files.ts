/**
 * File helpers: atomic writes (by output.ts's rules: temp file + rename, nothing replaced without --force),
 * reading the user's files (image decoding and the MNIST conversion: images.ts; pictures: @pathgrad/attribution's picture helpers).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';
import { writeOutputFile } from './output.js';

/**
 * Writes an output file by the CLI's rules (see output.ts): through a temporary sibling and
 * a rename, so readers never see a half-written file and a failure leaves nothing partial;
 * an existing file is refused unless `--force`; failures name `path` in one line.
 * @example
 * ```ts
 * writeFileAtomic('out.npy', writeNpy(t));
 * ```
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string, option = '--out'): void {
  writeOutputFile(path, bytes, option);
}

/**
 * Reads a file the user named, turning "not found" into a one-line fix.
 * @example
 * ```ts
 * const bytes = readUserFile('model.onnx', '--model');
 * ```
 */
export function readUserFile(path: string, option: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${option}: file not found: ${path} (check the path)`);
    if (code === 'EISDIR') throw new UsageError(`${option}: ${path} is a directory, expected a file`);
    if (code === 'EACCES') throw new UsageError(`${option}: cannot read ${path}: permission denied`);
    throw err;
  }
}

// image decoding and the MNIST conversion live in images.ts; re-exported for existing imports
export { imageToMnist } from './images.js';
