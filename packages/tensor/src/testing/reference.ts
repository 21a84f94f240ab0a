import { allocate, type DType } from '../dtype.js';
import { broadcastAll, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Calls `fn(index)` for every multi-index of `shape` in row-major order. */
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

/** Element of `t` at `index` of a broadcast shape (NumPy rules), via `Tensor.get`. */
export function getBroadcast(t: Tensor, index: readonly number[]): number {
  const lead = index.length - t.rank;
  const own = t.shape.map((d, i) => (d === 1 ? 0 : index[lead + i]!));
  return t.get(...own);
}

/** Builds a tensor of `shape` from `fn(index)`. */
export function fromIndex(shape: Shape, dtype: DType, fn: (index: number[]) => number): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  let f = 0;
  forEachIndex(shape, (idx) => {
    data[f++] = fn(idx);
  });
  return new Tensor(data, shape, dtype);
}

/** Naive elementwise reference over broadcast inputs. */
export function referenceElementwise(inputs: readonly Tensor[], fn: (...xs: number[]) => number, dtype: DType = 'float64'): Tensor {
  const shape = broadcastAll(inputs.map((t) => t.shape));
  return fromIndex(shape, dtype, (idx) => fn(...inputs.map((t) => getBroadcast(t, idx))));
}
