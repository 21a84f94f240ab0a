import { assertTensor } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { permute } from './permute.js';

/**
 * Swaps two axes of `x` (by default the last two, a matrix transpose). A zero-copy view:
 * it is `permute` with the two axes exchanged, so it has no registry entry of its own.
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray(); // [[1, 4], [2, 5], [3, 6]]
 * transpose(zeros([2, 3, 4]), 0, 2).shape;             // [4, 3, 2]
 * ```
 */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  assertTensor(x, 'x', 'transpose');
  if (x.rank < 2) {
    throw new ArgumentError(`transpose: x must have rank >= 2, got shape [${x.shape.join(', ')}] (rank ${x.rank})`);
  }
  if (typeof dim0 !== 'number') throw new ArgumentError(`transpose: dim0 must be an integer axis, got ${describe(dim0)}`);
  if (typeof dim1 !== 'number') throw new ArgumentError(`transpose: dim1 must be an integer axis, got ${describe(dim1)}`);
  const a = normalizeAxis(dim0, x.rank, 'transpose dim0');
  const b = normalizeAxis(dim1, x.rank, 'transpose dim1');
  const dims = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, dims);
}
