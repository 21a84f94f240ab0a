import type * as FastCheck from '../sampling.js';
import { DTypeError, ShapeError } from '../errors.js';
import {
  arbConv2dCase,
  check4d,
  conv2dBackwardInputCpu,
  conv2dShape,
  convDType,
  type Conv2dBackwardInputAttrs,
} from '../kernels/conv.js';
import { maxPool2dScatter } from '../kernels/pool.js';
import { defineOp, dispatch } from '../op.js';
import { shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { conv2dOp } from './conv2d.js';
import { referenceBackwardInput } from './conv2dBackwardInput.js';
import { conv2dBackwardWeight } from './conv2dBackwardWeight.js';
import { maxPool2dBackward, maxPool2dGatherOp } from './maxPool2dBackward.js';
import { conv2dMaxPoolBackwardInputWasm } from '../wasm/kernels.js';

/** Max pooling's scatter by its definition: each pooled value added at its argmax (float64). */
function referenceScatter(g: Tensor, indices: Tensor, shape: readonly [number, number, number, number]): Tensor {
  const [N, C, H, W] = shape;
  const out = new Float64Array(N * C * H * W);
  const per = g.shape[2]! * g.shape[3]!;
  const gv = g.toTypedArray();
  const iv = indices.toTypedArray();
  for (let t = 0; t < gv.length; t++) {
    if (iv[t]! >= 0) out[Math.floor(t / per) * H * W + iv[t]!]! += gv[t]!;
  }
  return new Tensor(out, shape, 'float64');
}

/**
 * The input gradient of conv2d then max pooling, from the pooled gradient: `g` (pooled,
 * `[N, O, Ho', Wo']`) scattered to its argmax `indices` in the conv output `[N, O, Ho, Wo]`,
 * then conv2d's transposed convolution with `w`, giving `attrs.inputShape`. The same values
 * as maxPool2dBackward then conv2dBackwardInput, bit for bit on cpu; the wasm kernel keeps
 * the scattered full-size gradient in wasm memory. What conv2dReluMaxPool's VJP runs when
 * only the input's gradient is wanted (attribution). Linear in `g`, linear in `w`.
 */
export const conv2dMaxPoolBackwardInputOp = defineOp<Conv2dBackwardInputAttrs>({
  name: 'conv2dMaxPoolBackwardInput',
  infer: ([g, indices, w], attrs) => {
    const op = 'conv2dMaxPoolBackwardInput';
    check4d(g!, 'g', '[N, O, Ho, Wo]', op);
    check4d(w!, 'weight', '[O, C/groups, kh, kw]', op);
    if (indices!.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices!.dtype}`);
    if (!shapesEqual(indices!.shape, g!.shape)) {
      throw new ShapeError(`${op}: g [${g!.shape.join(', ')}] and indices [${indices!.shape.join(', ')}] must have the same shape`);
    }
    const convShape = conv2dShape(attrs.inputShape, w!.shape, attrs, op);
    if (g!.shape[0] !== convShape[0] || g!.shape[1] !== convShape[1]) {
      throw new ShapeError(`${op}: g [${g!.shape.join(', ')}] must have the conv output's N and C [${convShape.join(', ')}]`);
    }
    return { shape: attrs.inputShape, dtype: convDType(g!, w!) };
  },
  kernels: {
    cpu: ([g, indices, w], attrs, out) => {
      const convShape = conv2dShape(attrs.inputShape, w!.shape, attrs);
      const gy = maxPool2dScatter(g!, indices!, convShape, out.dtype);
      return conv2dBackwardInputCpu([gy, w!], attrs, out);
    },
    wasm: conv2dMaxPoolBackwardInputWasm,
  },
  vjp: (gg, { inputs: [g, indices, w], attrs, needs }) => {
    const { stride, padding, dilation, groups } = attrs;
    const conv = { stride, padding, dilation, groups };
    const convShape = conv2dShape(attrs.inputShape, w!.shape, conv);
    return [
      needs[0] ? dispatch(maxPool2dGatherOp, [dispatch(conv2dOp, [gg, w!], conv), indices!], {}) : null,
      null,
      needs[2]
        ? conv2dBackwardWeight(gg, maxPool2dBackward(g!, indices!, { inputShape: convShape }), { ...conv, weightShape: w!.shape as [number, number, number, number] })
        : null,
    ];
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbConv2dCase(fc).chain((c) => {
        const [N, O, Ho, Wo] = c.yShape;
        return fc
          .record({ ho: fc.integer({ min: 1, max: 3 }), wo: fc.integer({ min: 1, max: 3 }) })
          .chain(({ ho, wo }) =>
            fc
              .tuple(
                arbTensorOfShape(fc, [N, O, ho, wo], { min: -1, max: 1 }),
                // -1 marks an empty window (skipped)
                fc.array(fc.integer({ min: -1, max: Ho * Wo - 1 }), { minLength: N * O * ho * wo, maxLength: N * O * ho * wo }),
                arbTensorOfShape(fc, c.wShape, { min: -1, max: 1 }),
              )
              .map(([g, idx, w]) => ({
                inputs: [asStridedView(g, c.modes[0]), new Tensor(Int32Array.from(idx), [N, O, ho, wo], 'int32'), asStridedView(w, c.modes[1])],
                attrs: { ...c.attrs, inputShape: c.xShape },
              })),
          );
      }),
    reference: ([g, indices, w], attrs) => {
      const convShape = conv2dShape(attrs.inputShape, w!.shape, attrs);
      return referenceBackwardInput(referenceScatter(g!, indices!, convShape), w!, attrs);
    },
    // as conv2dBackwardInput's, with up to 9 pooled values added at one position first
    float32Tolerance: 1e-4,
  },
});
