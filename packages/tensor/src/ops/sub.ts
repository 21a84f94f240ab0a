import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { binaryInfer, binarySpec, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { neg } from './neg.js';
import { subGpujs } from '../gpujs/elementwise.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** Elementwise difference with broadcasting. */
export const subOp = defineOp<Record<string, never>>({
  name: 'sub',
  infer: binaryInfer('sub'),
  kernels: { cpu: binaryKernel((a, b) => a - b), wasm: binaryWasm('sub3'), gpujs: subGpujs },
  vjp: (g, { needs }) => [needs[0] ? g : null, needs[1] ? neg(g) : null],
  spec: binarySpec((a, b) => a - b),
});

/**
 * `a - b` with broadcasting.
 * @example
 * ```ts
 * sub(tensor([5, 7]), tensor([1, 2])).toArray(); // [4, 5]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(subOp, operands(a, b, 'sub'), NO_ATTRS);
}
