import { allocate, type DType } from '../dtype.js';
import { broadcastAll, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * Calls `fn(index)` for every multi-index of `shape` in row-major order.
 *
 * @example
 * ```ts
 * const seen: number[][] = [];
 * forEachIndex([2, 2], (idx) => seen.push(idx)); // [[0, 0], [0, 1], [1, 0], [1, 1]]
 * ```
 */
export function forEachIndex(shape: Shape, fn: (index: number[]) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn([...idx]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/**
 * Element of `t` at `index` of a broadcast shape (NumPy rules), via `Tensor.get`.
 *
 * @example
 * ```ts
 * getBroadcast(tensor([[10], [20]]), [1, 5]); // 20 (the size-1 axis repeats)
 * ```
 */
export function getBroadcast(t: Tensor, index: readonly number[]): number {
  const lead = index.length - t.rank;
  const own = t.shape.map((d, i) => (d === 1 ? 0 : index[lead + i]!));
  return t.get(...own);
}

/**
 * Builds a tensor of `shape` from `fn(index)`.
 *
 * @example
 * ```ts
 * fromIndex([2, 3], 'float64', ([i, j]) => 10 * i! + j!).toArray(); // [[0, 1, 2], [10, 11, 12]]
 * ```
 */
export function fromIndex(shape: Shape, dtype: DType, fn: (index: number[]) => number): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  let f = 0;
  forEachIndex(shape, (idx) => {
    data[f++] = fn(idx);
  });
  return new Tensor(data, shape, dtype);
}

/**
 * Naive elementwise reference over broadcast inputs.
 *
 * @example
 * ```ts
 * // the naive reference a binary op's spec compares its kernels against
 * referenceElementwise([tensor([[1], [2]]), tensor([10, 20])], (a, b) => a * b).toArray(); // [[10, 20], [20, 40]]
 * ```
 */
export function referenceElementwise(inputs: readonly Tensor[], fn: (...xs: number[]) => number, dtype: DType = 'float64'): Tensor {
  const shape = broadcastAll(inputs.map((t) => t.shape));
  return fromIndex(shape, dtype, (idx) => fn(...inputs.map((t) => getBroadcast(t, idx))));
}
