/**
 * `wasm` backend kernels: float32 matmul and conv2d (forward and both gradients) on the
 * WebAssembly SIMD GEMM in packages/tensor/assembly. Each returns `undefined` for anything
 * that is not float32 (or when WebAssembly SIMD is unavailable), so the op runs on `cpu`.
 * Accumulation is in float32, so results differ from the float64 reference by float32
 * rounding (relative error ~1e-6 times the square root of the reduction length).
 */
import { conv2dShape, type Conv2dAttrs, type Conv2dBackwardInputAttrs, type Conv2dBackwardWeightAttrs, type Conv2dBiasActAttrs, type Conv2dReluMaxPoolAttrs } from '../kernels/conv.js';
import type { MaxPool2dAttrs } from '../kernels/pool.js';
import { matmulPlan } from '../kernels/matmul.js';
import type { Kernel, OutputInfo } from '../op.js';
import { contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { isTransposed2d, wasmAvailable, WasmCall, type KernelExports } from './runtime.js';
import { CHUNKS_PER_THREAD, getThreads, MAX_CHUNKS, type Task } from './threads.js';

/**
 * Multiply-adds below which a kernel stays on one thread: waking a worker and waiting for it
 * costs tens of microseconds, about what 2^18 multiply-adds take on one core.
 */
const PARALLEL_MIN_WORK = 2 ** 18;

/**
 * How many chunks to split `work` multiply-adds into, at most `units` (row or column blocks,
 * images): one on one thread, else a few per thread so that the threads balance their load.
 * Depends only on the sizes and the thread count, so results repeat for a given count.
 */
function splitCount(work: number, units: number): number {
  const threads = getThreads();
  if (work < PARALLEL_MIN_WORK || threads === 1) return 1;
  return Math.max(1, Math.min(threads * CHUNKS_PER_THREAD, units, MAX_CHUNKS));
}

/** Splits `total` into `parts` contiguous ranges whose starts are multiples of `multiple`: [start, count] pairs. */
function ranges(total: number, parts: number, multiple: number): [number, number][] {
  const step = Math.ceil(total / parts / multiple) * multiple;
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += step) out.push([start, Math.min(step, total - start)]);
  return out;
}

function allFloat32(inputs: readonly Tensor[], outDtype: string): boolean {
  return outDtype === 'float32' && inputs.every((t) => t.dtype === 'float32');
}

/**
 * Fewest rows a row-block chunk of a split matmul gets. op(B) is packed once for all row
 * chunks (`packBFull`), but each chunk still pads its last rows to the micro-kernel's 4 and
 * costs a claim on the job; thin chunks of a narrow product gain nothing from more of them.
 */
const ROW_CHUNK_MIN = 16;

/** The packed-B GEMM exports (declared here so the shared runtime file stays as it is). */
export type PackedBExports = KernelExports & {
  packedBSize(n: number, k: number): number;
  packBFull(n: number, k: number, b: number, ldb: number, transB: number, dst: number): void;
  gemmPackedB(
    m: number, n: number, k: number,
    a: number, lda: number, transA: number, bpacked: number,
    c: number, ldc: number, accumulate: number, scratch: number,
  ): void;
};

/** The batch offsets of a plain (unbatched) matrix product. */
const ZERO_OFFSET: readonly number[] = [0];

/** Element offset of each batch matrix of a contiguous stack of `shape`, broadcast to `batch`. */
function batchOffsets(shape: Shape, batch: Shape): number[] {
  const own = shape.slice(0, -2);
  const mat = (shape[shape.length - 2] ?? 1) * (shape[shape.length - 1] ?? 1);
  const strides = contiguousStrides(own).map((s, i) => (own[i] === 1 ? 0 : s * mat));
  const lead = batch.length - own.length;
  const count = sizeOf(batch);
  const out = new Array<number>(count);
  const idx = new Array<number>(batch.length).fill(0);
  for (let f = 0; f < count; f++) {
    let p = 0;
    for (let d = lead; d < batch.length; d++) p += idx[d]! * strides[d - lead]!;
    out[f] = p;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

export { copyBlock, isTransposed2d } from './runtime.js';

/**
 * Products with at most this many rows (a batch-1 forward pass) run on `gemmSmallM`, which
 * skips the packing `gemm` does: measured 4-8x faster for one row of the MNIST MLP's layers
 * (1x784 @ 784x128: 12 us against 66-100 us), still ahead at 4 rows, and bitwise the same.
 */
const SMALL_M = 4;

/** The kernel exports of this thread's private instance (for feature checks). */
function call0(): KernelExports {
  return (cached ??= new WasmCall(false).k);
}
let cached: KernelExports | undefined;

/**
 * matmul for m <= SMALL_M on one thread: A copied row-major (a gather of at most 4 rows), B
 * as stored (read transposed for a transposed 2-D view), no scratch, no packing.
 */
function matmulSmallM(a: Tensor, b: Tensor, batch: Shape, m: number, k: number, n: number, aShape: Shape, bShape: Shape, outShape: Shape): Tensor | undefined {
  const call = new WasmCall(false);
  const size = sizeOf(outShape);
  const pc = call.output(size);
  const pa = call.input(a);
  const transB = isTransposed2d(b) ? 1 : 0;
  const pb = call.input(b, transB ? 'block' : 'rows');
  if (call.commit() === undefined) return undefined;
  const offA = batch.length === 0 ? ZERO_OFFSET : batchOffsets(aShape, batch);
  const offB = batch.length === 0 ? ZERO_OFFSET : batchOffsets(bShape, batch);
  const gemmSmallM = call.k.gemmSmallM!;
  for (let i = 0; i < offA.length; i++) {
    gemmSmallM(m, n, k, pa + offA[i]! * 4, k, pb + offB[i]! * 4, transB ? k : n, transB, pc + i * m * n * 4, n, 0);
  }
  return call.result(pc, size, outShape);
}

/**
 * How a GEMM C [m, n] = op(A) op(B) with depth k is split over threads: by column blocks, or
 * by row blocks when the result is tall and narrow, into `parts` [start, count] ranges. With
 * several chunks, the operand every chunk reads whole is packed once for all of them (op(A)
 * for column blocks, op(B) for row blocks). Depends only on the sizes and the thread count.
 */
export interface GemmSplit {
  byRows: boolean;
  parts: [number, number][];
  packA: boolean;
  packB: boolean;
}

/**
 * The split of an m × n × k GEMM (see {@link GemmSplit}); `rowsFirst`: by row blocks whatever
 * the shape (a weight kept packed in wasm memory is op(B), which row blocks read as it is).
 */
export function gemmSplit(m: number, n: number, k: number, rowsFirst = false): GemmSplit {
  const byRows = rowsFirst || m > n;
  const parts = ranges(byRows ? m : n, splitCount(m * n * k, Math.ceil((byRows ? m : n) / (byRows ? ROW_CHUNK_MIN : 8))), byRows ? 4 : 8);
  return { byRows, parts, packA: !byRows && parts.length > 1, packB: byRows && parts.length > 1 };
}

/** Reserves each chunk's packing scratch and the shared packed operand (`pp`, 0 when none) of `split`. */
export function gemmScratch(call: WasmCall, split: GemmSplit, m: number, n: number, k: number): { scratch: number[]; pp: number } {
  const k$ = call.k as PackedBExports;
  const scratch = split.parts.map(([, len]) => call.alloc(k$.gemmScratchBytes(split.byRows ? (split.packB ? 0 : n) : len, k)));
  const pp = split.packA ? call.allocF32(k$.packedASize(m, k)) : split.packB ? call.allocF32(k$.packedBSize(n, k)) : 0;
  return { scratch, pp };
}

/**
 * The chunks of C = op(A) op(B) (no epilogue) under `split`, for pointers a, b, c into wasm
 * memory; the caller packs op(A) or op(B) into `pp` first when the split says so. Every
 * element is computed exactly as by one unsplit `gemm`.
 */
export function gemmTasks(
  split: GemmSplit, scratch: readonly number[], pp: number,
  m: number, n: number, k: number,
  a: number, lda: number, transA: number,
  b: number, ldb: number, transB: number,
  c: number,
): Task[] {
  return split.parts.map(([start, len], t): Task =>
    split.byRows
      ? split.packB
        ? { fn: 'gemmPackedB', args: [len, n, k, a + start * (transA ? 1 : lda) * 4, lda, transA, pp, c + start * n * 4, n, 0, scratch[t]!] }
        : { fn: 'gemm', args: [len, n, k, a + start * (transA ? 1 : lda) * 4, lda, transA, b, ldb, transB, c + start * n * 4, n, 0, scratch[t]!] }
      : split.packA
        ? { fn: 'gemmPackedA', args: [m, len, k, pp, b + start * (transB ? ldb : 1) * 4, ldb, transB, c + start * 4, n, 0, scratch[t]!] }
        : { fn: 'gemm', args: [m, len, k, a, lda, transA, b + start * (transB ? ldb : 1) * 4, ldb, transB, c + start * 4, n, 0, scratch[t]!] },
  );
}

/**
 * Batched matmul with NumPy broadcasting of the batch dimensions, one SIMD GEMM per output
 * matrix. Operands may be any strided view: they are copied row-major into wasm memory,
 * except 2-D transposed views, which the GEMM reads transposed.
 */
export const matmulWasm: Kernel<Record<string, never>> = (inputs, _attrs, out) => {
  const [a, b] = inputs as [Tensor, Tensor];
  if (!allFloat32(inputs, out.dtype) || !wasmAvailable()) return undefined;
  const { batch, m, k, n, aShape, bShape } = matmulPlan(a.shape, b.shape);
  const size = sizeOf(out.shape);
  if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  if (m <= SMALL_M && call0().gemmSmallM !== undefined) return matmulSmallM(a, b, batch, m, k, n, aShape, bShape, out.shape);
  // split each GEMM into column blocks (or row blocks when the result is tall and narrow),
  // each chunk with its own packing scratch; every element is computed exactly as on one thread
  const split = gemmSplit(m, n, k);
  // a GEMM that stays on this thread uses the private memory (faster copies in and out)
  const call = new WasmCall(split.parts.length > 1);
  const k$ = call.k as PackedBExports;
  const transA = isTransposed2d(a) ? 1 : 0;
  const transB = isTransposed2d(b) ? 1 : 0;
  const pc = call.output(size);
  const pa = call.input(a, transA ? 'block' : 'rows');
  const pb = call.input(b, transB ? 'block' : 'rows');
  const { scratch, pp } = gemmScratch(call, split, m, n, k);
  if (call.commit() === undefined) return undefined;
  const offA = batch.length === 0 ? ZERO_OFFSET : batchOffsets(aShape, batch);
  const offB = batch.length === 0 ? ZERO_OFFSET : batchOffsets(bShape, batch);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  for (let i = 0; i < offA.length; i++) {
    const a0 = pa + offA[i]! * 4;
    const b0 = pb + offB[i]! * 4;
    const c0 = pc + i * m * n * 4;
    if (split.packA) k$.packAFull(m, k, a0, lda, transA, pp);
    if (split.packB) k$.packBFull(n, k, b0, ldb, transB, pp);
    call.run(gemmTasks(split, scratch, pp, m, n, k, a0, lda, transA, b0, ldb, transB, c0));
  }
  return call.result(pc, size, out.shape);
};

/** The sizes every conv entry point takes, in its argument order: n, c, h, w, cout, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups: */
type ConvDims = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

function convDims(xShape: Shape, wShape: Shape, yShape: Shape, attrs: Conv2dAttrs): ConvDims {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [cout, , kh, kw] = wShape as [number, number, number, number];
  const [, , oh, ow] = yShape as [number, number, number, number];
  const { stride, padding, dilation, groups } = attrs;
  return [n, c, h, w, cout, kh, kw, oh, ow, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups];
}

function convScratch(call: WasmCall, d: ConvDims): number {
  const [, c, , , cout, kh, kw, oh, ow, , , , , , , groups] = d;
  return call.alloc(call.k.convScratchBytes(c / groups, kh, kw, oh, ow, cout / groups, groups));
}

/** Multiply-adds of a conv call (any of its three passes). */
function convWork(d: ConvDims): number {
  const [n, c, , , cout, kh, kw, oh, ow, , , , , , , groups] = d;
  return n * cout * oh * ow * (c / groups) * kh * kw;
}

/** Image ranges [first, count] to split a conv over: a few per thread when the batch and the work are large enough. */
function imageParts(d: ConvDims): [number, number][] {
  return ranges(d[0], splitCount(convWork(d), d[0]), 1);
}

/**
 * Chunks per thread when a conv call with fewer images than threads is split by output rows
 * or input channels instead: each such chunk packs its own copy of the weight, so fewer
 * than the image split's CHUNKS_PER_THREAD.
 */
const SUB_CHUNKS_PER_THREAD = 1;

/**
 * Multiply-adds below which a conv call with fewer images than threads stays on one thread.
 * Lower than PARALLEL_MIN_WORK: measured on 2 cores, the first MNIST CNN conv at batch 1
 * (230k multiply-adds) went from 22.5 to 16 us split in two, 74k (16x8x3x3 on 8x8) gained
 * nothing.
 */
const SUB_SPLIT_MIN_WORK = 2 ** 17;

/**
 * How to split a conv call: [first image, image count, first sub-unit, sub-unit count] per
 * chunk, where the sub-units are `subTotal` output rows (forward) or input channels per
 * group (input gradient). With at least as many images as threads, by image ranges (a few
 * per thread); with fewer (a batch-1 forward pass), every chunk takes all the images and a
 * range of sub-units, so a single image still uses every core. A sub-unit range is a block
 * of each image's GEMM, summed exactly as in the unsplit call, so results do not depend on
 * the thread count. Depends only on the sizes and the thread count.
 */
function convParts(d: ConvDims, subTotal: number): [number, number, number, number][] {
  const n = d[0];
  const threads = getThreads();
  if (n >= threads || subTotal <= 1) return imageParts(d).map(([first, count]) => [first, count, 0, subTotal]);
  if (convWork(d) < SUB_SPLIT_MIN_WORK) return [[0, n, 0, subTotal]];
  return ranges(subTotal, Math.min(threads * SUB_CHUNKS_PER_THREAD, subTotal), 1).map(([first, count]) => [0, n, first, count]);
}

/** The conv entry point's arguments with the batch restricted to `count` images (the pointers already offset to the first). */
function convTask(fn: string, d: ConvDims, count: number, ptrs: readonly number[]): Task {
  return { fn, args: [count, ...d.slice(1), ...ptrs] };
}

/** `conv2dForward`'s flags (assembly/conv.ts): ReLU after the bias; the weight comes packed. */
const CONV_RELU = 1;
const CONV_PACKED = 2;

/** The conv weight packing exports (absent from modules built before them). */
type ConvPackExports = KernelExports & {
  convPackedWeightSize?(cout: number, cg: number, kh: number, kw: number, groups: number): number;
  packConvWeight?(cout: number, cg: number, kh: number, kw: number, groups: number, wt: number, dst: number): void;
};

/** Max pooling applied to the conv's output inside wasm memory, for {@link conv2dReluMaxPoolWasm}. */
interface PoolStage {
  attrs: MaxPool2dAttrs;
  /** The pooled output's shape. */
  shape: Shape;
}

/**
 * conv2d forward, with the bias add and ReLU of {@link conv2dBiasActWasm} when given: per
 * image and group, im2col then SIMD GEMM `W_g @ col`, then the epilogue on the image's
 * output. With `pool`, the output stays in wasm memory and only its max pooling (values and
 * argmax indices) is copied out.
 */
function convForward(
  x: Tensor, w: Tensor, bias: Tensor | undefined, relu: boolean, attrs: Conv2dAttrs, convShape: Shape, pool?: PoolStage,
): { y: Tensor; indices?: Tensor } | undefined {
  const size = sizeOf(convShape);
  const outSize = pool ? sizeOf(pool.shape) : size;
  if (size === 0 || outSize === 0) return undefined;
  const d = convDims(x.shape, w.shape, convShape, attrs);
  const parts = convParts(d, d[7]);
  // one part runs on this thread: the private memory copies in and out faster
  const call = new WasmCall(parts.length > 1);
  const k$ = call.k as ConvPackExports;
  const [, c, , , cout, kh, kw, , , , , , , , , groups] = d;
  // the weight kept in wasm memory, packed as every chunk multiplies it (see WasmCall.resident)
  const kept = k$.packConvWeight !== undefined ? call.resident(w, 'conv packed', k$.convPackedWeightSize!(cout, c / groups, kh, kw, groups)) : undefined;
  // the result: the conv's output, or with pooling its pooled values (the conv's output is then scratch)
  const po = call.output(outSize);
  const pw = kept === undefined || kept.fresh ? call.input(w) : 0;
  const px = call.input(x);
  const pb = bias ? call.input(bias) : 0;
  const py = pool ? call.allocF32(size) : po;
  const pi = pool ? call.alloc(outSize * 4) : 0;
  const ps = parts.map(() => convScratch(call, d));
  const heap = call.commit();
  if (heap === undefined) return undefined;
  if (kept?.fresh) k$.packConvWeight!(cout, c / groups, kh, kw, groups, pw, kept.ptr);
  const [n, , h, ww, , , , oh, ow] = d;
  const flags = (relu ? CONV_RELU : 0) | (kept ? CONV_PACKED : 0);
  call.run(
    parts.map(([first, count, oy0, oyn], t) =>
      convTask('conv2dForward', d, count, [px + first * c * h * ww * 4, kept?.ptr ?? pw, pb, py + first * cout * oh * ow * 4, ps[t]!, flags, oy0, oyn]),
    ),
  );
  if (!pool) return { y: call.result(po, size, convShape) };
  const { kernelSize: k, stride: s, padding: p, dilation: dl } = pool.attrs;
  const [ho, wo] = [pool.shape[2]!, pool.shape[3]!];
  // pooled plane by plane (indices are within a plane): over the threads too when the conv
  // was split, as the workers are still polling (conv1 of the MNIST CNN at batch 64: ~200 us)
  call.run(
    ranges(n * cout, parts.length, 1).map(([p0, count]) => ({
      fn: 'maxPool2dForward',
      args: [count, oh, ow, ho, wo, k[0], k[1], s[0], s[1], p[0], p[1], dl[0], dl[1], py + p0 * oh * ow * 4, po + p0 * ho * wo * 4, pi + p0 * ho * wo * 4],
    })),
  );
  return {
    y: call.result(po, outSize, pool.shape),
    indices: new Tensor(new Int32Array(heap.buffer, pi, outSize).slice(), pool.shape, 'int32'),
  };
}

/** conv2d forward: per image and group, im2col then SIMD GEMM `W_g @ col`. */
export const conv2dWasm: Kernel<Conv2dAttrs> = (inputs, attrs, out) => {
  const [x, w] = inputs as [Tensor, Tensor];
  if (!allFloat32(inputs, out.dtype) || !wasmAvailable()) return undefined;
  if (sizeOf(out.shape) === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  return convForward(x, w, undefined, false, attrs, out.shape)?.y;
};

/** conv2d + bias (+ ReLU when `attrs.relu`) in one pass: the epilogue runs on each image's output right after its GEMM. */
export const conv2dBiasActWasm: Kernel<Conv2dBiasActAttrs> = (inputs, attrs, out) => {
  const [x, w, b] = inputs as [Tensor, Tensor, Tensor];
  if (!allFloat32(inputs, out.dtype) || !wasmAvailable()) return undefined;
  if (sizeOf(out.shape) === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  return convForward(x, w, b, attrs.relu, attrs, out.shape)?.y;
};

/**
 * conv2d + bias + ReLU, then max pooling, for float32: the activations stay in wasm memory;
 * the pooled values and their int32 argmax indices come back (undefined to decline, as for
 * an empty tensor, so the op runs on cpu).
 */
export function conv2dReluMaxPoolWasm(
  x: Tensor, w: Tensor, b: Tensor, attrs: Conv2dReluMaxPoolAttrs, out: OutputInfo,
): { values: Tensor; indices: Tensor } | undefined {
  if (!allFloat32([x, w, b], out.dtype) || !wasmAvailable()) return undefined;
  const convShape = conv2dShape(x.shape, w.shape, attrs);
  const r = convForward(x, w, b, true, attrs, convShape, { attrs: attrs.pool, shape: out.shape });
  return r && { values: r.y, indices: r.indices! };
}

/** Gradient of conv2d wrt its input: per image and group, SIMD GEMM `W_g^T @ g` then col2im. */
export const conv2dBackwardInputWasm: Kernel<Conv2dBackwardInputAttrs> = (inputs, attrs, out) => {
  const [g, w] = inputs as [Tensor, Tensor];
  if (!allFloat32(inputs, out.dtype) || !wasmAvailable()) return undefined;
  const size = sizeOf(out.shape);
  if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  const d = convDims(attrs.inputShape, w.shape, g.shape, attrs);
  const parts = convParts(d, d[1] / d[15]);
  // one part runs on this thread: the private memory copies in and out faster
  const call = new WasmCall(parts.length > 1);
  const px = call.output(size);
  const pg = call.input(g);
  const pw = call.input(w);
  const ps = parts.map(() => convScratch(call, d));
  if (call.commit() === undefined) return undefined;
  const [, c, h, ww, cout, , , oh, ow] = d;
  call.run(
    parts.map(([first, count, ci0, cin], t) =>
      convTask('conv2dBackwardInput', d, count, [pg + first * cout * oh * ow * 4, pw, px + first * c * h * ww * 4, ps[t]!, ci0, cin]),
    ),
  );
  return call.result(px, size, out.shape);
};

/**
 * Max pooling's gradient scattered to the argmax positions, then conv2d's gradient wrt its
 * input, for float32: the scattered full-size gradient stays in wasm memory. Undefined to
 * decline (another dtype, an empty tensor, an index out of range: the cpu kernel reports it).
 */
export const conv2dMaxPoolBackwardInputWasm: Kernel<Conv2dBackwardInputAttrs> = (inputs, attrs, out) => {
  const [g, indices, w] = inputs as [Tensor, Tensor, Tensor];
  if (out.dtype !== 'float32' || g.dtype !== 'float32' || w.dtype !== 'float32' || indices.dtype !== 'int32' || !wasmAvailable()) return undefined;
  const size = sizeOf(out.shape);
  const convShape = conv2dShape(attrs.inputShape, w.shape, attrs);
  const gySize = sizeOf(convShape);
  if (size === 0 || gySize === 0 || g.size === 0) return undefined;
  const d = convDims(attrs.inputShape, w.shape, convShape, attrs);
  const parts = convParts(d, d[1] / d[15]);
  // one part runs on this thread: the private memory copies in and out faster
  const call = new WasmCall(parts.length > 1);
  const px = call.output(size);
  const pg = call.input(g);
  const pw = call.input(w);
  const pi = call.alloc(indices.size * 4);
  const pdy = call.allocF32(gySize);
  const ps = parts.map(() => convScratch(call, d));
  const heap = call.commit();
  if (heap === undefined) return undefined;
  const ind = indices.contiguous();
  new Int32Array(heap.buffer, pi, ind.size).set((ind.data as Int32Array).subarray(ind.offset, ind.offset + ind.size));
  const [n, c, h, ww, cout, , , oh, ow] = d;
  if (call.k.maxPool2dScatter(n * cout, oh * ow, g.shape[2]! * g.shape[3]!, pg, pi, pdy) !== 0) return undefined;
  call.run(
    parts.map(([first, count, ci0, cin], t) =>
      convTask('conv2dBackwardInput', d, count, [pdy + first * cout * oh * ow * 4, pw, px + first * c * h * ww * 4, ps[t]!, ci0, cin]),
    ),
  );
  return call.result(px, size, out.shape);
};

/** Gradient of conv2d wrt its weight: per image and group, SIMD GEMM `g @ col^T`, summed over the batch. */
export const conv2dBackwardWeightWasm: Kernel<Conv2dBackwardWeightAttrs> = (inputs, attrs, out) => {
  const [x, g] = inputs as [Tensor, Tensor];
  if (!allFloat32(inputs, out.dtype) || !wasmAvailable()) return undefined;
  const size = sizeOf(out.shape);
  if (size === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  const d = convDims(x.shape, attrs.weightShape, g.shape, attrs);
  // each chunk sums its images' contributions into its own buffer; the partial sums are then
  // added in chunk order, so the result is deterministic for a given thread count
  const parts = imageParts(d);
  // no images: one chunk of none, which writes the empty sum's zeros
  if (parts.length === 0) parts.push([0, 0]);
  // one part runs on this thread: the private memory copies in and out faster
  const call = new WasmCall(parts.length > 1);
  // the first chunk sums into the result, the others into scratch
  const pw = [call.output(size)];
  const px = call.input(x);
  const pg = call.input(g);
  for (let t = 1; t < parts.length; t++) pw.push(call.allocF32(size));
  const ps = parts.map(() => convScratch(call, d));
  if (call.commit() === undefined) return undefined;
  const [, c, h, ww, cout, , , oh, ow] = d;
  call.run(
    parts.map(([first, count], t) =>
      convTask('conv2dBackwardWeight', d, count, [px + first * c * h * ww * 4, pg + first * cout * oh * ow * 4, pw[t]!, ps[t]!]),
    ),
  );
  // the chunk sums added in chunk order in wasm memory (a float32 add rounds as JavaScript's
  // double add stored to a Float32Array), then copied out once
  for (let t = 1; t < pw.length; t++) call.k.add3(1, 1, size, pw[0]!, 0, 0, 1, pw[t]!, 0, 0, 1, pw[0]!);
  return call.result(pw[0]!, size, out.shape);
};
