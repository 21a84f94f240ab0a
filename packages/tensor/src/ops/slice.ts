import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { zeros } from '../create.js';
import { strideView } from './permute.js';
import { sliceScatterOp } from './sliceScatter.js';

/**
 * A range along one axis, as Python's `start:end:step` (missing or null parts take their defaults).
 *
 * @example
 * ```ts
 * const everyOther: SliceRange = [0, null, 2]; // Python's 0::2
 * slice(arange(6), [everyOther]).toArray(); // [0, 2, 4]
 * ```
 */
export type SliceRange = readonly [start?: number | null, end?: number | null, step?: number | null];

/**
 * What to take along one axis: an integer index (the axis is removed), `null` (the whole
 * axis) or a `[start, end?, step?]` range.
 *
 * @example
 * ```ts
 * const entries: SliceEntry[] = [0, null, [1, 3]]; // x[0, :, 1:3]
 * ```
 */
export type SliceEntry = number | null | SliceRange;

/**
 * One entry per leading axis of the tensor; axes not listed are taken whole.
 *
 * @example
 * ```ts
 * const spec: SliceSpec = [null, [0, 2]]; // x[:, 0:2]
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), spec).toArray(); // [[1, 2], [4, 5]]
 * ```
 */
export type SliceSpec = readonly SliceEntry[];

/**
 * Attributes of slice, resolved against the input's shape: per input axis the first index
 * taken, the step (>= 1) and how many are taken; `squeeze` marks axes removed by an index.
 *
 * @example
 * ```ts
 * // slice(zeros([4, 6]), [1, [0, 6, 2]]) resolves to
 * const attrs: SliceAttrs = { starts: [1, 0], steps: [1, 2], sizes: [1, 3], squeeze: [true, false] };
 * ```
 */
export interface SliceAttrs {
  starts: readonly number[];
  steps: readonly number[];
  sizes: readonly number[];
  squeeze: readonly boolean[];
}

/** Output shape of a slice: the taken sizes of the axes that are not removed. */
export function slicedShape(attrs: SliceAttrs): number[] {
  return attrs.sizes.filter((_, i) => !attrs.squeeze[i]);
}

/**
 * Offset and strides that view the sliced elements of a tensor with `strides` and `offset`.
 * Used by slice (on the input) and sliceScatter (on its output buffer).
 */
export function sliceView(strides: readonly number[], offset: number, attrs: SliceAttrs): { offset: number; strides: number[] } {
  let o = offset;
  const out: number[] = [];
  for (let i = 0; i < strides.length; i++) {
    // an empty range may start one past the end; no element is read then, so skip its offset
    if (attrs.sizes[i]! > 0) o += attrs.starts[i]! * strides[i]!;
    if (!attrs.squeeze[i]) out.push(strides[i]! * attrs.steps[i]!);
  }
  return { offset: o, strides: out };
}

function checkSliceInt(v: unknown, what: string, opName: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new ArgumentError(`${opName}: ${what} must be an integer, got ${describe(v)}`);
  }
  return v;
}

/** Python's clamping of a slice bound against an axis of size `n`. */
function clampBound(v: number, n: number): number {
  if (v < 0) v += n;
  return Math.min(Math.max(v, 0), n);
}

/** Resolves a user's slice spec against `shape`, validating every entry. */
export function resolveSlice(shape: Shape, spec: unknown, opName = 'slice'): SliceAttrs {
  if (!Array.isArray(spec)) {
    throw new ArgumentError(`${opName}: spec must be an array with one entry per leading axis (index, null or [start, end?, step?]), got ${describe(spec)}`);
  }
  if (spec.length > shape.length) {
    throw new ArgumentError(
      `${opName}: spec has ${spec.length} entries but x has only ${shape.length} axes (shape [${shape.join(', ')}])`,
    );
  }
  const starts: number[] = [];
  const steps: number[] = [];
  const sizes: number[] = [];
  const squeeze: boolean[] = [];
  shape.forEach((n, i) => {
    const e: unknown = spec[i];
    if (e === undefined || e === null) {
      starts.push(0);
      steps.push(1);
      sizes.push(n);
      squeeze.push(false);
    } else if (typeof e === 'number') {
      const k = checkSliceInt(e, `spec[${i}] (an index)`, opName);
      if (k < -n || k >= n) {
        throw new ArgumentError(
          `${opName}: spec[${i}] index must be an integer in [${-n}, ${n - 1}] for axis ${i} of size ${n}, got ${k}`,
        );
      }
      starts.push(k < 0 ? k + n : k);
      steps.push(1);
      sizes.push(1);
      squeeze.push(true);
    } else if (Array.isArray(e)) {
      if (e.length > 3) {
        throw new ArgumentError(`${opName}: spec[${i}] must be [start, end?, step?] (at most 3 numbers), got ${describe(e)}`);
      }
      const [s0, e0, st0] = e as unknown[];
      const step = st0 === undefined || st0 === null ? 1 : checkSliceInt(st0, `spec[${i}] step`, opName);
      if (step < 1) {
        throw new ArgumentError(`${opName}: spec[${i}] step must be a positive integer, got ${step}`);
      }
      const start = s0 === undefined || s0 === null ? 0 : clampBound(checkSliceInt(s0, `spec[${i}] start`, opName), n);
      const end = e0 === undefined || e0 === null ? n : clampBound(checkSliceInt(e0, `spec[${i}] end`, opName), n);
      starts.push(start);
      steps.push(step);
      sizes.push(end > start ? Math.ceil((end - start) / step) : 0);
      squeeze.push(false);
    } else {
      throw new ArgumentError(
        `${opName}: spec[${i}] must be an integer index, null or [start, end?, step?], got ${describe(e)}`,
      );
    }
  });
  return { starts, steps, sizes, squeeze };
}

/** Random slice specs for a shape: indices, whole axes and ranges with out-of-range bounds. */
export function arbSliceSpec(fc: typeof FastCheck, shape: Shape): FastCheck.Arbitrary<SliceEntry[]> {
  const entry = (n: number): FastCheck.Arbitrary<SliceEntry> => {
    const bound = fc.option(fc.integer({ min: -n - 2, max: n + 2 }), { nil: null });
    const range = fc.tuple(bound, bound, fc.integer({ min: 1, max: 3 })).map(([s, e, st]): SliceEntry => [s, e, st]);
    const opts: FastCheck.Arbitrary<SliceEntry>[] = [fc.constant(null), range, range];
    if (n > 0) opts.push(fc.integer({ min: -n, max: n - 1 }));
    return fc.oneof(...opts);
  };
  // sometimes drop trailing entries: those axes are then taken whole
  return fc.tuple(fc.tuple(...shape.map(entry)), fc.nat(shape.length)).map(([entries, drop]) => entries.slice(0, shape.length - drop));
}

/** Naive reference: element of `x` at the source index of an output index. */
export function sliceSourceIndex(attrs: SliceAttrs, outIndex: readonly number[]): number[] {
  const src: number[] = [];
  let k = 0;
  for (let i = 0; i < attrs.starts.length; i++) {
    if (attrs.squeeze[i]) src.push(attrs.starts[i]!);
    else src.push(attrs.starts[i]! + attrs.steps[i]! * outIndex[k++]!);
  }
  return src;
}

/** Strided slicing as a zero-copy view: the offset moves to the first element, strides scale by the steps. */
export const sliceOp = defineOp<SliceAttrs>({
  name: 'slice',
  infer: ([x], attrs) => ({ shape: slicedShape(attrs), dtype: x!.dtype }),
  kernels: {
    cpu: ([x], attrs, out) => {
      const v = sliceView(x!.strides, x!.offset, attrs);
      return strideView(x!, out.shape, v.strides, v.offset);
    },
  },
  // the gradient lands in zeros of the input's shape at the sliced positions
  vjp: (g, { inputs: [x], attrs }) => [dispatch(sliceScatterOp, [zeros(x!.shape, g.dtype), g], attrs)],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbTensor(fc, { minRank: 1, maxRank: 4, maxDim: 4 }), fc.nat(2))
        .chain(([x, mode]) =>
          arbSliceSpec(fc, x.shape).map((spec) => ({ inputs: [asStridedView(x, mode)], attrs: resolveSlice(x.shape, spec) })),
        ),
    reference: ([x], attrs) => fromIndex(slicedShape(attrs), 'float64', (idx) => x!.get(...sliceSourceIndex(attrs, idx))),
  },
});

/**
 * Takes a strided sub-tensor, as Python/NumPy basic slicing. `spec` has one entry per
 * leading axis: an integer index (removes the axis; negative counts from the end), `null`
 * (the whole axis) or `[start, end?, step?]` (negative bounds count from the end, bounds
 * are clamped to the axis as in Python, the step is a positive integer). Axes past the
 * spec are taken whole. The result is a zero-copy view sharing `x`'s buffer.
 * @example
 * ```ts
 * const x = arange(12).reshape([3, 4]);
 * slice(x, [1]).toArray();                 // [4, 5, 6, 7]      (x[1])
 * slice(x, [null, [1, 3]]).toArray();      // [[1, 2], [5, 6], [9, 10]]  (x[:, 1:3])
 * slice(x, [[null, null, 2], -1]).toArray(); // [3, 11]        (x[::2, -1])
 * ```
 */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  assertTensor(x, 'x', 'slice');
  const attrs = resolveSlice(x.shape, spec, 'slice');
  // taking everything is the identity (a step > 1 can only keep all of an axis of size <= 1)
  const whole = attrs.squeeze.every((s) => !s) && attrs.starts.every((s) => s === 0) && attrs.sizes.every((n, i) => n === x.shape[i]);
  if (whole) return x;
  return dispatch(sliceOp, [x], attrs);
}
