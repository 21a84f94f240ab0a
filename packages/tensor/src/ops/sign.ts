import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { unary32Wasm } from '../wasm/unary.js';

/** Elementwise sign: -1, 0 or 1 (NaN stays NaN). */
export const signOp = defineOp<Record<string, never>>({
  name: 'sign',
  infer: unaryInfer('sign'),
  kernels: { cpu: unaryKernel(Math.sign), wasm: unary32Wasm('sign32') },
  differentiable: false,
  why: 'sign is piecewise constant: its derivative is 0 almost everywhere and undefined at 0',
  spec: unarySpec(Math.sign),
});

/**
 * The sign of each element: -1, 0 or 1, in the input's dtype; NaN stays NaN.
 * @example
 * ```ts
 * sign(tensor([-3, 0, 2])).toArray(); // [-1, 0, 1]
 * ```
 */
export function sign(x: Tensor): Tensor {
  assertTensor(x, 'x', 'sign');
  return dispatch(signOp, [x], NO_ATTRS);
}
