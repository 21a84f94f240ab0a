import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ShapeError } from '../errors.js';
import { broadcastStrides } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { broadcastShapes, checkShape, shapesEqual, type Shape } from '../shape.js';
import { Tensor, viewOf } from '../tensor.js';
import { arbBroadcastShapes, arbTensorOfShape } from '../testing/arbitraries.js';
import { getBroadcast, fromIndex } from '../testing/reference.js';
import { sumToShape } from './sum.js';

/** Attributes of expand: the broadcast target shape. */
export interface ExpandAttrs {
  shape: Shape;
}

/** Broadcast to a larger shape as a zero-copy view (stride 0 along repeated dimensions). */
export const expandOp = defineOp<ExpandAttrs>({
  name: 'expand',
  infer: ([x], { shape }) => {
    const b = broadcastShapes(x!.shape, shape, 'expand');
    if (!shapesEqual(b, shape)) {
      throw new ShapeError(`expand: cannot broadcast shape [${x!.shape.join(', ')}] to [${shape.join(', ')}]`);
    }
    return { shape, dtype: x!.dtype };
  },
  kernels: {
    cpu: ([x], { shape }) => viewOf(x!, shape, broadcastStrides(x!, shape), x!.offset),
  },
  vjp: (g, { inputs: [x] }) => [sumToShape(g, x!.shape)],
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbBroadcastShapes(fc).chain(([a, b]) => {
        const target = broadcastShapes(a, b);
        return arbTensorOfShape(fc, a).map((x) => ({ inputs: [x], attrs: { shape: target } }));
      }),
    reference: ([x], { shape }) => fromIndex(shape, 'float64', (idx) => getBroadcast(x!, idx)),
  },
});

/**
 * Broadcasts `x` to `shape` (NumPy rules) without copying.
 * @example
 * ```ts
 * expand(tensor([1, 2]), [3, 2]).toArray(); // [[1, 2], [1, 2], [1, 2]]
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor(x, 'x', 'expand');
  checkShape(shape, 'expand shape');
  if (shapesEqual(x.shape, shape)) return x;
  return dispatch(expandOp, [x], { shape: [...shape] });
}
