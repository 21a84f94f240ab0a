/**
 * `wasm` backend kernels for float32 max pooling (assembly/pool.ts): the forward pass with
 * its argmax indices, and the backward scatter-add. Both decline (return `undefined`, so
 * the op runs on cpu) for other dtypes; the scatter also declines on an out-of-range index
 * so that the cpu kernel reports it.
 */
import type { MaxPool2dAttrs } from '../kernels/pool.js';
import type { OutputInfo } from '../op.js';
import { sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { wasmAvailable, WasmCall } from './runtime.js';

/** Max pooling values and int32 argmax indices (flat `h * W + w` per plane), or undefined to decline. */
export function maxPool2dWasm(x: Tensor, attrs: MaxPool2dAttrs, out: OutputInfo): { values: Tensor; indices: Tensor } | undefined {
  if (x.dtype !== 'float32' || !wasmAvailable()) return undefined;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = [out.shape[2]!, out.shape[3]!];
  const size = n * c * ho * wo;
  if (size === 0 || x.size === 0) return undefined;
  // single-threaded: the private memory copies in and out faster than the shared one
  const call = new WasmCall(false);
  const pv = call.output(size);
  const px = call.input(x);
  const pi = call.alloc(size * 4);
  const heap = call.commit();
  if (heap === undefined) return undefined;
  const { kernelSize: k, stride: s, padding: p, dilation: d } = attrs;
  call.k.maxPool2dForward(n * c, h, w, ho, wo, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], px, pv, pi);
  const values = call.result(pv, size, out.shape);
  const indices = new Tensor(new Int32Array(heap.buffer, pi, size).slice(), out.shape, 'int32');
  return { values, indices };
}

/** Scatter-add of max pooling's float32 gradient at int32 argmax indices, or undefined to decline. */
export function maxPool2dScatterWasm(g: Tensor, indices: Tensor, inputShape: Shape, dtype: OutputInfo['dtype']): Tensor | undefined {
  if (dtype !== 'float32' || g.dtype !== 'float32' || indices.dtype !== 'int32' || !wasmAvailable()) return undefined;
  const [n, c, h, w] = inputShape as [number, number, number, number];
  const size = sizeOf(inputShape);
  if (size === 0 || g.size === 0) return undefined;
  // single-threaded: the private memory copies in and out faster than the shared one
  const call = new WasmCall(false);
  const px = call.output(size);
  const pg = call.input(g);
  const pi = call.alloc(indices.size * 4);
  const heap = call.commit();
  if (heap === undefined) return undefined;
  const ind = indices.contiguous();
  new Int32Array(heap.buffer, pi, ind.size).set(ind.data as Int32Array);
  const per = g.shape[2]! * g.shape[3]!;
  if (call.k.maxPool2dScatter(n * c, h * w, per, pg, pi, px) !== 0) return undefined;
  return call.result(px, size, inputShape);
}
