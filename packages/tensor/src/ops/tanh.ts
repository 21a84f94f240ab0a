import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { unary32Wasm } from '../wasm/unary.js';

/** Elementwise hyperbolic tangent. */
export const tanhOp = defineOp<Record<string, never>>({
  name: 'tanh',
  infer: unaryInfer('tanh', { float: true }),
  kernels: { cpu: unaryKernel(Math.tanh), wasm: unary32Wasm('tanh32') },
  // tanh' = 1 - tanh^2, from the output
  vjp: (g, { output }) => [mul(g, sub(1, mul(output, output)))],
  spec: unarySpec((x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1)),
});

/**
 * Hyperbolic tangent elementwise (float dtypes only).
 * @example
 * ```ts
 * tanh(tensor([0])).item(); // 0
 * ```
 */
export function tanh(x: Tensor): Tensor {
  assertTensor(x, 'x', 'tanh');
  return dispatch(tanhOp, [x], NO_ATTRS);
}
