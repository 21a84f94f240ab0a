/**
 * `wasm` backend kernels for float32 gather and indexSelect (packages/tensor/assembly/gather.ts):
 * copies, so bitwise the cpu kernels' results. They decline (return `undefined`, so the op runs
 * on cpu) for other dtypes.
 */
import type { Kernel } from '../op.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { copyIn, copyOut, wasmAvailable, WasmCall } from './runtime.js';

/** The exports of assembly/gather.ts (pointers are byte offsets into the module's memory). */
interface GatherExports {
  gather32(outer: number, n: number, inner: number, m: number, x: number, idx: number, out: number): void;
  indexSelect32(outer: number, n: number, inner: number, m: number, x: number, idx: number, out: number): void;
}

const prod = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/**
 * Gather (`select` false: indices shaped like the output) or indexSelect (`select` true: 1-D
 * indices along the axis). For gather, x is first viewed at the indices' sizes off the axis
 * (those may be smaller than x's), so both operands walk the same [outer, *, inner] layout.
 */
export function gatherWasm(select: boolean): Kernel<{ axis: number }> {
  return (inputs, attrs, out) => {
    const x = inputs[0]!;
    const indices = inputs[1]!;
    if (out.dtype !== 'float32' || x.dtype !== 'float32' || indices.dtype !== 'int32' || !wasmAvailable()) return undefined;
    const size = sizeOf(out.shape);
    if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
    const axis = normalizeAxis(attrs.axis, x.rank);
    const n = x.shape[axis]!;
    const src = select ? x : new Tensor(x.data, x.shape.map((d, k) => (k === axis ? d : out.shape[k]!)), 'float32', x.strides, x.offset);
    const outer = prod(out.shape.slice(0, axis));
    const inner = prod(out.shape.slice(axis + 1));
    const m = out.shape[axis]!;
    const call = new WasmCall(false);
    const px = call.allocF32(src.size);
    const pi = call.allocF32(indices.size);
    const po = call.allocF32(size);
    const heap = call.commit();
    if (heap === undefined) return undefined;
    copyIn(heap, px, src);
    const ih = new Int32Array(heap.buffer, pi, indices.size);
    const id = indices.data;
    forEachOffset(indices, (p, i) => {
      ih[i] = id[p]!;
    });
    const k = call.k as unknown as GatherExports;
    (select ? k.indexSelect32 : k.gather32)(outer, n, inner, m, px, pi, po);
    return new Tensor(copyOut(heap, po, size), out.shape, 'float32');
  };
}
