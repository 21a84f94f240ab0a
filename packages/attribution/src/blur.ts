import { ArgumentError, ShapeError, Tensor, allocate, describe, optionKeys } from '@pathgrad/tensor';
import { checkOptions } from './options.js';

/**
 * Boundary handling of the Gaussian blur: zero padding (scipy 'constant') or mirror ('reflect').
 *
 * @example
 * ```ts
 * const mode: BlurMode = 'reflect'; // scipy.ndimage's default edge handling; 'constant' pads with zeros
 * gaussianBlur2d(images, 2, { mode });
 * ```
 */
export type BlurMode = 'constant' | 'reflect';

/**
 * The normalised 1-D Gaussian kernel scipy.ndimage.gaussian_filter uses (radius = round(truncate*sigma)).
 *
 * @example
 * ```ts
 * gaussianKernel1d(1).length; // 9 (radius = round(4 * sigma))
 * gaussianKernel1d(1).reduce((a, b) => a + b); // 1
 * ```
 */
export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let s = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + radius] = v;
    s += v;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= s;
  return k;
}

const BLUR_KEYS = optionKeys<NonNullable<Parameters<typeof gaussianBlur2d>[2]>>({ mode: true, truncate: true });

/**
 * Gaussian blur over the last two axes (H, W) of a tensor `[..., H, W]`, channels never
 * mixed, as `scipy.ndimage.gaussian_filter(img, [σ, σ, 0], mode)` on HWC images (the Blur IG
 * reference). `sigma = 0` returns a copy. Computed in float64, returned in the input dtype.
 *
 * @example
 * ```ts
 * const blurred = gaussianBlur2d(images, 2); // images: [N, 1, 28, 28]
 * ```
 */
export function gaussianBlur2d(t: Tensor, sigma: number, options: { mode?: BlurMode; truncate?: number } = {}): Tensor {
  const { mode = 'constant', truncate = 4 } = checkOptions(options, BLUR_KEYS, 'gaussianBlur2d');
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new ArgumentError(`gaussianBlur2d: sigma must be a finite number >= 0, got ${describe(sigma)}`);
  }
  if (t.rank < 2) throw new ShapeError(`gaussianBlur2d: expected a tensor [..., H, W], got shape [${t.shape.join(', ')}]`);
  const H = t.shape[t.rank - 2]!;
  const W = t.shape[t.rank - 1]!;
  const src = t.toTypedArray();
  const out = allocate(t.dtype, src.length);
  if (sigma === 0 || H * W === 0) {
    out.set(src);
    return new Tensor(out, t.shape, t.dtype);
  }
  const k = gaussianKernel1d(sigma, truncate);
  const r = (k.length - 1) / 2;
  const planes = src.length / (H * W);
  const tmp = new Float64Array(H * W);
  const at = (i: number, n: number): number => {
    if (i >= 0 && i < n) return i;
    if (mode === 'constant') return -1;
    // scipy 'reflect': (d c b a | a b c d | d c b a)
    const period = 2 * n;
    let j = ((i % period) + period) % period;
    if (j >= n) j = period - 1 - j;
    return j;
  };
  for (let p = 0; p < planes; p++) {
    const base = p * H * W;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let d = -r; d <= r; d++) {
          const xx = at(x + d, W);
          if (xx >= 0) s += k[d + r]! * src[base + y * W + xx]!;
        }
        tmp[y * W + x] = s;
      }
    }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let d = -r; d <= r; d++) {
          const yy = at(y + d, H);
          if (yy >= 0) s += k[d + r]! * tmp[yy * W + x]!;
        }
        out[base + y * W + x] = s;
      }
    }
  }
  return new Tensor(out, t.shape, t.dtype);
}
