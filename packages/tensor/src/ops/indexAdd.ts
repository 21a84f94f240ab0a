import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import { iterate } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { contiguousStrides, normalizeAxis, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { arbIndexSelectSample, checkIndexSelect, indexSelect, type IndexSelectAttrs } from './indexSelect.js';
import { addAtWasm } from '../wasm/gather.js';

/** Adds whole slices of `src` into a copy of `base` at int32 positions along an axis (torch.index_add). */
export const indexAddOp = defineOp<IndexSelectAttrs>({
  name: 'indexAdd',
  infer: ([base, indices, src], { axis }) => {
    const { shape } = checkIndexSelect(base!, indices!, axis, 'indexAdd', 'base');
    if (!shapesEqual(src!.shape, shape)) {
      throw new ShapeError(`indexAdd: src must have shape [${shape.join(', ')}] (base's shape with one entry per index along the axis), got [${src!.shape.join(', ')}]`);
    }
    if (src!.dtype !== base!.dtype) {
      throw new DTypeError(`indexAdd: src must have base's dtype ${base!.dtype}, got ${src!.dtype}`);
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
      const is = src!.shape.map((_, k) => (k === axis ? indices!.strides[0]! : 0));
      const id = indices!.data;
      const sd = src!.data;
      iterate(src!.shape, [bs, is, src!.strides], [0, indices!.offset, src!.offset], (_, p) => {
        data[p[0]! + id[p[1]!]! * along]! += sd[p[2]!]!;
      });
      return new Tensor(data, out.shape, out.dtype);
    },
    wasm: addAtWasm(true),
  },
  vjp: (g, { inputs: [, indices], attrs: { axis }, needs }) => [needs[0] ? g : null, null, needs[2] ? indexSelect(g, axis, indices!) : null],
  spec: {
    sample: (fc: typeof FastCheck) => arbIndexSelectSample(fc, true),
    reference: ([base, indices, src], attrs) => {
      const axis = attrs.axis < 0 ? attrs.axis + base!.rank : attrs.axis;
      const added = new Map<string, number>();
      forEachIndex(src!.shape, (idx) => {
        const target = [...idx];
        target[axis] = indices!.get(idx[axis]!);
        const key = target.join(',');
        added.set(key, (added.get(key) ?? 0) + src!.get(...idx));
      });
      return fromIndex(base!.shape, 'float64', (idx) => base!.get(...idx) + (added.get(idx.join(',')) ?? 0));
    },
  },
});

/**
 * A copy of `base` with slice `j` of `src` along `axis` added at position `indices[j]`
 * (torch.index_add); repeated positions accumulate. `src` is `base`'s shape with the axis
 * resized to the number of indices. The backward of {@link indexSelect}.
 * @example
 * ```ts
 * const idx = tensor([1, 1], { dtype: 'int32' });
 * indexAdd(zeros([3]), 0, idx, tensor([2, 5])).toArray(); // [0, 7, 0]
 * ```
 */
export function indexAdd(base: Tensor, axis: number, indices: Tensor, src: Tensor): Tensor {
  assertTensor(base, 'base', 'indexAdd');
  assertTensor(indices, 'indices', 'indexAdd');
  assertTensor(src, 'src', 'indexAdd');
  if (typeof axis !== 'number') throw new ArgumentError(`indexAdd: axis must be an integer, got ${describe(axis)}`);
  return dispatch(indexAddOp, [base, indices, src], { axis });
}
