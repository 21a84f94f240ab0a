import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import {
  arbConv2dCase,
  check4d,
  checkConvAttrs,
  conv2dBackwardInputCpu,
  conv2dShape,
  convDType,
  type Conv2dBackwardInputAttrs,
} from '../kernels/conv.js';
import { defineOp, dispatch } from '../op.js';
import { checkShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { conv2dOp } from './conv2d.js';
import { conv2dBackwardWeight } from './conv2dBackwardWeight.js';
import { conv2dBackwardInputWasm } from '../wasm/kernels.js';

export type { Conv2dBackwardInputAttrs } from '../kernels/conv.js';

/**
 * The input gradient by its definition: `gx[n,c,h,v]` sums `g[n,o,i,j] * w[o,c-c0,ki,kj]`
 * over the output positions and taps that read input position `(h, v)`, i.e. where
 * `i*sh - ph + ki*dh = h` and `j*sw - pw + kj*dw = v` (float64; the generic tests'
 * reference, shared with the fused conv2dMaxPoolBackwardInput's).
 * @example
 * ```ts
 * const attrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, inputShape: [1, 1, 2, 2] } as const;
 * referenceBackwardInput(ones([1, 1, 1, 1]), ones([1, 1, 2, 2]), attrs).toArray(); // [[[[1, 1], [1, 1]]]]
 * ```
 */
export function referenceBackwardInput(g: Tensor, w: Tensor, attrs: Conv2dBackwardInputAttrs): Tensor {
  const { stride, padding, dilation, groups, inputShape } = attrs;
  const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
  const perGroup = O / groups;
  const [Ho, Wo] = [g.shape[2]!, g.shape[3]!];
  return fromIndex(inputShape, 'float64', ([n, c, h, v]) => {
    const grp = Math.floor(c! / Cg);
    let s = 0;
    for (let o = grp * perGroup; o < (grp + 1) * perGroup; o++) {
      for (let ki = 0; ki < kh; ki++) {
        const ti = h! + padding[0] - ki * dilation[0];
        if (ti < 0 || ti % stride[0] !== 0 || ti / stride[0] >= Ho) continue;
        for (let kj = 0; kj < kw; kj++) {
          const tj = v! + padding[1] - kj * dilation[1];
          if (tj < 0 || tj % stride[1] !== 0 || tj / stride[1] >= Wo) continue;
          s += g.get(n!, o, ti / stride[0], tj / stride[1]) * w.get(o, c! - grp * Cg, ki, kj);
        }
      }
    }
    return s;
  });
}

/**
 * Gradient of conv2d wrt its input: the transposed convolution of `g` `[N, O, Ho, Wo]`
 * with `w` `[O, C/groups, kh, kw]`, giving `[N, C, H, W]` = `attrs.inputShape` (needed
 * because strides make H ambiguous from Ho). Bilinear in `(g, w)`:
 * `<gg, conv2dBackwardInput(g, w)> = <conv2d(gg, w), g>`, so its VJP wrt `g` is
 * `conv2d(gg, w)` and wrt `w` is `conv2dBackwardWeight(gg, g)`.
 */
export const conv2dBackwardInputOp = defineOp<Conv2dBackwardInputAttrs>({
  name: 'conv2dBackwardInput',
  infer: ([g, w], attrs) => {
    const op = 'conv2dBackwardInput';
    check4d(g!, 'g', '[N, O, Ho, Wo]', op);
    check4d(w!, 'weight', '[O, C/groups, kh, kw]', op);
    const expected = conv2dShape(attrs.inputShape, w!.shape, attrs, op);
    if (!shapesEqual(expected, g!.shape)) {
      throw new ShapeError(
        `${op}: g must have the conv2d output shape [${expected.join(', ')}] for input [${attrs.inputShape.join(', ')}] and weight [${w!.shape.join(', ')}], got [${g!.shape.join(', ')}]`,
      );
    }
    return { shape: attrs.inputShape, dtype: convDType(g!, w!) };
  },
  kernels: { cpu: conv2dBackwardInputCpu, wasm: conv2dBackwardInputWasm },
  vjp: (gg, { inputs: [g, w], attrs, needs }) => {
    const { stride, padding, dilation, groups } = attrs;
    const conv = { stride, padding, dilation, groups };
    return [
      needs[0] ? dispatch(conv2dOp, [gg, w!], conv) : null,
      needs[1] ? conv2dBackwardWeight(gg, g!, { ...conv, weightShape: w!.shape as [number, number, number, number] }) : null,
    ];
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbConv2dCase(fc).chain((c) =>
        fc
          .tuple(arbTensorOfShape(fc, c.yShape, { min: -1, max: 1 }), arbTensorOfShape(fc, c.wShape, { min: -1, max: 1 }))
          .map(([g, w]) => ({
            inputs: [asStridedView(g, c.modes[0]), asStridedView(w, c.modes[1])],
            attrs: { ...c.attrs, inputShape: c.xShape },
          })),
      ),
    reference: ([g, w], attrs) => referenceBackwardInput(g!, w!, attrs),
    // each input position gathers at most O/groups * kh * kw = 2*3*3 = 18 products of
    // values in [-1, 1], as in conv2d's forward: float32 accumulation errs by ~2e-5 at most.
    float32Tolerance: 1e-4,
  },
});

/**
 * Gradient of `conv2d(x, w)` wrt `x` for output gradient `g`: a transposed convolution.
 * `attrs` are conv2d's resolved attributes plus `inputShape` `[N, C, H, W]`. Useful on
 * its own as a "deconvolution" layer.
 * @example
 * ```ts
 * const attrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, inputShape: [1, 1, 3, 3] } as const;
 * conv2dBackwardInput(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), attrs).toArray();
 * // [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]
 * ```
 */
export function conv2dBackwardInput(g: Tensor, w: Tensor, attrs: Conv2dBackwardInputAttrs): Tensor {
  assertTensor(g, 'g', 'conv2dBackwardInput');
  assertTensor(w, 'weight', 'conv2dBackwardInput');
  if (typeof attrs !== 'object' || attrs === null || !Array.isArray(attrs.inputShape) || attrs.inputShape.length !== 4) {
    throw new ArgumentError(`conv2dBackwardInput: attrs.inputShape must be [N, C, H, W], got ${describe(attrs?.inputShape)}`);
  }
  checkShape(attrs.inputShape, 'conv2dBackwardInput attrs.inputShape');
  checkConvAttrs(attrs, 'conv2dBackwardInput');
  return dispatch(conv2dBackwardInputOp, [g, w], attrs);
}
