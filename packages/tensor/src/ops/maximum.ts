import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { referenceElementwise } from '../testing/reference.js';
import { add } from './add.js';
import { equal } from './equal.js';
import { greater } from './greater.js';
import { mul } from './mul.js';

/** True when some broadcast pair of a sample is within `gap` of a tie (a kink of max/min). */
export function nearTie(sample: OpSample<Record<string, never>>, gap = 1e-3): boolean {
  const [a, b] = sample.inputs;
  const d = referenceElementwise([a!, b!], (x, y) => Math.abs(x - y)).toTypedArray();
  return d.some((v) => v < gap);
}

/**
 * Elementwise maximum with broadcasting; NaN propagates (as torch.maximum). At ties the
 * gradient is split evenly, 0.5 to each operand, as JAX and tinygrad do.
 */
export const maximumOp = defineOp<Record<string, never>>({
  name: 'maximum',
  infer: binaryInfer('maximum'),
  kernels: { cpu: binaryKernel(Math.max) },
  vjp: (g, { inputs: [a, b], needs }) => {
    const half = (x: Tensor, y: Tensor) => add(greater(x, y), mul(equal(x, y), 0.5));
    return [needs[0] ? mul(g, half(a!, b!)) : null, needs[1] ? mul(g, half(b!, a!)) : null];
  },
  spec: { ...binarySpec((a, b) => (a > b ? a : b)), gradcheckSkip: (s) => nearTie(s) },
});

/**
 * Elementwise larger of `a` and `b` with broadcasting (NaN if either is NaN). Where they
 * tie, each receives half of the gradient.
 * @example
 * ```ts
 * maximum(tensor([1, 5, 3]), 3).toArray(); // [3, 5, 3]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(maximumOp, operands(a, b, 'maximum'), NO_ATTRS);
}

