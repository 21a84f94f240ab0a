import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { comparisonSpec } from './equal.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** `a <= b` as 1/0 in the promoted dtype. */
export const lessEqualOp = defineOp<Record<string, never>>({
  name: 'lessEqual',
  infer: binaryInfer('lessEqual'),
  kernels: { cpu: binaryKernel((a, b) => (a <= b ? 1 : 0)), wasm: binaryWasm('lessEqual3') },
  differentiable: false,
  why: 'a comparison is piecewise constant: its derivative is 0 almost everywhere and undefined at ties',
  spec: comparisonSpec((a, b) => (a <= b ? 1 : 0)),
});

/**
 * Elementwise `a <= b` as 1 or 0, in the promoted dtype of the operands.
 * @example
 * ```ts
 * lessEqual(tensor([1, 2, 3]), 2).toArray(); // [1, 1, 0]
 * ```
 */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(lessEqualOp, operands(a, b, 'lessEqual'), NO_ATTRS);
}
