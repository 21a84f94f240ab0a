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
import { isTransposed2d, keepsWeights, wasmAvailable, WasmCall } from './runtime.js';
import { gemmScratch, gemmSplit, gemmTasks, type PackedBExports } from './kernels.js';
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

/** The small-row GEMMs (absent from modules built before them). */
type SmallMExports = {
  biasAct(m: number, n: number, c: number, ldc: number, bias: number, relu: number): void;
  gemmSmallMPackedB?(m: number, n: number, k: number, a: number, lda: number, bpacked: number, c: number, ldc: number, accumulate: number): void;
};

/**
 * op(B) of a weight, kept in wasm memory packed as the GEMM reads it (`packBFull`), keyed on
 * the tensor and its orientation; `undefined` when it is not kept (see `WasmCall.resident`).
 */
function keptPackedB(call: WasmCall, w: Tensor, key: 'W packed' | 'W^T packed', n: number, k: number) {
  return call.resident(w, key, (call.k as PackedBExports).packedBSize(n, k));
}

/**
 * About the floats of op(B) [k, n] packed (8-column panels): only to plan the split before a
 * call exists; the region itself is sized by the module's `packedBSize`.
 */
function packedBFloats(n: number, k: number): number {
  return Math.ceil(n / 8) * 8 * k;
}

/** Scratch of the row chunks of a product whose op(B) is already packed at `bpacked`. */
function keptScratch(call: WasmCall, chunks: number, k: number, bpacked: number): { scratch: number[]; pp: number } {
  const bytes = call.k.gemmScratchBytes(0, k);
  return { scratch: Array.from({ length: chunks }, () => call.alloc(bytes)), pp: bpacked };
}

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
  // W is op(B) = W^T [k, n]: its own [n, k] storage read transposed, a transposed view's [k, n] storage directly
  const transB = isTransposed2d(w) ? 0 : 1;
  if (m <= 4) {
    // a few rows (a batch-1 pass): the unpacked small-row GEMM on this thread, then the
    // epilogue as its own pass (bitwise as the fused one: the same sums, then one add and
    // the same ReLU select); with W kept packed in wasm memory, nothing of it is copied
    const one = new WasmCall(false);
    const k1 = one.k as LinearExports & SmallMExports;
    if (k1.gemmSmallM !== undefined) {
      const kept = k1.gemmSmallMPackedB !== undefined ? keptPackedB(one, w, 'W^T packed', n, k) : undefined;
      const qc = one.output(size);
      // W in wasm memory: for the product (not kept) or to pack from (kept just now)
      const qw = kept === undefined || kept.fresh ? one.input(w, 'block') : 0;
      const qx = one.input(x);
      const qb = b === undefined ? 0 : one.input(b);
      if (one.commit() === undefined) return undefined;
      if (kept === undefined) {
        k1.gemmSmallM(m, n, k, qx, k, qw, transB ? k : n, transB, qc, n, 0);
      } else {
        if (kept.fresh) k1.packBFull(n, k, qw, transB ? k : n, transB, kept.ptr);
        k1.gemmSmallMPackedB!(m, n, k, qx, k, kept.ptr, qc, n, 0);
      }
      k1.biasAct(m, n, qc, n, qb, attrs.activation === 'relu' ? 1 : 0);
      return one.result(qc, size, out.shape);
    }
  }
  // a weight kept packed in wasm memory: row blocks read it as it is (no copy, no packing)
  const split = gemmSplit(m, n, k, keepsWeights(packedBFloats(n, k)));
  const { byRows, parts, packA } = split;
  // one chunk: this thread only, on the private memory (faster copies than into the shared one)
  const call = new WasmCall(parts.length > 1);
  const k$ = call.k as LinearExports;
  const kept = byRows ? keptPackedB(call, w, 'W^T packed', n, k) : undefined;
  const packB = kept !== undefined || split.packB;
  const pc = call.output(size);
  const pw = kept === undefined || kept.fresh ? call.input(w, 'block') : 0;
  // x: row-major [m, k], or the [k, m] storage of a transposed view read transposed
  const transA = isTransposed2d(x) ? 1 : 0;
  const px = call.input(x, 'block');
  const pb = b === undefined ? 0 : call.input(b);
  const { scratch, pp } = kept === undefined ? gemmScratch(call, split, m, n, k) : keptScratch(call, parts.length, k, kept.ptr);
  if (call.commit() === undefined) return undefined;
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  if (kept?.fresh) k$.packBFull(n, k, pw, ldb, transB, kept.ptr);
  const relu = attrs.activation === 'relu' ? 1 : 0;
  if (packA) k$.packAFull(m, k, px, lda, transA, pp);
  if (kept === undefined && packB) k$.packBFull(n, k, pw, ldb, transB, pp);
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
  return call.result(pc, size, out.shape);
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
  // W as stored: [k, n] row-major, or the [n, k] storage of a transposed view read transposed
  const transB = isTransposed2d(w) ? 1 : 0;
  const ldb = transB ? k : n;
  // at most 4 rows: the small-row GEMM on this thread; else row blocks (when W is kept
  // packed, which they read as it is) or the matmul kernel's split
  const split = m <= 4 ? undefined : gemmSplit(m, n, k, keepsWeights(packedBFloats(n, k)));
  const call = new WasmCall(split !== undefined && split.parts.length > 1);
  const k$ = call.k as LinearExports & SmallMExports;
  if (split === undefined && k$.gemmSmallM === undefined) return undefined;
  const kept = (split === undefined && k$.gemmSmallMPackedB !== undefined) || split?.byRows ? keptPackedB(call, w, 'W packed', n, k) : undefined;
  const pc = call.output(size);
  const pw = kept === undefined || kept.fresh ? call.input(w, 'block') : 0;
  const pg = call.input(g);
  const py = call.input(y);
  // the masked gradient, in scratch: g itself may be another op's result kept in wasm memory
  const pz = call.allocF32(m * k);
  const { scratch, pp } =
    split === undefined ? { scratch: [], pp: 0 } : kept === undefined ? gemmScratch(call, split, m, n, k) : keptScratch(call, split.parts.length, k, kept.ptr);
  if (call.commit() === undefined) return undefined;
  if (kept?.fresh) k$.packBFull(n, k, pw, ldb, transB, kept.ptr);
  k$.reluMask3(1, 1, m * k, pg, 0, 0, 1, py, 0, 0, 1, pz);
  if (split === undefined) {
    if (kept !== undefined) k$.gemmSmallMPackedB!(m, n, k, pz, k, kept.ptr, pc, n, 0);
    else k$.gemmSmallM!(m, n, k, pz, k, pw, ldb, transB, pc, n, 0);
  } else if (kept !== undefined) {
    call.run(split.parts.map(([start, len], t): Task => ({ fn: 'gemmPackedB', args: [len, n, k, pz + start * k * 4, k, 0, kept.ptr, pc + start * n * 4, n, 0, scratch[t]!] })));
  } else {
    if (split.packA) k$.packAFull(m, k, pz, k, 0, pp);
    if (split.packB) k$.packBFull(n, k, pw, ldb, transB, pp);
    call.run(gemmTasks(split, scratch, pp, m, n, k, pz, k, 0, pw, ldb, transB, pc));
  }
  return call.result(pc, size, out.shape);
};
