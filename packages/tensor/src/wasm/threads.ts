/**
 * Worker threads for the `wasm` backend: every worker instantiates the threaded kernel
 * module (built against an imported shared memory) on the SAME WebAssembly.Memory as the
 * main thread, then waits on a small control block in a SharedArrayBuffer. A kernel call
 * that splits its work (GEMM by column or row blocks, conv by images) posts a job of several
 * chunks per thread (export name and numeric arguments for each chunk); the caller and the
 * workers claim chunks one at a time from an atomic counter until none are left, and the
 * caller waits until all are done. Small chunks balance the load: a worker the OS has not
 * scheduled (a busy machine) holds up at most the chunk it claimed. Nothing is copied
 * between threads: every chunk reads and writes regions the caller reserved. Both sides poll
 * briefly before sleeping in Atomics.wait (a worker for WORKER_SPIN_MS after each job, the
 * caller for CALLER_SPIN_MS for the last chunks): an OS wake-up costs about as much as a
 * whole small GEMM, and the jobs of one forward or backward pass come microseconds apart.
 *
 * Workers are worker_threads in Node and Web Workers in browsers (where SharedArrayBuffer
 * needs a cross-origin isolated page). Where shared memory, blocking waits on this thread
 * or workers are missing, everything runs on one thread, with the same kernels and the same
 * chunks, so the same results.
 */
import { ArgumentError, describe } from '../errors.js';

// Control block (int32 words): the job's sequence number (workers wait on it), a stop flag,
// the export index, the argument count, the number of chunks, the claim word (15-bit job tag
// << 16 | next chunk), the number of chunks done, an error flag, the number of workers asleep
// in Atomics.wait; then one ready flag per worker; then from float64 index ARGS_F64 each
// chunk's arguments; then the text of the first error a worker met in the job (the error
// word holds its length + 1, or -1 while it is written).
const SEQ = 0;
const STOP = 1;
const FN = 2;
const NARGS = 3;
const NCHUNKS = 4;
const CLAIM = 5;
const DONE = 6;
const ERROR = 7;
const SLEEPERS = 8;
const READY0 = 9;
/** Workers at most (ready flags in words 9..72). */
const MAX_WORKERS = 64;
const ARGS_F64 = 40;
/**
 * How long (ms) a worker keeps polling for the next job before it sleeps in Atomics.wait.
 * Waking a sleeping thread goes through the OS (tens of microseconds, more on a busy
 * machine), about what a whole small GEMM takes; the ops of one forward or backward pass
 * follow each other within microseconds, so a worker that polls briefly after each job
 * takes the next one at once. Short enough that an idle process does not burn a core.
 */
const WORKER_SPIN_MS = 0.2;
/** How long (ms) the calling thread polls for the workers' last chunks before it sleeps (they are usually about to finish). */
const CALLER_SPIN_MS = 0.05;
/**
 * A gap this long (ms) between two polls means the OS took the core away mid-poll: the
 * machine has more runnable threads than cores. Polling then hurts, as it spends this
 * process's share of the CPU that the computing thread needs (measured on 2 cores at load 5:
 * MLP forward at batch 64 589 us with polling against 448 without), so both sides stop
 * polling for CALM_MS and sleep at once, then try again. A full millisecond, as an OS
 * time slice is: on a quiet virtual machine, gaps of tens of microseconds (host interrupts)
 * are common, and a 0.05 ms threshold sent the workers to sleep for 100 ms at a time, so
 * every job paid an OS wake-up (CNN forward at batch 1 on 2 threads: median 57-87 us against
 * 55-57 us, same fastest sample; at load 6 on 2 cores both thresholds measured alike).
 */
const PREEMPTED_MS = 1;
const CALM_MS = 100;
/** Arguments per chunk at most (conv entry points take 21). */
const MAX_ARGS = 24;
/** Chunks per job at most (the claim word keeps 16 bits for the index). */
export const MAX_CHUNKS = 256;
/** After the arguments: the text of a worker's error (UTF-16 code units, at most this many). */
const ERROR_TEXT_AT = (ARGS_F64 + MAX_CHUNKS * MAX_ARGS) * 8;
const ERROR_TEXT_CHARS = 256;
const CTRL_BYTES = ERROR_TEXT_AT + ERROR_TEXT_CHARS * 2;

/** A started worker as far as we use it (Node's Worker and the web Worker both fit). */
interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
  unref?: () => void;
}

/**
 * The code each worker runs, as a self-contained string (no module file to locate at run
 * time, works when bundled). It receives the module, the shared memory, the control block,
 * its slot and the export names in one message, then serves jobs until told to stop.
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
  let seq = Atomics.load(st, ${SEQ});
  // no polling before this time (performance.now()): the machine looked oversubscribed
  let calmUntil = 0;
  Atomics.store(st, ${READY0} + slot, 1);
  for (;;) {
    // poll briefly (the next op's job usually follows at once), then sleep until notified;
    // the caller notifies only while SLEEPERS is non-zero, and Atomics.wait returns at once
    // if the job was posted between the increment and the wait
    let cur = Atomics.load(st, ${SEQ});
    let now = performance.now();
    if (cur === seq && now >= calmUntil) {
      const until = now + ${WORKER_SPIN_MS};
      for (let i = 1; (cur = Atomics.load(st, ${SEQ})) === seq; i++) {
        if ((i & 127) !== 0) continue;
        const t = performance.now();
        if (t - now > ${PREEMPTED_MS}) calmUntil = t + ${CALM_MS};
        if (t > until || t - now > ${PREEMPTED_MS}) break;
        now = t;
      }
    }
    if (cur === seq) {
      Atomics.add(st, ${SLEEPERS}, 1);
      Atomics.wait(st, ${SEQ}, seq);
      Atomics.sub(st, ${SLEEPERS}, 1);
    }
    if (Atomics.load(st, ${STOP}) !== 0) return;
    seq = Atomics.load(st, ${SEQ});
    const tag = seq & 0x7fff;
    for (;;) {
      const v = Atomics.load(st, ${CLAIM});
      if (v >>> 16 !== tag || (v & 0xffff) >= st[${NCHUNKS}]) break;
      if (Atomics.compareExchange(st, ${CLAIM}, v, v + 1) !== v) continue;
      // the claim succeeded on the open job, whose header cannot change until its chunks are done
      const i = v & 0xffff;
      if (i >= st[${NCHUNKS}]) break;
      const n = st[${NARGS}];
      const a = new Array(n);
      for (let j = 0; j < n; j++) a[j] = args[${ARGS_F64} + i * ${MAX_ARGS} + j];
      try {
        fns[st[${FN}]](...a);
      } catch (e) {
        // the first failure of the job leaves its message for the caller
        if (Atomics.compareExchange(st, ${ERROR}, 0, -1) === 0) {
          const text = String(e instanceof Error ? e.message : e).slice(0, ${ERROR_TEXT_CHARS});
          const chars = new Uint16Array(ctrl, ${ERROR_TEXT_AT}, text.length);
          for (let j = 0; j < text.length; j++) chars[j] = text.charCodeAt(j);
          Atomics.store(st, ${ERROR}, text.length + 1);
        }
      }
      if (Atomics.add(st, ${DONE}, 1) + 1 === st[${NCHUNKS}]) Atomics.notify(st, ${DONE});
    }
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

/** Chunks per thread a job is split into: enough to balance a late worker, few enough to keep packing overhead small. */
export const CHUNKS_PER_THREAD = 4;

let shared: SharedKernels | undefined;
let pool: Pool | undefined;
let poolFailure: string | undefined;
let requested: number | undefined;

let cores: number | undefined;

/** One thread per core (asked once). */
function defaultThreads(): number {
  return (cores ??= countCores());
}

function countCores(): number {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
  const n = os?.availableParallelism?.() ?? os?.cpus?.().length ?? g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.floor(n));
}

let supportChecked = false;
let supportProblem: string | undefined;

/** Why threads cannot be used here, or undefined when they can (checked once: the answer does not change). */
export function threadSupportProblem(): string | undefined {
  if (!supportChecked) {
    supportProblem = checkThreadSupport();
    supportChecked = true;
  }
  return supportProblem;
}

function checkThreadSupport(): string | undefined {
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
  const want = Math.min(workersWanted, MAX_WORKERS);
  if (pool && pool.workers.length >= want) return pool;
  const make = workerFactory();
  if (!make) return undefined;
  // the pool only grows: stop the old workers and start a larger set on a fresh control block
  if (pool) {
    Atomics.store(pool.st, STOP, 1);
    Atomics.add(pool.st, SEQ, 1);
    Atomics.notify(pool.st, SEQ);
  }
  const ctrl = new SharedArrayBuffer(CTRL_BYTES);
  const st = new Int32Array(ctrl);
  const args = new Float64Array(ctrl);
  const workers: WorkerHandle[] = [];
  try {
    for (let slot = 0; slot < want; slot++) {
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

/**
 * How many worker threads have started and take chunks (0 before the first parallel kernel
 * call creates them). Tests use it to wait until the workers really run chunks.
 */
export function readyWorkers(): number {
  if (pool === undefined) return 0;
  let n = 0;
  for (let slot = 0; slot < pool.workers.length; slot++) if (Atomics.load(pool.st, READY0 + slot) === 1) n++;
  return n;
}

/** One chunk of work: a kernel export and its numeric arguments (pointers are byte offsets). */
export interface Task {
  fn: string;
  args: readonly number[];
}

/** The calling thread does not poll before this time (performance.now()); see PREEMPTED_MS. */
let callerCalmUntil = 0;

/**
 * Runs the chunks `tasks` (any number up to MAX_CHUNKS) on this thread (through `runHere`)
 * and the started workers, each claiming the next unclaimed chunk until none is left;
 * returns when all are done. Never blocks on a worker's start (a browser starts a nested
 * worker only when the creating thread returns to its event loop, which a synchronous
 * kernel call never does): with no started worker, runs every chunk here in order.
 */
export function runTasks(tasks: readonly Task[], runHere: (t: Task) => void): void {
  const n = tasks.length;
  if (n === 0) return;
  if (n > MAX_CHUNKS) throw new Error(`internal: ${n} chunks (at most ${MAX_CHUNKS})`);
  const p = n > 1 ? ensurePool(getThreads() - 1) : undefined;
  if (p === undefined || readyWorkers() === 0) {
    for (const t of tasks) runHere(t);
    return;
  }
  const st = p.st;
  const fn = p.names.get(tasks[0]!.fn);
  if (fn === undefined) throw new Error(`internal: no kernel export '${tasks[0]!.fn}' for workers`);
  const nargs = tasks[0]!.args.length;
  if (nargs > MAX_ARGS) throw new Error(`internal: ${tasks[0]!.fn} takes ${nargs} args (at most ${MAX_ARGS})`);
  for (let i = 0; i < n; i++) {
    const t = tasks[i]!;
    if (t.fn !== tasks[0]!.fn || t.args.length !== nargs) throw new Error('internal: the chunks of one job must call the same export');
    for (let j = 0; j < nargs; j++) p.args[ARGS_F64 + i * MAX_ARGS + j] = t.args[j]!;
  }
  st[FN] = fn;
  st[NARGS] = nargs;
  st[NCHUNKS] = n;
  st[ERROR] = 0;
  Atomics.store(st, DONE, 0);
  const seq = (Atomics.load(st, SEQ) + 1) | 0;
  Atomics.store(st, CLAIM, (seq & 0x7fff) << 16);
  Atomics.store(st, SEQ, seq);
  // polling workers see the new sequence number by themselves; a notify is a system call
  if (Atomics.load(st, SLEEPERS) !== 0) Atomics.notify(st, SEQ);
  // this thread claims chunks like any worker
  let failure: unknown;
  for (;;) {
    const v = Atomics.load(st, CLAIM);
    const i = v & 0xffff;
    if (i >= n) break;
    if (Atomics.compareExchange(st, CLAIM, v, v + 1) !== v) continue;
    try {
      runHere(tasks[i]!);
    } catch (e) {
      failure ??= e;
    }
    Atomics.add(st, DONE, 1);
  }
  // wait for the chunks workers claimed (their memory regions must not be reused before):
  // poll first, as they are usually about to finish, then sleep
  let now = performance.now();
  if (Atomics.load(st, DONE) < n && now >= callerCalmUntil) {
    const until = now + CALLER_SPIN_MS;
    for (let i = 1; Atomics.load(st, DONE) < n; i++) {
      if ((i & 127) !== 0) continue;
      const t = performance.now();
      if (t - now > PREEMPTED_MS) callerCalmUntil = t + CALM_MS;
      if (t > until || t - now > PREEMPTED_MS) break;
      now = t;
    }
  }
  for (let d = Atomics.load(st, DONE); d < n; d = Atomics.load(st, DONE)) Atomics.wait(st, DONE, d);
  if (failure !== undefined) throw failure;
  const err = Atomics.load(st, ERROR);
  if (err !== 0) rerunHere(tasks, runHere, workerErrorText(p, err));
}

/**
 * A chunk failed on a worker: runs the whole job again on this thread. Safe because every
 * job's chunks compute their outputs from their inputs alone (no chunk adds into what its
 * output held), and all of them have finished. This recovers a failure of the worker's own
 * (a worker's instance may see a growth of the shared memory later than this thread: V8
 * updates other threads' instances asynchronously), and otherwise reports the kernel's error
 * as it happens here.
 */
function rerunHere(tasks: readonly Task[], runHere: (t: Task) => void, workerError: string): void {
  try {
    for (const t of tasks) runHere(t);
  } catch (e) {
    throw new Error(
      `internal: a wasm kernel chunk failed on a worker thread (${workerError}) and again on this thread: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** The message the worker left (error word `err`: its length + 1). */
function workerErrorText(p: Pool, err: number): string {
  const chars = new Uint16Array(p.st.buffer, ERROR_TEXT_AT, Math.max(0, err - 1));
  let text = '';
  for (let i = 0; i < chars.length; i++) text += String.fromCharCode(chars[i]!);
  return text || 'no message';
}
