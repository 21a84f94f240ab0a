import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { referenceElementwise } from '../testing/reference.js';
import { add } from './add.js';
import { equal } from './equal.js';
import { less } from './less.js';
import { nearTie, untiedPairSample } from './maximum.js';
import { mul } from './mul.js';
import { binaryWasm } from '../wasm/elementwise.js';

/**
 * Elementwise minimum with broadcasting; NaN propagates (as torch.minimum). At ties the
 * gradient is split evenly, 0.5 to each operand, as JAX and tinygrad do.
 */
export const minimumOp = defineOp<Record<string, never>>({
  name: 'minimum',
  infer: binaryInfer('minimum'),
  kernels: { cpu: binaryKernel(Math.min), wasm: binaryWasm('minimum3') },
  vjp: (g, { inputs: [a, b], needs }) => {
    const half = (x: Tensor, y: Tensor) => add(less(x, y), mul(equal(x, y), 0.5));
    return [needs[0] ? mul(g, half(a!, b!)) : null, needs[1] ? mul(g, half(b!, a!)) : null];
  },
  spec: {
    sample: untiedPairSample,
    reference: ([a, b]) => referenceElementwise([a!, b!], (x, y) => (x < y ? x : y)),
    gradcheckSkip: (s) => nearTie(s),
  },
});

/**
 * Elementwise smaller of `a` and `b` with broadcasting (NaN if either is NaN). Where they
 * tie, each receives half of the gradient.
 * @example
 * ```ts
 * minimum(tensor([1, 5, 3]), 3).toArray(); // [1, 3, 3]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(minimumOp, operands(a, b, 'minimum'), NO_ATTRS);
}
