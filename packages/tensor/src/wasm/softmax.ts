/**
 * `wasm` backend kernels for float32 softmax and logSoftmax along an axis, and logsumexp over
 * any axes (packages/tensor/assembly/softmax.ts): per lane the max, then float64
 * exponentials, sum and division (or log), rounded once to float32, as the cpu kernels. They decline (return
 * `undefined`, so the op runs on cpu) for other dtypes.
 */
import type { Kernel } from '../op.js';
import { Tensor, viewOf } from '../tensor.js';
import { wasmAvailable, WasmCall } from './runtime.js';

/** The exports of assembly/softmax.ts (pointers are byte offsets into the module's memory). */
interface SoftmaxExports {
  softmax32(outer: number, n: number, inner: number, x: number, out: number, scratch: number): void;
  logSoftmax32(outer: number, n: number, inner: number, x: number, out: number): void;
  logsumexp32(rows: number, n: number, x: number, out: number): void;
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
    const po = call.output(size);
    const px = call.input(x);
    const scratch = call.alloc(n * 8);
    if (call.commit() === undefined) return undefined;
    const k = call.k as unknown as SoftmaxExports;
    if (log) k.logSoftmax32(outer, n, inner, px, po);
    else k.softmax32(outer, n, inner, px, po, scratch);
    return call.result(po, size, out.shape);
  };
}

/**
 * logsumexp over `axes` (non-negative): x viewed with the reduced axes moved last (in
 * their order, so each slot's values come in the cpu kernel's order), copied row-major, one
 * row per output value.
 */
export const logsumexpWasm: Kernel<{ axes: readonly number[] }> = (inputs, { axes }, out) => {
  const x = inputs[0]!;
  if (out.dtype !== 'float32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
  const dims = x.shape.map((_, i) => i);
  const kept = dims.filter((i) => !axes.includes(i));
  const order = [...kept, ...dims.filter((i) => axes.includes(i))];
  const view = viewOf(x, order.map((i) => x.shape[i]!), order.map((i) => x.strides[i]!), x.offset);
  const rows = kept.reduce((a, i) => a * x.shape[i]!, 1);
  const n = axes.reduce((a, i) => a * x.shape[i]!, 1);
  if (rows === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  const call = new WasmCall(false);
  const po = call.output(rows);
  const px = call.input(view);
  if (call.commit() === undefined) return undefined;
  (call.k as unknown as SoftmaxExports).logsumexp32(rows, n, px, po);
  return call.result(po, rows, out.shape);
};
