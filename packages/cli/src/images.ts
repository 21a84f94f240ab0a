/**
 * Images as model inputs: PNG (pngjs) and JPEG (jpeg-js) decoded to MNIST-like
 * `[1, 28, 28]` gray tensors. The size is read from the header (PNG IHDR, JPEG SOF) and
 * checked against a pixel limit before the decoder allocates anything, and the image is
 * resampled by a separable box filter, in time proportional to its pixels plus the output.
 */
import { inflateSync } from 'node:zlib';
import { Tensor, checkOptionKeys, optionKeys } from '@pathgrad/tensor';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UsageError } from './errors.js';

/**
 * Most pixels an input image may have (4096 x 4096) unless raised: decoding needs about
 * 8 bytes per pixel, so the default keeps one image near 130 MB. Raise it with the
 * `maxPixels` option of {@link imageToMnist}, or for the CLI with `--max-image-pixels` or the
 * environment variable `PATHGRAD_MAX_IMAGE_PIXELS`.
 *
 * @example
 * ```ts
 * IMAGE_MAX_PIXELS; // 16777216
 * imageToMnist(bytes, 'scan.png', 28, { maxPixels: 8192 * 8192 }); // a larger image
 * ```
 */
export const IMAGE_MAX_PIXELS = 4096 * 4096;

/**
 * The CLI's pixel limit: `PATHGRAD_MAX_IMAGE_PIXELS` from the environment when set, else
 * {@link IMAGE_MAX_PIXELS}.
 *
 * @throws UsageError when the variable is not a positive integer.
 * @example
 * ```ts
 * // PATHGRAD_MAX_IMAGE_PIXELS=67108864 pathgrad attribute --input big.png ...
 * imageToMnist(bytes, 'big.png', 28, { maxPixels: maxImagePixels() });
 * ```
 */
export function maxImagePixels(): number {
  const raw = process.env.PATHGRAD_MAX_IMAGE_PIXELS;
  if (raw === undefined || raw === '') return IMAGE_MAX_PIXELS;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`PATHGRAD_MAX_IMAGE_PIXELS must be a positive integer (a number of pixels), got '${raw}'`);
  return n;
}

/**
 * What an image header says.
 *
 * @example
 * ```ts
 * const info: ImageHeader = readImageHeader(readFileSync('digit.png'), 'digit.png');
 * info.width * info.height; // pixels, known before decoding
 * ```
 */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** PNG only: Adam7 interlacing (the decoder then inflates without a size bound of its own). */
  interlaced?: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads the width and height of a PNG (from IHDR) or JPEG (from the first SOF marker)
 * without decoding it.
 *
 * @throws UsageError naming `path` when the bytes are neither, or the header is cut short.
 * @example
 * ```ts
 * readImageHeader(readFileSync('digit.png'), 'digit.png'); // { format: 'png', width: 28, height: 28, interlaced: false }
 * ```
 */
export function readImageHeader(bytes: Uint8Array, path: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    // signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4), depth, colour, compression, filter, interlace
    const isIhdr = bytes.length >= 29 && bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
    if (!isIhdr) throw new UsageError(`--input: cannot decode ${path}: the PNG has no IHDR header chunk (is the file complete?)`);
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20), interlaced: bytes[28] !== 0 };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return { format: 'jpeg', ...jpegSize(bytes, view, path) };
  throw new UsageError(`--input: ${path} is neither a PNG nor a JPEG file (by its first bytes)`);
}

/** Walks the JPEG markers up to the first start-of-frame and reads its size. */
function jpegSize(bytes: Uint8Array, view: DataView, path: string): { width: number; height: number } {
  let pos = 2;
  while (pos + 1 < bytes.length) {
    if (bytes[pos] !== 0xff) throw new UsageError(`--input: cannot decode ${path}: expected a JPEG marker at byte ${pos}`);
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    // markers without a length: TEM, RSTn, SOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2;
      continue;
    }
    if (pos + 4 > bytes.length) break;
    const length = view.getUint16(pos + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (pos + 9 > bytes.length) break;
      return { height: view.getUint16(pos + 5), width: view.getUint16(pos + 7) };
    }
    if (marker === 0xda || marker === 0xd9) throw new UsageError(`--input: cannot decode ${path}: the JPEG has no frame header before its image data`);
    if (length < 2) throw new UsageError(`--input: cannot decode ${path}: JPEG segment at byte ${pos} has length ${length}`);
    pos += 2 + length;
  }
  throw new UsageError(`--input: cannot decode ${path}: the JPEG ends before its frame header (is the file complete?)`);
}

/**
 * Most scans a JPEG may have. Each scan of a progressive JPEG is a pass over the whole
 * image, so a small file of thousands of tiny scans costs thousands of full decodes;
 * encoders write about 10 (libjpeg's default progression) and never near this.
 *
 * @example
 * ```ts
 * JPEG_MAX_SCANS; // 64
 * ```
 */
export const JPEG_MAX_SCANS = 64;

/** Counts the start-of-scan markers of a JPEG, stepping over each scan's entropy-coded data. */
function countJpegScans(bytes: Uint8Array): number {
  let pos = 2;
  let scans = 0;
  while (pos + 3 < bytes.length) {
    const marker = bytes[pos + 1]!;
    if (bytes[pos] !== 0xff || marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2;
      continue;
    }
    pos += 2 + ((bytes[pos + 2]! << 8) | bytes[pos + 3]!);
    if (marker !== 0xda) continue;
    scans++;
    // entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart
    while (pos + 1 < bytes.length) {
      const next = bytes[pos + 1]!;
      if (bytes[pos] === 0xff && next !== 0 && !(next >= 0xd0 && next <= 0xd7)) break;
      pos++;
    }
  }
  return scans;
}

/** Decoded image: RGBA bytes. */
interface Decoded {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Refuses an image whose header size is empty or over the pixel limit, before decoding. */
function checkSize(info: ImageHeader, path: string, maxPixels: number): void {
  const { width, height } = info;
  if (width === 0 || height === 0) {
    throw new UsageError(`--input: ${path}: the ${info.format.toUpperCase()} header says ${width} x ${height} pixels; an image needs a width and height of at least 1`);
  }
  if (width * height > maxPixels) {
    throw new UsageError(
      `--input: ${path} is ${width} x ${height} = ${(width * height).toLocaleString('en-US')} pixels, over the limit of ${maxPixels.toLocaleString('en-US')} (raise it with --max-image-pixels or PATHGRAD_MAX_IMAGE_PIXELS, or scale the image down first)`,
    );
  }
}

/**
 * The compressed data of an interlaced PNG must not inflate past what its size allows:
 * pngjs inflates interlaced images without a bound, so a small file could ask for gigabytes.
 */
function checkInterlacedInflate(bytes: Uint8Array, info: ImageHeader, path: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let pos = 8; pos + 8 <= bytes.length; ) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (type === 'IDAT') parts.push(bytes.subarray(pos + 8, Math.min(bytes.length, pos + 8 + length)));
    if (type === 'IEND') break;
    pos += 12 + length;
  }
  // 16-bit RGBA is the widest pixel (8 bytes); Adam7 adds at most one filter byte per row and pass
  const bound = info.width * info.height * 8 + 7 * 2 * (info.height + 8);
  try {
    inflateSync(Buffer.concat(parts), { maxOutputLength: bound });
  } catch (err) {
    throw new UsageError(`--input: cannot decode ${path}: the PNG's compressed data is corrupt or larger than its ${info.width} x ${info.height} size allows (${(err as Error).message})`);
  }
}

function decodeImage(bytes: Uint8Array, path: string, maxPixels: number): Decoded {
  const info = readImageHeader(bytes, path);
  checkSize(info, path, maxPixels);
  try {
    if (info.format === 'png') {
      if (info.interlaced) checkInterlacedInflate(bytes, info, path);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const scans = countJpegScans(bytes);
    if (scans > JPEG_MAX_SCANS) {
      throw new UsageError(`--input: ${path}: the JPEG has ${scans} scans, more than the ${JPEG_MAX_SCANS} this reader decodes (each scan is a pass over the whole image)`);
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--input: cannot decode ${path}: ${(err as Error).message} (is it a valid PNG or JPEG file?)`);
  }
}

/**
 * For each output cell `0..n-1` of a box filter over `[0, side)`, the source pixels
 * `p` (occupying `[p + offset, p + offset + 1)`, `0 <= p < count`) it overlaps and by how
 * much: flat lists of (cell, pixel, overlap) triples, O(count + n) of them.
 */
function boxWeights(count: number, offset: number, side: number, n: number): { cell: Int32Array; pixel: Int32Array; weight: Float64Array } {
  const cellSize = side / n;
  const cell: number[] = [];
  const pixel: number[] = [];
  const weight: number[] = [];
  let c = 0;
  for (let p = 0; p < count; p++) {
    const a = p + offset;
    const b = a + 1;
    while (c < n - 1 && (c + 1) * cellSize <= a) c++;
    for (let k = c; k < n && k * cellSize < b; k++) {
      const w = Math.min(b, (k + 1) * cellSize) - Math.max(a, k * cellSize);
      if (w > 0) {
        cell.push(k);
        pixel.push(p);
        weight.push(w);
      }
    }
  }
  return { cell: Int32Array.from(cell), pixel: Int32Array.from(pixel), weight: Float64Array.from(weight) };
}

/**
 * Options of {@link imageToMnist}.
 *
 * @example
 * ```ts
 * const options: ImageToMnistOptions = { maxPixels: 8192 * 8192 };
 * ```
 */
export interface ImageToMnistOptions {
  /** Most pixels the image may have (default {@link IMAGE_MAX_PIXELS}); checked from the header, before decoding. */
  maxPixels?: number;
}

/**
 * Decodes a PNG or JPEG into a `[1, size, size]` float32 gray image in [0, 1], as MNIST:
 * luminance 0.299 R + 0.587 G + 0.114 B, transparent pixels count as black background,
 * inverted when the image is mostly light (MNIST digits are white on black), then
 * area-averaged to `size × size` (the image is first centred in a square of background).
 * The averaging is separable (rows, then columns), so a 65535 x 1 image costs what its
 * 65,535 pixels cost, not 65535².
 *
 * @throws UsageError naming `path` for an empty image (width or height 0), one over
 *   `maxPixels` (read from the header, before decoding), or bytes that do not decode.
 * @example
 * ```ts
 * const x = imageToMnist(readFileSync('digit.png'), 'digit.png'); // [1, 28, 28]
 * ```
 */
export function imageToMnist(bytes: Uint8Array, path: string, size = 28, options: ImageToMnistOptions = {}): Tensor {
  checkOptionKeys(options, optionKeys<ImageToMnistOptions>({ maxPixels: true }), 'imageToMnist');
  const maxPixels = options.maxPixels ?? IMAGE_MAX_PIXELS;
  const img = decodeImage(bytes, path, maxPixels);
  const { width: w, height: h } = img;
  const gray = new Float32Array(w * h);
  let mean = 0;
  for (let i = 0; i < w * h; i++) {
    const a = img.data[i * 4 + 3]! / 255;
    const lum = (0.299 * img.data[i * 4]! + 0.587 * img.data[i * 4 + 1]! + 0.114 * img.data[i * 4 + 2]!) / 255;
    gray[i] = lum * a;
    mean += gray[i]!;
  }
  mean /= w * h;
  if (mean > 0.5) for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i]!;
  // centred in a side x side square of background (0), then box-averaged: rows first, then columns
  const side = Math.max(w, h);
  const xs = boxWeights(w, (side - w) / 2, side, size);
  const ys = boxWeights(h, (side - h) / 2, side, size);
  const rows = new Float64Array(h * size); // each source row averaged into the output columns
  for (let y = 0; y < h; y++) {
    for (let j = 0; j < xs.cell.length; j++) rows[y * size + xs.cell[j]!]! += gray[y * w + xs.pixel[j]!]! * xs.weight[j]!;
  }
  const out = new Float32Array(size * size);
  const area = (side / size) ** 2;
  for (let j = 0; j < ys.cell.length; j++) {
    const r = ys.cell[j]!;
    const y = ys.pixel[j]!;
    const wy = ys.weight[j]! / area;
    for (let c = 0; c < size; c++) out[r * size + c]! += rows[y * size + c]! * wy;
  }
  return new Tensor(out, [1, size, size], 'float32');
}
