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
