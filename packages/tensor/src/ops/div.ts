import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { divGpujs } from '../gpujs/elementwise.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** Elementwise true division with broadcasting; int32 operands give float32 (as torch.div). */
export const divOp = defineOp<Record<string, never>>({
  name: 'div',
  infer: binaryInfer('div', { float: true }),
  kernels: { cpu: binaryKernel((a, b) => a / b), wasm: binaryWasm('div3'), gpujs: divGpujs },
  vjp: (g, { inputs: [a, b], output, needs }) => [
    needs[0] ? div(g, b!) : null,
    // d(a/b)/db = -a/b^2 = -(a/b)/b
    needs[1] ? neg(div(mul(g, output), b!)) : null,
  ],
  spec: binarySpec((a, b) => a / b, { b: { min: 0.5, max: 3 } }),
});

/**
 * `a / b` with broadcasting.
 * @example
 * ```ts
 * div(tensor([1, 3]), 2).toArray(); // [0.5, 1.5]
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(divOp, operands(a, b, 'div'), NO_ATTRS);
}
