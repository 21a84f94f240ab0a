/**
 * Pooling's shared pieces: option resolution, PyTorch's output-size rule, and the
 * reference cpu kernels of maxPool2d / avgPool2d and their backward ops. Layout NCHW;
 * every `(n, c)` plane is pooled independently. Output position `oh` covers input rows
 * `oh * sh - ph + ki * dh` for `ki < kh` (likewise columns).
 */
import type * as FastCheck from '../sampling.js';
import { checkOptionKeys } from '../args.js';
import { allocate, isFloat } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import type { OutputInfo } from '../op.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { resolvePair, type Pair } from './conv.js';

/**
 * maxPool2d's attributes, fully resolved (plain numbers, for every backend):
 * `kernelSize`, `stride` (>= 1), `padding` (>= 0, at most half the kernel, as PyTorch),
 * `dilation` (>= 1) as `[h, w]` pairs, and `ceilMode` (round the output size up).
 *
 * @example
 * ```ts
 * const attrs: MaxPool2dAttrs = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false };
 * ```
 */
export interface MaxPool2dAttrs {
  kernelSize: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  ceilMode: boolean;
}

/**
 * avgPool2d's attributes, fully resolved: as {@link MaxPool2dAttrs} without dilation,
 * plus `countIncludePad` (divide by the window size including padded zeros, PyTorch's default).
 *
 * @example
 * ```ts
 * const attrs: AvgPool2dAttrs = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true };
 * ```
 */
export interface AvgPool2dAttrs {
  kernelSize: Pair;
  stride: Pair;
  padding: Pair;
  ceilMode: boolean;
  countIncludePad: boolean;
}

/**
 * avgPool2dBackward's attributes: avgPool2d's plus the input shape `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const attrs: AvgPool2dBackwardAttrs = {
 *   kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true,
 *   inputShape: [1, 1, 4, 4],
 * };
 * ```
 */
export interface AvgPool2dBackwardAttrs extends AvgPool2dAttrs {
  inputShape: readonly [number, number, number, number];
}

/**
 * Output size of one pooled dimension, PyTorch's `pooling_output_shape`: floor (or ceil
 * with `ceilMode`) of `(size + 2p - d(k-1) - 1) / s` plus one, and in ceil mode the last
 * window must start inside the input or its left padding.
 * @example
 * ```ts
 * poolOutputSize(5, 2, 2, 1, 1, true); // 3 (not 4: the 4th window would start in the right padding)
 * ```
 */
export function poolOutputSize(size: number, kernel: number, stride: number, padding: number, dilation: number, ceilMode: boolean): number {
  const num = size + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + padding) out--;
  return out;
}

/** Options shared by the pooling free functions. */
export interface PoolOptionsBase {
  /** Window size, one number or `[h, w]`. */
  kernelSize: number | readonly [number, number];
  /** Step between windows (default: the kernel size). */
  stride?: number | readonly [number, number];
  /** Implicit padding on both sides (default 0, at most half the kernel). */
  padding?: number | readonly [number, number];
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Resolves the options common to both pools; `dilation` only for max pooling. */
export function resolvePoolOptions(
  options: unknown,
  opName: string,
  withDilation: boolean,
  allowedKeys: readonly string[],
): { kernelSize: Pair; stride: Pair; padding: Pair; dilation: Pair; ceilMode: boolean } {
  checkOptionKeys(options as object | undefined, allowedKeys, opName);
  if (typeof options !== 'object' || options === null || !('kernelSize' in options)) {
    throw new ArgumentError(`${opName}: options must be an object with kernelSize, like { kernelSize: 2 }, got ${describe(options)}`);
  }
  const o = options as PoolOptionsBase & { dilation?: unknown };
  const kernelSize = resolvePair(o.kernelSize, 'kernelSize', opName, 1);
  const stride = o.stride === undefined || o.stride === null ? kernelSize : resolvePair(o.stride, 'stride', opName, 1);
  const padding = resolvePair(o.padding ?? 0, 'padding', opName, 0);
  const dilation = withDilation ? resolvePair(o.dilation ?? 1, 'dilation', opName, 1) : ([1, 1] as const);
  const ceilMode = o.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') throw new ArgumentError(`${opName}: ceilMode must be a boolean, got ${describe(ceilMode)}`);
  return { kernelSize, stride, padding, dilation, ceilMode };
}

/**
 * Shape rule of both pools: validates a 4-D float input and the window against it and
 * returns `[N, C, Ho, Wo]`.
 */
export function pool2dShape(
  x: Shape,
  dtype: string,
  attrs: { kernelSize: Pair; stride: Pair; padding: Pair; dilation?: Pair; ceilMode: boolean },
  opName: string,
): [number, number, number, number] {
  if (x.length !== 4) throw new ShapeError(`${opName}: x must be 4-D [N, C, H, W] (or 3-D [C, H, W]), got shape [${x.join(', ')}]`);
  if (!isFloat(dtype as 'float32')) throw new DTypeError(`${opName}: x must be float32 or float64, got ${dtype}`);
  const { kernelSize: k, stride: s, padding: p, ceilMode } = attrs;
  const d = attrs.dilation ?? [1, 1];
  if (p[0] > Math.floor(k[0] / 2) || p[1] > Math.floor(k[1] / 2)) {
    throw new ArgumentError(
      `${opName}: padding must be at most half the kernel size (as PyTorch), got padding [${p.join(', ')}] for kernelSize [${k.join(', ')}]`,
    );
  }
  const out: number[] = [];
  for (const i of [0, 1] as const) {
    const size = x[2 + i]!;
    const name = i === 0 ? 'height' : 'width';
    const eff = d[i] * (k[i] - 1) + 1;
    const o = poolOutputSize(size, k[i], s[i], p[i], d[i], ceilMode);
    if (size + 2 * p[i] < eff || o < 1) {
      throw new ShapeError(
        `${opName}: kernel ${name} ${k[i]}${d[i] > 1 ? ` (dilated to ${eff})` : ''} is larger than the padded input ${name} ${size} + 2*${p[i]} = ${size + 2 * p[i]}; x shape [${x.join(', ')}]`,
      );
    }
    out.push(o);
  }
  return [x[0]!, x[1]!, out[0]!, out[1]!];
}

/**
 * Reference max pooling: values and, per output element, the flat index `h * W + w`
 * within its `(n, c)` plane of the FIRST maximum in row-major window order (a later
 * equal value does not replace it; a NaN wins and stays). Padding never wins; a window
 * holding no input element (possible only with dilation) gives -Infinity and index -1.
 */
export function maxPool2dValuesAndIndices(x0: Tensor, attrs: MaxPool2dAttrs, out: OutputInfo): { values: Tensor; indices: Tensor } {
  const x = x0.contiguous();
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Ho, Wo] = [out.shape[2]!, out.shape[3]!];
  const [kh, kw] = attrs.kernelSize;
  const [sh, sw] = attrs.stride;
  const [ph, pw] = attrs.padding;
  const [dh, dw] = attrs.dilation;
  const X = x.data;
  const vals = allocate(out.dtype, N * C * Ho * Wo);
  const idx = new Int32Array(N * C * Ho * Wo);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw;
        let best = -Infinity;
        let bi = -1;
        for (let ki = 0; ki < kh; ki++) {
          const h = hs + ki * dh;
          if (h < 0 || h >= H) continue;
          for (let kj = 0; kj < kw; kj++) {
            const w = ws + kj * dw;
            if (w < 0 || w >= W) continue;
            const v = X[base + h * W + w]!;
            // strict '>' keeps the first maximum; a NaN replaces a number once and then stays
            if (bi < 0 || v > best || (v !== v && best === best)) {
              best = v;
              bi = h * W + w;
            }
          }
        }
        vals[o] = best;
        idx[o] = bi;
      }
    }
  }
  return { values: new Tensor(vals, out.shape, out.dtype), indices: new Tensor(idx, out.shape, 'int32') };
}

/**
 * Reference scatter of max pooling's gradient: `gx[n, c, idx]` accumulates `g[n, c, i, j]`
 * for `idx = indices[n, c, i, j]` (overlapping windows add up; index -1 is skipped).
 */
export function maxPool2dScatter(g0: Tensor, indices0: Tensor, inputShape: Shape, dtype: OutputInfo['dtype']): Tensor {
  const g = g0.contiguous();
  const ind = indices0.contiguous();
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const per = g.shape[2]! * g.shape[3]!;
  const G = g.data;
  const I = ind.data;
  const acc = new Float64Array(N * C * H * W);
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let t = plane * per; t < (plane + 1) * per; t++) {
      const i = I[t]!;
      if (i < 0) continue;
      if (i >= H * W) throw new ArgumentError(`maxPool2dBackward: indices must lie in [-1, ${H * W - 1}] (H*W of the input), got ${i}`);
      acc[base + i]! += G[t]!;
    }
  }
  const res = allocate(dtype, acc.length);
  res.set(acc);
  return new Tensor(res, inputShape, dtype);
}

/** Reference gather of max pooling: `out[n, c, i, j] = src[n, c, indices[n, c, i, j]]` (0 for index -1). */
export function maxPool2dGatherValues(src0: Tensor, indices0: Tensor, dtype: OutputInfo['dtype']): Tensor {
  const src = src0.contiguous();
  const ind = indices0.contiguous();
  const [N, C, H, W] = src.shape as [number, number, number, number];
  const per = ind.shape[2]! * ind.shape[3]!;
  const S = src.data;
  const I = ind.data;
  const res = allocate(dtype, ind.size);
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let t = plane * per; t < (plane + 1) * per; t++) {
      const i = I[t]!;
      if (i < 0) continue;
      if (i >= H * W) throw new ArgumentError(`maxPool2dGather: indices must lie in [-1, ${H * W - 1}] (H*W of the input), got ${i}`);
      res[t] = S[base + i]!;
    }
  }
  return new Tensor(res, ind.shape, dtype);
}

/**
 * Window of average pooling along one dimension, as PyTorch: `[start, end)` clamped to the
 * input, and the divisor length before clamping (windows may reach into the padding but
 * not past it, even in ceil mode).
 */
function avgWindow(o: number, k: number, s: number, p: number, size: number): [number, number, number] {
  const start = o * s - p;
  const end = Math.min(start + k, size + p);
  const padLen = end - start;
  return [Math.max(start, 0), Math.min(end, size), padLen];
}

/**
 * Reference average pooling (float64 accumulation). The divisor is the window's size
 * including padded zeros when `countIncludePad`, else the number of input elements it covers.
 */
export function avgPool2dCpu(inputs: readonly Tensor[], attrs: AvgPool2dAttrs, out: OutputInfo): Tensor {
  const x = inputs[0]!.contiguous();
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Ho, Wo] = [out.shape[2]!, out.shape[3]!];
  const X = x.data;
  const res = allocate(out.dtype, N * C * Ho * Wo);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const [h0, h1, hp] = avgWindow(oh, attrs.kernelSize[0], attrs.stride[0], attrs.padding[0], H);
      for (let ow = 0; ow < Wo; ow++, o++) {
        const [w0, w1, wp] = avgWindow(ow, attrs.kernelSize[1], attrs.stride[1], attrs.padding[1], W);
        let s = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += X[base + h * W + w]!;
        res[o] = s / (attrs.countIncludePad ? hp * wp : (h1 - h0) * (w1 - w0));
      }
    }
  }
  return new Tensor(res, out.shape, out.dtype);
}

/** Reference gradient of average pooling: each `g[n, c, i, j] / divisor` spread over its window. */
export function avgPool2dBackwardCpu(inputs: readonly Tensor[], attrs: AvgPool2dBackwardAttrs, out: OutputInfo): Tensor {
  const g = inputs[0]!.contiguous();
  const [N, C, H, W] = attrs.inputShape;
  const [Ho, Wo] = [g.shape[2]!, g.shape[3]!];
  const G = g.data;
  const acc = new Float64Array(N * C * H * W);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      const [h0, h1, hp] = avgWindow(oh, attrs.kernelSize[0], attrs.stride[0], attrs.padding[0], H);
      for (let ow = 0; ow < Wo; ow++, o++) {
        const [w0, w1, wp] = avgWindow(ow, attrs.kernelSize[1], attrs.stride[1], attrs.padding[1], W);
        const v = G[o]! / (attrs.countIncludePad ? hp * wp : (h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) acc[base + h * W + w]! += v;
      }
    }
  }
  const res = allocate(out.dtype, acc.length);
  res.set(acc);
  return new Tensor(res, out.shape, out.dtype);
}

/** A random pooling problem for the generic tests. */
export interface Pool2dCase {
  xShape: [number, number, number, number];
  yShape: [number, number, number, number];
  kernelSize: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  ceilMode: boolean;
  /** Layout mode for `asStridedView`. */
  mode: number;
}

/**
 * Random small pooling problems: kernel 1..3, stride 1..3, padding up to half the kernel,
 * dilation 1..2 (forced to 1 when `dilation` is false), ceil mode on or off.
 */
export function arbPool2dCase(fc: typeof FastCheck, { dilation: withDilation = true } = {}): FastCheck.Arbitrary<Pool2dCase> {
  const small = (min: number, max: number) => fc.integer({ min, max });
  const pair = (min: number, max: number) => fc.tuple(small(min, max), small(min, max));
  return fc
    .record({
      n: small(0, 2),
      c: small(1, 2),
      k: pair(1, 3),
      stride: pair(1, 3),
      padFrac: pair(0, 1),
      dilation: pair(1, withDilation ? 2 : 1),
      extra: pair(0, 4),
      ceilMode: fc.boolean(),
      mode: fc.nat(2),
    })
    .map(({ n, c, k, stride, padFrac, dilation, extra, ceilMode, mode }) => {
      const padding: Pair = [padFrac[0] * Math.floor(k[0] / 2), padFrac[1] * Math.floor(k[1] / 2)];
      const size = (i: 0 | 1) => Math.max(1, dilation[i] * (k[i] - 1) + 1 - 2 * padding[i]) + extra[i];
      const xShape: [number, number, number, number] = [n, c, size(0), size(1)];
      const attrs = { kernelSize: k, stride, padding, dilation, ceilMode };
      return { xShape, yShape: pool2dShape(xShape, 'float64', attrs, 'arbPool2dCase'), ...attrs, mode };
    });
}
