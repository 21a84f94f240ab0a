import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** `a > b` as 1/0 in the promoted dtype (pathgrad has no bool dtype). */
export const greaterOp = defineOp<Record<string, never>>({
  name: 'greater',
  infer: binaryInfer('greater'),
  kernels: { cpu: binaryKernel((a, b) => (a > b ? 1 : 0)), wasm: binaryWasm('greater3') },
  differentiable: false,
  why: 'a comparison is piecewise constant: its derivative is 0 almost everywhere and undefined at ties',
  spec: binarySpec((a, b) => (a > b ? 1 : 0)),
});

/**
 * Elementwise `a > b` as 1 or 0, in the promoted dtype of the operands.
 * @example
 * ```ts
 * greater(tensor([1, 2, 3]), 2).toArray(); // [0, 0, 1]
 * ```
 */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(greaterOp, operands(a, b, 'greater'), NO_ATTRS);
}
