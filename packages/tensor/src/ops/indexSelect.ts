import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { zeros } from '../create.js';
import { allocate } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import { iterate } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { normalizeAxis, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { checkIndexValues } from './gather.js';
import { indexAdd } from './indexAdd.js';
import { gatherWasm } from '../wasm/gather.js';

/**
 * Attributes of indexSelect (and indexAdd): the indexed axis (negative counts from the end).
 *
 * @example
 * ```ts
 * const attrs: IndexSelectAttrs = { axis: 0 }; // what indexSelect(x, 0, indices) dispatches
 * ```
 */
export interface IndexSelectAttrs {
  axis: number;
}

/**
 * Shape rule of indexSelect/indexAdd: 1-D int32 indices with values inside the axis of `x`.
 * Returns the normalized axis and the shape with the axis resized to the number of indices.
 */
export function checkIndexSelect(x: Tensor, indices: Tensor, axisArg: number, opName: string, xName: string): { axis: number; shape: Shape } {
  if (x.rank === 0) throw new ShapeError(`${opName}: ${xName} must have rank >= 1, got a 0-d tensor`);
  const axis = normalizeAxis(axisArg, x.rank, `${opName} axis`);
  if (indices.dtype !== 'int32') throw new DTypeError(`${opName}: indices must be an int32 tensor, got ${indices.dtype}`);
  if (indices.rank !== 1) {
    throw new ShapeError(`${opName}: indices must be 1-D, got shape [${indices.shape.join(', ')}]`);
  }
  checkIndexValues(indices, x.shape[axis]!, opName, `axis ${axis} of ${xName} with size ${x.shape[axis]}`);
  const shape = [...x.shape];
  shape[axis] = indices.size;
  return { axis, shape };
}

/** Whole slices of `x` along an axis at int32 positions (torch.index_select). */
export const indexSelectOp = defineOp<IndexSelectAttrs>({
  name: 'indexSelect',
  infer: ([x, indices], { axis }) => ({ shape: checkIndexSelect(x!, indices!, axis, 'indexSelect', 'x').shape, dtype: x!.dtype }),
  kernels: {
    cpu: ([x, indices], attrs, out) => {
      const axis = normalizeAxis(attrs.axis, x!.rank);
      const res = allocate(out.dtype, sizeOf(out.shape));
      const xd = x!.data;
      const id = indices!.data;
      const along = x!.strides[axis]!;
      const xs = x!.strides.map((s, k) => (k === axis ? 0 : s));
      // the index tensor advances only along the selected axis
      const is = out.shape.map((_, k) => (k === axis ? indices!.strides[0]! : 0));
      iterate(out.shape, [xs, is], [x!.offset, indices!.offset], (i, p) => {
        res[i] = xd[p[0]! + id[p[1]!]! * along]!;
      });
      return new Tensor(res, out.shape, out.dtype);
    },
    wasm: gatherWasm(true),
  },
  vjp: (g, { inputs: [x, indices], attrs: { axis } }) => [indexAdd(zeros(x!.shape, g.dtype), axis, indices!, g), null],
  spec: {
    sample: (fc: typeof FastCheck) => arbIndexSelectSample(fc),
    reference: ([x, indices], attrs) => {
      const axis = attrs.axis < 0 ? attrs.axis + x!.rank : attrs.axis;
      const shape = [...x!.shape];
      shape[axis] = indices!.size;
      return fromIndex(shape, 'float64', (idx) => {
        const src = [...idx];
        src[axis] = indices!.get(idx[axis]!);
        return x!.get(...src);
      });
    },
  },
});

/** Random `x`, axis and 1-D int32 indices; `extra` adds a src shaped like the selection. */
export function arbIndexSelectSample(fc: typeof FastCheck, extra = false) {
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.boolean(),
      fc.nat(2),
      fc.integer({ min: 0, max: 5 }),
      fc.boolean(),
    )
    .chain(([shape, axisKey, negative, mode, count, stridedIndices]) => {
      const axis = axisKey % shape.length;
      if (shape[axis] === 0) shape[axis] = 1;
      const selShape = shape.map((d, k) => (k === axis ? count : d));
      return fc
        .tuple(
          arbTensorOfShape(fc, shape),
          fc.array(fc.integer({ min: 0, max: shape[axis]! - 1 }), { minLength: 2 * count, maxLength: 2 * count }),
          arbTensorOfShape(fc, extra ? selShape : []),
        )
        .map(([x, values, src]) => {
          // indices sometimes arrive as a strided view (every other element of a longer buffer)
          const indices = stridedIndices
            ? new Tensor(Int32Array.from(values), [count], 'int32', [2], 1)
            : new Tensor(Int32Array.from(values.slice(0, count)), [count], 'int32');
          const inputs = extra ? [asStridedView(x, mode), indices, asStridedView(src, mode + 1)] : [asStridedView(x, mode), indices];
          return { inputs, attrs: { axis: negative ? axis - shape.length : axis } };
        });
    });
}

/**
 * Whole slices of `x` along `axis` at the positions in the 1-D int32 tensor `indices`
 * (torch.index_select); positions may repeat and come in any order. The gradient adds
 * back with {@link indexAdd}.
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4], [5, 6]]);
 * indexSelect(x, 0, tensor([2, 0, 2], { dtype: 'int32' })).toArray(); // [[5, 6], [1, 2], [5, 6]]
 * ```
 */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  assertTensor(x, 'x', 'indexSelect');
  assertTensor(indices, 'indices', 'indexSelect');
  if (typeof axis !== 'number') throw new ArgumentError(`indexSelect: axis must be an integer, got ${describe(axis)}`);
  return dispatch(indexSelectOp, [x, indices], { axis });
}
