import { isFloat, promote, type DType } from './dtype.js';
import { ArgumentError, DTypeError, describe } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * A tensor, or a plain number treated as a scalar of the other operand's dtype.
 *
 * @example
 * ```ts
 * const k: TensorLike = 2; // a weak scalar: takes the other operand's dtype
 * mul(tensor([1, 2], { dtype: 'float64' }), k).dtype; // 'float64'
 * ```
 */
export type TensorLike = Tensor | number;

/** Throws unless `x` is a Tensor. */
export function assertTensor(x: unknown, argName: string, opName: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    throw new ArgumentError(`${opName}: ${argName} must be a Tensor, got ${describe(x)}`);
  }
}

/** Throws unless `x` has a floating-point dtype. */
export function assertFloat(x: Tensor, argName: string, opName: string): void {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`${opName}: ${argName} must be float32 or float64, got ${x.dtype}`);
  }
}

/**
 * A 0-d tensor holding `value`.
 *
 * @example
 * ```ts
 * scalarTensor(3, 'float64').shape; // [] (a 0-d tensor)
 * ```
 */
export function scalarTensor(value: number, dtype: DType): Tensor {
  const t = new Tensor(dtype === 'float64' ? new Float64Array(1) : dtype === 'int32' ? new Int32Array(1) : new Float32Array(1), [], dtype);
  (t.data as Float64Array)[0] = value;
  return t;
}

/**
 * Turns a pair of tensor-likes into tensors. A plain number takes the other operand's
 * dtype (a "weak" scalar, as in PyTorch and JAX), so `mul(x, 2)` keeps x's dtype.
 */
export function operands(a: TensorLike, b: TensorLike, opName: string): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    return [scalarTensor(a, 'float32'), scalarTensor(b, 'float32')];
  }
  if (typeof a === 'number') {
    assertTensor(b, 'b', opName);
    return [scalarTensor(a, isFloat(b.dtype) || Number.isInteger(a) ? b.dtype : 'float32'), b];
  }
  if (typeof b === 'number') {
    assertTensor(a, 'a', opName);
    return [a, scalarTensor(b, isFloat(a.dtype) || Number.isInteger(b) ? a.dtype : 'float32')];
  }
  assertTensor(a, 'a', opName);
  assertTensor(b, 'b', opName);
  return [a, b];
}

/** Promoted dtype of several tensors. */
export function resultDType(...ts: readonly Tensor[]): DType {
  let d: DType = ts[0]!.dtype;
  for (const t of ts) d = promote(d, t.dtype);
  return d;
}

/** Throws unless `value` is a finite integer (optionally >= min). */
export function checkInt(value: unknown, argName: string, opName: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const range = min === -Infinity ? 'an integer' : `an integer >= ${min}`;
    throw new ArgumentError(`${opName}: ${argName} must be ${range}, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number. */
export function checkFinite(value: unknown, argName: string, opName: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${opName}: ${argName} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/**
 * The allowed keys of an options type, listed as an object literal so the compiler checks
 * the list: a key of `T` missing from `keys`, or a key that `T` does not have, is a type
 * error. A new option added to the interface therefore cannot be forgotten by
 * {@link checkOptionKeys}.
 *
 * @example
 * ```ts
 * interface PadOptions { width?: number; value?: number }
 * const PAD_KEYS = optionKeys<PadOptions>({ width: true, value: true }); // ['width', 'value']
 * // optionKeys<PadOptions>({ width: true }) does not compile: 'value' is missing
 * ```
 */
export function optionKeys<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys)) as readonly (keyof T & string)[];
}

/**
 * Edit distance between two strings counting insertions, deletions, substitutions and
 * transpositions of adjacent characters (optimal string alignment distance).
 *
 * @example
 * ```ts
 * editDistance('internalBatchsize', 'internalBatchSize'); // 1
 * editDistance('stpes', 'steps'); // 1 (one transposition)
 * ```
 */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  // Three rolling rows: the transposition step looks two rows back.
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/**
 * The allowed key closest to `key`, or undefined when none is plausibly meant: a
 * case-insensitive match wins; otherwise the nearest by {@link editDistance} (ignoring
 * case) among the keys within a third of the longer name's length (1 to 3 edits) or that
 * start with the key or begin it (a truncated or extended name, at least 3 letters shared).
 *
 * @example
 * ```ts
 * nearestKey('internalBatchsize', ['steps', 'internalBatchSize']); // 'internalBatchSize'
 * nearestKey('padd', ['stride', 'padding']); // 'padding'
 * nearestKey('pretrained', ['seed']); // undefined
 * ```
 */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exact = allowed.find((k) => k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of allowed) {
    const other = k.toLowerCase();
    const d = editDistance(lower, other);
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(key.length, k.length) / 3)));
    const [short, long] = lower.length <= other.length ? [lower, other] : [other, lower];
    const truncated = short.length >= 3 && long.startsWith(short);
    if ((d <= limit || truncated) && d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Validates an options argument: `undefined`, or a plain object (not an array, not null,
 * not a class instance such as a Tensor) whose own keys are all in `allowed`. An unknown
 * key is refused with an {@link ArgumentError} naming it and the nearest valid key, so a
 * typo such as `internalBatchsize` cannot silently drop an option. `where` names the
 * function in the message.
 *
 * @example
 * ```ts
 * checkOptionKeys({ steps: 8 }, ['steps', 'method'], 'integrate'); // passes
 * checkOptionKeys({ stpes: 8 }, ['steps', 'method'], 'integrate');
 * // throws ArgumentError: integrate: unknown option 'stpes' (did you mean 'steps'?)
 * checkOptionKeys([8], ['steps'], 'integrate'); // throws: options must be an object, got an array
 * ```
 */
export function checkOptionKeys<T extends object | undefined>(opts: T, allowed: readonly string[], where: string): T {
  if (opts === undefined) return opts;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || !isPlainObject(opts)) {
    const got = Array.isArray(opts)
      ? `an array ${describe(opts)}`
      : typeof opts === 'object' && opts !== null && !('shape' in opts)
        ? `an instance of ${(opts as object).constructor?.name ?? 'a class'} (pass a plain { key: value } object)`
        : describe(opts);
    throw new ArgumentError(`${where}: options must be an object like { ${allowed.slice(0, 3).join(', ')}${allowed.length > 3 ? ', ...' : ''} }, got ${got}`);
  }
  for (const key of Object.keys(opts)) {
    if (allowed.includes(key)) continue;
    const near = nearestKey(key, allowed);
    const hint = near !== undefined ? `did you mean '${near}'?` : allowed.length ? `valid options: ${allowed.join(', ')}` : 'it takes no options';
    throw new ArgumentError(`${where}: unknown option '${key}' (${hint})`);
  }
  return opts;
}

function isPlainObject(value: object): boolean {
  // Object.prototype of any realm (a vm context, a worker) has a null prototype itself.
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
