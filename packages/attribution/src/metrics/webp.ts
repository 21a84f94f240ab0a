/**
 * Lossless WebP size, the information estimate of PAIR's `estimate_image_entropy`
 * (`PIL.Image.save(format='webp', lossless=True, quality=100)`), through the libwebp
 * build that @jsquash/webp ships as WebAssembly. In Node the wasm file is read from the
 * package (its own loader would fetch it by URL); in browsers the package's loader runs.
 */
import { ArgumentError } from '@pathgrad/tensor';

/** The slice of the WebAssembly JS API used here (lib ES2022 without DOM declares no values). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<object>;
}

type EncodeFn = (data: { data: Uint8ClampedArray; width: number; height: number; colorSpace?: string }, options: Record<string, number>) => Promise<ArrayBuffer>;

let encoder: Promise<EncodeFn> | undefined;

async function loadEncoder(): Promise<EncodeFn> {
  const mod = (await import('@jsquash/webp/encode.js')) as unknown as { default: EncodeFn; init: (m?: object) => Promise<unknown> };
  // Node's fs comes from process.getBuiltinModule (Node >= 20.16), not from an import:
  // bundlers follow every import they see, and this module must bundle for browsers.
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule === 'function') {
    const fs = proc.getBuiltinModule('node:fs') as { readFileSync(path: string): Uint8Array };
    const nodeModule = proc.getBuiltinModule('node:module') as { createRequire(url: string): { resolve(id: string): string } };
    const resolveFile = nodeModule.createRequire(import.meta.url).resolve;
    const codec = (name: string) => fs.readFileSync(resolveFile(`@jsquash/webp/codec/enc/${name}`));
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const simdBytes = codec('webp_enc_simd.wasm');
    // The package picks its SIMD glue when the engine validates SIMD; hand it the matching module.
    const bytes = wasm.validate(simdBytes) ? simdBytes : codec('webp_enc.wasm');
    await mod.init(await wasm.compile(bytes));
  }
  return mod.default;
}

/**
 * Size in bytes of an 8-bit image encoded as lossless WebP with libwebp's
 * `lossless=1, quality=100, method=4` (Pillow's settings for `lossless=True, quality=100`).
 * `pixels` is H×W×C row-major with C = 1 (grey), 3 (RGB) or 4 (RGBA); grey and RGB are
 * expanded to opaque RGBA, as Pillow converts 'L' images to RGB before encoding.
 *
 * @example
 * ```ts
 * const bytes = await webpLosslessSize(new Uint8Array(28 * 28), 28, 28, 1); // a small number for a flat image
 * ```
 */
export async function webpLosslessSize(pixels: Uint8Array, height: number, width: number, channels: number): Promise<number> {
  if (![1, 3, 4].includes(channels)) throw new ArgumentError(`webpLosslessSize: channels must be 1, 3 or 4, got ${channels}`);
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1 || pixels.length !== height * width * channels) {
    throw new ArgumentError(`webpLosslessSize: expected ${height}x${width}x${channels} = ${height * width * channels} bytes, got ${pixels.length}`);
  }
  encoder ??= loadEncoder();
  const encode = await encoder;
  const rgba = new Uint8ClampedArray(height * width * 4);
  for (let i = 0; i < height * width; i++) {
    if (channels === 1) {
      const v = pixels[i]!;
      rgba[4 * i] = v;
      rgba[4 * i + 1] = v;
      rgba[4 * i + 2] = v;
      rgba[4 * i + 3] = 255;
    } else {
      for (let c = 0; c < 3; c++) rgba[4 * i + c] = pixels[channels * i + c]!;
      rgba[4 * i + 3] = channels === 4 ? pixels[4 * i + 3]! : 255;
    }
  }
  const buf = await encode({ data: rgba, width, height, colorSpace: 'srgb' }, { lossless: 1, quality: 100, method: 4, exact: 0 });
  return buf.byteLength;
}
