import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { reluBackward } from './reluBackward.js';
import { reluGpujs } from '../gpujs/elementwise.js';
import { unaryWasm } from '../wasm/elementwise.js';

/** max(x, 0) for one value; NaN stays NaN (as torch.relu), so a NaN is never hidden. */
function reluScalar(x: number): number {
  return x > 0 || x !== x ? x : 0;
}

/**
 * max(x, 0). Subgradient at 0 is 0, as in PyTorch (threshold_backward), JAX, tfjs and
 * micrograd; the mask is taken from the output: the VJP is {@link reluBackward}`(g, relu(x))`, one fused
 * pass for `g * (relu(x) > 0)`.
 */
export const reluOp = defineOp<Record<string, never>>({
  name: 'relu',
  infer: unaryInfer('relu'),
  kernels: { cpu: unaryKernel(reluScalar), wasm: unaryWasm('relu'), gpujs: reluGpujs },
  vjp: (g, { output }) => [reluBackward(g, output)],
  spec: unarySpec(reluScalar, { avoid: [0] }),
});

/**
 * Rectified linear unit, max(x, 0); relu'(0) = 0.
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])).toArray(); // [0, 0, 2]
 * ```
 */
export function relu(x: Tensor): Tensor {
  assertTensor(x, 'x', 'relu');
  return dispatch(reluOp, [x], NO_ATTRS);
}
