import { assertTensor } from '../args.js';
import { defineOp, dispatch } from '../op.js';
import type { Tensor } from '../tensor.js';
import { argAttrs, argInfer, argKernel, argSample, referenceArg, type ArgReduceAttrs, type ArgReduceOptions } from './argmax.js';
import { argWasm } from '../wasm/rows.js';

/** Index of the minimum along an axis; NaN counts as the minimum (as NumPy and PyTorch). */
export const argminOp = defineOp<ArgReduceAttrs>({
  name: 'argmin',
  infer: argInfer('argmin'),
  kernels: {
    cpu: argKernel((v, best) => v < best || (v !== v && best === best)),
    wasm: argWasm(true),
  },
  differentiable: false,
  why: 'an index is piecewise constant in x: its derivative is 0 almost everywhere and undefined at ties',
  spec: { sample: argSample, reference: ([x], attrs) => referenceArg(x!, attrs, Math.min) },
});

/**
 * Index (int32) of the smallest element along `axis`, or into the flattened tensor
 * (row-major) when `axis` is omitted. Ties return the first occurrence; NaN counts as the
 * smallest. Searching an empty axis throws.
 * @example
 * ```ts
 * argmin(tensor([[1, 0, 0], [2, 5, 1]]), { axis: 1 }).toArray(); // [1, 2]
 * ```
 */
export function argmin(x: Tensor, opts?: ArgReduceOptions | number): Tensor {
  assertTensor(x, 'x', 'argmin');
  return dispatch(argminOp, [x], argAttrs(x, opts, 'argmin'));
}
