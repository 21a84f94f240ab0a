import type * as FastCheck from '../sampling.js';
import { assertTensor, optionKeys } from '../args.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import { avgPool2dBackwardCpu, pool2dShape, resolvePoolOptions, type AvgPool2dBackwardAttrs } from '../kernels/pool.js';
import { defineOp, dispatch } from '../op.js';
import { checkShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { avgPool2dOp, avgPoolCase, referenceAvgWindow } from './avgPool2d.js';

export type { AvgPool2dBackwardAttrs } from '../kernels/pool.js';

/**
 * Gradient of average pooling wrt its input: each `g[n, c, i, j]` divided by its window's
 * divisor and added to every input element of the window. The adjoint of avgPool2d, so
 * its VJP is avgPool2d with the same attributes.
 */
export const avgPool2dBackwardOp = defineOp<AvgPool2dBackwardAttrs>({
  name: 'avgPool2dBackward',
  infer: ([g], attrs) => {
    const expected = pool2dShape(attrs.inputShape, g!.dtype, attrs, 'avgPool2dBackward');
    if (!shapesEqual(expected, g!.shape)) {
      throw new ShapeError(
        `avgPool2dBackward: g must have the pooled shape [${expected.join(', ')}] of input [${attrs.inputShape.join(', ')}], got [${g!.shape.join(', ')}]`,
      );
    }
    return { shape: attrs.inputShape, dtype: g!.dtype };
  },
  kernels: { cpu: avgPool2dBackwardCpu },
  vjp: (gg, { attrs: { kernelSize, stride, padding, ceilMode, countIncludePad } }) => [
    dispatch(avgPool2dOp, [gg], { kernelSize, stride, padding, ceilMode, countIncludePad }),
  ],
  spec: {
    sample: (fc: typeof FastCheck) =>
      avgPoolCase(fc).chain((c) =>
        arbTensorOfShape(fc, c.yShape).map((g) => ({ inputs: [asStridedView(g, c.mode)], attrs: { ...c.attrs, inputShape: c.xShape } })),
      ),
    reference: ([g], attrs) => {
      const [, C, H, W] = attrs.inputShape;
      const out = fromIndex(attrs.inputShape, 'float64', () => 0);
      forEachIndex(g!.shape, ([n, c, i, j]) => {
        const { rows, cols, divisor } = referenceAvgWindow(attrs, H, W, i!, j!);
        for (const h of rows) for (const w of cols) out.data[((n! * C + c!) * H + h) * W + w]! += g!.get(n!, c!, i!, j!) / divisor;
      });
      return out;
    },
  },
});

const AVG_POOL_BACKWARD_KEYS = optionKeys<AvgPool2dBackwardAttrs>({
  kernelSize: true, stride: true, padding: true, ceilMode: true, countIncludePad: true, inputShape: true,
});

/**
 * Gradient of {@link avgPool2d} wrt its input for output gradient `g`. `attrs` are
 * avgPool2d's resolved attributes plus `inputShape` `[N, C, H, W]`.
 * @example
 * ```ts
 * const attrs = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true, inputShape: [1, 1, 2, 2] } as const;
 * avgPool2dBackward(ones([1, 1, 1, 1]), attrs).toArray(); // [[[[0.25, 0.25], [0.25, 0.25]]]]
 * ```
 */
export function avgPool2dBackward(g: Tensor, attrs: AvgPool2dBackwardAttrs): Tensor {
  assertTensor(g, 'g', 'avgPool2dBackward');
  if (typeof attrs !== 'object' || attrs === null || !Array.isArray(attrs.inputShape) || attrs.inputShape.length !== 4) {
    throw new ArgumentError(`avgPool2dBackward: attrs.inputShape must be [N, C, H, W], got ${describe(attrs?.inputShape)}`);
  }
  checkShape(attrs.inputShape, 'avgPool2dBackward attrs.inputShape');
  const r = resolvePoolOptions(attrs, 'avgPool2dBackward', false, AVG_POOL_BACKWARD_KEYS);
  if (typeof attrs.countIncludePad !== 'boolean') {
    throw new ArgumentError(`avgPool2dBackward: attrs.countIncludePad must be a boolean, got ${describe(attrs.countIncludePad)}`);
  }
  const resolved: AvgPool2dBackwardAttrs = {
    kernelSize: r.kernelSize,
    stride: r.stride,
    padding: r.padding,
    ceilMode: r.ceilMode,
    countIncludePad: attrs.countIncludePad,
    inputShape: attrs.inputShape,
  };
  return dispatch(avgPool2dBackwardOp, [g], resolved);
}
