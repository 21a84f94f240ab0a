import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { div } from './div.js';
import { logGpujs } from '../gpujs/elementwise.js';
import { unaryWasm } from '../wasm/elementwise.js';

/** Elementwise natural logarithm (NaN below 0, -Infinity at 0, as IEEE). */
export const logOp = defineOp<Record<string, never>>({
  name: 'log',
  infer: unaryInfer('log', { float: true }),
  kernels: { cpu: unaryKernel(Math.log), wasm: unaryWasm('log'), gpujs: logGpujs },
  vjp: (g, { inputs: [x] }) => [div(g, x!)],
  spec: unarySpec(Math.log, { min: 0.2, max: 4 }),
});

/**
 * Natural logarithm elementwise.
 * @example
 * ```ts
 * log(tensor([1])).item(); // 0
 * ```
 */
export function log(x: Tensor): Tensor {
  assertTensor(x, 'x', 'log');
  return dispatch(logOp, [x], NO_ATTRS);
}
