/**
 * conv2d's shared pieces: argument resolution, shape rules and the three reference cpu
 * kernels (forward, gradient wrt input, gradient wrt weight). The wasm kernels reuse the
 * resolved attribute objects defined here.
 *
 * Layout is PyTorch's: input `[N, C, H, W]`, weight `[O, C / groups, kh, kw]`, output
 * `[N, O, Ho, Wo]`. Output position `(oh, ow)` with kernel tap `(ki, kj)` reads input row
 * `oh * sh - ph + ki * dh` and column `ow * sw - pw + kj * dw`; reads outside the input
 * are zeros (padding).
 */
import type * as FastCheck from '../sampling.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import { allocate, isFloat, promote } from '../dtype.js';
import type { OutputInfo } from '../op.js';
import { sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { gemmAccumulate } from './matmul.js';
import type { MaxPool2dAttrs } from './pool.js';

/** A `[height, width]` pair. */
export type Pair = readonly [number, number];

/**
 * conv2d's attributes, fully resolved: every field a plain number, so kernels on every
 * backend read them without re-validating.
 * - `stride`: `[sh, sw]`, each >= 1
 * - `padding`: `[ph, pw]` zeros added on both sides of each spatial dimension, each >= 0
 * - `dilation`: `[dh, dw]` spacing between kernel taps, each >= 1
 * - `groups`: input and output channels are split into this many independent groups
 *
 * @example
 * ```ts
 * const attrs: Conv2dAttrs = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
 * ```
 */
export interface Conv2dAttrs {
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
}

/**
 * Attributes of the gradient wrt the input: conv2d's plus the input's shape `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const attrs: Conv2dBackwardInputAttrs = {
 *   stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1,
 *   inputShape: [8, 1, 28, 28],
 * };
 * ```
 */
export interface Conv2dBackwardInputAttrs extends Conv2dAttrs {
  inputShape: readonly [number, number, number, number];
}

/**
 * Attributes of the gradient wrt the weight: conv2d's plus the weight's shape `[O, C/groups, kh, kw]`.
 *
 * @example
 * ```ts
 * const attrs: Conv2dBackwardWeightAttrs = {
 *   stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1,
 *   weightShape: [16, 1, 5, 5],
 * };
 * ```
 */
export interface Conv2dBackwardWeightAttrs extends Conv2dAttrs {
  weightShape: readonly [number, number, number, number];
}

/**
 * Resolves a `number | [h, w]` argument to a pair of integers >= `min`, naming the
 * argument and the value in the error.
 */
export function resolvePair(value: unknown, argName: string, opName: string, min: number): Pair {
  const pair = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? value : undefined;
  const ok = pair !== undefined && pair.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min);
  if (!ok) {
    throw new ArgumentError(
      `${opName}: ${argName} must be an integer >= ${min} or a pair [h, w] of them, got ${describe(value)}`,
    );
  }
  return [pair[0] as number, pair[1] as number];
}

/**
 * Output size of one spatial dimension of a convolution (floor division, as PyTorch).
 *
 * @example
 * ```ts
 * convOutputSize(28, 5, 1, 0, 1); // 24
 * convOutputSize(28, 3, 2, 1, 1); // 14
 * ```
 */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Throws unless `t` is a 4-D float tensor; `what` names it (e.g. `'x'`, `'weight'`). */
export function check4d(t: Tensor, argName: string, layout: string, opName: string): void {
  if (t.rank !== 4) {
    throw new ShapeError(`${opName}: ${argName} must be 4-D ${layout}, got shape [${t.shape.join(', ')}]`);
  }
  if (!isFloat(t.dtype)) throw new DTypeError(`${opName}: ${argName} must be float32 or float64, got ${t.dtype}`);
}

/**
 * Shape rule of conv2d: validates `x` `[N, C, H, W]` against `w` `[O, C/groups, kh, kw]`
 * and returns `[N, O, Ho, Wo]`.
 */
export function conv2dShape(x: Shape, w: Shape, attrs: Conv2dAttrs, opName = 'conv2d'): [number, number, number, number] {
  const [N, C, H, W] = x as [number, number, number, number];
  const [O, Cg, kh, kw] = w as [number, number, number, number];
  const { stride, padding, dilation, groups } = attrs;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new ArgumentError(`${opName}: groups must be an integer >= 1, got ${describe(groups)}`);
  }
  if (C !== Cg * groups) {
    throw new ShapeError(
      `${opName}: input channels must equal weight.shape[1] * groups: x has C=${C} (shape [${x.join(', ')}]) but weight has ${Cg} channels per group x ${groups} groups = ${Cg * groups} (shape [${w.join(', ')}])`,
    );
  }
  if (O % groups !== 0) {
    throw new ShapeError(`${opName}: output channels weight.shape[0]=${O} must be divisible by groups=${groups}`);
  }
  const dims: [string, number, number, number, number, number][] = [
    ['height', H, kh, stride[0], padding[0], dilation[0]],
    ['width', W, kw, stride[1], padding[1], dilation[1]],
  ];
  const out: number[] = [];
  for (const [name, size, k, s, p, d] of dims) {
    const eff = d * (k - 1) + 1;
    if (k < 1 || size + 2 * p < eff) {
      throw new ShapeError(
        `${opName}: kernel ${name} ${k}${d > 1 ? ` (dilated to ${eff})` : ''} is larger than the padded input ${name} ${size} + 2*${p} = ${size + 2 * p}; x shape [${x.join(', ')}], weight shape [${w.join(', ')}]`,
      );
    }
    out.push(convOutputSize(size, k, s, p, d));
  }
  return [N, O, out[0]!, out[1]!];
}

/** Output positions `o` in `[lo, hi)` whose input index `o * s + i0` lies in `[0, size)`. */
function validRange(i0: number, s: number, size: number, outSize: number): [number, number] {
  const lo = i0 >= 0 ? 0 : Math.ceil(-i0 / s);
  const hi = size - 1 - i0 < 0 ? 0 : Math.min(outSize, Math.floor((size - 1 - i0) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

// Every product in the conv kernels runs on Float64Arrays: one element type keeps the
// shared gemm loop monomorphic (fast) and float32 inputs convert exactly.
function asFloat64(data: ArrayLike<number>): Float64Array {
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

/** Geometry of one convolution, read off the shapes and attributes. */
interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  Cg: number;
  Og: number;
  kh: number;
  kw: number;
  Ho: number;
  Wo: number;
  /** Rows of the im2col matrix: `Cg * kh * kw`. */
  K: number;
  /** Columns of the im2col matrix: `Ho * Wo`. */
  P: number;
}

function geometry(x: Shape, w: Shape, y: Shape, groups: number): ConvGeometry {
  const [N, C, H, W] = x as [number, number, number, number];
  const [O, Cg, kh, kw] = w as [number, number, number, number];
  const [Ho, Wo] = [y[2]!, y[3]!];
  return { N, C, H, W, O, Cg, Og: O / groups, kh, kw, Ho, Wo, K: Cg * kh * kw, P: Ho * Wo };
}

/**
 * im2col of one (sample, group): `col[r, p]` for tap row `r = (cl*kh + ki)*kw + kj` and
 * output position `p = oh*Wo + ow` holds the input value that tap reads there (0 in the
 * padding). With `transposed`, writes `col[p, r]` instead (for the weight gradient).
 */
function im2col(X: ArrayLike<number>, xOff: number, g: ConvGeometry, a: Conv2dAttrs, col: Float64Array, transposed: boolean): void {
  const { H, W, kh, kw, Ho, Wo, K, P } = g;
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  col.fill(0);
  for (let cl = 0; cl < g.Cg; cl++) {
    const plane = xOff + cl * H * W;
    for (let ki = 0; ki < kh; ki++) {
      const ih0 = ki * dh - ph;
      const [ohLo, ohHi] = validRange(ih0, sh, H, Ho);
      for (let kj = 0; kj < kw; kj++) {
        const r = (cl * kh + ki) * kw + kj;
        const iw0 = kj * dw - pw;
        const [owLo, owHi] = validRange(iw0, sw, W, Wo);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const xRow = plane + (oh * sh + ih0) * W + iw0;
          if (transposed) {
            for (let ow = owLo; ow < owHi; ow++) col[(oh * Wo + ow) * K + r] = X[xRow + ow * sw]!;
          } else {
            const cRow = r * P + oh * Wo;
            for (let ow = owLo; ow < owHi; ow++) col[cRow + ow] = X[xRow + ow * sw]!;
          }
        }
      }
    }
  }
}

/**
 * Reference conv2d as im2col + matrix product per (sample, group):
 * `y[o, p] = sum_r w[o, r] * col[r, p]`, accumulated in float64 (so float32 results are
 * rounded once) with the same i-k-j product as matmul.
 */
export function conv2dCpu(inputs: readonly Tensor[], attrs: Conv2dAttrs, out: OutputInfo): Tensor {
  const x = inputs[0]!.contiguous();
  const w = inputs[1]!.contiguous();
  const g = geometry(x.shape, w.shape, out.shape, attrs.groups);
  const { N, C, H, W, O, Cg, Og, K, P } = g;
  const res = allocate(out.dtype, sizeOf(out.shape));
  const col = new Float64Array(K * P);
  const acc = new Float64Array(Og * P);
  const wData = asFloat64(w.data);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < attrs.groups; grp++) {
      im2col(x.data, (n * C + grp * Cg) * H * W, g, attrs, col, false);
      acc.fill(0);
      gemmAccumulate(wData, grp * Og * K, col, 0, acc, 0, Og, K, P);
      res.set(acc, (n * O + grp * Og) * P);
    }
  }
  return new Tensor(res, out.shape, out.dtype);
}

/**
 * Attributes of the fused conv2d + bias (+ ReLU) op: conv2d's plus whether ReLU follows.
 *
 * @example
 * ```ts
 * const attrs: Conv2dBiasActAttrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, relu: true };
 * ```
 */
export interface Conv2dBiasActAttrs extends Conv2dAttrs {
  relu: boolean;
}

/**
 * conv2d, then `+ bias[o]`, then ReLU when `attrs.relu`: the same values, bit for bit, as
 * conv2dCpu followed by the add and relu kernels (one rounding per add, in the output's
 * dtype; NaN stays NaN through the ReLU).
 */
export function conv2dBiasActCpu(inputs: readonly Tensor[], attrs: Conv2dBiasActAttrs, out: OutputInfo): Tensor {
  const y = conv2dCpu(inputs, attrs, out);
  const b = inputs[2]!.contiguous();
  const data = y.data;
  const bias = b.data;
  const [N, O, Ho, Wo] = out.shape as [number, number, number, number];
  const P = Ho * Wo;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const bo = bias[o]!;
      const start = (n * O + o) * P;
      if (attrs.relu) {
        for (let i = start; i < start + P; i++) {
          const v = data[i]! + bo;
          data[i] = v > 0 || v !== v ? v : 0;
        }
      } else {
        for (let i = start; i < start + P; i++) data[i] = data[i]! + bo;
      }
    }
  }
  return y;
}

/**
 * Attributes of the fused conv2d + bias + ReLU + max pooling op: conv2d's plus the pooling's.
 *
 * @example
 * ```ts
 * const attrs: Conv2dReluMaxPoolAttrs = {
 *   stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1,
 *   pool: { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false },
 * };
 * ```
 */
export interface Conv2dReluMaxPoolAttrs extends Conv2dAttrs {
  pool: MaxPool2dAttrs;
}

/**
 * Reference gradient of conv2d wrt its input (a transposed convolution): per (sample,
 * group) `gcol = w^T @ g` (`[K, P]`), then col2im adds each entry back at the input
 * position its tap read. Accumulates in float64.
 */
export function conv2dBackwardInputCpu(inputs: readonly Tensor[], attrs: Conv2dBackwardInputAttrs, out: OutputInfo): Tensor {
  const gt = inputs[0]!.contiguous();
  const w = inputs[1]!.contiguous();
  const g = geometry(attrs.inputShape, w.shape, gt.shape, attrs.groups);
  const { N, C, H, W, O, Cg, Og, kh, kw, Ho, Wo, K, P } = g;
  const [sh, sw] = attrs.stride;
  const [ph, pw] = attrs.padding;
  const [dh, dw] = attrs.dilation;
  const acc = new Float64Array(N * C * H * W);
  const gcol = new Float64Array(K * P);
  const gData = asFloat64(gt.data);
  // w^T per group: [K, Og]
  const wT = new Float64Array(attrs.groups * K * Og);
  for (let grp = 0; grp < attrs.groups; grp++) {
    for (let o = 0; o < Og; o++) {
      for (let r = 0; r < K; r++) wT[grp * K * Og + r * Og + o] = w.data[(grp * Og + o) * K + r]!;
    }
  }
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < attrs.groups; grp++) {
      gcol.fill(0);
      gemmAccumulate(wT, grp * K * Og, gData, (n * O + grp * Og) * P, gcol, 0, K, Og, P);
      const xOff = (n * C + grp * Cg) * H * W;
      for (let cl = 0; cl < Cg; cl++) {
        const plane = xOff + cl * H * W;
        for (let ki = 0; ki < kh; ki++) {
          const ih0 = ki * dh - ph;
          const [ohLo, ohHi] = validRange(ih0, sh, H, Ho);
          for (let kj = 0; kj < kw; kj++) {
            const r = (cl * kh + ki) * kw + kj;
            const iw0 = kj * dw - pw;
            const [owLo, owHi] = validRange(iw0, sw, W, Wo);
            for (let oh = ohLo; oh < ohHi; oh++) {
              const xRow = plane + (oh * sh + ih0) * W + iw0;
              const cRow = r * P + oh * Wo;
              for (let ow = owLo; ow < owHi; ow++) acc[xRow + ow * sw]! += gcol[cRow + ow]!;
            }
          }
        }
      }
    }
  }
  const res = allocate(out.dtype, acc.length);
  res.set(acc);
  return new Tensor(res, out.shape, out.dtype);
}

/**
 * Reference gradient of conv2d wrt its weight: per group `gw = sum_n g_n @ col_n^T`
 * (`[Og, P] @ [P, K]`), accumulated in float64 over the batch.
 */
export function conv2dBackwardWeightCpu(inputs: readonly Tensor[], attrs: Conv2dBackwardWeightAttrs, out: OutputInfo): Tensor {
  const x = inputs[0]!.contiguous();
  const gt = inputs[1]!.contiguous();
  const g = geometry(x.shape, attrs.weightShape, gt.shape, attrs.groups);
  const { N, C, H, W, O, Cg, Og, K, P } = g;
  const acc = new Float64Array(O * K);
  const colT = new Float64Array(P * K);
  const gData = asFloat64(gt.data);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < attrs.groups; grp++) {
      im2col(x.data, (n * C + grp * Cg) * H * W, g, attrs, colT, true);
      gemmAccumulate(gData, (n * O + grp * Og) * P, colT, 0, acc, grp * Og * K, Og, P, K);
    }
  }
  const res = allocate(out.dtype, acc.length);
  res.set(acc);
  return new Tensor(res, out.shape, out.dtype);
}

/** The promoted float dtype of two float tensors. */
export function convDType(a: Tensor, b: Tensor): 'float32' | 'float64' {
  return promote(a.dtype, b.dtype) === 'float64' ? 'float64' : 'float32';
}

/** A random convolution problem for the generic tests: shapes that fit, and resolved attributes. */
export interface Conv2dCase {
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  yShape: [number, number, number, number];
  attrs: Conv2dAttrs;
  /** Layout modes for `asStridedView`, one per operand. */
  modes: [number, number];
}

/**
 * Random small convolutions covering stride, padding, dilation and groups, with an input
 * always at least as large as the dilated kernel once padded.
 */
export function arbConv2dCase(fc: typeof FastCheck): FastCheck.Arbitrary<Conv2dCase> {
  const small = (min: number, max: number) => fc.integer({ min, max });
  const pair = (min: number, max: number) => fc.tuple(small(min, max), small(min, max));
  return fc
    .record({
      n: small(0, 2),
      groups: small(1, 3),
      cg: small(1, 2),
      og: small(1, 2),
      k: pair(1, 3),
      stride: pair(1, 3),
      padding: pair(0, 2),
      dilation: pair(1, 2),
      extra: pair(0, 3),
      modes: fc.tuple(fc.nat(2), fc.nat(2)),
    })
    .map(({ n, groups, cg, og, k, stride, padding, dilation, extra, modes }) => {
      const size = (i: 0 | 1) => Math.max(1, dilation[i] * (k[i] - 1) + 1 - 2 * padding[i]) + extra[i];
      const xShape: [number, number, number, number] = [n, groups * cg, size(0), size(1)];
      const wShape: [number, number, number, number] = [groups * og, cg, k[0], k[1]];
      const attrs: Conv2dAttrs = { stride, padding, dilation, groups };
      return { xShape, wShape, yShape: conv2dShape(xShape, wShape, attrs), attrs, modes };
    });
}

/**
 * Validates an attribute object passed directly to a backward op (users normally never
 * build these by hand; conv2d's options resolve to them).
 */
export function checkConvAttrs(attrs: Conv2dAttrs, opName: string): void {
  resolvePair(attrs.stride, 'attrs.stride', opName, 1);
  resolvePair(attrs.padding, 'attrs.padding', opName, 0);
  resolvePair(attrs.dilation, 'attrs.dilation', opName, 1);
  if (typeof attrs.groups !== 'number' || !Number.isInteger(attrs.groups) || attrs.groups < 1) {
    throw new ArgumentError(`${opName}: attrs.groups must be an integer >= 1, got ${describe(attrs.groups)}`);
  }
}
