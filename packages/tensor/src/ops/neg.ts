import { assertTensor } from '../args.js';
import { unaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS, unaryInfer, unarySpec } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { negGpujs } from '../gpujs/elementwise.js';
import { unaryWasm } from '../wasm/elementwise.js';

/** Elementwise negation. */
export const negOp = defineOp<Record<string, never>>({
  name: 'neg',
  infer: unaryInfer('neg'),
  kernels: { cpu: unaryKernel((x) => -x), wasm: unaryWasm('neg'), gpujs: negGpujs },
  vjp: (g) => [neg(g)],
  spec: unarySpec((x) => -x),
});

/**
 * `-x`.
 * @example
 * ```ts
 * neg(tensor([1, -2])).toArray(); // [-1, 2]
 * ```
 */
export function neg(x: Tensor): Tensor {
  assertTensor(x, 'x', 'neg');
  return dispatch(negOp, [x], NO_ATTRS);
}
