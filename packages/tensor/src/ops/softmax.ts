import type * as FastCheck from '../sampling.js';
import { assertFloat, assertTensor } from '../args.js';
import { allocate } from '../dtype.js';
import { ArgumentError, describe } from '../errors.js';
import { iterate } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { contiguousStrides, normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { sum } from './sum.js';
import { softmaxWasm } from '../wasm/softmax.js';

/** Attributes of softmax and logSoftmax: the (non-negative) axis normalised over. */
export interface SoftmaxAttrs {
  axis: number;
}

/**
 * Calls `fn(srcStart, dstStart)` for every 1-D lane of `x` along `axis`: `srcStart` is the
 * lane's first element in `x.data`, `dstStart` its first position under `dstStrides`.
 */
export function forEachLane(x: Tensor, axis: number, dstStrides: readonly number[], fn: (src: number, dst: number) => void): void {
  const laneShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  if (x.size === 0) return;
  iterate(laneShape, [x.strides, dstStrides], [x.offset, 0], (_f, p) => fn(p[0]!, p[1]!));
}

/**
 * Kernel of softmax-like ops: per lane, the max m (NaN wins) and the values v - m, then
 * `finish(shifted, out, outStart, outStride)`. Works in float64 whatever the dtype.
 */
export function laneKernel(
  x: Tensor,
  axis: number,
  dtype: Tensor['dtype'],
  finish: (shifted: Float64Array, out: Tensor['data'], start: number, stride: number) => void,
): Tensor {
  const res = allocate(dtype, x.size);
  const strides = contiguousStrides(x.shape);
  const n = x.shape[axis]!;
  const sx = x.strides[axis]!;
  const so = strides[axis]!;
  const src = x.data;
  const shifted = new Float64Array(n);
  forEachLane(x, axis, strides, (ps, po) => {
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = src[ps + j * sx]!;
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    for (let j = 0; j < n; j++) shifted[j] = src[ps + j * sx]! - m;
    finish(shifted, res, po, so);
  });
  return new Tensor(res, x.shape, dtype);
}

/** Samples for softmax-like ops: a tensor of rank >= 1 (size-0 and size-1 dims included) and an axis. */
export function softmaxSample(fc: typeof FastCheck): FastCheck.Arbitrary<OpSample<SoftmaxAttrs>> {
  return fc
    .tuple(arbTensor(fc, { minRank: 1, min: -5, max: 5 }), fc.nat(3), fc.nat(2))
    .map(([x, a, mode]) => ({ inputs: [asStridedView(x, mode)], attrs: { axis: a % x.rank } }));
}

/** Naive reference: `fn(lane values, position)` per element, lanes read with Tensor.get. */
export function referenceLanes(x: Tensor, axis: number, fn: (lane: number[], j: number) => number): Tensor {
  return fromIndex(x.shape, 'float64', (idx) => {
    const lane: number[] = [];
    for (let j = 0; j < x.shape[axis]!; j++) lane.push(x.get(...idx.map((v, i) => (i === axis ? j : v))));
    return fn(lane, idx[axis]!);
  });
}

/** Resolves the axis argument of softmax-like ops. */
export function softmaxAttrs(x: Tensor, axis: unknown, opName: string): SoftmaxAttrs {
  if (typeof axis !== 'number') throw new ArgumentError(`${opName}: axis must be an integer, got ${describe(axis)}`);
  if (x.rank === 0) throw new ArgumentError(`${opName}: x must have rank >= 1 to normalise along an axis, got a 0-d tensor`);
  return { axis: normalizeAxis(axis, x.rank, `${opName} axis`) };
}

/**
 * Softmax along one axis, shifted by the lane maximum so large values do not overflow.
 * A lane of all -Infinity (or with +Infinity or NaN) gives NaN, as PyTorch.
 */
export const softmaxOp = defineOp<SoftmaxAttrs>({
  name: 'softmax',
  infer: ([x]) => {
    assertTensor(x, 'x', 'softmax');
    assertFloat(x, 'x', 'softmax');
    return { shape: x.shape, dtype: x.dtype };
  },
  kernels: {
    cpu: ([x], { axis }, out) =>
      laneKernel(x!, axis, out.dtype, (shifted, res, start, stride) => {
        let s = 0;
        for (let j = 0; j < shifted.length; j++) s += shifted[j] = Math.exp(shifted[j]!);
        for (let j = 0; j < shifted.length; j++) res[start + j * stride] = shifted[j]! / s;
      }),
    wasm: softmaxWasm(false),
  },
  // s * (g - sum(g * s)) along the axis
  vjp: (g, { output, attrs: { axis } }) => [mul(output, sub(g, sum(mul(g, output), { axis, keepDims: true })))],
  spec: {
    sample: softmaxSample,
    reference: ([x], { axis }) =>
      referenceLanes(x!, axis, (lane, j) => Math.exp(lane[j]!) / lane.reduce((a, v) => a + Math.exp(v), 0)),
  },
});

/**
 * Softmax along `axis` (default the last): exp(x) / sum(exp(x)), computed stably.
 * @example
 * ```ts
 * softmax(tensor([1000, 1000])).toArray(); // [0.5, 0.5]
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'x', 'softmax');
  assertFloat(x, 'x', 'softmax');
  return dispatch(softmaxOp, [x], softmaxAttrs(x, axis, 'softmax'));
}
