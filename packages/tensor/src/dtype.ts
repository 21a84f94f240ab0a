/**
 * Element types a tensor can hold. `float32` is the default, `float64` the reference.
 *
 * @example
 * ```ts
 * const dtype: DType = 'float64';
 * zeros([2], dtype).dtype; // 'float64'
 * ```
 */
export type DType = 'float32' | 'float64' | 'int32';

/**
 * The typed array that backs a tensor of each dtype.
 *
 * @example
 * ```ts
 * const data: TypedArray = tensor([1, 2]).toTypedArray(); // a Float32Array
 * ```
 */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** Maps a dtype to its typed-array type. */
export type ArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : Int32Array;

/**
 * Every dtype, in promotion order.
 *
 * @example
 * ```ts
 * DTYPES; // ['int32', 'float32', 'float64']
 * ```
 */
export const DTYPES: readonly DType[] = ['int32', 'float32', 'float64'];

/**
 * Allocates a zeroed typed array of `size` elements for `dtype`.
 *
 * @example
 * ```ts
 * allocate('float64', 3); // Float64Array [0, 0, 0]
 * ```
 */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

/**
 * The dtype of a typed array.
 *
 * @example
 * ```ts
 * dtypeOf(new Int32Array(2)); // 'int32'
 * ```
 */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}

/**
 * True for float32 and float64.
 *
 * @example
 * ```ts
 * isFloat('float32'); // true
 * isFloat('int32'); // false
 * ```
 */
export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

/**
 * Result dtype of a binary op: the wider of the two (int32 < float32 < float64),
 * as NumPy and PyTorch promote.
 *
 * @example
 * ```ts
 * promote('int32', 'float32'); // 'float32'
 * promote('float32', 'float64'); // 'float64'
 * ```
 */
export function promote(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** True when `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'float64' || value === 'int32';
}
