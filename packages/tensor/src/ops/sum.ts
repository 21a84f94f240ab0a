import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { reduceKernel, reducedShape } from '../kernels/reduce.js';
import { defineOp, dispatch } from '../op.js';
import { normalizeAxes, reductionAxes, shapesEqual, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { expand } from './expand.js';
import { reshape } from './reshape.js';
import { reduceSumWasm } from '../wasm/reduce.js';

/** Attributes of a reduction: sorted non-negative axes and whether to keep them as size 1. */
export interface ReduceAttrs {
  axes: readonly number[];
  keepDims: boolean;
}

/**
 * Options accepted by reductions.
 *
 * @example
 * ```ts
 * const options: ReduceOptions = { axis: [-2, -1], keepDims: true };
 * sum(zeros([8, 1, 28, 28]), options).shape; // [8, 1, 1, 1]
 * ```
 */
export interface ReduceOptions {
  /** Axis or axes to reduce (negative counts from the end); all when omitted. */
  axis?: number | readonly number[];
  /** Keep reduced axes as size-1 dimensions. */
  keepDims?: boolean;
}

/**
 * The second argument of a reduction: an options object, or the axes alone as NumPy and
 * PyTorch take them positionally (`sum(x, 1)`, `sum(x, [0, 2])` reduce exactly those axes).
 *
 * @example
 * ```ts
 * const byAxes: ReduceArg = [0, 2];
 * sum(ones([2, 3, 4]), byAxes).toArray(); // [8, 8, 8]
 * ```
 */
export type ReduceArg = ReduceOptions | number | readonly number[];

const REDUCE_KEYS = optionKeys<ReduceOptions>({ axis: true, keepDims: true });

/** Resolves a reduction's second argument (options, one axis, or a list of axes) against a tensor. */
export function reduceAttrs(x: Tensor, opts: ReduceArg | undefined, opName: string, keys: readonly string[] = REDUCE_KEYS): ReduceAttrs {
  if (typeof opts === 'number' || Array.isArray(opts)) {
    return { axes: normalizeAxes(opts as number | readonly number[], x.rank, `${opName} axis`), keepDims: false };
  }
  const o = checkOptionKeys(opts as ReduceOptions | undefined, keys, opName);
  const axis: unknown = o?.axis;
  if (axis !== undefined && typeof axis !== 'number' && !Array.isArray(axis)) {
    throw new ArgumentError(`${opName}: axis must be an integer or an array of integers, got ${describe(axis)}`);
  }
  const keepDims: unknown = o?.keepDims ?? false;
  if (typeof keepDims !== 'boolean') throw new ArgumentError(`${opName}: keepDims must be true or false, got ${describe(keepDims)}`);
  return { axes: normalizeAxes(o?.axis, x.rank, `${opName} axis`), keepDims };
}

/** Random samples for reduction specs: a tensor and a subset of its axes. */
export function reduceSample(fc: typeof FastCheck, tensorOpts: Parameters<typeof arbTensor>[1] = {}) {
  return fc
    .tuple(arbTensor(fc, { minRank: 0, ...tensorOpts }), fc.nat(2), fc.boolean(), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
    .map(([x, mode, keepDims, pick]) => ({
      inputs: [asStridedView(x, mode)],
      attrs: { axes: x.shape.map((_, i) => i).filter((i) => pick[i]), keepDims } as ReduceAttrs,
    }));
}

/** Naive reference of a reduction from a fold over the values of each output slot. */
export function referenceReduce(x: Tensor, { axes, keepDims }: ReduceAttrs, fold: (values: number[]) => number): Tensor {
  const outShape = reducedShape(x.shape, axes, keepDims);
  const groups = new Map<string, number[]>();
  forEachIndex(x.shape, (idx) => {
    const key = idx.filter((_, i) => !axes.includes(i)).join(',');
    const list = groups.get(key) ?? [];
    list.push(x.get(...idx));
    groups.set(key, list);
  });
  return fromIndex(outShape, 'float64', (idx) => {
    const kept = keepDims ? idx.filter((_, i) => !axes.includes(i)) : idx;
    return fold(groups.get(kept.join(',')) ?? []);
  });
}

/** Sum over axes (accumulated in float64, so float32 sums do not drift). */
export const sumOp = defineOp<ReduceAttrs>({
  name: 'sum',
  infer: ([x], { axes, keepDims }) => ({ shape: reducedShape(x!.shape, axes, keepDims), dtype: x!.dtype }),
  kernels: {
    cpu: ([x], { axes, keepDims }, out) => reduceKernel(x!, axes, keepDims, out.dtype, 0, (a, v) => a + v),
    wasm: ([x], { axes }, out) => reduceSumWasm(x!, axes, false, out),
  },
  vjp: (g, { inputs: [x], attrs: { axes } }) => [expand(reshape(g, reducedShape(x!.shape, axes, true)), x!.shape)],
  spec: {
    sample: (fc) => reduceSample(fc),
    reference: ([x], attrs) => referenceReduce(x!, attrs, (vs) => vs.reduce((a, b) => a + b, 0)),
  },
});

/**
 * Sum of elements over `axis` (all axes by default).
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]]), { axis: 0 }).toArray(); // [4, 6]
 * sum(ones([2, 3, 4]), [0, 2]).toArray(); // [8, 8, 8] (the axes alone, as in NumPy)
 * ```
 */
export function sum(x: Tensor, opts?: ReduceArg): Tensor {
  assertTensor(x, 'x', 'sum');
  return dispatch(sumOp, [x], reduceAttrs(x, opts, 'sum'));
}

/**
 * Sums a (broadcast) gradient back to `shape`: the inverse of broadcasting, used by the
 * autograd engine for every broadcasting op.
 *
 * @example
 * ```ts
 * sumToShape(ones([4, 3]), [1, 3]).toArray(); // [[4, 4, 4]]
 * sumToShape(ones([4, 3]), [3]).toArray(); // [4, 4, 4]
 * ```
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const axes = reductionAxes(g.shape, shape);
  const s = axes.length ? dispatch(sumOp, [g], { axes, keepDims: true }) : g;
  return reshape(s, shape);
}
