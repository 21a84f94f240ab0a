import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { unary32Wasm } from '../wasm/unary.js';

/**
 * Logistic function, evaluated so that exp never overflows: for x < 0 it uses
 * e^x / (1 + e^x), for x >= 0 the usual 1 / (1 + e^-x).
 */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Elementwise logistic sigmoid 1 / (1 + e^-x). */
export const sigmoidOp = defineOp<Record<string, never>>({
  name: 'sigmoid',
  infer: unaryInfer('sigmoid', { float: true }),
  kernels: { cpu: unaryKernel(sigmoidScalar), wasm: unary32Wasm('sigmoid32') },
  // s' = s (1 - s), from the output: no exp recomputed, no overflow for large |x|
  vjp: (g, { output }) => [mul(g, mul(output, sub(1, output)))],
  spec: unarySpec((x) => 1 / (1 + Math.exp(-x)), { min: -8, max: 8 }),
});

/**
 * Logistic sigmoid 1 / (1 + e^-x), stable for large |x| (float dtypes only).
 * @example
 * ```ts
 * sigmoid(tensor([0])).item(); // 0.5
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  assertTensor(x, 'x', 'sigmoid');
  return dispatch(sigmoidOp, [x], NO_ATTRS);
}
