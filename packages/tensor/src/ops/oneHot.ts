import type * as FastCheck from '../sampling.js';
import { assertTensor, checkInt } from '../args.js';
import { allocate, isDType, type DType } from '../dtype.js';
import { ArgumentError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import { sizeOf } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { arbShape } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { checkIndexValues } from './gather.js';

/**
 * Attributes of oneHot: the number of classes and the output dtype.
 *
 * @example
 * ```ts
 * const attrs: OneHotAttrs = { numClasses: 10, dtype: 'float32' }; // what oneHot(labels, 10) dispatches
 * ```
 */
export interface OneHotAttrs {
  numClasses: number;
  dtype: DType;
}

/** One-hot encoding of int32 class indices along a new last axis. */
export const oneHotOp = defineOp<OneHotAttrs>({
  name: 'oneHot',
  infer: ([indices], { numClasses, dtype }) => {
    checkInt(numClasses, 'numClasses', 'oneHot', 0);
    checkIndexValues(indices!, numClasses, 'oneHot', `numClasses ${numClasses}`);
    return { shape: [...indices!.shape, numClasses], dtype };
  },
  kernels: {
    cpu: ([indices], { numClasses }, out) => {
      const data = allocate(out.dtype, sizeOf(out.shape));
      const id = indices!.data;
      forEachOffset(indices!, (p, i) => {
        data[i * numClasses + id[p]!] = 1;
      });
      return new Tensor(data, out.shape, out.dtype);
    },
  },
  differentiable: false,
  why: 'its input is integer class indices, a discrete choice with no derivative; the output does not depend on any float input',
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbShape(fc, { maxRank: 3 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.constantFrom<DType>('float32', 'float64', 'int32'))
        .chain(([shape, numClasses, strided, dtype]) => {
          const n = sizeOf(shape);
          return fc.array(fc.integer({ min: 0, max: numClasses - 1 }), { minLength: 2 * n, maxLength: 2 * n }).map((values) => {
            // sometimes a strided view: every other element of a longer buffer, from offset 1
            const data = Int32Array.from(values);
            const strides = shape.map((_, k) => 2 * sizeOf(shape.slice(k + 1)));
            const indices = strided && n > 0 ? new Tensor(data, shape, 'int32', strides, 1) : new Tensor(data.slice(0, n), shape, 'int32');
            return { inputs: [indices], attrs: { numClasses, dtype } };
          });
        }),
    reference: ([indices], { numClasses }) =>
      fromIndex([...indices!.shape, numClasses], 'float64', (idx) => (indices!.get(...idx.slice(0, -1)) === idx[idx.length - 1] ? 1 : 0)),
  },
});

/**
 * One-hot encodes int32 class indices: the result has a new last axis of length
 * `numClasses` with 1 at each index's class and 0 elsewhere. Every index must lie in
 * [0, numClasses). Not differentiable.
 * @example
 * ```ts
 * oneHot(tensor([2, 0], { dtype: 'int32' }), 3).toArray(); // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function oneHot(indices: Tensor, numClasses: number, dtype: DType = 'float32'): Tensor {
  assertTensor(indices, 'indices', 'oneHot');
  checkInt(numClasses, 'numClasses', 'oneHot', 0);
  if (!isDType(dtype)) {
    throw new ArgumentError(`oneHot: dtype must be 'float32', 'float64' or 'int32', got ${describe(dtype)}`);
  }
  return dispatch(oneHotOp, [indices], { numClasses, dtype });
}
