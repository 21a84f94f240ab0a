/**
 * The `wasm` backend's runtime: instantiates the SIMD kernels (built from
 * packages/tensor/assembly by scripts/build-wasm.mjs and embedded base64 in
 * kernels.generated.ts) synchronously on first use, and manages their linear memory.
 *
 * Memory model: every kernel call starts a fresh bump allocation at the module's heap base
 * (`begin`), reserves all the regions it needs at once (so the memory grows at most once
 * per call, before any typed-array view is taken), copies its float32 inputs in, runs, and
 * copies the output out. Nothing is kept between calls, so there is nothing to free; the
 * memory only grows (WebAssembly cannot shrink) and is reused by later calls. Where threads
 * are possible there are two instances: the threaded build on the memory the workers share,
 * for calls that split their work, and the single-threaded build on a private memory, for
 * the rest (copies into a shared memory are several times slower).
 */
import { registerBackend, type BackendInfo } from '../backend.js';
import type { Tensor } from '../tensor.js';
import {
  KERNELS_RELAXED_THREADS_WASM_BASE64,
  KERNELS_RELAXED_WASM_BASE64,
  KERNELS_THREADS_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from './kernels.generated.js';
import { attachSharedKernels, getThreads, onThreadsQuery, runTasks, threadSupportProblem, threadsNote, type Task } from './threads.js';

/**
 * The slice of the WebAssembly JS API used here, typed locally: the project compiles
 * against lib ES2022 without DOM, where `WebAssembly` has no declared values.
 */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** A WebAssembly.Memory as far as we use it. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The functions the kernel module exports (pointers are byte offsets into its memory). */
export interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  gemm(
    m: number, n: number, k: number,
    a: number, lda: number, transA: number,
    b: number, ldb: number, transB: number,
    c: number, ldc: number, accumulate: number, scratch: number,
  ): void;
  gemmScratchBytes(n: number, k: number): number;
  /** C (+)= A op(B) for few rows without packing, bitwise as `gemm` (absent from modules built before it). */
  gemmSmallM?(
    m: number, n: number, k: number,
    a: number, lda: number,
    b: number, ldb: number, transB: number,
    c: number, ldc: number, accumulate: number,
  ): void;
  packedASize(m: number, k: number): number;
  packAFull(m: number, k: number, a: number, lda: number, transA: number, dst: number): void;
  gemmPackedA(
    m: number, n: number, k: number, apacked: number,
    b: number, ldb: number, transB: number,
    c: number, ldc: number, accumulate: number, scratch: number,
  ): void;
  convScratchBytes(cg: number, kh: number, kw: number, oh: number, ow: number, coutg: number, groups: number): number;
  conv2dForward(
    n: number, c: number, h: number, w: number, cout: number, kh: number, kw: number, oh: number, ow: number,
    sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, groups: number,
    x: number, wt: number, bias: number, y: number, scratch: number, flags: number, oy0: number, oyn: number,
  ): void;
  conv2dBackwardInput(
    n: number, c: number, h: number, w: number, cout: number, kh: number, kw: number, oh: number, ow: number,
    sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, groups: number,
    dy: number, wt: number, dx: number, scratch: number, ci0: number, cin: number,
  ): void;
  conv2dBackwardWeight(
    n: number, c: number, h: number, w: number, cout: number, kh: number, kw: number, oh: number, ow: number,
    sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, groups: number,
    x: number, dy: number, dwt: number, scratch: number,
  ): void;
  add3: Binary3;
  sub3: Binary3;
  mul3: Binary3;
  div3: Binary3;
  maximum3: Binary3;
  minimum3: Binary3;
  greater3: Binary3;
  reluMask3: Binary3;
  relu(n: number, x: number, out: number): void;
  reduceSum3(
    d0: number, d1: number, d2: number,
    x: number, sx0: number, sx1: number, sx2: number,
    so0: number, so1: number, so2: number,
    acc: number, out: number, nOut: number, div: number,
  ): void;
  maxPool2dForward(
    planes: number, h: number, w: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
    x: number, vals: number, idx: number,
  ): void;
  maxPool2dScatter(planes: number, hw: number, per: number, g: number, idx: number, gx: number): number;
  neg(n: number, x: number, out: number): void;
  sqrt(n: number, x: number, out: number): void;
  exp(n: number, x: number, out: number): void;
  log(n: number, x: number, out: number): void;
}

/** A binary elementwise kernel over a 3-D strided walk: shape, then each operand's pointer and element strides, then the output. */
export type Binary3 = (
  d0: number, d1: number, d2: number,
  a: number, sa0: number, sa1: number, sa2: number,
  b: number, sb0: number, sb1: number, sb2: number,
  out: number,
) => void;

/**
 * A minimal module whose body uses a SIMD instruction (`i32.const 0; i8x16.splat;
 * i8x16.popcnt`): it validates exactly when the engine supports WebAssembly SIMD.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/**
 * The instantiated kernels: `exports` on the shared memory when threads are possible (else on
 * a private one), and `local`, a second instance of the single-threaded build on its own
 * private memory, for calls that run on this thread only. Copies between JavaScript arrays
 * and a shared memory go through V8's relaxed-atomic copy, about 4x slower than a plain
 * memcpy; calls that do not split their work avoid that by using `local`.
 */
type State =
  | { ok: true; exports: KernelExports; base: number; shared: boolean; local: KernelExports; localBase: number; relaxed: boolean; relaxedNote: string }
  | { ok: false; reason: string };

/**
 * A module whose body uses `f32x4.relaxed_madd` (three `i8x16.splat`s of 0, then the madd):
 * it validates exactly when the engine has relaxed SIMD.
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11,
]);

/**
 * Whether the relaxed-SIMD kernels are wanted: yes unless the environment variable
 * `PATHGRAD_WASM_RELAXED_SIMD` is `0` (for float32 results that do not depend on whether the
 * CPU fuses multiply-adds). Read through globalThis so browsers need no `process`.
 */
function relaxedWanted(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.PATHGRAD_WASM_RELAXED_SIMD !== '0';
}

/** Pages the shared memory starts with (2 MiB); it grows on demand up to 4 GiB. */
const SHARED_INITIAL_PAGES = 32;
let state: State | undefined;

function decodeBase64(b64: string): Uint8Array {
  // atob exists in browsers and Node >= 16; Buffer would tie us to Node
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function init(): State {
  if (state) return state;
  try {
    const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (wasm === undefined) {
      state = { ok: false, reason: 'WebAssembly is not available in this environment' };
    } else if (!wasm.validate(SIMD_PROBE)) {
      state = { ok: false, reason: 'this engine does not support WebAssembly SIMD (fixed-width, 128-bit)' };
    } else {
      // built with --noAssert, so only a compiler-inserted trap could call abort
      const abort = () => {
        throw new Error('internal: wasm kernel aborted');
      };
      let instance: { exports: unknown } | undefined;
      let shared = false;
      // relaxed SIMD's fused multiply-add where the engine has it (feature-detected), else plain SIMD
      const wanted = relaxedWanted();
      const relaxed = wanted && wasm.validate(RELAXED_SIMD_PROBE);
      const relaxedNote = relaxed
        ? 'GEMM multiply-adds fused with relaxed SIMD (PATHGRAD_WASM_RELAXED_SIMD=0 for plain SIMD)'
        : wanted
          ? 'plain SIMD multiply-adds (this engine has no relaxed SIMD)'
          : 'plain SIMD multiply-adds (relaxed SIMD turned off by PATHGRAD_WASM_RELAXED_SIMD=0)';
      const singleB64 = relaxed ? KERNELS_RELAXED_WASM_BASE64 : KERNELS_WASM_BASE64;
      const threadsB64 = relaxed ? KERNELS_RELAXED_THREADS_WASM_BASE64 : KERNELS_THREADS_WASM_BASE64;
      const single = () => new wasm.Instance(new wasm.Module(decodeBase64(singleB64)), { env: { abort } });
      if (threadSupportProblem() === undefined) {
        // the threaded build on a shared memory, which worker threads instantiate too
        try {
          const module = new wasm.Module(decodeBase64(threadsB64));
          const memory = new wasm.Memory({ initial: SHARED_INITIAL_PAGES, maximum: 65536, shared: true });
          instance = new wasm.Instance(module, { env: { memory, abort } });
          // workers may run any exported kernel
          const ex = instance.exports as Record<string, unknown>;
          attachSharedKernels({ module, memory, names: Object.keys(ex).filter((k) => typeof ex[k] === 'function') });
          shared = true;
        } catch {
          instance = undefined; // no wasm threads in this engine: the single-threaded build below
        }
      }
      if (instance === undefined) instance = single();
      const exports = instance.exports as unknown as KernelExports;
      const local = shared ? (single().exports as unknown as KernelExports) : exports;
      state = { ok: true, exports, base: align(exports.heapBase()), shared, local, localBase: align(local.heapBase()), relaxed, relaxedNote };
    }
  } catch (e) {
    state = { ok: false, reason: `could not instantiate the wasm kernels: ${e instanceof Error ? e.message : String(e)}` };
  }
  return state;
}

/** wasm32 addresses 4 GiB at most (65536 pages of 64 KiB). */
const MAX_BYTES = 65536 * 65536;

function align(p: number): number {
  // arithmetic, not bit operations: offsets may pass 2^31
  return Math.ceil(p / 64) * 64;
}

/** True when the wasm kernels can run here (instantiating them on the first call). */
export function wasmAvailable(): boolean {
  return init().ok;
}

/** What the `wasm` backend reports about itself. */
export function wasmInfo(): BackendInfo {
  const s = init();
  if (!s.ok) return { name: 'wasm', available: false, note: s.reason };
  const threads = getThreads();
  const why = threads === 1 ? `1 thread${threadsNote() ? ` (${threadsNote()})` : ''}` : `${threads} threads for GEMM and conv`;
  return {
    name: 'wasm',
    available: true,
    mode: s.relaxed ? 'relaxed-simd' : 'simd',
    note:
      'AssemblyScript f32x4 SIMD kernels for float32 (matmul, fused linear and conv + bias + ReLU (+ max pooling), conv2d and its gradients, ' +
      'broadcasting elementwise and comparison ops, activations, softmax and logSoftmax, reductions, gather and scatter, max pooling), ' +
      `${s.relaxedNote}, ` +
      (weightCacheOn
        ? 'float32 linear and conv weights kept packed in WebAssembly memory between calls (PATHGRAD_WASM_WEIGHT_CACHE=0 turns this off), '
        : 'weights copied in on every call (PATHGRAD_WASM_WEIGHT_CACHE=0), ') +
      `${why}; other ops (views, copies, average pooling) and dtypes fall back to cpu`,
  };
}

/**
 * One kernel call's view of the module: `alloc` reserves regions, `commit` grows memory to
 * fit them and returns the f32 view to copy through.
 */
export class WasmCall {
  readonly k: KernelExports;
  private top: number;
  /** True when this call's memory is the one worker threads share. */
  private readonly threaded: boolean;

  /**
   * `threads`: whether `run` may split this call's tasks over worker threads. Pass false
   * for a call that runs on this thread anyway: it then uses a private memory, into and
   * out of which copies are several times faster than into the shared one.
   */
  constructor(threads = true) {
    const s = init();
    if (!s.ok) throw new Error(`internal: wasm kernels used while unavailable: ${s.reason}`);
    this.threaded = threads && s.shared;
    this.k = this.threaded ? s.exports : s.local;
    this.store = storeOf(this.k, this.threaded ? s.base : s.localBase);
    this.top = this.store.end;
  }

  /** The weights kept in this call's memory. */
  private readonly store: WeightStore;
  /** Whether this call holds a region of the store (then it must not flush it). */
  private holds = false;
  /** Regions reserved by this call, registered once the memory has grown to hold them. */
  private pending: { t: Tensor; layout: string; ptr: number }[] | undefined;
  /** Whether `alloc` ran: kept weights must be placed before any scratch region. */
  private allocated = false;

  /**
   * Where `t` is kept in wasm memory in `layout` (a name for how the kernel arranged it, with
   * `floats` values): `{ ptr, fresh: false }` when it already is (nothing to copy), `{ ptr,
   * fresh: true }` when a region was just reserved for it (the caller fills it right after
   * `commit`), or `undefined` when it is not kept (the cache is off or full for this call,
   * the tensor is too large): the caller then copies it into scratch as usual. Call before
   * any `alloc`. Tensors are immutable (their data is never written after creation), so a
   * region stays valid for as long as the same Tensor object is passed.
   */
  resident(t: Tensor, layout: string, floats: number): { ptr: number; fresh: boolean } | undefined {
    if (this.allocated) throw new Error('internal: WasmCall.resident after alloc');
    if (!weightCacheOn) return undefined;
    const st = this.store;
    const hit = st.lookup(t, layout);
    if (hit !== undefined) {
      this.holds = true;
      return { ptr: hit, fresh: false };
    }
    if (!keepsWeights(floats)) return undefined;
    const bytes = floats * 4;
    if (st.end + bytes - st.base > weightCacheBytes) {
      // full: start over, unless this call already uses a kept region
      if (this.holds) return undefined;
      st.flush();
    }
    const ptr = st.end;
    st.end = align(ptr + bytes);
    this.top = st.end;
    this.holds = true;
    (this.pending ??= []).push({ t, layout, ptr });
    return { ptr, fresh: true };
  }

  /** Reserves `bytes` (64-byte aligned) and returns the region's byte offset. */
  alloc(bytes: number): number {
    this.allocated = true;
    const p = this.top;
    this.top = align(p + Math.max(bytes, 0));
    return p;
  }

  /**
   * Runs kernel tasks split over the worker threads (the first on this thread); in order on
   * this thread when there are none. Call after `commit`, on regions reserved here.
   */
  run(tasks: readonly Task[]): void {
    if (tasks.length === 1 || !this.threaded) {
      for (const t of tasks) (this.k[t.fn as keyof KernelExports] as (...a: number[]) => void)(...t.args);
      return;
    }
    runTasks(tasks, (t) => (this.k[t.fn as keyof KernelExports] as (...a: number[]) => void)(...t.args));
  }

  /** Reserves room for `count` float32 values. */
  allocF32(count: number): number {
    return this.alloc(count * 4);
  }

  /**
   * Grows the memory to hold everything reserved so far and returns a fresh f32 view, or
   * `undefined` when it cannot (past wasm32's 4 GiB or out of memory): the kernel then
   * declines and the op runs on cpu.
   */
  commit(): Float32Array | undefined {
    const mem = this.k.memory;
    const have = mem.buffer.byteLength;
    let grown = this.top <= MAX_BYTES;
    if (grown && this.top > have) {
      try {
        mem.grow(Math.ceil((this.top - have) / 65536));
      } catch {
        grown = false;
      }
    }
    if (!grown) {
      // the regions reserved here will never be filled: give them back
      if (this.pending !== undefined) this.store.end = this.pending[0]!.ptr;
      this.pending = undefined;
      return undefined;
    }
    if (this.pending !== undefined) {
      for (const r of this.pending) this.store.register(r.t, r.layout, r.ptr);
      this.pending = undefined;
    }
    return new Float32Array(mem.buffer);
  }
}

/**
 * Float32 weights kept in one instance's memory between calls (the "resident" regions of
 * `WasmCall.resident`): a linear layer's or a convolution's weight packed as its GEMM reads
 * it, so a forward pass neither copies nor packs it again. They sit at the bottom of the heap, [base, end);
 * each call's scratch starts above them. Keyed on the Tensor object (weakly, so a dropped
 * tensor's entry goes with it); when the budget is used up everything is dropped at once
 * and the space reused (a training loop makes a new weight tensor every step, so a bound
 * matters more than keeping the oldest).
 */
class WeightStore {
  /** End of the kept regions; scratch starts here. */
  end: number;
  private generation = 0;
  private entries = new WeakMap<Tensor, Map<string, { generation: number; ptr: number }>>();

  constructor(readonly base: number) {
    this.end = base;
  }

  lookup(t: Tensor, layout: string): number | undefined {
    const e = this.entries.get(t)?.get(layout);
    return e !== undefined && e.generation === this.generation ? e.ptr : undefined;
  }

  register(t: Tensor, layout: string, ptr: number): void {
    let m = this.entries.get(t);
    if (m === undefined) this.entries.set(t, (m = new Map()));
    m.set(layout, { generation: this.generation, ptr });
  }

  /** Forgets every kept region. */
  flush(): void {
    this.generation++;
    this.end = this.base;
  }
}

const stores = new WeakMap<KernelExports, WeightStore>();

function storeOf(k: KernelExports, base: number): WeightStore {
  let st = stores.get(k);
  if (st === undefined) stores.set(k, (st = new WeightStore(base)));
  return st;
}

/** Default budget of kept weights per instance (bytes). */
export const WEIGHT_CACHE_BYTES = 64 * 2 ** 20;
let weightCacheBytes = WEIGHT_CACHE_BYTES;
let weightCacheOn = readWeightCacheEnv();

/**
 * Whether a weight of `floats` values would be kept by `WasmCall.resident` (the cache is on
 * and it fits in a quarter of the budget), for kernels that plan their split around it.
 */
export function keepsWeights(floats: number): boolean {
  return weightCacheOn && floats * 4 <= weightCacheBytes / 4;
}

function readWeightCacheEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.PATHGRAD_WASM_WEIGHT_CACHE !== '0';
}

/**
 * Turns the kept-weights cache on or off and sets its budget per instance in bytes, and
 * forgets what is kept (for tests and benchmarks; `PATHGRAD_WASM_WEIGHT_CACHE=0` turns it
 * off from the start). Returns the previous setting.
 */
export function configureWeightCache(opts: { enabled?: boolean; bytes?: number }): { enabled: boolean; bytes: number } {
  const before = { enabled: weightCacheOn, bytes: weightCacheBytes };
  if (opts.enabled !== undefined) weightCacheOn = opts.enabled;
  if (opts.bytes !== undefined) weightCacheBytes = opts.bytes;
  const s = init();
  if (s.ok) {
    stores.get(s.exports)?.flush();
    stores.get(s.local)?.flush();
  }
  return before;
}

/** Copies a float32 tensor (any strides, any offset) row-major into `heap` at byte offset `ptr`. */
export function copyIn(heap: Float32Array, ptr: number, t: Tensor): void {
  const at = ptr / 4;
  const src = t.data as Float32Array;
  if (t.isContiguous) {
    heap.set(src.subarray(t.offset, t.offset + t.size), at);
    return;
  }
  if (t.size === 0) return;
  // odometer over all but the last dimension; the innermost loop is a strided copy
  const rank = t.rank;
  const shape = t.shape;
  const strides = t.strides;
  const inner = shape[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let dst = at;
  let base = t.offset;
  const outer = t.size / inner;
  for (let o = 0; o < outer; o++) {
    let p = base;
    for (let j = 0; j < inner; j++, p += innerStride) heap[dst++] = src[p]!;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** A new Float32Array with `count` values from `heap` at byte offset `ptr`. */
export function copyOut(heap: Float32Array, ptr: number, count: number): Float32Array {
  // allocate-then-set: measured faster than slice, most of all from a shared memory
  const out = new Float32Array(count);
  out.set(heap.subarray(ptr / 4, ptr / 4 + count));
  return out;
}

registerBackend({ name: 'wasm', info: wasmInfo });
onThreadsQuery(() => void init());
