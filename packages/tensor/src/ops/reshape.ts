import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import { checkShape, sizeOf, type Shape } from '../shape.js';
import { Tensor, viewOf } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';

/** Attributes of reshape: the target shape (fully resolved, no -1). */
export interface ReshapeAttrs {
  shape: Shape;
}

/**
 * Strides that view `t`'s elements in `shape` without copying, or undefined when the
 * layout does not allow it (then reshape copies). Works on merged runs of dimensions
 * that are contiguous with each other, as NumPy's `_attempt_nocopy_reshape`.
 */
export function viewStrides(t: Tensor, shape: Shape): number[] | undefined {
  // an empty tensor has no layout to respect (and the grouping loop below needs sizes > 0)
  if (t.isContiguous || t.size === 0) {
    const strides = new Array<number>(shape.length);
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= shape[i]!;
    }
    return strides;
  }
  // drop size-1 dims of the source, then match groups
  const oldShape: number[] = [];
  const oldStrides: number[] = [];
  t.shape.forEach((d, i) => {
    if (d !== 1) {
      oldShape.push(d);
      oldStrides.push(t.strides[i]!);
    }
  });
  const newStrides = new Array<number>(shape.length).fill(0);
  let oi = 0;
  let ni = 0;
  const nNew = shape.length;
  while (ni < nNew && oi < oldShape.length) {
    let np = shape[ni]!;
    let op = oldShape[oi]!;
    const ni0 = ni;
    const oi0 = oi;
    while (np !== op) {
      if (np < op) np *= shape[++ni]!;
      else op *= oldShape[++oi]!;
    }
    for (let k = oi0; k < oi; k++) {
      if (oldStrides[k] !== oldStrides[k + 1]! * oldShape[k + 1]!) return undefined;
    }
    newStrides[ni] = oldStrides[oi]!;
    for (let k = ni; k > ni0; k--) newStrides[k - 1] = newStrides[k]! * shape[k]!;
    ni++;
    oi++;
  }
  // trailing size-1 dims of the new shape
  for (; ni < nNew; ni++) newStrides[ni] = 1;
  return newStrides;
}

/** Reshape: a zero-copy view when the strides allow, otherwise a contiguous copy. */
export const reshapeOp = defineOp<ReshapeAttrs>({
  name: 'reshape',
  infer: ([x], { shape }) => ({ shape, dtype: x!.dtype }),
  kernels: {
    cpu: ([x], { shape }) => {
      const strides = viewStrides(x!, shape);
      if (strides) return viewOf(x!, shape, strides, x!.offset);
      return new Tensor(x!.toTypedArray(), shape, x!.dtype);
    },
  },
  vjp: (g, { inputs: [x] }) => [reshape(g, x!.shape)],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc.tuple(arbTensor(fc, { minDim: 1 }), fc.nat(2), fc.boolean()).map(([x, mode, flat]) => {
        const shape = flat ? [x.size] : [...x.shape].reverse();
        return { inputs: [asStridedView(x, mode)], attrs: { shape } };
      }),
    reference: ([x], { shape }) => new Tensor(Float64Array.from(x!.toTypedArray()), shape, 'float64'),
  },
});

/**
 * Resolves a requested shape that may contain one -1 against `size` elements.
 *
 * @example
 * ```ts
 * resolveShape([-1, 4], 12, 'reshape'); // [3, 4]
 * ```
 */
export function resolveShape(requested: readonly number[], size: number, what: string): number[] {
  if (!Array.isArray(requested)) {
    throw new ArgumentError(`${what}: shape must be an array of integers, got ${describe(requested)}`);
  }
  let infer = -1;
  let known = 1;
  requested.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new ArgumentError(`${what}: only one dimension may be -1, got [${requested.join(', ')}]`);
      infer = i;
    } else {
      if (!Number.isInteger(d) || d < 0) {
        throw new ArgumentError(`${what}: sizes must be non-negative integers or -1, got [${requested.join(', ')}]`);
      }
      known *= d;
    }
  });
  const out = [...requested];
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${what}: cannot infer -1 in [${requested.join(', ')}] for ${size} elements`);
    }
    out[infer] = size / known;
  }
  checkShape(out, `${what} shape`);
  if (sizeOf(out) !== size) {
    throw new ShapeError(`${what}: cannot reshape ${size} elements into [${requested.join(', ')}] (${sizeOf(out)} elements)`);
  }
  return out;
}

/**
 * Gives `x` a new shape with the same elements in row-major order; one size may be -1.
 * A view (no copy) when the strides allow.
 * @example
 * ```ts
 * reshape(arange(6), [2, -1]).shape; // [2, 3]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor(x, 'x', 'reshape');
  return dispatch(reshapeOp, [x], { shape: resolveShape(shape, x.size, 'reshape') });
}
