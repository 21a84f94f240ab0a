/**
 * The gpujs backend's runtime: one lazily created gpu.js `GPU` instance in the best mode
 * this machine offers, a cache of compiled kernels, and the backend registration.
 *
 * Why a cache: gpu.js parses the kernel's JavaScript, generates GLSL/WGSL/wasm and
 * compiles it on the first call (tens to hundreds of milliseconds), and a compiled kernel
 * is specialised to its output size and argument sizes. So every kernel here is keyed by
 * its source name plus every size it bakes in, and created once per key.
 *
 * Not done yet (a later performance issue): keeping intermediates on the device between
 * ops (`setPipeline(true)` / gpu.js pipelines). Every kernel here uploads its inputs and
 * reads its output back into a fresh Float32Array, so each op stands alone.
 *
 * gpu.js is an optional peer dependency, loaded on first use (it pulls in WebGPU and GL
 * bindings, tens of megabytes, that most users never need): in Node with `require` through
 * `process.getBuiltinModule('node:module')`, so that no static `node:module` or `gpu.js`
 * import reaches browser bundles or the published declarations; in browsers the page hands
 * it over with {@link provideGpujs}. The types below are the part of gpu.js used here,
 * written out so the declarations need no `gpu.js`.
 */
import { registerBackend, type BackendInfo } from '../backend.js';
import { checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError } from '../errors.js';

/**
 * A gpu.js mode the gpujs backend can run in.
 *
 * @example
 * ```ts
 * const mode: GpujsMode | undefined = gpujsInfo().mode as GpujsMode; // 'webasm' on a machine without GL
 * ```
 */
export type GpujsMode = 'webgpu' | 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu';

/**
 * The order in which modes are preferred, best first.
 *
 * @example
 * ```ts
 * GPUJS_MODE_PREFERENCE[0]; // 'webgpu'
 * ```
 */
export const GPUJS_MODE_PREFERENCE: readonly GpujsMode[] = ['webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'];

/**
 * What the platform offers, as gpu.js reports it (a parameter so the choice is testable).
 *
 * @example
 * ```ts
 * const support: GpujsSupport = { webgpu: false, headlessgl: false, webgl2: false, webgl: false, webasm: true, cpu: true };
 * chooseGpujsMode(support).mode; // 'webasm'
 * ```
 */
export type GpujsSupport = Record<GpujsMode, boolean>;

/**
 * What {@link chooseGpujsMode} decided and why the better modes were passed over.
 *
 * @example
 * ```ts
 * const { mode, skipped } = chooseGpujsMode({ webgpu: true, headlessgl: false, webgl2: false, webgl: false, webasm: true, cpu: true });
 * mode;       // 'webasm'
 * skipped[0]; // 'webgpu: present, but gpu.js webgpu kernels are async-only ...'
 * ```
 */
export interface GpujsModeChoice {
  /** The chosen mode, or null when none is usable. */
  mode: GpujsMode | null;
  /** One line per better mode that was skipped, saying why. */
  skipped: string[];
}

/**
 * Picks the first usable mode in {@link GPUJS_MODE_PREFERENCE}. `webgpu` is never usable
 * by pathgrad today: gpu.js's webgpu kernels only return Promises (WebGPU readback is
 * asynchronous) and pathgrad's ops are synchronous, so it is reported and skipped.
 *
 * @example
 * ```ts
 * chooseGpujsMode({ webgpu: false, headlessgl: false, webgl2: false, webgl: false, webasm: true, cpu: true }).mode; // 'webasm'
 * ```
 */
export function chooseGpujsMode(support: GpujsSupport): GpujsModeChoice {
  const skipped: string[] = [];
  for (const mode of GPUJS_MODE_PREFERENCE) {
    if (!support[mode]) continue;
    if (mode === 'webgpu') {
      skipped.push('webgpu: present, but gpu.js webgpu kernels are async-only and pathgrad ops are synchronous');
      continue;
    }
    return { mode, skipped };
  }
  return { mode: null, skipped };
}

/**
 * A compiled gpu.js kernel, as pathgrad calls it (gpu.js's `IKernelRunShortcut`): float32
 * arrays in, a Float32Array or nested arrays of them out.
 *
 * @example
 * ```ts
 * const k: GpujsKernel = gpu.createKernel('function (a) { return a[this.thread.x] * 2; }', { output: [4], precision: 'single', pipeline: false });
 * k(new Float32Array([1, 2, 3, 4])); // Float32Array [2, 4, 6, 8]
 * ```
 */
export interface GpujsKernel {
  (...args: Float32Array[]): unknown;
  /** Bounds the loops in the kernel source (gpu.js unrolls or guards loops up to it). */
  setLoopMaxIterations(max: number): GpujsKernel;
  /** Frees the kernel's textures or wasm memory. */
  destroy(removeCanvasReferences?: boolean): void;
}

/**
 * The settings pathgrad compiles its gpu.js kernels with (a subset of gpu.js's `IGPUKernelSettings`).
 *
 * @example
 * ```ts
 * const settings: GpujsKernelSettings = { output: [n, m], precision: 'single', pipeline: false, constants: { K: k } };
 * ```
 */
export interface GpujsKernelSettings {
  /** Output size in gpu.js order: `[x]`, `[x, y]` or `[x, y, z]`. */
  output: number[];
  /** Always `'single'`: float32 textures, no rounding through bytes. */
  precision: 'single';
  /** False throughout pathgrad: results are read back after each call. */
  pipeline: boolean;
  /** Values baked into the compiled kernel as `this.constants.NAME`. */
  constants?: Record<string, number>;
}

/**
 * A gpu.js `GPU` instance, as pathgrad uses it.
 *
 * @example
 * ```ts
 * const gpu: GpujsInstance = new GPU({ mode: 'webasm' });
 * ```
 */
export interface GpujsInstance {
  /** Compiles `source` (a JavaScript function as text) into a kernel. */
  createKernel(source: string, settings: GpujsKernelSettings): GpujsKernel;
  /** Frees the instance's context. */
  destroy(): Promise<void>;
}

/**
 * gpu.js's `GPU` class, as pathgrad uses it: what {@link provideGpujs} takes. The real
 * class from `import { GPU } from 'gpu.js'` fits it.
 *
 * @example
 * ```ts
 * import { GPU } from 'gpu.js';
 * const ctor: GpujsConstructor = GPU;
 * ```
 */
export interface GpujsConstructor {
  new (settings: { mode: GpujsMode }): GpujsInstance;
  readonly isWebGPUSupported: boolean;
  readonly isHeadlessGLSupported: boolean;
  readonly isSinglePrecisionSupported: boolean;
  readonly isWebGL2Supported: boolean;
  readonly isWebGLSupported: boolean;
  readonly isWebAssemblySupported: boolean;
}

/** The package to install, as the notes name it. */
const INSTALL = 'the gpujs backend needs the gpu.js package (an optional peer dependency of @pathgrad/tensor): install it with `npm install gpu.js`';

/** The GPU class handed over with provideGpujs, which wins over loading gpu.js. */
let provided: GpujsConstructor | undefined;
/** The outcome of loading gpu.js in Node: its GPU class, or why it could not be loaded. */
let loaded: GpujsConstructor | string | undefined;

/**
 * Hands pathgrad gpu.js's `GPU` class, for where it cannot load gpu.js itself: browsers
 * (bundle gpu.js and pass its class before using the gpujs backend) and Node versions
 * before 20.16 (no `process.getBuiltinModule`). In Node ≥ 20.16 pathgrad requires gpu.js
 * on first use of the gpujs backend when it is installed, so calling this is optional.
 * Drops the current gpu.js instance and cached kernels, like {@link configureGpujs}.
 *
 * @example
 * ```ts
 * import { GPU } from 'gpu.js';
 * import { provideGpujs, setBackend } from '@pathgrad/tensor';
 * provideGpujs(GPU);
 * setBackend('gpujs'); // float32 matmul, conv2d and elementwise ops on gpu.js
 * ```
 */
export function provideGpujs(GPU: GpujsConstructor): void {
  if (typeof GPU !== 'function') {
    throw new ArgumentError(`provideGpujs: expected gpu.js's GPU class (import { GPU } from 'gpu.js'), got ${typeof GPU}`);
  }
  resetRuntime();
  provided = GPU;
}

/** gpu.js's GPU class, or a note saying why it is not available. */
function gpujsClass(): GpujsConstructor | string {
  if (provided) return provided;
  return (loaded ??= requireGpujs());
}

/**
 * Loads gpu.js with Node's `require`, reached through `process.getBuiltinModule` rather
 * than a static `node:module` import, so browser bundles of this module stay clean.
 */
function requireGpujs(): GpujsConstructor | string {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') {
    return proc === undefined
      ? `gpu.js was not provided: ${INSTALL}, then pass its class to provideGpujs (import { GPU } from 'gpu.js'; provideGpujs(GPU))`
      : `this runtime has no process.getBuiltinModule (Node >= 20.16) to load gpu.js with: ${INSTALL} and pass its class to provideGpujs`;
  }
  const nodeModule = proc.getBuiltinModule('node:module') as { createRequire?: (from: string) => (id: string) => unknown } | undefined;
  if (typeof nodeModule?.createRequire !== 'function') return `cannot load gpu.js here (no node:module createRequire): ${INSTALL} and pass its class to provideGpujs`;
  let mod: unknown;
  try {
    mod = nodeModule.createRequire(import.meta.url)('gpu.js');
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: unknown }).code;
    // a missing gpu.js, as opposed to gpu.js failing to load one of its own dependencies
    if (code === 'MODULE_NOT_FOUND' && /['"]gpu\.js['"]/.test(message.split('\n')[0] ?? '')) return `gpu.js is not installed: ${INSTALL}`;
    return `gpu.js failed to load: ${message.split('\n')[0]}`;
  }
  const GPU = (mod as { GPU?: unknown } | undefined)?.GPU;
  return typeof GPU === 'function' ? (GPU as GpujsConstructor) : 'gpu.js loaded, but it exports no GPU class';
}

/** What gpu.js says this platform supports. Each probe is guarded: a broken GL stack throws. */
function probeSupport(GPU: GpujsConstructor): GpujsSupport {
  const safe = (f: () => boolean): boolean => {
    try {
      return f();
    } catch {
      return false;
    }
  };
  return {
    webgpu: safe(() => GPU.isWebGPUSupported),
    // 'single' precision needs float textures; without them GL would round through bytes
    headlessgl: safe(() => GPU.isHeadlessGLSupported && GPU.isSinglePrecisionSupported),
    webgl2: safe(() => GPU.isWebGL2Supported),
    webgl: safe(() => GPU.isWebGLSupported),
    webasm: safe(() => GPU.isWebAssemblySupported),
    cpu: true,
  };
}

interface Runtime {
  gpu: GpujsInstance;
  mode: GpujsMode;
  note: string;
}

let runtime: Runtime | null | undefined;
let failure = '';
let forcedMode: GpujsMode | undefined;

/**
 * Creates the GPU instance on first use. Each candidate mode is verified with a 4-element
 * kernel before it is accepted, so a mode that claims support but fails to compile falls
 * through to the next one.
 */
function init(): Runtime | null {
  if (runtime !== undefined) return runtime;
  const GPU = gpujsClass();
  if (typeof GPU === 'string') {
    failure = GPU;
    runtime = null;
    return runtime;
  }
  const support = probeSupport(GPU);
  const candidates: GpujsMode[] = forcedMode ? [forcedMode] : [];
  const skipped: string[] = [];
  if (!forcedMode) {
    let rest = support;
    for (;;) {
      const choice = chooseGpujsMode(rest);
      skipped.push(...choice.skipped);
      if (choice.mode === null) break;
      candidates.push(choice.mode);
      rest = { ...rest, [choice.mode]: false, webgpu: false };
    }
  }
  for (const mode of candidates) {
    try {
      const gpu = new GPU({ mode });
      const probe = gpu.createKernel('function (a) { return a[this.thread.x] * 2; }', {
        output: [4],
        precision: 'single',
        pipeline: false,
      });
      const got = flattenOutput(probe(new Float32Array([1, 2, 3, 4])), 4);
      if (got[3] !== 8) throw new Error(`probe kernel returned ${String(got[3])} for 4 * 2`);
      probe.destroy();
      const note = [`gpu.js mode '${mode}'`, ...skipped].join('; ');
      runtime = { gpu, mode, note };
      return runtime;
    } catch (e) {
      skipped.push(`${mode}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  failure = skipped.join('; ') || 'no gpu.js mode is supported here';
  runtime = null;
  return runtime;
}

/** The GPU instance and its mode, or null when gpu.js cannot run here. */
export function gpujsRuntime(): { gpu: GpujsInstance; mode: GpujsMode } | null {
  return init();
}

/**
 * What the gpujs backend got on this machine: available or not, and the gpu.js mode.
 *
 * @example
 * ```ts
 * gpujsInfo(); // { name: 'gpujs', available: true, mode: 'webasm', note: "gpu.js mode 'webasm'" }
 * ```
 */
export function gpujsInfo(): BackendInfo {
  const rt = init();
  if (!rt) return { name: 'gpujs', available: false, note: failure };
  return { name: 'gpujs', available: true, mode: rt.mode, note: rt.note };
}

/**
 * Forces the gpu.js mode (or `undefined` for the automatic choice) and drops the current
 * instance and every cached kernel. For tests and benchmarks that compare modes.
 *
 * @example
 * ```ts
 * configureGpujs({ mode: 'cpu' });
 * gpujsInfo().mode; // 'cpu'
 * configureGpujs({}); // back to the automatic choice
 * ```
 */
export function configureGpujs(options: { mode?: GpujsMode }): void {
  if (options === undefined) throw new ArgumentError('configureGpujs: options must be an object like { mode }, got undefined');
  checkOptionKeys(options, optionKeys<{ mode?: GpujsMode }>({ mode: true }), 'configureGpujs');
  resetRuntime();
  forcedMode = options.mode;
}

/** Drops the GPU instance and every cached kernel; the next use starts over. */
function resetRuntime(): void {
  clearGpujsCache();
  runtime?.gpu.destroy().catch(() => undefined);
  runtime = undefined;
  failure = '';
}

/**
 * Counters of the kernel cache.
 *
 * @example
 * ```ts
 * const { compilations, cacheHits, cached } = gpujsStats();
 * ```
 */
export interface GpujsStats {
  /** Kernels created (and so compiled on their first call). */
  compilations: number;
  /** Calls that found their kernel already compiled. */
  cacheHits: number;
  /** Kernels currently cached. */
  cached: number;
}

const cache = new Map<string, GpujsKernel>();
let compilations = 0;
let cacheHits = 0;

/**
 * Counters of the kernel cache: how many kernels were compiled and how often a compiled
 * one was reused.
 *
 * @example
 * ```ts
 * const before = gpujsStats().compilations;
 * runKernel(addOp, 'gpujs', [a, b], {}); // compiles once for this size
 * runKernel(addOp, 'gpujs', [a, b], {}); // reuses it
 * gpujsStats().compilations - before;    // 1
 * ```
 */
export function gpujsStats(): GpujsStats {
  return { compilations, cacheHits, cached: cache.size };
}

/**
 * Destroys every cached kernel (their wasm memory or GL textures) and resets the counters.
 *
 * @example
 * ```ts
 * clearGpujsCache();
 * gpujsStats(); // { compilations: 0, cacheHits: 0, cached: 0 }
 * ```
 */
export function clearGpujsCache(): void {
  for (const k of cache.values()) {
    try {
      k.destroy();
    } catch {
      // a kernel that fails to free its context leaves nothing we can do better
    }
  }
  cache.clear();
  compilations = 0;
  cacheHits = 0;
}

/**
 * The compiled kernel for `key`, created by `create` on first use. `key` must name every
 * size the kernel bakes in (output size, argument lengths, loop bounds), because gpu.js
 * specialises a compiled kernel to them.
 */
export function cachedKernel(key: string, create: (gpu: GpujsInstance) => GpujsKernel): GpujsKernel | undefined {
  const hit = cache.get(key);
  if (hit) {
    cacheHits++;
    return hit;
  }
  const rt = init();
  if (!rt) return undefined;
  const k = create(rt.gpu);
  compilations++;
  cache.set(key, k);
  return k;
}

/**
 * Copies a kernel's result into one row-major Float32Array of `size` elements. gpu.js
 * returns a Float32Array for 1-D output and nested arrays of rows for 2-D and 3-D.
 */
export function flattenOutput(result: unknown, size: number): Float32Array {
  if (result instanceof Float32Array) return result.length === size ? result : result.slice(0, size);
  const out = new Float32Array(size);
  let pos = 0;
  const walk = (v: unknown): void => {
    if (v instanceof Float32Array) {
      const n = Math.min(v.length, size - pos);
      out.set(n === v.length ? v : v.subarray(0, n), pos);
      pos += n;
    } else if (Array.isArray(v)) {
      for (const row of v) walk(row);
    } else {
      throw new Error(`internal: unexpected gpu.js result of type ${typeof v}`);
    }
  };
  walk(result);
  if (pos !== size) throw new Error(`internal: gpu.js returned ${pos} values, expected ${size}`);
  return out;
}

registerBackend({ name: 'gpujs', info: gpujsInfo });
