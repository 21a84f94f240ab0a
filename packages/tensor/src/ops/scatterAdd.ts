import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import { iterate } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { contiguousStrides, normalizeAxis, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { arbGatherSample, checkGatherIndices, gather, type GatherAttrs } from './gather.js';
import { addAtWasm } from '../wasm/gather.js';

/** Adds `src` into a copy of `base` at int32 positions along an axis (torch.scatter_add). */
export const scatterAddOp = defineOp<GatherAttrs>({
  name: 'scatterAdd',
  infer: ([base, indices, src], { axis }) => {
    checkGatherIndices(base!, indices!, axis, 'scatterAdd', 'base');
    if (!shapesEqual(src!.shape, indices!.shape)) {
      throw new ShapeError(`scatterAdd: src must have the shape of indices, [${indices!.shape.join(', ')}], got [${src!.shape.join(', ')}]`);
    }
    if (src!.dtype !== base!.dtype) {
      throw new DTypeError(`scatterAdd: src must have base's dtype ${base!.dtype}, got ${src!.dtype}`);
    }
    return { shape: base!.shape, dtype: base!.dtype };
  },
  kernels: {
    cpu: ([base, indices, src], attrs, out) => {
      const axis = normalizeAxis(attrs.axis, base!.rank);
      const data = base!.toTypedArray();
      const strides = contiguousStrides(out.shape);
      const along = strides[axis]!;
      const bs = strides.map((s, k) => (k === axis ? 0 : s));
      const id = indices!.data;
      const sd = src!.data;
      // row-major over indices: repeated targets accumulate in that order
      iterate(indices!.shape, [bs, indices!.strides, src!.strides], [0, indices!.offset, src!.offset], (_, p) => {
        data[p[0]! + id[p[1]!]! * along]! += sd[p[2]!]!;
      });
      return new Tensor(data, out.shape, out.dtype);
    },
    wasm: addAtWasm(false),
  },
  vjp: (g, { inputs: [, indices], attrs: { axis }, needs }) => [needs[0] ? g : null, null, needs[2] ? gather(g, axis, indices!) : null],
  spec: {
    sample: (fc: typeof FastCheck) => arbGatherSample(fc, true),
    reference: ([base, indices, src], attrs) => {
      const axis = attrs.axis < 0 ? attrs.axis + base!.rank : attrs.axis;
      const added = new Map<string, number>();
      forEachIndex(indices!.shape, (idx) => {
        const target = [...idx];
        target[axis] = indices!.get(...idx);
        const key = target.join(',');
        added.set(key, (added.get(key) ?? 0) + src!.get(...idx));
      });
      return fromIndex(base!.shape, 'float64', (idx) => base!.get(...idx) + (added.get(idx.join(',')) ?? 0));
    },
  },
});

/**
 * A copy of `base` with each element of `src` added at the position that `indices` names
 * along `axis` (torch.scatter_add): for axis 1 of a 2-D tensor,
 * `out[i][indices[i][j]] += src[i][j]`. `src` has the shape of `indices`; repeated
 * positions accumulate. The backward of {@link gather}, and its gradient is a gather.
 * @example
 * ```ts
 * const idx = tensor([[0, 0, 2]], { dtype: 'int32' });
 * scatterAdd(zeros([1, 3]), 1, idx, tensor([[1, 2, 3]])).toArray(); // [[3, 0, 3]]
 * ```
 */
export function scatterAdd(base: Tensor, axis: number, indices: Tensor, src: Tensor): Tensor {
  assertTensor(base, 'base', 'scatterAdd');
  assertTensor(indices, 'indices', 'scatterAdd');
  assertTensor(src, 'src', 'scatterAdd');
  if (typeof axis !== 'number') throw new ArgumentError(`scatterAdd: axis must be an integer, got ${describe(axis)}`);
  return dispatch(scatterAddOp, [base, indices, src], { axis });
}
