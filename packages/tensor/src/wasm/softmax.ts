/**
 * `wasm` backend kernels for float32 softmax and logSoftmax along an axis
 * (packages/tensor/assembly/softmax.ts): per lane the max, then float64 exponentials, sum and
 * division (or log), rounded once to float32, as the cpu kernels. They decline (return
 * `undefined`, so the op runs on cpu) for other dtypes.
 */
import type { Kernel } from '../op.js';
import { Tensor } from '../tensor.js';
import { copyIn, copyOut, wasmAvailable, WasmCall } from './runtime.js';

/** The exports of assembly/softmax.ts (pointers are byte offsets into the module's memory). */
interface SoftmaxExports {
  softmax32(outer: number, n: number, inner: number, x: number, out: number, scratch: number): void;
  logSoftmax32(outer: number, n: number, inner: number, x: number, out: number): void;
}

/** Softmax (`log` false) or log-softmax along `axis` of a row-major float32 copy of the input. */
export function softmaxWasm(log: boolean): Kernel<{ axis: number }> {
  return (inputs, { axis }, out) => {
    const x = inputs[0]!;
    if (out.dtype !== 'float32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
    const size = x.size;
    if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
    const n = x.shape[axis]!;
    const outer = x.shape.slice(0, axis).reduce((a, d) => a * d, 1);
    const inner = size / (outer * n);
    const call = new WasmCall(false);
    const px = call.allocF32(size);
    const po = call.allocF32(size);
    const scratch = call.alloc(n * 8);
    const heap = call.commit();
    if (heap === undefined) return undefined;
    copyIn(heap, px, x);
    const k = call.k as unknown as SoftmaxExports;
    if (log) k.logSoftmax32(outer, n, inner, px, po);
    else k.softmax32(outer, n, inner, px, po, scratch);
    return new Tensor(copyOut(heap, po, size), out.shape, 'float32');
  };
}
