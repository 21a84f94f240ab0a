import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { zeros } from '../create.js';
import { DTypeError, ShapeError } from '../errors.js';
import { defineOp, dispatch, type OpDef } from '../op.js';
import { contiguousStrides, shapesEqual } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { arbTensor, arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { arbSliceSpec, resolveSlice, sliceOp, slicedShape, sliceSourceIndex, sliceView, type SliceAttrs, type SliceSpec } from './slice.js';

/**
 * A copy of `base` with the sliced region replaced by `src` (torch.slice_scatter for a
 * whole slice spec). The backward of slice: scattering the gradient into zeros.
 */
export const sliceScatterOp: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'sliceScatter',
  infer: ([base, src], attrs) => {
    const want = slicedShape(attrs);
    if (!shapesEqual(src!.shape, want)) {
      throw new ShapeError(`sliceScatter: src must have the shape of the slice, [${want.join(', ')}], got [${src!.shape.join(', ')}]`);
    }
    if (src!.dtype !== base!.dtype) {
      throw new DTypeError(`sliceScatter: src must have base's dtype ${base!.dtype}, got ${src!.dtype}`);
    }
    return { shape: base!.shape, dtype: base!.dtype };
  },
  kernels: {
    cpu: ([base, src], attrs, out) => {
      const data = base!.toTypedArray();
      const v = sliceView(contiguousStrides(out.shape), 0, attrs);
      const region = new Tensor(data, src!.shape, out.dtype, v.strides, v.offset);
      const values = src!.toTypedArray();
      forEachOffset(region, (p, i) => {
        data[p] = values[i]!;
      });
      return new Tensor(data, out.shape, out.dtype);
    },
  },
  vjp: (g, { inputs: [, src], attrs, needs }) => [
    // base's elements survive outside the region only; src's gradient is the region itself
    needs[0] ? dispatch(sliceScatterOp, [g, zeros(src!.shape, g.dtype)], attrs) : null,
    needs[1] ? dispatch(sliceOp, [g], attrs) : null,
  ],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbTensor(fc, { minRank: 1, maxRank: 3, maxDim: 4 }), fc.nat(2))
        .chain(([base, mode]) =>
          arbSliceSpec(fc, base.shape).chain((spec) => {
            const attrs = resolveSlice(base.shape, spec);
            return arbTensorOfShape(fc, slicedShape(attrs)).map((src) => ({
              inputs: [asStridedView(base, mode), asStridedView(src, mode + 1)],
              attrs,
            }));
          }),
        ),
    reference: ([base, src], attrs) => {
      // which output positions are in the region, and which src element lands there
      const hit = new Map<string, number>();
      forEachIndex(src!.shape, (idx) => hit.set(sliceSourceIndex(attrs, idx).join(','), src!.get(...idx)));
      return fromIndex(base!.shape, 'float64', (idx) => hit.get(idx.join(',')) ?? base!.get(...idx));
    },
  },
});

/**
 * A copy of `base` whose slice `spec` (as in {@link slice}) is replaced by `src`, which
 * must have the slice's shape and `base`'s dtype. Differentiable in both tensors.
 * @example
 * ```ts
 * sliceScatter(zeros([2, 3]), tensor([7, 8]), [null, 1]).toArray(); // [[0, 7, 0], [0, 8, 0]]
 * ```
 */
export function sliceScatter(base: Tensor, src: Tensor, spec: SliceSpec): Tensor {
  assertTensor(base, 'base', 'sliceScatter');
  assertTensor(src, 'src', 'sliceScatter');
  return dispatch(sliceScatterOp, [base, src], resolveSlice(base.shape, spec, 'sliceScatter'));
}
