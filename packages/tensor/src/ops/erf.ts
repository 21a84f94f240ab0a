import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { erf as erfScalar } from '../kernels/special.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { unary32Wasm } from '../wasm/unary.js';

/**
 * Naive erf for test references: erf(x) = 2/sqrt(pi) e^-x^2 sum_n 2^n x^(2n+1) / (2n+1)!!,
 * a series of positive terms (no cancellation), independent of the kernel's Chebyshev form.
 */
export function referenceErf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 400 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** Elementwise Gauss error function (needed by GELU's derivative). */
export const erfOp = defineOp<Record<string, never>>({
  name: 'erf',
  infer: unaryInfer('erf', { float: true }),
  kernels: { cpu: unaryKernel(erfScalar), wasm: unary32Wasm('erf32') },
  // erf'(x) = 2/sqrt(pi) e^(-x^2)
  vjp: (g, { inputs: [x] }) => [mul(g, mul(exp(mul(mul(x!, x!), -1)), 2 / Math.sqrt(Math.PI)))],
  spec: unarySpec(referenceErf),
});

/**
 * The Gauss error function elementwise, accurate to a few 1e-16 (float dtypes only).
 * @example
 * ```ts
 * erf(tensor([0, 1], { dtype: 'float64' })).toArray(); // [0, 0.8427007929497149]
 * ```
 */
export function erf(x: Tensor): Tensor {
  assertTensor(x, 'x', 'erf');
  return dispatch(erfOp, [x], NO_ATTRS);
}
