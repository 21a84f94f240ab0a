import { ArgumentError, describe } from './errors.js';

/**
 * Names of the backends pathgrad ships.
 *
 * @example
 * ```ts
 * const name: BackendName = 'wasm';
 * withBackend(name, () => matmul(a, b));
 * ```
 */
export type BackendName = 'cpu' | 'wasm' | 'gpujs';

/**
 * What a backend reports about itself.
 *
 * @example
 * ```ts
 * const info: BackendInfo = backendInfo('gpujs');
 * if (!info.available) console.log(`gpujs unavailable: ${info.note}`);
 * ```
 */
export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** Whether it could be initialised on this machine. */
  available: boolean;
  /** Backend-specific detail, e.g. the gpu.js mode (`webgpu`, `headlessgl`, `webasm`, `cpu`). */
  mode?: string;
  /** Why it is unavailable, or other notes. */
  note?: string;
  /**
   * Set on the current backend's report (`backendInfo()` without an argument): whether it
   * was chosen automatically (no `setBackend` call) and which backend's kernels run for
   * each dtype, with the reason.
   */
  selection?: BackendSelection;
}

/**
 * How the current backend was chosen and what runs for each dtype.
 *
 * @example
 * ```ts
 * const sel: BackendSelection | undefined = backendInfo().selection;
 * sel?.dtypes.float32.backend; // 'wasm' where WebAssembly SIMD exists, else 'cpu'
 * sel?.dtypes.float64.why;     // 'cpu is the exact float64 reference; ...'
 * ```
 */
export interface BackendSelection {
  /** True when no `setBackend` choice is in force and pathgrad picked the backend itself. */
  automatic: boolean;
  /** Per dtype: the backend whose kernels run (ops it lacks still fall back to `cpu`) and why. */
  dtypes: Record<'float32' | 'float64' | 'int32', { backend: BackendName; why: string }>;
}

/**
 * What `setBackend` accepts: a backend, or `'auto'` to go back to the automatic choice.
 *
 * @example
 * ```ts
 * const choice: BackendChoice = 'auto';
 * setBackend(choice); // float32 on wasm where WebAssembly SIMD exists, float64 on cpu
 * ```
 */
export type BackendChoice = BackendName | 'auto';

/**
 * A backend's hooks: how to probe it. Kernels live in the op files.
 *
 * @example
 * ```ts
 * const provider: BackendProvider = {
 *   name: 'wasm',
 *   info: () => ({ name: 'wasm', available: true, mode: 'simd128' }),
 * };
 * registerBackend(provider);
 * ```
 */
export interface BackendProvider {
  name: BackendName;
  /** Initialises the backend if needed and reports what it got. */
  info(): BackendInfo;
}

const providers = new Map<BackendName, BackendProvider>();
providers.set('cpu', {
  name: 'cpu',
  info: () => ({ name: 'cpu', available: true, mode: 'js', note: 'reference typed-array loops, every op, every dtype' }),
});

/** The backend chosen with `setBackend`, or undefined while the choice is automatic. */
let explicit: BackendName | undefined;
/** The automatic choice, resolved on first use (probing wasm instantiates its module once). */
let automatic: BackendName | undefined;
let current: BackendName | undefined;

/**
 * The automatic choice: `wasm` wherever WebAssembly SIMD is available (its kernels take
 * float32 and decline every other dtype, which then runs on the exact `cpu` reference),
 * else `cpu`. `gpujs` is never chosen automatically: probing it loads gpu.js and its GL
 * bindings, it implements few ops, and without GPU hardware it runs in a CPU emulation
 * slower than wasm; pick it with `setBackend('gpujs')` where it is measured faster.
 */
function resolveAutomatic(): BackendName {
  if (automatic === undefined) {
    const wasm = providers.get('wasm');
    automatic = wasm !== undefined && wasm.info().available ? 'wasm' : 'cpu';
  }
  return automatic;
}

/**
 * Registers a backend provider (called by the wasm and gpujs modules when loaded).
 *
 * @example
 * ```ts
 * registerBackend({ name: 'wasm', info: () => ({ name: 'wasm', available: false, note: 'no SIMD' }) });
 * backendInfo('wasm').available; // false
 * ```
 */
export function registerBackend(provider: BackendProvider): void {
  providers.set(provider.name, provider);
  // a newly registered backend may change the automatic choice
  automatic = undefined;
  if (explicit === undefined) current = undefined;
}

/**
 * The backend whose kernels ops use now: the one `setBackend` chose, or the automatic
 * choice (`wasm` where WebAssembly SIMD exists, whose kernels take float32 and leave
 * float64 and int32 to `cpu`; otherwise `cpu`).
 *
 * @example
 * ```ts
 * getBackend(); // 'wasm' on any engine with WebAssembly SIMD unless setBackend chose another
 * ```
 */
export function getBackend(): BackendName {
  return (current ??= explicit ?? resolveAutomatic());
}

/**
 * Selects the backend for subsequent ops; `'auto'` returns to the automatic choice (the
 * default). Ops the backend lacks (and dtypes its kernels do not handle) fall back to
 * `cpu`, the reference.
 *
 * @example
 * ```ts
 * setBackend('cpu');  // every op on the reference kernels
 * backendInfo().name; // 'cpu'
 * setBackend('auto'); // back to the default: float32 on wasm SIMD where available
 * ```
 */
export function setBackend(name: BackendChoice): BackendInfo {
  if (name === 'auto') {
    explicit = undefined;
    current = undefined;
    return backendInfo();
  }
  const provider = providers.get(name);
  if (!provider) {
    throw new ArgumentError(
      `setBackend: expected 'auto' or one of ${[...providers.keys()].map((k) => `'${k}'`).join(', ')}, got ${describe(name)}`,
    );
  }
  const info = provider.info();
  if (!info.available) {
    throw new ArgumentError(`setBackend: backend '${name}' is not available here: ${info.note ?? 'unknown reason'}`);
  }
  explicit = name;
  current = name;
  return info;
}

/** Which backend's kernels each dtype reaches when `name` is current, and why. */
function selectionFor(name: BackendName): BackendSelection {
  const auto = explicit === undefined;
  const how = auto ? 'chosen automatically' : 'chosen with setBackend';
  const wasmNote = providers.get('wasm')?.info();
  const f32 =
    name === 'cpu'
      ? auto
        ? `cpu: WebAssembly SIMD is unavailable here (${wasmNote?.note ?? 'wasm backend not loaded'})`
        : 'cpu: chosen with setBackend (reference typed-array loops)'
      : `${name} (${how}); an op it lacks runs on cpu`;
  const ref = name === 'cpu' ? 'cpu: the reference kernels' : `cpu: ${name}'s kernels are float32-only, and cpu is the exact reference`;
  return {
    automatic: auto,
    dtypes: {
      float32: { backend: name, why: f32 },
      float64: { backend: 'cpu', why: ref },
      int32: { backend: 'cpu', why: ref },
    },
  };
}

/**
 * Information about the current backend (or the named one).
 *
 * @example
 * ```ts
 * backendInfo().name; // the current backend, e.g. 'wasm' (automatic) or what setBackend chose
 * backendInfo().selection?.dtypes.float64.backend; // 'cpu'
 * backendInfo('gpujs').mode; // e.g. 'headlessgl', or undefined when unavailable
 * ```
 */
export function backendInfo(name?: BackendName): BackendInfo {
  const which = name ?? getBackend();
  const provider = providers.get(which);
  if (!provider) return { name: which, available: false, note: 'not registered' };
  const info = provider.info();
  return name === undefined ? { ...info, selection: selectionFor(which) } : info;
}

/**
 * Runs `fn` with `name` as the current backend, restoring the previous one after.
 *
 * @example
 * ```ts
 * const y = withBackend('wasm', () => matmul(a, b)); // float32 SIMD kernels, then back to the previous backend
 * ```
 */
export function withBackend<T>(name: BackendChoice, fn: () => T): T {
  const prevExplicit = explicit;
  const prevCurrent = current;
  setBackend(name);
  try {
    return fn();
  } finally {
    explicit = prevExplicit;
    current = prevCurrent;
  }
}
