import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { geluScalar } from '../kernels/special.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { add } from './add.js';
import { erf, referenceErf } from './erf.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { unary32Wasm } from '../wasm/unary.js';

/** Exact (erf) GELU: x * Phi(x), PyTorch's default `approximate='none'`. */
export const geluOp = defineOp<Record<string, never>>({
  name: 'gelu',
  infer: unaryInfer('gelu', { float: true }),
  kernels: { cpu: unaryKernel(geluScalar), wasm: unary32Wasm('gelu32') },
  // gelu'(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi(x) = e^(-x^2/2) / sqrt(2 pi)
  vjp: (g, { inputs: [x] }) => {
    const cdf = mul(add(erf(mul(x!, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x!, x!), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(g, add(cdf, mul(x!, pdf)))];
  },
  spec: unarySpec((x) => 0.5 * x * (1 + referenceErf(x / Math.SQRT2)), { min: -4, max: 4 }),
});

/**
 * Gaussian error linear unit, exact form x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)), as
 * PyTorch's `gelu` default (not the tanh approximation). Accurate in the left tail too.
 * @example
 * ```ts
 * gelu(tensor([0, 1], { dtype: 'float64' })).toArray(); // [0, 0.8413447460685429]
 * ```
 */
export function gelu(x: Tensor): Tensor {
  assertTensor(x, 'x', 'gelu');
  return dispatch(geluOp, [x], NO_ATTRS);
}
