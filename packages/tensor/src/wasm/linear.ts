/**
 * `wasm` backend kernel of the fused `linear` op: `act(x W^T + b)` in float32 as ONE SIMD GEMM
 * whose epilogue adds the bias and applies ReLU to each output tile while it is still in
 * registers (`gemmBiasAct` in packages/tensor/assembly/gemm.ts). The weight is read in its
 * stored `[out, in]` layout (the GEMM's transB), so each operand is copied into wasm memory
 * once, as a block, and the result copied out once. Rounds exactly as the wasm matmul, add
 * and relu kernels in sequence (same GEMM, then one float32 add, then the same ReLU select).
 * Declines (returns `undefined`, so the op runs on cpu) for anything but float32.
 */
import type { LinearAttrs } from '../ops/linear.js';
import type { Kernel } from '../op.js';
import { Tensor } from '../tensor.js';
import { copyIn, copyOut, wasmAvailable, WasmCall } from './runtime.js';
import { copyBlock, gemmScratch, gemmSplit, gemmTasks, isTransposed2d, type PackedBExports } from './kernels.js';
import type { Task } from './threads.js';

/** The fused GEMM exports (declared here so the shared runtime file stays as it is). */
type LinearExports = PackedBExports & {
  gemmBiasAct(
    m: number, n: number, k: number,
    a: number, lda: number, transA: number,
    b: number, ldb: number, transB: number,
    c: number, ldc: number, bias: number, relu: number, scratch: number,
  ): void;
  gemmPackedABiasAct(
    m: number, n: number, k: number, apacked: number,
    b: number, ldb: number, transB: number,
    c: number, ldc: number, bias: number, relu: number, scratch: number,
  ): void;
  gemmPackedBBiasAct(
    m: number, n: number, k: number,
    a: number, lda: number, transA: number, bpacked: number,
    c: number, ldc: number, bias: number, relu: number, scratch: number,
  ): void;
};

/**
 * `act(x W^T + b)`: x `[m, k]`, W `[n, k]`, b `[n]` or absent. The GEMM is split over threads
 * by row blocks (tall results, as a batch of IG points) or column blocks, exactly as the
 * matmul kernel splits it; every element is computed the same way on any split.
 */
export const linearWasm: Kernel<LinearAttrs> = (inputs, attrs, out) => {
  const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
  if (out.dtype !== 'float32' || inputs.some((t) => t.dtype !== 'float32') || !wasmAvailable()) return undefined;
  const m = x.shape[0]!;
  const k = x.shape[1]!;
  const n = w.shape[0]!;
  const size = m * n;
  if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  if (m <= 4) {
    // a few rows (a batch-1 pass): the unpacked small-row GEMM, then the epilogue as its own
    // pass (bitwise as the fused one: the same sums, then one add and the same ReLU select)
    const one = new WasmCall(false);
    const k1 = one.k as LinearExports & { biasAct(m: number, n: number, c: number, ldc: number, bias: number, relu: number): void };
    if (k1.gemmSmallM !== undefined) {
      const qx = one.allocF32(x.size);
      const qw = one.allocF32(w.size);
      const qb = b === undefined ? 0 : one.allocF32(n);
      const qc = one.allocF32(size);
      const heap = one.commit();
      if (heap === undefined) return undefined;
      copyIn(heap, qx, x);
      const tB = isTransposed2d(w) ? 0 : 1;
      if (!tB || w.isContiguous) copyBlock(heap, qw, w);
      else copyIn(heap, qw, w);
      if (b !== undefined) copyIn(heap, qb, b);
      k1.gemmSmallM(m, n, k, qx, k, qw, tB ? k : n, tB, qc, n, 0);
      k1.biasAct(m, n, qc, n, qb, attrs.activation === 'relu' ? 1 : 0);
      return new Tensor(copyOut(heap, qc, size), out.shape, 'float32');
    }
  }
  const split = gemmSplit(m, n, k);
  const { byRows, parts, packA, packB } = split;
  // one chunk: this thread only, on the private memory (faster copies than into the shared one)
  const call = new WasmCall(parts.length > 1);
  const k$ = call.k as LinearExports;
  const px = call.allocF32(x.size);
  const pw = call.allocF32(w.size);
  const pb = b === undefined ? 0 : call.allocF32(n);
  const pc = call.allocF32(size);
  const { scratch, pp } = gemmScratch(call, split, m, n, k);
  const heap = call.commit();
  if (heap === undefined) return undefined;
  // x: row-major [m, k], or the [k, m] storage of a transposed view read transposed
  const transA = isTransposed2d(x) ? 1 : 0;
  if (transA || x.isContiguous) copyBlock(heap, px, x);
  else copyIn(heap, px, x);
  // W: op(B) = W^T is [k, n]; W's own [n, k] storage is read transposed, a transposed view's [k, n] storage directly
  const transB = isTransposed2d(w) ? 0 : 1;
  if (!transB || w.isContiguous) copyBlock(heap, pw, w);
  else copyIn(heap, pw, w);
  if (b !== undefined) copyIn(heap, pb, b);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const relu = attrs.activation === 'relu' ? 1 : 0;
  if (packA) k$.packAFull(m, k, px, lda, transA, pp);
  if (packB) k$.packBFull(n, k, pw, ldb, transB, pp);
  const tasks: Task[] = parts.map(([start, len], t) =>
    byRows
      ? packB
        ? { fn: 'gemmPackedBBiasAct', args: [len, n, k, px + start * (transA ? 1 : lda) * 4, lda, transA, pp, pc + start * n * 4, n, pb, relu, scratch[t]!] }
        : { fn: 'gemmBiasAct', args: [len, n, k, px + start * (transA ? 1 : lda) * 4, lda, transA, pw, ldb, transB, pc + start * n * 4, n, pb, relu, scratch[t]!] }
      : {
          fn: packA ? 'gemmPackedABiasAct' : 'gemmBiasAct',
          args: [
            ...(packA ? [m, len, k, pp] : [m, len, k, px, lda, transA]),
            ...[pw + start * (transB ? ldb : 1) * 4, ldb, transB, pc + start * 4, n, pb === 0 ? 0 : pb + start * 4, relu, scratch[t]!],
          ],
        },
  );
  call.run(tasks);
  return new Tensor(copyOut(heap, pc, size), out.shape, 'float32');
};

/**
 * `(g * (y > 0)) W`, the input gradient of a linear layer with ReLU: g and y are copied in, the
 * mask applied in place in wasm memory (the relu-backward kernel, `reluMask3`), then the same
 * GEMM as the matmul kernel (split the same way, `gemmSmallM` for at most 4 rows); the masked
 * gradient is never copied out and back in. Bitwise as the wasm reluBackward then matmul.
 */
export const linearReluBackwardInputWasm: Kernel<unknown> = (inputs, _attrs, out) => {
  const [g, y, w] = inputs as [Tensor, Tensor, Tensor];
  if (out.dtype !== 'float32' || inputs.some((t) => t.dtype !== 'float32') || !wasmAvailable()) return undefined;
  // C [m, n] = gz [m, k] W [k, n]: k = the layer's outputs, n = its inputs
  const m = g.shape[0]!;
  const k = g.shape[1]!;
  const n = w.shape[1]!;
  const size = m * n;
  if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  // at most 4 rows: the unpacked small-row GEMM on this thread
  const split = m <= 4 ? undefined : gemmSplit(m, n, k);
  const call = new WasmCall(split !== undefined && split.parts.length > 1);
  const k$ = call.k as LinearExports;
  if (split === undefined && k$.gemmSmallM === undefined) return undefined;
  const pg = call.allocF32(g.size);
  const py = call.allocF32(y.size);
  const pw = call.allocF32(w.size);
  const pc = call.allocF32(size);
  const { scratch, pp } = split === undefined ? { scratch: [], pp: 0 } : gemmScratch(call, split, m, n, k);
  const heap = call.commit();
  if (heap === undefined) return undefined;
  copyIn(heap, pg, g);
  copyIn(heap, py, y);
  // W as stored: [k, n] row-major, or the [n, k] storage of a transposed view read transposed
  const transB = isTransposed2d(w) ? 1 : 0;
  if (transB || w.isContiguous) copyBlock(heap, pw, w);
  else copyIn(heap, pw, w);
  const ldb = transB ? k : n;
  k$.reluMask3(1, 1, m * k, pg, 0, 0, 1, py, 0, 0, 1, pg);
  if (split === undefined) {
    k$.gemmSmallM!(m, n, k, pg, k, pw, ldb, transB, pc, n, 0);
  } else {
    if (split.packA) k$.packAFull(m, k, pg, k, 0, pp);
    if (split.packB) k$.packBFull(n, k, pw, ldb, transB, pp);
    call.run(gemmTasks(split, scratch, pp, m, n, k, pg, k, 0, pw, ldb, transB, pc));
  }
  return new Tensor(copyOut(heap, pc, size), out.shape, 'float32');
};
