import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { mul } from './mul.js';
import { sign } from './sign.js';
import { unary32Wasm } from '../wasm/unary.js';

/**
 * Elementwise absolute value. The subgradient at 0 is 0 (`g * sign(x)`), as PyTorch,
 * JAX and TensorFlow choose.
 */
export const absOp = defineOp<Record<string, never>>({
  name: 'abs',
  infer: unaryInfer('abs'),
  kernels: { cpu: unaryKernel(Math.abs), wasm: unary32Wasm('abs32') },
  vjp: (g, { inputs: [x] }) => [mul(g, sign(x!))],
  spec: unarySpec(Math.abs, { avoid: [0] }),
});

/**
 * |x| elementwise (any dtype). Its gradient at exactly 0 is taken to be 0: abs'(0) = 0.
 * @example
 * ```ts
 * abs(tensor([-2, 0, 3])).toArray(); // [2, 0, 3]
 * ```
 */
export function abs(x: Tensor): Tensor {
  assertTensor(x, 'x', 'abs');
  return dispatch(absOp, [x], NO_ATTRS);
}
