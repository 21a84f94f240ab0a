import { assertTensor } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** `g` where `y > 0`, else 0 (a select, as PyTorch's threshold_backward: an infinite `g` at an inactive unit gives 0, not NaN). */
function reluBackwardScalar(g: number, y: number): number {
  return y > 0 ? g : 0;
}

/**
 * ReLU's backward in one pass: `g * (y > 0)` for the gradient `g` of relu's output `y`,
 * without the intermediate mask tensor. Linear in `g` (its VJP is itself, at the same
 * `y`); piecewise constant in `y`, whose gradient is 0 almost everywhere (returned as none).
 */
export const reluBackwardOp = defineOp<Record<string, never>>({
  name: 'reluBackward',
  infer: binaryInfer('reluBackward', { float: true }),
  kernels: { cpu: binaryKernel(reluBackwardScalar), wasm: binaryWasm('reluMask3') },
  vjp: (gg, { inputs: [, y], needs }) => [needs[0] ? reluBackward(gg, y!) : null, null],
  spec: binarySpec(reluBackwardScalar, { b: { avoid: [0] } }),
});

/**
 * The gradient through a ReLU: `g` where the ReLU's output `y` is positive, 0 elsewhere
 * (broadcasting as NumPy does).
 * @example
 * ```ts
 * reluBackward(tensor([5, 5, 5]), tensor([0, 2, 3])).toArray(); // [0, 5, 5]
 * ```
 */
export function reluBackward(g: Tensor, y: Tensor): Tensor {
  assertTensor(g, 'g', 'reluBackward');
  assertTensor(y, 'y', 'reluBackward');
  return dispatch(reluBackwardOp, [g, y], NO_ATTRS);
}
