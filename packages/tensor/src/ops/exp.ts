import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { mul } from './mul.js';
import { expGpujs } from '../gpujs/elementwise.js';
import { unaryWasm } from '../wasm/elementwise.js';

/** Elementwise e^x. */
export const expOp = defineOp<Record<string, never>>({
  name: 'exp',
  infer: unaryInfer('exp', { float: true }),
  kernels: { cpu: unaryKernel(Math.exp), wasm: unaryWasm('exp'), gpujs: expGpujs },
  vjp: (g, { output }) => [mul(g, output)],
  spec: unarySpec(Math.exp),
});

/**
 * e^x elementwise (float dtypes only).
 * @example
 * ```ts
 * exp(tensor([0])).item(); // 1
 * ```
 */
export function exp(x: Tensor): Tensor {
  assertTensor(x, 'x', 'exp');
  return dispatch(expOp, [x], NO_ATTRS);
}
