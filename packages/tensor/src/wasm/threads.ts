/**
 * Worker threads for the `wasm` backend: every worker instantiates the threaded kernel
 * module (built against an imported shared memory) on the SAME WebAssembly.Memory as the
 * main thread, then waits on a small control block in a SharedArrayBuffer. A kernel call
 * that splits its work (GEMM by column blocks, conv by images) writes one task per worker
 * (export name and numeric arguments), wakes them with Atomics.notify, runs the first task
 * itself and waits for the others with Atomics.wait. Nothing is copied between threads:
 * every task reads and writes regions of the shared memory that the caller reserved.
 *
 * Workers are worker_threads in Node and Web Workers in browsers (where SharedArrayBuffer
 * needs a cross-origin isolated page). Where shared memory, blocking waits on this thread
 * or workers are missing, everything runs on one thread, with the same kernels.
 */
import { ArgumentError, describe } from '../errors.js';

/** Ints per worker slot in the control block: state, export index, arg count, ready, error, pad, then float64 args. */
const SLOT_INTS = 64;
const STATE = 0;
/** Values of a slot's state word: idle, task posted, claimed by the worker, taken back by the caller, stop. */
const IDLE = 0;
const POSTED = 1;
const RUNNING = 3;
const STOLEN = 4;
const STOP = 2;
const FN = 1;
const NARGS = 2;
const READY = 3;
const ERROR = 4;
/** Float64 args start at int 8 of the slot (byte 32), so at float index slot*32 + 4. */
const ARG0 = 4;
const MAX_ARGS = (SLOT_INTS - 8) / 2;

/** A started worker as far as we use it (Node's Worker and the web Worker both fit). */
interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
  unref?: () => void;
}

/**
 * The code each worker runs, as a self-contained string (no module file to locate at run
 * time, works when bundled). It receives the module, the shared memory, the control block,
 * its slot and the export names in one message, then serves tasks until told to stop.
 */
const WORKER_SOURCE = `
'use strict';
function serve(msg) {
  const { module, memory, ctrl, slot, names } = msg;
  const instance = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm kernel aborted'); } } });
  const ex = instance.exports;
  const fns = names.map((n) => ex[n]);
  const st = new Int32Array(ctrl);
  const args = new Float64Array(ctrl);
  const base = slot * ${SLOT_INTS};
  const a0 = slot * ${SLOT_INTS / 2} + ${ARG0};
  Atomics.store(st, base + ${READY}, 1);
  Atomics.notify(st, base + ${READY});
  for (;;) {
    Atomics.wait(st, base + ${STATE}, 0);
    const s = Atomics.load(st, base + ${STATE});
    if (s === ${STOP}) return;
    if (s === ${STOLEN}) {
      // the caller took this task back and runs it itself: wait until it is done
      Atomics.wait(st, base + ${STATE}, ${STOLEN});
      continue;
    }
    // claim the task; the caller may have taken it back in the meantime
    if (Atomics.compareExchange(st, base + ${STATE}, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
    const n = st[base + ${NARGS}];
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = args[a0 + i];
    try {
      fns[st[base + ${FN}]](...a);
      st[base + ${ERROR}] = 0;
    } catch (e) {
      st[base + ${ERROR}] = 1;
    }
    Atomics.store(st, base + ${STATE}, ${IDLE});
    Atomics.notify(st, base + ${STATE});
  }
}
if (typeof process !== 'undefined' && typeof process.getBuiltinModule === 'function') {
  process.getBuiltinModule('node:worker_threads').parentPort.once('message', serve);
} else {
  self.onmessage = (e) => serve(e.data);
}
`;

/** What the runtime hands the pool: the compiled threaded module and its shared memory. */
export interface SharedKernels {
  module: object;
  memory: object;
  /** The export names tasks may call, in a fixed order (tasks carry the index). */
  names: readonly string[];
}

interface Pool {
  workers: WorkerHandle[];
  st: Int32Array;
  args: Float64Array;
  names: Map<string, number>;
}

let shared: SharedKernels | undefined;
let pool: Pool | undefined;
let poolFailure: string | undefined;
let requested: number | undefined;

function defaultThreads(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
  const n = os?.availableParallelism?.() ?? os?.cpus?.().length ?? g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.floor(n));
}

/** Why threads cannot be used here, or undefined when they can. */
export function threadSupportProblem(): string | undefined {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean; Atomics?: typeof Atomics };
  if (typeof g.SharedArrayBuffer !== 'function') {
    return 'SharedArrayBuffer is unavailable (in a browser the page must be cross-origin isolated)';
  }
  try {
    // the calling thread must be allowed to block (a browser's main thread is not)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return 'this thread may not block on Atomics.wait (a browser main thread): run pathgrad in a worker';
  }
  if (workerFactory() === undefined) return 'no worker threads here (neither node:worker_threads nor Worker)';
  return undefined;
}

function workerFactory(): (() => WorkerHandle) | undefined {
  const g = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
    Worker?: new (url: string) => WorkerHandle;
    Blob?: new (parts: string[], opts: { type: string }) => unknown;
    URL?: { createObjectURL(b: unknown): string };
  };
  const wt = g.process?.getBuiltinModule?.('node:worker_threads') as
    | { Worker: new (src: string, opts: { eval: boolean }) => WorkerHandle }
    | undefined;
  if (wt) return () => new wt.Worker(WORKER_SOURCE, { eval: true });
  if (g.Worker && g.Blob && g.URL) {
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return () => new g.Worker!(url);
  }
  return undefined;
}

let initRuntime: (() => void) | undefined;

/** The runtime registers its lazy initialiser, so asking for the thread count instantiates the kernels first. */
export function onThreadsQuery(init: () => void): void {
  initRuntime = init;
}

/** Called by the runtime once it instantiated the threaded module on shared memory. */
export function attachSharedKernels(k: SharedKernels): void {
  shared = k;
}

/**
 * Sets how many threads the `wasm` backend's large kernels (GEMM, conv2d and its
 * gradients) split their work over, the calling thread included. The default is the number
 * of cores (`os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in
 * browsers). Where threads are unavailable (no SharedArrayBuffer, e.g. a page that is not
 * cross-origin isolated) the kernels run on one thread whatever is set. float32 results
 * are deterministic for a given thread count; float64 never runs on wasm, so thread count
 * never changes a float64 result. Returns the count now in force.
 *
 * @example
 * ```ts
 * setThreads(1);      // single-threaded kernels (e.g. when other processes use the cores)
 * setThreads('auto'); // back to one per core
 * ```
 */
export function setThreads(n: number | 'auto'): number {
  if (n !== 'auto' && (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256)) {
    throw new ArgumentError(`setThreads: expected an integer from 1 to 256 or 'auto', got ${describe(n)}`);
  }
  requested = n === 'auto' ? undefined : n;
  return getThreads();
}

/**
 * The number of threads the `wasm` kernels use: what {@link setThreads} set (or one per
 * core), capped to 1 where threads are unavailable.
 *
 * @example
 * ```ts
 * getThreads(); // e.g. 2 on a two-core machine with SharedArrayBuffer
 * ```
 */
export function getThreads(): number {
  initRuntime?.();
  if (shared === undefined || poolFailure !== undefined || threadSupportProblem() !== undefined) return 1;
  return requested ?? defaultThreads();
}

/** Why the wasm kernels run on one thread only (undefined when threads are usable). */
export function threadsNote(): string | undefined {
  initRuntime?.();
  if (poolFailure !== undefined) return poolFailure;
  if (shared === undefined) return 'the threaded kernel module is not in use (no shared WebAssembly memory)';
  return threadSupportProblem();
}

function ensurePool(workersWanted: number): Pool | undefined {
  if (shared === undefined || poolFailure !== undefined) return undefined;
  if (pool && pool.workers.length >= workersWanted) return pool;
  const make = workerFactory();
  if (!make) return undefined;
  const have = pool?.workers ?? [];
  const total = Math.max(workersWanted, have.length);
  // one control block for all workers; re-created (with the old workers stopped) when it grows
  for (const w of have) stop(w, pool!);
  const ctrl = new SharedArrayBuffer(total * SLOT_INTS * 4);
  const st = new Int32Array(ctrl);
  const args = new Float64Array(ctrl);
  const workers: WorkerHandle[] = [];
  try {
    for (let slot = 0; slot < total; slot++) {
      const w = make();
      w.unref?.(); // idle workers must not keep a Node process alive
      w.postMessage({ module: shared.module, memory: shared.memory, ctrl, slot, names: [...shared.names] });
      workers.push(w);
    }
  } catch (e) {
    for (const w of workers) void w.terminate();
    poolFailure = `could not start worker threads: ${e instanceof Error ? e.message : String(e)}`;
    return undefined;
  }
  pool = { workers, st, args, names: new Map(shared.names.map((n, i) => [n, i])) };
  return pool;
}

function stop(w: WorkerHandle, p: Pool): void {
  const slot = p.workers.indexOf(w);
  Atomics.store(p.st, slot * SLOT_INTS + STATE, STOP);
  Atomics.notify(p.st, slot * SLOT_INTS + STATE);
}

/**
 * How many worker threads have started and take tasks (0 before the first parallel kernel
 * call creates them). Tests use it to wait until the workers really run tasks.
 */
export function readyWorkers(): number {
  if (pool === undefined) return 0;
  let n = 0;
  for (let slot = 0; slot < pool.workers.length; slot++) if (isReady(pool, slot)) n++;
  return n;
}

/** True once worker `slot` has instantiated its module (never blocks: see runTasks). */
function isReady(p: Pool, slot: number): boolean {
  return Atomics.load(p.st, slot * SLOT_INTS + READY) === 1;
}

/** One unit of work: a kernel export and its numeric arguments (pointers are byte offsets). */
export interface Task {
  fn: string;
  args: readonly number[];
}

/**
 * Runs `tasks` in parallel: the first on this thread (through `runHere`), the others on
 * workers. A task no worker has claimed by the time this thread is free again is taken back
 * and run here, so a worker that the OS has not scheduled (a busy machine) delays nothing.
 * Returns after all finished. With no usable pool, runs them all here in order.
 */
export function runTasks(tasks: readonly Task[], runHere: (t: Task) => void): void {
  if (tasks.length === 0) return;
  const p = tasks.length > 1 ? ensurePool(tasks.length - 1) : undefined;
  // Workers that have not started yet get no task: their share runs here. Never block on a
  // worker's start: a browser starts a nested worker only when the creating thread returns
  // to its event loop, which a synchronous kernel call never does. The split itself does
  // not depend on who runs a task, so results are the same either way.
  const posted: boolean[] = tasks.map(() => false);
  if (p !== undefined) {
    for (let i = 1; i < tasks.length; i++) {
      if (!isReady(p, i - 1)) continue;
      const t = tasks[i]!;
      if (t.args.length > MAX_ARGS) throw new Error(`internal: task ${t.fn} has ${t.args.length} args (at most ${MAX_ARGS})`);
      const base = (i - 1) * SLOT_INTS;
      const fn = p.names.get(t.fn);
      if (fn === undefined) throw new Error(`internal: no kernel export '${t.fn}' for workers`);
      p.st[base + FN] = fn;
      p.st[base + NARGS] = t.args.length;
      p.st[base + ERROR] = 0;
      const a0 = (i - 1) * (SLOT_INTS / 2) + ARG0;
      for (let j = 0; j < t.args.length; j++) p.args[a0 + j] = t.args[j]!;
      Atomics.store(p.st, base + STATE, POSTED);
      Atomics.notify(p.st, base + STATE);
      posted[i] = true;
    }
  }
  runHere(tasks[0]!);
  for (let i = 1; i < tasks.length; i++) {
    if (!posted[i]) {
      runHere(tasks[i]!);
      continue;
    }
    const base = (i - 1) * SLOT_INTS;
    if (Atomics.compareExchange(p!.st, base + STATE, POSTED, STOLEN) === POSTED) {
      try {
        runHere(tasks[i]!);
      } finally {
        Atomics.store(p!.st, base + STATE, IDLE);
        Atomics.notify(p!.st, base + STATE);
      }
    }
  }
  let failed = false;
  for (let i = 1; i < tasks.length; i++) {
    if (!posted[i]) continue;
    const base = (i - 1) * SLOT_INTS;
    while (Atomics.load(p!.st, base + STATE) === RUNNING) Atomics.wait(p!.st, base + STATE, RUNNING);
    if (p!.st[base + ERROR] !== 0) failed = true;
  }
  if (failed) throw new Error('internal: a wasm kernel failed on a worker thread');
}
