import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { mulGpujs } from '../gpujs/elementwise.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** Elementwise product with broadcasting. */
export const mulOp = defineOp<Record<string, never>>({
  name: 'mul',
  infer: binaryInfer('mul'),
  kernels: { cpu: binaryKernel((a, b) => a * b), wasm: binaryWasm('mul3'), gpujs: mulGpujs },
  vjp: (g, { inputs: [a, b], needs }) => [needs[0] ? mul(g, b!) : null, needs[1] ? mul(g, a!) : null],
  spec: binarySpec((a, b) => a * b),
});

/**
 * `a * b` with broadcasting.
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(mulOp, operands(a, b, 'mul'), NO_ATTRS);
}
