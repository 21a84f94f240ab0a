import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { comparisonSpec } from './equal.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** `a >= b` as 1/0 in the promoted dtype. */
export const greaterEqualOp = defineOp<Record<string, never>>({
  name: 'greaterEqual',
  infer: binaryInfer('greaterEqual'),
  kernels: { cpu: binaryKernel((a, b) => (a >= b ? 1 : 0)), wasm: binaryWasm('greaterEqual3') },
  differentiable: false,
  why: 'a comparison is piecewise constant: its derivative is 0 almost everywhere and undefined at ties',
  spec: comparisonSpec((a, b) => (a >= b ? 1 : 0)),
});

/**
 * Elementwise `a >= b` as 1 or 0, in the promoted dtype of the operands.
 * @example
 * ```ts
 * greaterEqual(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 1]
 * ```
 */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(greaterEqualOp, operands(a, b, 'greaterEqual'), NO_ATTRS);
}
