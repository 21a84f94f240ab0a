/**
 * `wasm` backend kernels for float32 gather and indexSelect (packages/tensor/assembly/gather.ts):
 * copies, so bitwise the cpu kernels' results; and their gradients' scatterAdd and indexAdd,
 * float32 additions in the cpu kernels' order (bitwise too). They decline (return
 * `undefined`, so the op runs on cpu) for other dtypes.
 */
import type { Kernel } from '../op.js';
import { contiguousStrides, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor, forEachOffset, viewOf } from '../tensor.js';
import { copyIn, wasmAvailable, WasmCall } from './runtime.js';

/** The exports of assembly/gather.ts (pointers are byte offsets into the module's memory). */
interface GatherExports {
  gather32(outer: number, n: number, inner: number, m: number, x: number, idx: number, out: number): void;
  indexSelect32(outer: number, n: number, inner: number, m: number, x: number, idx: number, out: number): void;
  addAt32(rank: number, shape: number, bStrides: number, iStrides: number, along: number, base: number, idx: number, src: number, count: number, counter: number): void;
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
    const src = select ? x : viewOf(x, x.shape.map((d, k) => (k === axis ? d : out.shape[k]!)), x.strides, x.offset);
    const outer = prod(out.shape.slice(0, axis));
    const inner = prod(out.shape.slice(axis + 1));
    const m = out.shape[axis]!;
    const call = new WasmCall(false);
    const po = call.output(size);
    const px = call.input(src);
    const pi = call.allocF32(indices.size);
    const heap = call.commit();
    if (heap === undefined) return undefined;
    const ih = new Int32Array(heap.buffer, pi, indices.size);
    const id = indices.data;
    forEachOffset(indices, (p, i) => {
      ih[i] = id[p]!;
    });
    const k = call.k as unknown as GatherExports;
    (select ? k.indexSelect32 : k.gather32)(outer, n, inner, m, px, pi, po);
    return call.result(po, size, out.shape);
  };
}

/**
 * scatterAdd (`index` false: indices shaped like the walk, src read at the indices' shape)
 * or indexAdd (`index` true: 1-D indices along the axis, the walk is src's shape): a copy of
 * base, then src added at the indexed positions, row-major over the walk as the cpu kernels.
 */
export function addAtWasm(index: boolean): Kernel<{ axis: number }> {
  return (inputs, attrs, out) => {
    const [base, indices, src] = inputs as [Tensor, Tensor, Tensor];
    if (out.dtype !== 'float32' || base.dtype !== 'float32' || src.dtype !== 'float32' || indices.dtype !== 'int32' || !wasmAvailable()) return undefined;
    const axis = normalizeAxis(attrs.axis, base.rank);
    const walk = index ? src.shape : indices.shape;
    const rank = walk.length;
    const count = sizeOf(walk);
    const bStrides = contiguousStrides(base.shape);
    const along = bStrides[axis]!;
    bStrides[axis] = 0;
    const iStrides = index ? walk.map((_, k) => (k === axis ? 1 : 0)) : contiguousStrides(indices.shape);
    // scatterAdd reads src at the indices' positions, which may be a corner of a larger src
    const srcView = index ? src : viewOf(src, walk, src.strides, src.offset);
    // the result is a copy of base, added into
    const call = new WasmCall(false);
    const pb = call.output(base.size);
    const ps = count > 0 ? call.input(srcView) : 0;
    const pi = call.allocF32(indices.size);
    const pmeta = call.allocF32(4 * rank);
    const heap = call.commit();
    if (heap === undefined) return undefined;
    copyIn(heap, pb, base);
    if (count > 0) {
      const ih = new Int32Array(heap.buffer, pi, indices.size);
      const id = indices.data;
      forEachOffset(indices, (p, i) => {
        ih[i] = id[p]!;
      });
      const meta = new Int32Array(heap.buffer, pmeta, 4 * rank);
      meta.set(walk, 0);
      meta.set(bStrides, rank);
      meta.set(iStrides, 2 * rank);
      (call.k as unknown as GatherExports).addAt32(rank, pmeta, pmeta + 4 * rank, pmeta + 8 * rank, along, pb, pi, ps, count, pmeta + 12 * rank);
    }
    return call.result(pb, base.size, out.shape);
  };
}
