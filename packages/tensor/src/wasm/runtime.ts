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
import { PathgradError } from '../errors.js';
import type { Shape } from '../shape.js';
import { externalTensor, Tensor, type ExternalStorage } from '../tensor.js';
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

/** How `WasmCall.input` places an operand: see there. */
export type InputMode = 'rows' | 'block' | 'copy';

/**
 * One kernel call's view of the module. In order: `resident` for kept weights, `output` for
 * the results, `input` and `alloc` for operands and scratch; then `commit` grows the memory
 * and copies the operands in, the kernels run, and `result` wraps each output as a Tensor.
 */
export class WasmCall {
  readonly k: KernelExports;
  private top: number;
  /** True when `run` may split this call's tasks over the worker threads. */
  private readonly split: boolean;
  /** The weights (and, inside a scope, the kept results) of this call's memory. */
  private readonly store: WeightStore;
  /** Whether results go to the scope's arena (a {@link wasmScope} is open). */
  private readonly scoped: boolean;
  /** 0: kept weights may still be placed; 1: outputs; 2: operands and scratch. */
  private phase = 0;
  /** Whether this call holds a region of the store (then it must not flush it). */
  private holds = false;
  /** Regions reserved by this call, registered once the memory has grown to hold them. */
  private pending: { t: Tensor; layout: string; ptr: number }[] | undefined;
  /** Operands to copy in at `commit`: tensor, byte offset, mode. */
  private copies: [Tensor, number, InputMode][] | undefined;
  /** This call's outputs kept in the arena, by byte offset. */
  private kept: Map<number, Resident> | undefined;
  private heap: Float32Array | undefined;

  /**
   * `threads`: whether `run` may split this call's tasks over worker threads. Pass false
   * for a call that runs on this thread anyway: it then uses a private memory, into and
   * out of which copies are several times faster than into the shared one (inside a
   * {@link wasmScope}, every call uses the memory its kept results are in).
   */
  constructor(threads = true) {
    const s = init();
    if (!s.ok) throw new Error(`internal: wasm kernels used while unavailable: ${s.reason}`);
    this.split = threads && s.shared;
    this.scoped = scopeDepth > 0;
    this.k = this.split || this.scoped ? s.exports : s.local;
    this.store = storeOf(this.k, this.k === s.exports ? s.base : s.localBase);
    this.top = this.store.scratchBase();
  }

  /**
   * Where `t` is kept in wasm memory in `layout` (a name for how the kernel arranged it, with
   * `floats` values): `{ ptr, fresh: false }` when it already is (nothing to copy), `{ ptr,
   * fresh: true }` when a region was just reserved for it (the caller fills it right after
   * `commit`), or `undefined` when it is not kept (the cache is off or full for this call,
   * the tensor is too large): the caller then copies it into scratch as usual. Call before
   * anything else. Tensors are immutable (their data is never written after creation), so a
   * region stays valid for as long as the same Tensor object is passed.
   */
  resident(t: Tensor, layout: string, floats: number): { ptr: number; fresh: boolean } | undefined {
    if (this.phase > 0) throw new Error('internal: WasmCall.resident after output, input or alloc');
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
    // kept results sit above the weights: move them up when the weight would reach them
    if (!st.makeRoom(align(ptr + bytes))) return undefined;
    st.end = align(ptr + bytes);
    this.top = st.scratchBase();
    this.holds = true;
    (this.pending ??= []).push({ t, layout, ptr });
    return { ptr, fresh: true };
  }

  /**
   * Reserves an output of `floats` values: inside a {@link wasmScope}, a region of the scope's
   * arena that stays in wasm memory for the next op (see `result`), else scratch. Call after
   * `resident` and before `input` and `alloc`.
   */
  output(floats: number): number {
    if (this.phase > 1) throw new Error('internal: WasmCall.output after input or alloc');
    this.phase = 1;
    if (!this.scoped) return this.reserve(floats * 4);
    const r = this.store.keep(floats);
    (this.kept ??= new Map()).set(r.ptr, r);
    this.top = this.store.scratchBase();
    return r.ptr;
  }

  /**
   * The byte offset of operand `t` in wasm memory. A result kept in this memory (see
   * `output`) is read where it is when its layout allows; otherwise a region is reserved and
   * `t` copied in at `commit`: row-major (`rows`), or (`block`) for a contiguous or transposed
   * 2-D view the storage under it as one block, which the GEMM reads transposed. `copy`: a
   * row-major copy always, for an operand the kernel writes into.
   */
  input(t: Tensor, mode: InputMode = 'rows'): number {
    this.phase = 2;
    if (mode !== 'copy') {
      const at = residentOffset(t, this.k.memory.buffer);
      if (at !== undefined && (t.isContiguous || (mode === 'block' && isTransposed2d(t)))) return at + t.offset * 4;
    }
    const p = this.reserve(t.size * 4);
    (this.copies ??= []).push([t, p, mode]);
    return p;
  }

  /** Reserves `bytes` of scratch (64-byte aligned) and returns the region's byte offset. */
  alloc(bytes: number): number {
    this.phase = 2;
    return this.reserve(bytes);
  }

  private reserve(bytes: number): number {
    const p = this.top;
    this.top = align(p + Math.max(bytes, 0));
    return p;
  }

  /**
   * Runs kernel tasks split over the worker threads (the first on this thread); in order on
   * this thread when there are none. Call after `commit`, on regions reserved here.
   */
  run(tasks: readonly Task[]): void {
    if (tasks.length === 1 || !this.split) {
      for (const t of tasks) (this.k[t.fn as keyof KernelExports] as (...a: number[]) => void)(...t.args);
      return;
    }
    runTasks(tasks, (t) => (this.k[t.fn as keyof KernelExports] as (...a: number[]) => void)(...t.args));
  }

  /** Reserves room for `count` float32 values of scratch. */
  allocF32(count: number): number {
    return this.alloc(count * 4);
  }

  /**
   * Grows the memory to hold everything reserved so far, copies the operands in and returns
   * a fresh f32 view, or `undefined` when it cannot (past wasm32's 4 GiB or out of memory):
   * the kernel then declines and the op runs on cpu.
   */
  commit(): Float32Array | undefined {
    if (!grow(this.k.memory, this.top)) {
      // the regions reserved here will never be filled: give them back
      if (this.pending !== undefined) this.store.end = this.pending[0]!.ptr;
      this.pending = undefined;
      if (this.kept !== undefined) this.store.drop([...this.kept.values()]);
      this.kept = undefined;
      return undefined;
    }
    if (this.pending !== undefined) {
      for (const r of this.pending) this.store.register(r.t, r.layout, r.ptr);
      this.pending = undefined;
    }
    const heap = new Float32Array(this.k.memory.buffer);
    if (this.copies !== undefined) {
      for (const [t, p, mode] of this.copies) {
        if (mode === 'block' && (t.isContiguous || isTransposed2d(t))) copyBlock(heap, p, t);
        else copyIn(heap, p, t);
      }
    }
    this.heap = heap;
    return heap;
  }

  /**
   * The float32 output at `ptr` (from `output`) as a Tensor of `shape`: kept in wasm memory
   * inside a scope, else copied out. Call after the kernels ran.
   */
  result(ptr: number, count: number, shape: Shape): Tensor {
    const r = this.kept?.get(ptr);
    if (r !== undefined) return externalTensor(r, shape, 'float32');
    return new Tensor(copyOut(this.heap!, ptr, count), shape, 'float32');
  }
}

/** Grows `mem` to at least `bytes`; false when it cannot (past wasm32's 4 GiB, out of memory). */
function grow(mem: WasmMemory, bytes: number): boolean {
  if (bytes > MAX_BYTES) return false;
  const have = mem.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    mem.grow(Math.ceil((bytes - have) / 65536));
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `t` is a 2-D transposed view of a contiguous matrix (strides `[1, rows]`, as
 * `transpose(weight)` in a linear layer): the kernel then copies the underlying matrix as
 * one block and lets the GEMM read it transposed, instead of gathering it element by element.
 */
export function isTransposed2d(t: Tensor): boolean {
  return t.rank === 2 && !t.isContiguous && t.strides[0] === 1 && t.strides[1] === t.shape[0];
}

/** Copies the storage under a contiguous or transposed 2-D view (see {@link isTransposed2d}) as one block. */
export function copyBlock(heap: Float32Array, ptr: number, t: Tensor): void {
  const at = residentOffset(t, heap.buffer);
  if (at !== undefined) heap.copyWithin(ptr / 4, at / 4 + t.offset, at / 4 + t.offset + t.size);
  else heap.set((t.data as Float32Array).subarray(t.offset, t.offset + t.size), ptr / 4);
}

/**
 * A float32 result kept in wasm memory (inside a {@link wasmScope}): its region of the
 * arena, until the scope that made it ends. Read by later kernels where it is; copied into a
 * JavaScript array only if JavaScript reads the tensor (`Tensor.data`).
 */
class Resident implements ExternalStorage {
  private copy: Float32Array | undefined;

  /** `ptr`: byte offset in the store's memory; -1 once the scope has ended. */
  constructor(readonly store: WeightStore, public ptr: number, readonly length: number) {}

  materialize(): Float32Array {
    if (this.copy !== undefined) return this.copy;
    if (this.ptr < 0) {
      throw new PathgradError(
        'tensor: this float32 tensor was kept in WebAssembly memory inside wasmScope(), which has ended and released it; ' +
          'read it inside the scope or return it from the scope function to keep it',
      );
    }
    this.copy = copyOut(new Float32Array(this.store.memory.buffer), this.ptr, this.length);
    return this.copy;
  }
}

/** The byte offset of `t`'s storage when it is a live kept result in the wasm memory over `buffer`. */
function residentOffset(t: Tensor, buffer: ArrayBufferLike): number | undefined {
  const r = t.storage;
  return r instanceof Resident && r.ptr >= 0 && r.store.memory.buffer === buffer ? r.ptr : undefined;
}

/**
 * Float32 weights kept in one instance's memory between calls (the "resident" regions of
 * `WasmCall.resident`): a linear layer's or a convolution's weight packed as its GEMM reads
 * it, so a forward pass neither copies nor packs it again. They sit at the bottom of the heap, [base, end);
 * each call's scratch starts above them. Keyed on the Tensor object (weakly, so a dropped
 * tensor's entry goes with it); when the budget is used up everything is dropped at once
 * and the space reused (a training loop makes a new weight tensor every step, so a bound
 * matters more than keeping the oldest).
 *
 * Above the weights, while a {@link wasmScope} is open, the arena of kept results,
 * [arenaStart, arenaEnd): a stack, each scope releasing what it added when it ends. A weight
 * kept while the arena holds results moves the arena up (the results' offsets with it).
 */
class WeightStore {
  /** End of the kept weights. */
  end: number;
  private generation = 0;
  private entries = new WeakMap<Tensor, Map<string, { generation: number; ptr: number }>>();
  /** The kept results, oldest first, and where the arena starts and ends (valid while any). */
  private residents: Resident[] = [];
  private arenaStart = 0;
  private arenaEnd = 0;

  constructor(readonly base: number, readonly memory: WasmMemory) {
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

  /** Forgets every kept weight. */
  flush(): void {
    this.generation++;
    this.end = this.base;
  }

  /** Where a call's scratch starts: above the weights and the kept results. */
  scratchBase(): number {
    return this.residents.length > 0 ? this.arenaEnd : this.end;
  }

  /**
   * Makes the weights' region reach `to`: moves the kept results up (memory, offsets and
   * the scopes' marks) when they are in the way. False when the memory cannot grow.
   */
  makeRoom(to: number): boolean {
    if (this.residents.length === 0 || to <= this.arenaStart) return true;
    const by = to - this.arenaStart;
    if (!grow(this.memory, this.arenaEnd + by)) return false;
    new Float32Array(this.memory.buffer).copyWithin((this.arenaStart + by) / 4, this.arenaStart / 4, this.arenaEnd / 4);
    for (const r of this.residents) r.ptr += by;
    for (const m of marks) if (m.store === this) m.end += by;
    this.arenaStart += by;
    this.arenaEnd += by;
    return true;
  }

  /** A new kept result of `floats` values at the top of the arena. */
  keep(floats: number): Resident {
    if (this.residents.length === 0) this.arenaStart = this.arenaEnd = this.end;
    const r = new Resident(this, this.arenaEnd, floats);
    this.arenaEnd = align(this.arenaEnd + floats * 4);
    this.residents.push(r);
    return r;
  }

  /** Gives back the newest kept results `rs` (a call that could not grow the memory). */
  drop(rs: readonly Resident[]): void {
    this.release(this.residents.length - rs.length, rs[0]!.ptr);
  }

  /** Where a scope opening now starts: the count of kept results and the arena's end. */
  mark(): { store: WeightStore; count: number; end: number } {
    return { store: this, count: this.residents.length, end: this.residents.length > 0 ? this.arenaEnd : this.end };
  }

  /** Releases every result kept after `count` (their tensors can no longer be read unless already copied out). */
  release(count: number, end: number): void {
    for (let i = count; i < this.residents.length; i++) this.residents[i]!.ptr = -1;
    this.residents.length = count;
    this.arenaEnd = end;
  }
}

/** The marks of the open scopes, innermost last. */
const marks: { store: WeightStore; count: number; end: number }[] = [];
/** How many {@link wasmScope} calls are open. */
let scopeDepth = 0;

/**
 * Runs `fn` with the `wasm` backend's float32 results kept in WebAssembly memory: each op
 * inside reads its operands where the previous op wrote them, and writes its result there,
 * with no copy between JavaScript and WebAssembly memory (a result is copied out only when
 * JavaScript reads its `data`, once). When `fn` returns, the memory of every result made
 * inside is released and reused; a tensor made inside that was neither read (`data`,
 * `toArray`, ...) inside nor returned cannot be read afterwards (it throws, naming the
 * scope). The returned value, when a Tensor or an array of Tensors, is kept (copied out).
 * Scopes nest. Everything made inside stays in wasm memory until `fn` returns, so scope one
 * batch at a time, not a whole loop (past what the memory can hold, ops fall back to cpu).
 * Without WebAssembly, or with another backend, it just calls `fn`.
 *
 * The attribution methods run each batch of gradient evaluations in a scope.
 *
 * @example
 * ```ts
 * const grads = wasmScope(() => grad((x: Tensor) => sum(relu(matmul(x, w))))(x)); // returned: kept
 * ```
 */
export function wasmScope<T>(fn: () => T): T {
  const s = init();
  if (!s.ok) return fn();
  const st = storeOf(s.exports, s.base);
  marks.push(st.mark());
  scopeDepth++;
  try {
    const result = fn();
    if (result instanceof Tensor) void result.data;
    else if (Array.isArray(result)) for (const t of result) if (t instanceof Tensor) void t.data;
    return result;
  } finally {
    scopeDepth--;
    const m = marks.pop()!;
    m.store.release(m.count, m.end);
  }
}

const stores = new WeakMap<KernelExports, WeightStore>();

function storeOf(k: KernelExports, base: number): WeightStore {
  let st = stores.get(k);
  if (st === undefined) stores.set(k, (st = new WeightStore(base, k.memory)));
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

/**
 * Copies a float32 tensor (any strides, any offset) row-major into `heap` at byte offset
 * `ptr`: from its array, or from where it is kept in the same wasm memory.
 */
export function copyIn(heap: Float32Array, ptr: number, t: Tensor): void {
  const at = ptr / 4;
  const kept = residentOffset(t, heap.buffer);
  const src = kept !== undefined ? heap : (t.data as Float32Array);
  const start = kept !== undefined ? kept / 4 + t.offset : t.offset;
  if (t.isContiguous) {
    if (kept !== undefined) heap.copyWithin(at, start, start + t.size);
    else heap.set(src.subarray(start, start + t.size), at);
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
  let base = start;
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
