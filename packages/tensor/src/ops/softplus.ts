import type * as FastCheck from '../sampling.js';
import { assertTensor, checkFinite, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { mapUnary } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { unaryInfer } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';
import { greater } from './greater.js';
import { mul } from './mul.js';
import { sigmoid } from './sigmoid.js';
import { where } from './where.js';
import { softplusWasm } from '../wasm/unary.js';

/** Attributes of softplus, as PyTorch's `nn.Softplus(beta, threshold)`. */
export interface SoftplusAttrs {
  beta: number;
  threshold: number;
}

/**
 * Options of {@link softplus}.
 * @example
 * ```ts
 * softplus(x, { beta: 2, threshold: 10 });
 * ```
 */
export interface SoftplusOptions {
  /** Sharpness: softplus(x) = log(1 + e^(beta x)) / beta (default 1, must be > 0). */
  beta?: number;
  /** Where beta * x exceeds this, the result is x itself (default 20), as PyTorch. */
  threshold?: number;
}

const SOFTPLUS_KEYS = optionKeys<SoftplusOptions>({ beta: true, threshold: true });

/**
 * log(1 + e^(beta x)) / beta, written as (max(bx, 0) + log1p(e^-|bx|)) / beta so e^ never
 * overflows and small results keep their digits; linear above the threshold.
 */
function softplusScalar(x: number, beta: number, threshold: number): number {
  const bx = beta * x;
  if (bx > threshold) return x;
  return (Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta;
}

/** Elementwise softplus with PyTorch's beta and threshold. */
export const softplusOp = defineOp<SoftplusAttrs>({
  name: 'softplus',
  infer: unaryInfer('softplus', { float: true }),
  kernels: {
    cpu: ([x], { beta, threshold }, out) => mapUnary(x!, (v) => softplusScalar(v, beta, threshold), out),
    wasm: softplusWasm,
  },
  // d/dx = sigmoid(beta x); exactly 1 on the linear branch, as PyTorch's softplus_backward
  vjp: (g, { inputs: [x], attrs: { beta, threshold } }) => {
    const bx = mul(x!, beta);
    return [where(greater(bx, threshold), g, mul(g, sigmoid(bx)))];
  },
  spec: {
    // a small threshold puts the switch to the linear branch inside the sampled range;
    // samples stay away from it because softplus is discontinuous there
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(fc.constantFrom(0.5, 1, 2), fc.constantFrom(20, 2), fc.nat(2))
        .chain(([beta, threshold, mode]) =>
          arbTensor(fc, { min: -4, max: 4, avoid: [threshold / beta], avoidRadius: 0.05 }).map(
            (x): OpSample<SoftplusAttrs> => ({ inputs: [asStridedView(x, mode)], attrs: { beta, threshold } }),
          ),
        ),
    reference: ([x], { beta, threshold }) =>
      referenceElementwise([x!], (v) => (beta * v > threshold ? v : Math.log(1 + Math.exp(beta * v)) / beta)),
  },
});

/**
 * Softplus, log(1 + e^(beta x)) / beta, a smooth ReLU; returns x where beta * x > threshold
 * (PyTorch's convention). Stable for large |x|. Its gradient is sigmoid(beta x).
 * @example
 * ```ts
 * softplus(tensor([0])).item(); // 0.6931471805599453 (log 2)
 * softplus(tensor([1]), { beta: 2 }).item(); // log(1 + e^2) / 2
 * ```
 */
export function softplus(x: Tensor, opts: SoftplusOptions = {}): Tensor {
  assertTensor(x, 'x', 'softplus');
  checkOptionKeys(opts, SOFTPLUS_KEYS, 'softplus');
  const beta = checkFinite(opts.beta ?? 1, 'beta', 'softplus');
  if (beta <= 0) throw new ArgumentError(`softplus: beta must be > 0, got ${beta}`);
  const threshold = checkFinite(opts.threshold ?? 20, 'threshold', 'softplus');
  return dispatch(softplusOp, [x], { beta, threshold });
}
