/**
 * Conversion between pathgrad tensors and scijs `ndarray`s.
 *
 * Both are strided views onto a flat buffer (shape, stride, offset), so for float32,
 * float64 and int32 the conversion is zero-copy in both directions whatever the strides
 * (transposes, slices, broadcast stride-0 and negative-stride views included).
 */
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import type { DType, TypedArray } from '../dtype.js';
import { checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, DTypeError, describe } from '../errors.js';
import { Tensor } from '../tensor.js';

/**
 * The ndarray a tensor converts to: it shares the tensor's typed array.
 *
 * @example
 * ```ts
 * const nd: TensorNdarray = toNdarray(tensor([1, 2, 3]));
 * nd.dtype; // 'float32'
 * ```
 */
export type TensorNdarray = NdArray<Float32Array | Float64Array | Int32Array>;

/**
 * A view of `t` as an `ndarray`, sharing its buffer, strides and offset (no copy).
 *
 * The ndarray sees the tensor's buffer: writing through it would change the tensor (and
 * every other view of that buffer), which breaks pathgrad's immutability. Pass
 * `{ copy: true }` to get an ndarray over a fresh contiguous copy you may write to.
 *
 * @example
 * ```ts
 * const t = tensor([[1, 2, 3], [4, 5, 6]]);
 * const nd = toNdarray(t.transpose());
 * nd.shape;     // [3, 2]
 * nd.get(2, 1); // 6
 * nd.data === t.data; // true
 * ```
 */
export function toNdarray(t: Tensor, options: { copy?: boolean } = {}): TensorNdarray {
  if (!(t instanceof Tensor)) throw new ArgumentError(`toNdarray: t must be a Tensor, got ${describe(t)}`);
  checkOptionKeys(options, optionKeys<{ copy?: boolean }>({ copy: true }), 'toNdarray');
  if (options.copy) return ndarray(t.toTypedArray(), [...t.shape]);
  return ndarray(t.data, [...t.shape], [...t.strides], t.offset);
}

/**
 * How {@link fromNdarray} maps each ndarray dtype (see its documentation).
 *
 * @example
 * ```ts
 * NDARRAY_DTYPE_RULE.uint8;  // 'int32'
 * NDARRAY_DTYPE_RULE.uint32; // 'float64'
 * ```
 */
export const NDARRAY_DTYPE_RULE: Readonly<Record<string, DType>> = Object.freeze({
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int8: 'int32',
  int16: 'int32',
  uint8: 'int32',
  uint8_clamped: 'int32',
  uint16: 'int32',
  buffer: 'int32',
  uint32: 'float64',
  float16: 'float32',
  array: 'float64',
  generic: 'float64',
});

/**
 * What {@link fromNdarray} reads from an ndarray: the scijs package's `NdArray` of any
 * data type, or any object of the same layout.
 *
 * @example
 * ```ts
 * const nd: AnyNdarray = { data: [1, 2, 3], shape: [3], stride: [1], offset: 0, dtype: 'array' };
 * fromNdarray(nd).toArray(); // [1, 2, 3]
 * ```
 */
export interface AnyNdarray {
  data: unknown;
  shape: readonly number[];
  stride: readonly number[];
  offset: number;
  dtype: string;
}

/**
 * A tensor viewing an `ndarray`.
 *
 * - `float32`, `float64`, `int32` ndarrays are shared without copying: the tensor keeps
 *   the ndarray's typed array, strides and offset. Do not write to the ndarray afterwards.
 * - Other dtypes are copied into a contiguous tensor by this rule: integer types that
 *   int32 holds exactly (`int8`, `int16`, `uint8`, `uint8_clamped`, `uint16`, Node
 *   `buffer`) become `int32`; `uint32` becomes `float64` (int32 cannot hold it, float64
 *   can, exactly); `float16` becomes `float32` (exact); plain arrays (`array`, `generic`)
 *   are JavaScript numbers, so `float64` (exact). `bigint64`/`biguint64` are rejected:
 *   no pathgrad dtype holds them exactly.
 * - `options.dtype` converts to that dtype instead (a copy when it differs).
 *
 * @example
 * ```ts
 * import ndarray from 'ndarray';
 * const nd = ndarray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const t = fromNdarray(nd.transpose(1, 0));
 * t.shape;              // [3, 2]
 * t.toArray();          // [[1, 4], [2, 5], [3, 6]]
 * fromNdarray(ndarray(new Uint8Array([7, 255]))).dtype; // 'int32'
 * ```
 */
export function fromNdarray(nd: AnyNdarray, options: { dtype?: DType } = {}): Tensor {
  checkOptionKeys(options, optionKeys<{ dtype?: DType }>({ dtype: true }), 'fromNdarray');
  const shape = checkLayout(nd);
  const stride = nd.stride;
  const offset = nd.offset;
  const source = nd.dtype as string;
  const natural = NDARRAY_DTYPE_RULE[source];
  if (natural === undefined) {
    throw new DTypeError(
      `fromNdarray: nd.dtype must be one of ${Object.keys(NDARRAY_DTYPE_RULE).join(', ')}, got ${describe(source)}` +
        (source.startsWith('big') ? ' (64-bit integers do not fit a pathgrad dtype exactly; convert them first)' : ''),
    );
  }
  const dtype = options.dtype ?? natural;
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new ArgumentError(`fromNdarray: options.dtype must be 'float32', 'float64' or 'int32', got ${describe(dtype)}`);
  }
  const data = nd.data as unknown;
  const shared =
    (dtype === 'float32' && data instanceof Float32Array) ||
    (dtype === 'float64' && data instanceof Float64Array) ||
    (dtype === 'int32' && data instanceof Int32Array);
  if (shared) return new Tensor(data as TypedArray, shape, dtype, stride, offset);

  // copy element by element in row-major order
  const size = shape.reduce((a, b) => a * b, 1);
  const read = readerOf(data);
  const out = dtype === 'float32' ? new Float32Array(size) : dtype === 'float64' ? new Float64Array(size) : new Int32Array(size);
  if (size > 0) {
    const rank = shape.length;
    const idx = new Array<number>(rank).fill(0);
    let pos = offset;
    for (let flat = 0; flat < size; flat++) {
      out[flat] = read(pos);
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        pos += stride[d]!;
        if (idx[d]! < shape[d]!) break;
        pos -= stride[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  }
  return new Tensor(out, shape, dtype);
}

/** Validates shape, stride and offset, and that every addressed element is inside `data`. */
function checkLayout(nd: AnyNdarray): number[] {
  if (typeof nd !== 'object' || nd === null || !Array.isArray(nd.shape) || !Array.isArray(nd.stride)) {
    throw new ArgumentError(`fromNdarray: nd must be an ndarray (with shape, stride, offset, data), got ${describe(nd)}`);
  }
  const shape = [...nd.shape];
  shape.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0) throw new ArgumentError(`fromNdarray: nd.shape[${i}] must be an integer >= 0, got ${describe(d)}`);
  });
  if (nd.stride.length !== shape.length) {
    throw new ArgumentError(`fromNdarray: nd.stride must have ${shape.length} entries (one per dimension), got ${nd.stride.length}`);
  }
  nd.stride.forEach((s, i) => {
    if (!Number.isSafeInteger(s)) throw new ArgumentError(`fromNdarray: nd.stride[${i}] must be an integer, got ${describe(s)}`);
  });
  if (!Number.isSafeInteger(nd.offset)) throw new ArgumentError(`fromNdarray: nd.offset must be an integer, got ${describe(nd.offset)}`);
  const length = (nd.data as { length?: unknown } | null)?.length;
  if (typeof length !== 'number') throw new ArgumentError(`fromNdarray: nd.data must be an array-like with a length, got ${describe(nd.data)}`);
  if (shape.some((d) => d === 0)) return shape;
  let lo = nd.offset;
  let hi = nd.offset;
  shape.forEach((d, i) => {
    const span = (d - 1) * nd.stride[i]!;
    if (span < 0) lo += span;
    else hi += span;
  });
  if (lo < 0 || hi >= length) {
    throw new ArgumentError(
      `fromNdarray: nd's shape [${shape.join(', ')}], stride [${nd.stride.join(', ')}] and offset ${nd.offset} address elements ${lo}..${hi}, outside its data of length ${length}`,
    );
  }
  return shape;
}

/** Element reader for the data kinds ndarray supports. */
function readerOf(data: unknown): (i: number) => number {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const arr = data as unknown as ArrayLike<number | bigint>;
    return (i) => {
      const v = arr[i];
      if (typeof v !== 'number') throw new DTypeError(`fromNdarray: element ${i} of nd.data is ${typeof v}, expected a number`);
      return v;
    };
  }
  if (Array.isArray(data)) {
    return (i) => {
      const v: unknown = data[i];
      if (typeof v !== 'number') throw new DTypeError(`fromNdarray: element ${i} of nd.data must be a number, got ${describe(v)}`);
      return v;
    };
  }
  const generic = data as { get?: unknown };
  if (typeof generic.get === 'function') {
    const get = generic.get as (i: number) => unknown;
    return (i) => {
      const v = get.call(data, i);
      if (typeof v !== 'number') throw new DTypeError(`fromNdarray: element ${i} of nd.data must be a number, got ${describe(v)}`);
      return v;
    };
  }
  throw new ArgumentError(`fromNdarray: nd.data must be a typed array, an array or have get(i), got ${describe(data)}`);
}
