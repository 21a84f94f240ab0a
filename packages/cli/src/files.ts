/**
 * File helpers: atomic writes (by output.ts's rules: temp file + rename, nothing replaced without --force),
 * PNG encode/decode with pngjs, JPEG decode with jpeg-js, and the image-to-MNIST conversion.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from '@pathgrad/tensor';
import jpeg from 'jpeg-js';
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

/** Decoded image: RGBA bytes. */
interface Decoded {
  width: number;
  height: number;
  data: Uint8Array;
}

function decodeImage(bytes: Uint8Array, path: string): Decoded {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (err) {
    throw new UsageError(`--input: cannot decode ${path}: ${(err as Error).message} (is it a valid PNG or JPEG file?)`);
  }
  throw new UsageError(`--input: ${path} is neither a PNG nor a JPEG file (by its first bytes)`);
}

/**
 * Decodes a PNG or JPEG into a `[1, size, size]` float32 gray image in [0, 1], as MNIST:
 * luminance 0.299 R + 0.587 G + 0.114 B, transparent pixels count as black background,
 * inverted when the image is mostly light (MNIST digits are white on black), then
 * area-averaged to `size × size` (the image is first padded to a square with background).
 * @example
 * ```ts
 * const x = imageToMnist(readFileSync('digit.png'), 'digit.png'); // [1, 28, 28]
 * ```
 */
export function imageToMnist(bytes: Uint8Array, path: string, size = 28): Tensor {
  const img = decodeImage(bytes, path);
  const { width: w, height: h } = img;
  const gray = new Float64Array(w * h);
  let mean = 0;
  for (let i = 0; i < w * h; i++) {
    const a = img.data[i * 4 + 3]! / 255;
    const lum = (0.299 * img.data[i * 4]! + 0.587 * img.data[i * 4 + 1]! + 0.114 * img.data[i * 4 + 2]!) / 255;
    gray[i] = lum * a;
    mean += gray[i]!;
  }
  mean /= w * h;
  if (mean > 0.5) for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i]!;
  // Pad to a square with background (0), centred, then area-average to size x size.
  const side = Math.max(w, h);
  const ox = (side - w) / 2;
  const oy = (side - h) / 2;
  const out = new Float32Array(size * size);
  const cell = side / size;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let acc = 0;
      let area = 0;
      const y0 = r * cell;
      const x0 = c * cell;
      for (let y = Math.floor(y0); y < Math.ceil(y0 + cell); y++) {
        const wy = Math.min(y + 1, y0 + cell) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x0 + cell); x++) {
          const wx = Math.min(x + 1, x0 + cell) - Math.max(x, x0);
          const sx = Math.floor(x - ox);
          const sy = Math.floor(y - oy);
          const v = sx >= 0 && sx < w && sy >= 0 && sy < h ? gray[sy * w + sx]! : 0;
          acc += v * wx * wy;
          area += wx * wy;
        }
      }
      out[r * size + c] = area > 0 ? acc / area : 0;
    }
  }
  return new Tensor(out, [1, size, size], 'float32');
}
