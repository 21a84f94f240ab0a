import { checkFinite, checkInt, checkOptionKeys, optionKeys } from './args.js';
import { allocate, dtypeOf, isDType, type DType, type TypedArray } from './dtype.js';
import { ArgumentError, ShapeError, describe } from './errors.js';
import type { Rng } from './random.js';
import { checkShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/**
 * Options for tensor construction.
 *
 * @example
 * ```ts
 * const options: CreateOptions = { dtype: 'float64', shape: [2, 2] };
 * tensor([1, 2, 3, 4], options).toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export interface CreateOptions {
  /** Element type (default float32, or the typed array's own dtype). */
  dtype?: DType;
  /** Shape; required to give a flat array or typed array a shape other than 1-D. */
  shape?: readonly number[];
}

const CREATE_KEYS = optionKeys<CreateOptions>({ dtype: true, shape: true });

function checkDType(dtype: unknown, opName: string): DType {
  if (dtype === undefined) return 'float32';
  if (!isDType(dtype)) {
    throw new ArgumentError(`${opName}: dtype must be 'float32', 'float64' or 'int32', got ${describe(dtype)}`);
  }
  return dtype;
}

function inferNested(values: NestedArray, path: string): number[] {
  if (typeof values === 'number') return [];
  if (!Array.isArray(values)) {
    throw new ArgumentError(`tensor: values${path} must be a number or an array, got ${describe(values)}`);
  }
  if (values.length === 0) return [0];
  const inner = inferNested(values[0]!, `${path}[0]`);
  for (let i = 1; i < values.length; i++) {
    const s = inferNested(values[i]!, `${path}[${i}]`);
    if (s.length !== inner.length || s.some((d, k) => d !== inner[k])) {
      throw new ShapeError(
        `tensor: ragged nested array: values${path}[0] has shape [${inner.join(', ')}] but values${path}[${i}] has shape [${s.join(', ')}]`,
      );
    }
  }
  return [values.length, ...inner];
}

function flatten(values: NestedArray, out: TypedArray, pos: { i: number }): void {
  if (typeof values === 'number') {
    if (typeof values !== 'number') throw new ArgumentError(`tensor: expected numbers, got ${describe(values)}`);
    out[pos.i++] = values;
    return;
  }
  for (const v of values) flatten(v, out, pos);
}

/**
 * Creates a tensor from a number, nested arrays, a plain array or a typed array.
 * Typed arrays are copied (tensors never alias caller memory) and keep their dtype unless
 * `dtype` says otherwise.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]).shape;                      // [2, 2]
 * tensor([1, 2, 3, 4], { shape: [2, 2], dtype: 'float64' });
 * ```
 */
export function tensor(values: NestedArray | TypedArray | readonly number[], opts: CreateOptions = {}): Tensor {
  checkOptionKeys(opts, CREATE_KEYS, 'tensor');
  if (ArrayBuffer.isView(values)) {
    const src = values as TypedArray;
    const dtype = opts.dtype === undefined ? dtypeOf(src) : checkDType(opts.dtype, 'tensor');
    const shape = opts.shape ? checkShape([...opts.shape], 'tensor shape') : [src.length];
    if (sizeOf(shape) !== src.length) {
      throw new ShapeError(`tensor: shape [${shape.join(', ')}] needs ${sizeOf(shape)} values, got ${src.length}`);
    }
    const data = allocate(dtype, src.length);
    data.set(src);
    return new Tensor(data, shape, dtype);
  }
  const dtype = checkDType(opts.dtype, 'tensor');
  const nestedShape = inferNested(values as NestedArray, '');
  const n = sizeOf(nestedShape);
  const data = allocate(dtype, n);
  flatten(values as NestedArray, data, { i: 0 });
  let shape: Shape = nestedShape;
  if (opts.shape) {
    const s = checkShape([...opts.shape], 'tensor shape');
    if (sizeOf(s) !== n) {
      throw new ShapeError(`tensor: shape [${s.join(', ')}] needs ${sizeOf(s)} values, got ${n}`);
    }
    shape = s;
  }
  return new Tensor(data, shape, dtype);
}

/**
 * A 0-d tensor.
 * @example
 * ```ts
 * scalar(3, 'float64').item(); // 3
 * ```
 */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor(value, { dtype });
}

/**
 * A tensor filled with `value`.
 * @example
 * ```ts
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  const s = checkShape(shape, 'full shape');
  const d = checkDType(dtype, 'full');
  if (typeof value !== 'number') throw new ArgumentError(`full: value must be a number, got ${describe(value)}`);
  const data = allocate(d, sizeOf(s));
  data.fill(value);
  return new Tensor(data, s, d);
}

/**
 * A tensor of zeros.
 * @example
 * ```ts
 * zeros([2, 3]).shape; // [2, 3]
 * ```
 */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

/**
 * A tensor of ones.
 * @example
 * ```ts
 * ones([2]).toArray(); // [1, 1]
 * ```
 */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/**
 * Zeros with the shape (and, by default, dtype) of `t`.
 *
 * @example
 * ```ts
 * zerosLike(tensor([[1, 2], [3, 4]])).toArray(); // [[0, 0], [0, 0]]
 * ```
 */
export function zerosLike(t: Tensor, dtype: DType = t.dtype): Tensor {
  return zeros(t.shape, dtype);
}

/**
 * Ones with the shape (and, by default, dtype) of `t`.
 *
 * @example
 * ```ts
 * onesLike(tensor([5, 6]), 'int32').toArray(); // [1, 1] as int32
 * ```
 */
export function onesLike(t: Tensor, dtype: DType = t.dtype): Tensor {
  return ones(t.shape, dtype);
}

/**
 * Evenly spaced values in [start, stop) with `step`; `arange(n)` is 0..n-1.
 * @example
 * ```ts
 * arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  checkFinite(start, 'start', 'arange');
  checkFinite(stop, 'stop', 'arange');
  checkFinite(step, 'step', 'arange');
  if (step === 0) throw new ArgumentError('arange: step must be non-zero, got 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(checkDType(dtype, 'arange'), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], dtype);
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive.
 * @example
 * ```ts
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num: number, dtype: DType = 'float32'): Tensor {
  checkFinite(start, 'start', 'linspace');
  checkFinite(stop, 'stop', 'linspace');
  checkInt(num, 'num', 'linspace', 0);
  const data = allocate(checkDType(dtype, 'linspace'), num);
  for (let i = 0; i < num; i++) data[i] = num === 1 ? start : start + ((stop - start) * i) / (num - 1);
  if (num > 1) data[num - 1] = stop;
  return new Tensor(data, [num], dtype);
}

/**
 * The n x m identity matrix (m defaults to n).
 * @example
 * ```ts
 * eye(2).toArray(); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m: number = n, dtype: DType = 'float32'): Tensor {
  checkInt(n, 'n', 'eye', 0);
  checkInt(m, 'm', 'eye', 0);
  const data = allocate(checkDType(dtype, 'eye'), n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m], dtype);
}

const RAND_KEYS = optionKeys<NonNullable<Parameters<typeof rand>[2]>>({ low: true, high: true, dtype: true });
const RANDN_KEYS = optionKeys<NonNullable<Parameters<typeof randn>[2]>>({ mean: true, std: true, dtype: true });

function checkRng(g: unknown, opName: string): Rng {
  if (typeof g !== 'object' || g === null || typeof (g as Rng).uniform !== 'function') {
    throw new ArgumentError(`${opName}: generator must be an Rng from rng(seed), got ${describe(g)}`);
  }
  return g as Rng;
}

/**
 * Uniform values in [low, high) from a seeded generator.
 * @example
 * ```ts
 * rand([2, 2], rng(0)).shape; // [2, 2]
 * ```
 */
export function rand(shape: readonly number[], generator: Rng, opts: { low?: number; high?: number; dtype?: DType } = {}): Tensor {
  const { low = 0, high = 1, dtype = 'float32' } = checkOptionKeys(opts, RAND_KEYS, 'rand') ?? {};
  const s = checkShape(shape, 'rand shape');
  const g = checkRng(generator, 'rand');
  checkFinite(low, 'low', 'rand');
  checkFinite(high, 'high', 'rand');
  const data = allocate(checkDType(dtype, 'rand'), sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * g.uniform();
  return new Tensor(data, s, dtype);
}

/**
 * Normal values with `mean` and `std` from a seeded generator.
 * @example
 * ```ts
 * randn([3], rng(1), { std: 0.1 }).shape; // [3]
 * ```
 */
export function randn(shape: readonly number[], generator: Rng, opts: { mean?: number; std?: number; dtype?: DType } = {}): Tensor {
  const { mean = 0, std = 1, dtype = 'float32' } = checkOptionKeys(opts, RANDN_KEYS, 'randn') ?? {};
  const s = checkShape(shape, 'randn shape');
  const g = checkRng(generator, 'randn');
  checkFinite(mean, 'mean', 'randn');
  checkFinite(std, 'std', 'randn');
  if (std < 0) throw new ArgumentError(`randn: std must be >= 0, got ${std}`);
  const data = allocate(checkDType(dtype, 'randn'), sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * g.normal();
  return new Tensor(data, s, dtype);
}

/**
 * Uniform integers in [low, high) from a seeded generator (int32 by default).
 * @example
 * ```ts
 * randint([4], 0, 10, rng(2)).dtype; // 'int32'
 * ```
 */
export function randint(shape: readonly number[], low: number, high: number, generator: Rng, dtype: DType = 'int32'): Tensor {
  const s = checkShape(shape, 'randint shape');
  const g = checkRng(generator, 'randint');
  const data = allocate(checkDType(dtype, 'randint'), sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = g.int(low, high);
  return new Tensor(data, s, dtype);
}
