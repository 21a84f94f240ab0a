import { ArgumentError, ShapeError, describe } from '../errors.js';
import { normalizeAxis, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkTensorList, concat } from './concat.js';
import { reshape } from './reshape.js';

/**
 * Joins tensors of equal shape along a new axis (negative counts from the end of the
 * result's axes). Built as a reshape of each input (a view) and a concat, so it needs no
 * kernel or gradient of its own.
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]).toArray();     // [[1, 2], [3, 4]]
 * stack([tensor([1, 2]), tensor([3, 4])], 1).toArray();  // [[1, 3], [2, 4]]
 * ```
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const ts = checkTensorList(tensors, 'stack');
  if (typeof axis !== 'number') throw new ArgumentError(`stack: axis must be an integer, got ${describe(axis)}`);
  const first = ts[0]!;
  ts.forEach((t, i) => {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new ShapeError(`stack: tensors[${i}] must have the shape of tensors[0], [${first.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
  });
  const a = normalizeAxis(axis, first.rank + 1, 'stack axis');
  const shape = [...first.shape];
  shape.splice(a, 0, 1);
  return concat(
    ts.map((t) => reshape(t, shape)),
    a,
  );
}
