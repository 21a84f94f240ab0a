import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import { normalizeAxes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { strideView } from './permute.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';

/**
 * Attributes of flip: the axes to reverse (negative counts from the end).
 *
 * @example
 * ```ts
 * const attrs: FlipAttrs = { axes: [-1] }; // what flip(x, -1) dispatches
 * ```
 */
export interface FlipAttrs {
  axes: readonly number[];
}

/**
 * Reverses axes as a zero-copy view: along a flipped axis the offset moves to the last
 * element and the stride changes sign.
 */
export const flipOp = defineOp<FlipAttrs>({
  name: 'flip',
  infer: ([x], { axes }) => {
    normalizeAxes(axes, x!.rank, 'flip axes');
    return { shape: x!.shape, dtype: x!.dtype };
  },
  kernels: {
    cpu: ([x], { axes }, out) => {
      const flipped = normalizeAxes(axes, x!.rank, 'flip axes');
      const strides = [...x!.strides];
      let offset = x!.offset;
      for (const a of flipped) {
        offset += (x!.shape[a]! - 1) * strides[a]!;
        strides[a] = -strides[a]!;
      }
      return strideView(x!, out.shape, strides, offset);
    },
  },
  vjp: (g, { attrs: { axes } }) => [flip(g, axes)],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbTensor(fc, { minRank: 0, maxRank: 4, maxDim: 3 }), fc.nat(2), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.boolean())
        .map(([x, mode, pick, negative]) => ({
          inputs: [asStridedView(x, mode)],
          attrs: { axes: x.shape.map((_, i) => i).filter((i) => pick[i]).map((a) => (negative ? a - x.rank : a)) },
        })),
    reference: ([x], { axes }) => {
      const flipped = axes.map((a) => (a < 0 ? a + x!.rank : a));
      return fromIndex(x!.shape, 'float64', (idx) => x!.get(...idx.map((k, i) => (flipped.includes(i) ? x!.shape[i]! - 1 - k : k))));
    },
  },
});

/**
 * Reverses the order of elements along `axes` (one axis or a list; negative counts from
 * the end). A zero-copy view with negative strides.
 * @example
 * ```ts
 * flip(tensor([[1, 2], [3, 4]]), 1).toArray();      // [[2, 1], [4, 3]]
 * flip(tensor([[1, 2], [3, 4]]), [0, 1]).toArray(); // [[4, 3], [2, 1]]
 * ```
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  assertTensor(x, 'x', 'flip');
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new ArgumentError(`flip: axes must be an integer or an array of integers, got ${describe(axes)}`);
  }
  const list = typeof axes === 'number' ? [axes] : [...axes];
  normalizeAxes(list, x.rank, 'flip axes');
  if (list.length === 0) return x;
  return dispatch(flipOp, [x], { axes: list });
}
