import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { defineOp, dispatch, type Kernel, type OpSample, type OutputInfo } from '../op.js';
import { contiguousStrides, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { forEachLane } from './softmax.js';
import { argWasm } from '../wasm/rows.js';

/** Attributes of argmax/argmin: one axis (null = over the flattened tensor) and keepDims. */
export interface ArgReduceAttrs {
  axis: number | null;
  keepDims: boolean;
}

/**
 * Options of argmax/argmin.
 * @example
 * ```ts
 * argmax(logits, { axis: -1, keepDims: true });
 * ```
 */
export interface ArgReduceOptions {
  /** The axis to search along (negative counts from the end); omitted = the flattened tensor, row-major. */
  axis?: number;
  /** Keep the reduced axis (or every axis, when flattened) as size 1. */
  keepDims?: boolean;
}

/** Output shape of argmax/argmin. */
function argShape(shape: readonly number[], { axis, keepDims }: ArgReduceAttrs): number[] {
  if (axis === null) return keepDims ? shape.map(() => 1) : [];
  return keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** Shape rule of argmax/argmin: int32 indices; searching an empty axis is an error. */
export function argInfer(opName: string): (inputs: readonly Tensor[], attrs: ArgReduceAttrs) => OutputInfo {
  return ([x], attrs) => {
    assertTensor(x, 'x', opName);
    const shape = argShape(x.shape, attrs);
    const n = attrs.axis === null ? x.size : x.shape[attrs.axis]!;
    if (n === 0 && sizeOf(shape) > 0) {
      throw new ArgumentError(`${opName}: cannot search an empty ${attrs.axis === null ? 'tensor' : `axis ${attrs.axis}`} (x has shape [${x.shape.join(', ')}])`);
    }
    return { shape, dtype: 'int32' };
  };
}

/**
 * Kernel of argmax/argmin: the first index along each lane where `better(v, best)` never
 * beats the running best after it. Row-major order makes "first occurrence" natural.
 */
export function argKernel(better: (v: number, best: number) => boolean): Kernel<ArgReduceAttrs> {
  return ([x], { axis }, out) => {
    const res = new Int32Array(sizeOf(out.shape));
    if (axis === null) {
      const flat = x!.toTypedArray();
      let bi = 0;
      for (let i = 1; i < flat.length; i++) if (better(flat[i]!, flat[bi]!)) bi = i;
      if (res.length) res[0] = bi;
      return new Tensor(res, out.shape, 'int32');
    }
    const n = x!.shape[axis]!;
    const sx = x!.strides[axis]!;
    const src = x!.data;
    forEachLane(x!, axis, contiguousStrides(x!.shape.map((d, i) => (i === axis ? 1 : d))), (ps, po) => {
      let bi = 0;
      let best = src[ps]!;
      for (let j = 1; j < n; j++) {
        const v = src[ps + j * sx]!;
        if (better(v, best)) {
          best = v;
          bi = j;
        }
      }
      res[po] = bi;
    });
    return new Tensor(res, out.shape, 'int32');
  };
}

/** Samples with many ties (values are multiples of 0.5) so "first occurrence" is tested. */
export function argSample(fc: typeof FastCheck): FastCheck.Arbitrary<OpSample<ArgReduceAttrs>> {
  return fc
    .tuple(arbTensor(fc, { minRank: 0, min: -2, max: 2 }), fc.nat(4), fc.boolean(), fc.nat(2))
    .map(([raw, a, keepDims, mode]) => {
      const x = new Tensor(Float64Array.from(raw.toTypedArray(), (v) => Math.round(v * 2) / 2), raw.shape, 'float64');
      const axis = a >= x.rank ? null : a;
      return { inputs: [asStridedView(x, mode)], attrs: { axis, keepDims } };
    })
    .filter(({ inputs: [x], attrs }) => {
      const n = attrs.axis === null ? x!.size : x!.shape[attrs.axis]!;
      return n > 0 || sizeOf(argShape(x!.shape, attrs)) === 0;
    });
}

/** Naive reference: first index of the extreme value, by `pick` (Math.max or Math.min). */
export function referenceArg(x: Tensor, attrs: ArgReduceAttrs, pick: (...v: number[]) => number): Tensor {
  const { axis, keepDims } = attrs;
  if (axis === null) {
    const flat = Array.from(x.toTypedArray());
    return fromIndex(argShape(x.shape, attrs), 'float64', () => flat.indexOf(pick(...flat)));
  }
  return fromIndex(argShape(x.shape, attrs), 'float64', (idx) => {
    const full = keepDims ? [...idx] : [...idx.slice(0, axis), 0, ...idx.slice(axis)];
    const lane: number[] = [];
    for (let j = 0; j < x.shape[axis]!; j++) {
      full[axis] = j;
      lane.push(x.get(...full));
    }
    return lane.indexOf(pick(...lane));
  });
}

/** Resolves argmax/argmin options. */
export function argAttrs(x: Tensor, opts: ArgReduceOptions | number | undefined, opName: string): ArgReduceAttrs {
  // One axis only: a list has no single index to return, so it is refused, not flattened.
  if (Array.isArray(opts)) {
    throw new ArgumentError(`${opName}: takes a single axis (an integer, or { axis }), got an array ${describe(opts)}`);
  }
  const o = typeof opts === 'number' ? { axis: opts } : checkOptionKeys(opts, ARG_REDUCE_KEYS, opName);
  const axis: unknown = o?.axis;
  if (axis !== undefined && typeof axis !== 'number') {
    throw new ArgumentError(`${opName}: axis must be a single integer (or omitted for the flattened tensor), got ${describe(axis)}`);
  }
  const keepDims: unknown = o?.keepDims ?? false;
  if (typeof keepDims !== 'boolean') throw new ArgumentError(`${opName}: keepDims must be true or false, got ${describe(keepDims)}`);
  return { axis: axis === undefined ? null : normalizeAxis(axis, x.rank, `${opName} axis`), keepDims };
}

const ARG_REDUCE_KEYS = optionKeys<ArgReduceOptions>({ axis: true, keepDims: true });

/** Index of the maximum along an axis; NaN counts as the maximum (as NumPy and PyTorch). */
export const argmaxOp = defineOp<ArgReduceAttrs>({
  name: 'argmax',
  infer: argInfer('argmax'),
  kernels: {
    cpu: argKernel((v, best) => v > best || (v !== v && best === best)),
    wasm: argWasm(false),
  },
  differentiable: false,
  why: 'an index is piecewise constant in x: its derivative is 0 almost everywhere and undefined at ties',
  spec: { sample: argSample, reference: ([x], attrs) => referenceArg(x!, attrs, Math.max) },
});

/**
 * Index (int32) of the largest element along `axis`, or into the flattened tensor
 * (row-major) when `axis` is omitted. Ties return the first occurrence; NaN counts as the
 * largest. Searching an empty axis throws.
 * @example
 * ```ts
 * argmax(tensor([[1, 3, 3], [2, 0, 1]]), { axis: 1 }).toArray(); // [1, 0]
 * ```
 */
export function argmax(x: Tensor, opts?: ArgReduceOptions | number): Tensor {
  assertTensor(x, 'x', 'argmax');
  return dispatch(argmaxOp, [x], argAttrs(x, opts, 'argmax'));
}
