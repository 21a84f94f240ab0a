import type * as FastCheck from '../sampling.js';
import { resultDType } from '../args.js';
import { allocate } from '../dtype.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import { contiguousStrides, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { slice, type SliceEntry } from './slice.js';

/**
 * Attributes of concat: the axis to join along (negative counts from the end).
 *
 * @example
 * ```ts
 * const attrs: ConcatAttrs = { axis: -1 }; // what concat([a, b], -1) dispatches
 * ```
 */
export interface ConcatAttrs {
  axis: number;
}

/** Validates a list of tensors for concat/stack and returns it. */
export function checkTensorList(tensors: unknown, opName: string): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new ArgumentError(`${opName}: tensors must be a non-empty array of Tensors, got ${describe(tensors)}`);
  }
  tensors.forEach((t: unknown, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(`${opName}: tensors[${i}] must be a Tensor, got ${describe(t)}`);
  });
  return tensors as Tensor[];
}

/** Shape rule shared by the kernel and the public function: same rank, equal sizes off the axis. */
function concatShape(inputs: readonly Tensor[], axisArg: number): { shape: number[]; axis: number } {
  const first = inputs[0];
  if (!first) throw new ArgumentError('concat: tensors must be a non-empty array of Tensors, got []');
  if (first.rank === 0) throw new ShapeError('concat: tensors must have rank >= 1, got a 0-d tensors[0] (use stack to join scalars)');
  const axis = normalizeAxis(axisArg, first.rank, 'concat axis');
  const shape = [...first.shape];
  shape[axis] = 0;
  inputs.forEach((t, i) => {
    const ok = t.rank === first.rank && t.shape.every((d, k) => k === axis || d === first.shape[k]);
    if (!ok) {
      throw new ShapeError(
        `concat: tensors[${i}] must have shape [${first.shape.map((d, k) => (k === axis ? '*' : d)).join(', ')}] (as tensors[0], any size along axis ${axis}), got [${t.shape.join(', ')}]`,
      );
    }
    shape[axis]! += t.shape[axis]!;
  });
  return { shape, axis };
}

/** Joins tensors along an existing axis into a new contiguous tensor. */
export const concatOp = defineOp<ConcatAttrs>({
  name: 'concat',
  infer: (inputs, { axis }) => ({ shape: concatShape(inputs, axis).shape, dtype: resultDType(...inputs) }),
  kernels: {
    cpu: (inputs, attrs, out) => {
      const { axis } = concatShape(inputs, attrs.axis);
      const data = allocate(out.dtype, sizeOf(out.shape));
      const strides = contiguousStrides(out.shape);
      let start = 0;
      for (const t of inputs) {
        // the block of the output that this input fills, viewed with the output's strides
        const block = new Tensor(data, t.shape, out.dtype, strides, start * strides[axis]!);
        const values = t.toTypedArray();
        forEachOffset(block, (p, i) => {
          data[p] = values[i]!;
        });
        start += t.shape[axis]!;
      }
      return new Tensor(data, out.shape, out.dtype);
    },
  },
  vjp: (g, { inputs, attrs, needs }) => {
    const axis = normalizeAxis(attrs.axis, g.rank, 'concat axis');
    let start = 0;
    return inputs.map((t, i) => {
      const n = t.shape[axis]!;
      const spec: SliceEntry[] = new Array<SliceEntry>(axis).fill(null);
      spec.push([start, start + n]);
      start += n;
      return needs[i] ? slice(g, spec) : null;
    });
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
          fc.nat(),
          fc.boolean(),
          fc.nat(2),
        )
        .chain(([shape, lengths, axisKey, negative, mode]) => {
          const axis = axisKey % shape.length;
          const shapes = lengths.map((n) => shape.map((d, k) => (k === axis ? n : d)));
          return fc.tuple(...shapes.map((s) => arbTensorOfShape(fc, s))).map((ts) => ({
            inputs: ts.map((t, i) => asStridedView(t, mode + i)),
            attrs: { axis: negative ? axis - shape.length : axis },
          }));
        }),
    reference: (inputs, attrs) => {
      const rank = inputs[0]!.rank;
      const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
      const shape = [...inputs[0]!.shape];
      shape[axis] = inputs.reduce((s, t) => s + t.shape[axis]!, 0);
      return fromIndex(shape, 'float64', (idx) => {
        let k = idx[axis]!;
        for (const t of inputs) {
          if (k < t.shape[axis]!) {
            const own = [...idx];
            own[axis] = k;
            return t.get(...own);
          }
          k -= t.shape[axis]!;
        }
        throw new Error('reference: index past the end');
      });
    },
  },
});

/**
 * Joins tensors along an existing axis (negative counts from the end). All tensors need
 * the same rank and the same sizes on every other axis; the dtype is the widest of theirs.
 * @example
 * ```ts
 * concat([tensor([[1, 2]]), tensor([[3, 4], [5, 6]])], 0).toArray(); // [[1, 2], [3, 4], [5, 6]]
 * concat([tensor([[1], [2]]), tensor([[3], [4]])], -1).toArray();    // [[1, 3], [2, 4]]
 * ```
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  const ts = checkTensorList(tensors, 'concat');
  if (typeof axis !== 'number') throw new ArgumentError(`concat: axis must be an integer, got ${describe(axis)}`);
  concatShape(ts, axis);
  return dispatch(concatOp, ts, { axis });
}
