import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { unaryWasm } from '../wasm/elementwise.js';

/** Elementwise square root (NaN below 0, as IEEE). */
export const sqrtOp = defineOp<Record<string, never>>({
  name: 'sqrt',
  infer: unaryInfer('sqrt', { float: true }),
  kernels: { cpu: unaryKernel(Math.sqrt), wasm: unaryWasm('sqrt') },
  // d sqrt(x) = 1 / (2 sqrt(x)), read from the output
  vjp: (g, { output }) => [div(g, mul(output, 2))],
  spec: unarySpec(Math.sqrt, { min: 0.2, max: 4 }),
});

/**
 * Square root elementwise (float dtypes only).
 * @example
 * ```ts
 * sqrt(tensor([4, 9])).toArray(); // [2, 3]
 * ```
 */
export function sqrt(x: Tensor): Tensor {
  assertTensor(x, 'x', 'sqrt');
  return dispatch(sqrtOp, [x], NO_ATTRS);
}
