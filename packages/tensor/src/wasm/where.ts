/**
 * `wasm` backend kernel for where(cond, a, b) on float32 `a` and `b` (any dtype of cond),
 * packages/tensor/assembly/where.ts: bitwise the cpu kernel's result. It declines (returns
 * `undefined`, so the op runs on cpu) for other dtypes of a, b or the output, and for
 * broadcasts that do not collapse to three dimensions.
 */
import { collapseDims } from '../kernels/elementwise.js';
import type { Kernel } from '../op.js';
import { sizeOf } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { alignedStrides } from './elementwise.js';
import { wasmAvailable, WasmCall } from './runtime.js';

/** The export of assembly/where.ts (pointers are byte offsets into the module's memory). */
interface WhereExports {
  where3(
    d0: number, d1: number, d2: number,
    c: number, sc0: number, sc1: number, sc2: number,
    a: number, sa0: number, sa1: number, sa2: number,
    b: number, sb0: number, sb1: number, sb2: number,
    out: number,
  ): void;
}

/** where(cond, a, b): a float32 cond is copied as is, another dtype as 1 (nonzero, NaN included) or 0. */
export const whereWasm: Kernel<unknown> = (inputs, _attrs, out) => {
  const [c, a, b] = inputs as [Tensor, Tensor, Tensor];
  if (out.dtype !== 'float32' || a.dtype !== 'float32' || b.dtype !== 'float32' || !wasmAvailable()) return undefined;
  const n = sizeOf(out.shape);
  if (n === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  const col = collapseDims(out.shape, [c, a, b].map((t) => alignedStrides(t.shape, out.shape)));
  const rank = col.shape.length;
  if (rank > 3) return undefined;
  const d = [1, 1, 1];
  const s = [0, 1, 2].map(() => [0, 0, 0]);
  for (let i = 0; i < rank; i++) {
    d[3 - rank + i] = col.shape[i]!;
    for (let t = 0; t < 3; t++) s[t]![3 - rank + i] = col.strides[t]![i]!;
  }
  const call = new WasmCall(false);
  const po = call.output(n);
  const pc = c.dtype === 'float32' ? call.input(c) : call.allocF32(c.size);
  const pa = call.input(a);
  const pb = call.input(b);
  const heap = call.commit();
  if (heap === undefined) return undefined;
  if (c.dtype !== 'float32') {
    // a non-float32 mask: only its truth matters (a float64 value below float32's range is still nonzero)
    const cd = c.data;
    const at = pc / 4;
    forEachOffset(c, (p, i) => {
      heap[at + i] = cd[p] !== 0 ? 1 : 0;
    });
  }
  const [sc, sa, sb] = s as [number[], number[], number[]];
  (call.k as unknown as WhereExports).where3(d[0]!, d[1]!, d[2]!, pc, sc[0]!, sc[1]!, sc[2]!, pa, sa[0]!, sa[1]!, sa[2]!, pb, sb[0]!, sb[1]!, sb[2]!, po);
  return call.result(po, n, out.shape);
};
