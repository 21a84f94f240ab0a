import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { addGpujs } from '../gpujs/elementwise.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** Elementwise sum with NumPy broadcasting. */
export const addOp = defineOp<Record<string, never>>({
  name: 'add',
  infer: binaryInfer('add'),
  kernels: { cpu: binaryKernel((a, b) => a + b), wasm: binaryWasm('add3'), gpujs: addGpujs },
  vjp: (g, { needs }) => [needs[0] ? g : null, needs[1] ? g : null],
  spec: binarySpec((a, b) => a + b),
});

/**
 * `a + b`, broadcasting as NumPy does; a number operand takes the tensor's dtype.
 * @example
 * ```ts
 * add(tensor([1, 2]), 10).toArray(); // [11, 12]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(addOp, operands(a, b, 'add'), NO_ATTRS);
}
