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
}

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

let current: BackendName = 'cpu';

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
}

/**
 * The backend whose kernels ops use now.
 *
 * @example
 * ```ts
 * getBackend(); // 'cpu' unless setBackend chose another
 * ```
 */
export function getBackend(): BackendName {
  return current;
}

/**
 * Selects the backend for subsequent ops. Ops the backend lacks (and dtypes its
 * kernels do not handle) fall back to `cpu`, the reference.
 *
 * @example
 * ```ts
 * setBackend('cpu');
 * backendInfo().name; // 'cpu'
 * ```
 */
export function setBackend(name: BackendName): BackendInfo {
  const provider = providers.get(name);
  if (!provider) {
    throw new ArgumentError(
      `setBackend: expected one of ${[...providers.keys()].map((k) => `'${k}'`).join(', ')}, got ${describe(name)}`,
    );
  }
  const info = provider.info();
  if (!info.available) {
    throw new ArgumentError(`setBackend: backend '${name}' is not available here: ${info.note ?? 'unknown reason'}`);
  }
  current = name;
  return info;
}

/**
 * Information about the current backend (or the named one).
 *
 * @example
 * ```ts
 * backendInfo().name; // the current backend, e.g. 'cpu'
 * backendInfo('gpujs').mode; // e.g. 'headlessgl', or undefined when unavailable
 * ```
 */
export function backendInfo(name: BackendName = current): BackendInfo {
  const provider = providers.get(name);
  if (!provider) return { name, available: false, note: 'not registered' };
  return provider.info();
}

/**
 * Runs `fn` with `name` as the current backend, restoring the previous one after.
 *
 * @example
 * ```ts
 * const y = withBackend('wasm', () => matmul(a, b)); // float32 SIMD kernels, then back to the previous backend
 * ```
 */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  const prev = current;
  setBackend(name);
  try {
    return fn();
  } finally {
    current = prev;
  }
}
