import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import { isFloat } from '../dtype.js';
import { maxPool2dGatherValues, maxPool2dScatter } from '../kernels/pool.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS } from '../opkit.js';
import { checkShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { maxPool2dScatterWasm } from '../wasm/pool.js';

/**
 * Attributes of maxPool2dBackward: the pooled input's shape `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * const attrs: MaxPool2dBackwardAttrs = { inputShape: [1, 16, 24, 24] };
 * ```
 */
export interface MaxPool2dBackwardAttrs {
  inputShape: readonly [number, number, number, number];
}

const MAX_POOL_BACKWARD_KEYS = optionKeys<MaxPool2dBackwardAttrs>({ inputShape: true });

/** Checks `g` (float, 4-D) against `indices` (int32, same shape) and the input plane count. */
function checkPair(g: Tensor, indices: Tensor, input: Shape, opName: string, gName: string): void {
  if (g.rank !== 4) throw new ShapeError(`${opName}: ${gName} must be 4-D [N, C, Ho, Wo], got shape [${g.shape.join(', ')}]`);
  if (!isFloat(g.dtype)) throw new DTypeError(`${opName}: ${gName} must be float32 or float64, got ${g.dtype}`);
  if (indices.dtype !== 'int32') throw new DTypeError(`${opName}: indices must be int32, got ${indices.dtype}`);
  if (indices.rank !== 4 || input.length !== 4 || indices.shape[0] !== input[0] || indices.shape[1] !== input[1]) {
    throw new ShapeError(
      `${opName}: indices [${indices.shape.join(', ')}] must be 4-D with the same N and C as the input [${input.join(', ')}]`,
    );
  }
}

/** Random pooled gradients with valid argmax indices (any position of the plane, repeats allowed). */
function arbScatterCase(fc: typeof FastCheck) {
  const d = (min: number, max: number) => fc.integer({ min, max });
  return fc
    .record({ n: d(0, 2), c: d(1, 2), h: d(1, 4), w: d(1, 4), ho: d(1, 3), wo: d(1, 3), mode: fc.nat(2) })
    .chain(({ n, c, h, w, ho, wo, mode }) => {
      const outShape = [n, c, ho, wo];
      const count = n * c * ho * wo;
      return fc
        .tuple(
          arbTensorOfShape(fc, outShape),
          // -1 marks an empty window (skipped)
          fc.array(fc.integer({ min: -1, max: h * w - 1 }), { minLength: count, maxLength: count }),
        )
        .map(([g, idx]) => ({
          g: asStridedView(g, mode),
          indices: new Tensor(Int32Array.from(idx), outShape, 'int32'),
          inputShape: [n, c, h, w] as [number, number, number, number],
        }));
    });
}

/**
 * Scatter-add of max pooling's gradient: `gx[n, c, h, w]` is the sum of `g[n, c, i, j]`
 * over the windows whose recorded argmax `indices[n, c, i, j]` is `h * W + w`. Linear in
 * `g`; its VJP is the gather {@link maxPool2dGatherOp} at the same indices.
 */
export const maxPool2dBackwardOp = defineOp<MaxPool2dBackwardAttrs>({
  name: 'maxPool2dBackward',
  infer: ([g, indices], { inputShape }) => {
    checkPair(g!, indices!, inputShape, 'maxPool2dBackward', 'g');
    if (g!.shape.some((s, i) => s !== indices!.shape[i])) {
      throw new ShapeError(`maxPool2dBackward: g [${g!.shape.join(', ')}] and indices [${indices!.shape.join(', ')}] must have the same shape`);
    }
    return { shape: inputShape, dtype: g!.dtype };
  },
  kernels: {
    cpu: ([g, indices], { inputShape }, out) => maxPool2dScatter(g!, indices!, inputShape, out.dtype),
    wasm: ([g, indices], { inputShape }, out) => maxPool2dScatterWasm(g!, indices!, inputShape, out.dtype),
  },
  vjp: (gg, { inputs: [, indices], needs }) => [needs[0] ? dispatch(maxPool2dGatherOp, [gg, indices!], NO_ATTRS) : null, null],
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbScatterCase(fc).map(({ g, indices, inputShape }) => ({ inputs: [g, indices], attrs: { inputShape } })),
    reference: ([g, indices], { inputShape }) => {
      const W = inputShape[3];
      const out = fromIndex(inputShape, 'float64', () => 0);
      const data = out.data;
      forEachIndex(g!.shape, ([n, c, i, j]) => {
        const at = indices!.get(n!, c!, i!, j!);
        if (at < 0) return;
        const h = Math.floor(at / W);
        data[((n! * inputShape[1] + c!) * inputShape[2] + h) * W + (at % W)]! += g!.get(n!, c!, i!, j!);
      });
      return out;
    },
  },
});

/**
 * Gather at max pooling's argmax indices: `out[n, c, i, j] = src[n, c, h, w]` where
 * `indices[n, c, i, j] = h * W + w` (0 where the index is -1). The adjoint of
 * {@link maxPool2dBackwardOp}, and so its VJP; its own VJP is that scatter again.
 */
export const maxPool2dGatherOp = defineOp<Record<string, never>>({
  name: 'maxPool2dGather',
  infer: ([src, indices]) => {
    checkPair(src!, indices!, src!.shape, 'maxPool2dGather', 'src');
    return { shape: indices!.shape, dtype: src!.dtype };
  },
  kernels: { cpu: ([src, indices], _attrs, out) => maxPool2dGatherValues(src!, indices!, out.dtype) },
  vjp: (g, { inputs: [src, indices], needs }) => [
    needs[0] ? maxPool2dBackward(g, indices!, { inputShape: src!.shape as [number, number, number, number] }) : null,
    null,
  ],
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbScatterCase(fc).chain(({ indices, inputShape }) =>
        fc
          .tuple(arbTensorOfShape(fc, inputShape), fc.nat(2))
          .map(([src, mode]) => ({ inputs: [asStridedView(src, mode), indices], attrs: NO_ATTRS })),
      ),
    reference: ([src, indices]) =>
      fromIndex(indices!.shape, 'float64', ([n, c, i, j]) => {
        const at = indices!.get(n!, c!, i!, j!);
        const W = src!.shape[3]!;
        return at < 0 ? 0 : src!.get(n!, c!, Math.floor(at / W), at % W);
      }),
  },
});

/**
 * Gradient of {@link maxPool2d} wrt its input: scatters `g` (the pooled output's shape)
 * into zeros of `inputShape` at the argmax `indices` (from `maxPool2dIndices`), adding
 * where windows overlap. Differentiable wrt `g` (its VJP gathers at the same indices).
 * @example
 * ```ts
 * const x = tensor([[[[1, 3], [3, 0]]]]);                        // tie: 3 at (0,1) and (1,0)
 * const idx = maxPool2dIndices(x, { kernelSize: 2 });            // [[[[1]]]]: the first 3
 * maxPool2dBackward(ones([1, 1, 1, 1]), idx, { inputShape: [1, 1, 2, 2] }).toArray();
 * // [[[[0, 1], [0, 0]]]]
 * ```
 */
export function maxPool2dBackward(g: Tensor, indices: Tensor, attrs: MaxPool2dBackwardAttrs): Tensor {
  assertTensor(g, 'g', 'maxPool2dBackward');
  assertTensor(indices, 'indices', 'maxPool2dBackward');
  if (typeof attrs !== 'object' || attrs === null || !Array.isArray(attrs.inputShape) || attrs.inputShape.length !== 4) {
    throw new ArgumentError(`maxPool2dBackward: attrs.inputShape must be [N, C, H, W], got ${describe(attrs?.inputShape)}`);
  }
  checkOptionKeys(attrs, MAX_POOL_BACKWARD_KEYS, 'maxPool2dBackward');
  checkShape(attrs.inputShape, 'maxPool2dBackward attrs.inputShape');
  return dispatch(maxPool2dBackwardOp, [g, indices], { inputShape: attrs.inputShape });
}
