/**
 * File helpers: atomic writes (by output.ts's rules: temp file + rename, nothing replaced without --force),
 * reading the user's files, and PNG encoding with pngjs (decoding and the MNIST conversion: images.ts).
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
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

/**
 * Encodes RGBA bytes as a PNG file's bytes.
 * @example
 * ```ts
 * encodePng(heatmapRGBA(map), 28, 28);
 * ```
 */
export function encodePng(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}

/**
 * Nearest-neighbour upscaling of RGBA bytes by an integer factor (small heatmaps stay crisp
 * when shown large, without relying on the browser's smoothing).
 * @example
 * ```ts
 * upscaleRGBA(rgba, 28, 28, 4); // 112 x 112
 * ```
 */
export function upscaleRGBA(rgba: Uint8ClampedArray, width: number, height: number, factor: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * factor * height * factor * 4);
  const w2 = width * factor;
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < w2; x++) {
      const s = (Math.floor(y / factor) * width + Math.floor(x / factor)) * 4;
      const d = (y * w2 + x) * 4;
      out[d] = rgba[s]!;
      out[d + 1] = rgba[s + 1]!;
      out[d + 2] = rgba[s + 2]!;
      out[d + 3] = rgba[s + 3]!;
    }
  }
  return out;
}

// image decoding and the MNIST conversion live in images.ts; re-exported for existing imports
export { imageToMnist } from './images.js';
