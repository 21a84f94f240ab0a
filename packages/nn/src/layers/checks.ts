import { ArgumentError, describe } from '@pathgrad/tensor';

/** Validates a positive integer constructor argument. */
export function checkPositiveInt(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ArgumentError(`${where}: ${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** Validates a non-negative integer constructor argument. */
export function checkNonNegativeInt(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ArgumentError(`${where}: ${name} must be an integer >= 0, got ${describe(value)}`);
  }
  return value;
}

/**
 * A number or `[h, w]` pair, as PyTorch's `_pair`.
 * @example
 * ```ts
 * new Conv2d(1, 8, [3, 5]); // a 3x5 kernel
 * ```
 */
export type Pair = number | readonly [number, number];

/** Expands a `Pair` to `[h, w]`, validating each entry. */
export function toPair(value: Pair, name: string, where: string, min: number): [number, number] {
  const arr = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(arr) || arr.length !== 2) {
    throw new ArgumentError(`${where}: ${name} must be an integer or [h, w], got ${describe(value)}`);
  }
  for (const v of arr) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ArgumentError(`${where}: ${name} entries must be integers >= ${min}, got ${describe(value)}`);
    }
  }
  return [arr[0] as number, arr[1] as number];
}

/** Validates a finite number. */
export function checkFiniteNumber(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${where}: ${name} must be a finite number, got ${describe(value)}`);
  }
  return value;
}
