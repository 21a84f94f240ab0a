import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import {
  arbConv2dCase,
  check4d,
  checkConvAttrs,
  conv2dBackwardWeightCpu,
  conv2dShape,
  convDType,
  type Conv2dBackwardWeightAttrs,
} from '../kernels/conv.js';
import { defineOp, dispatch } from '../op.js';
import { checkShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { conv2dOp } from './conv2d.js';
import { conv2dBackwardInput } from './conv2dBackwardInput.js';
import { conv2dBackwardWeightWasm } from '../wasm/kernels.js';

export type { Conv2dBackwardWeightAttrs } from '../kernels/conv.js';

/**
 * The weight gradient by its definition:
 * `gw[o,c,ki,kj] = sum_{n,i,j} g[n,o,i,j] * xpad[n, c0+c, i*sh-ph+ki*dh, j*sw-pw+kj*dw]`.
 */
function referenceBackwardWeight(x: Tensor, g: Tensor, attrs: Conv2dBackwardWeightAttrs): Tensor {
  const { stride, padding, dilation, groups, weightShape } = attrs;
  const [N, , H, W] = x.shape as [number, number, number, number];
  const [O, Cg] = weightShape;
  const perGroup = O / groups;
  const [Ho, Wo] = [g.shape[2]!, g.shape[3]!];
  return fromIndex(weightShape, 'float64', ([o, c, ki, kj]) => {
    const ch = Math.floor(o! / perGroup) * Cg + c!;
    let s = 0;
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          const h = i * stride[0] - padding[0] + ki! * dilation[0];
          const v = j * stride[1] - padding[1] + kj! * dilation[1];
          if (h >= 0 && h < H && v >= 0 && v < W) s += g.get(n, o!, i, j) * x.get(n, ch, h, v);
        }
      }
    }
    return s;
  });
}

/**
 * Gradient of conv2d wrt its weight: correlates the input `x` `[N, C, H, W]` with the
 * output gradient `g` `[N, O, Ho, Wo]`, giving `attrs.weightShape` `[O, C/groups, kh, kw]`.
 * Bilinear in `(x, g)`: `<gw, conv2dBackwardWeight(x, g)> = <conv2d(x, gw), g>`, so its
 * VJP wrt `x` is `conv2dBackwardInput(g, gw)` and wrt `g` is `conv2d(x, gw)`.
 */
export const conv2dBackwardWeightOp = defineOp<Conv2dBackwardWeightAttrs>({
  name: 'conv2dBackwardWeight',
  infer: ([x, g], attrs) => {
    const op = 'conv2dBackwardWeight';
    check4d(x!, 'x', '[N, C, H, W]', op);
    check4d(g!, 'g', '[N, O, Ho, Wo]', op);
    const expected = conv2dShape(x!.shape, attrs.weightShape, attrs, op);
    if (!shapesEqual(expected, g!.shape)) {
      throw new ShapeError(
        `${op}: g must have the conv2d output shape [${expected.join(', ')}] for input [${x!.shape.join(', ')}] and weight [${attrs.weightShape.join(', ')}], got [${g!.shape.join(', ')}]`,
      );
    }
    return { shape: attrs.weightShape, dtype: convDType(x!, g!) };
  },
  kernels: { cpu: conv2dBackwardWeightCpu, wasm: conv2dBackwardWeightWasm },
  vjp: (gw, { inputs: [x, g], attrs, needs }) => {
    const { stride, padding, dilation, groups } = attrs;
    const conv = { stride, padding, dilation, groups };
    return [
      needs[0] ? conv2dBackwardInput(g!, gw, { ...conv, inputShape: x!.shape as [number, number, number, number] }) : null,
      needs[1] ? dispatch(conv2dOp, [x!, gw], conv) : null,
    ];
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbConv2dCase(fc).chain((c) =>
        fc
          .tuple(arbTensorOfShape(fc, c.xShape, { min: -1, max: 1 }), arbTensorOfShape(fc, c.yShape, { min: -1, max: 1 }))
          .map(([x, g]) => ({
            inputs: [asStridedView(x, c.modes[0]), asStridedView(g, c.modes[1])],
            attrs: { ...c.attrs, weightShape: c.wShape },
          })),
      ),
    reference: ([x, g], attrs) => referenceBackwardWeight(x!, g!, attrs),
    // each weight tap sums N*Ho*Wo products (up to ~2*8*8 = 128 here) of values in
    // [-1, 1]; float32 accumulation of that many terms can drift by ~128 * 128 * 2^-24
    // ≈ 1e-3 in the worst case (random signs make it far smaller), hence 1e-3.
    float32Tolerance: 1e-3,
  },
});

/**
 * Gradient of `conv2d(x, w)` wrt `w` for output gradient `g`. `attrs` are conv2d's
 * resolved attributes plus `weightShape` `[O, C/groups, kh, kw]`.
 * @example
 * ```ts
 * const attrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, weightShape: [1, 1, 2, 2] } as const;
 * conv2dBackwardWeight(arange(9).reshape([1, 1, 3, 3]), ones([1, 1, 2, 2]), attrs).toArray();
 * // [[[[8, 12], [20, 24]]]]
 * ```
 */
export function conv2dBackwardWeight(x: Tensor, g: Tensor, attrs: Conv2dBackwardWeightAttrs): Tensor {
  assertTensor(x, 'x', 'conv2dBackwardWeight');
  assertTensor(g, 'g', 'conv2dBackwardWeight');
  if (typeof attrs !== 'object' || attrs === null || !Array.isArray(attrs.weightShape) || attrs.weightShape.length !== 4) {
    throw new ArgumentError(`conv2dBackwardWeight: attrs.weightShape must be [O, C/groups, kh, kw], got ${describe(attrs?.weightShape)}`);
  }
  checkShape(attrs.weightShape, 'conv2dBackwardWeight attrs.weightShape');
  checkConvAttrs(attrs, 'conv2dBackwardWeight');
  return dispatch(conv2dBackwardWeightOp, [x, g], attrs);
}
