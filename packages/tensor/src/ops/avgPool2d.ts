import type * as FastCheck from '../sampling.js';
import { assertTensor, optionKeys } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import {
  arbPool2dCase,
  avgPool2dCpu,
  pool2dShape,
  resolvePoolOptions,
  type AvgPool2dAttrs,
  type PoolOptionsBase,
} from '../kernels/pool.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import type { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { avgPool2dBackward } from './avgPool2dBackward.js';
import { reshape } from './reshape.js';

export type { AvgPool2dAttrs } from '../kernels/pool.js';

/** Random average-pooling problems (no dilation: PyTorch's avg_pool2d has none). */
export function avgPoolCase(fc: typeof FastCheck) {
  return fc.tuple(arbPool2dCase(fc, { dilation: false }), fc.boolean()).map(([c, countIncludePad]) => ({
    ...c,
    attrs: { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, ceilMode: c.ceilMode, countIncludePad } as AvgPool2dAttrs,
  }));
}

/**
 * The divisor of output window `(i, j)` by PyTorch's definition: the window is clipped to
 * the padded input `[-p, size + p)`; with `countIncludePad` its area there, else the
 * number of real input elements it covers.
 */
export function referenceAvgWindow(attrs: AvgPool2dAttrs, H: number, W: number, i: number, j: number) {
  const rows: number[] = [];
  const cols: number[] = [];
  let padRows = 0;
  let padCols = 0;
  for (let ki = 0; ki < attrs.kernelSize[0]; ki++) {
    const h = i * attrs.stride[0] - attrs.padding[0] + ki;
    if (h < H + attrs.padding[0]) padRows++;
    if (h >= 0 && h < H) rows.push(h);
  }
  for (let kj = 0; kj < attrs.kernelSize[1]; kj++) {
    const w = j * attrs.stride[1] - attrs.padding[1] + kj;
    if (w < W + attrs.padding[1]) padCols++;
    if (w >= 0 && w < W) cols.push(w);
  }
  return { rows, cols, divisor: attrs.countIncludePad ? padRows * padCols : rows.length * cols.length };
}

/**
 * Average pooling over NCHW input, PyTorch semantics (`ceilMode`, `countIncludePad`).
 * Linear: the VJP is {@link avgPool2dBackward}, whose own VJP is avgPool2d again.
 */
export const avgPool2dOp = defineOp<AvgPool2dAttrs>({
  name: 'avgPool2d',
  infer: ([x], attrs) => ({ shape: pool2dShape(x!.shape, x!.dtype, attrs, 'avgPool2d'), dtype: x!.dtype }),
  kernels: { cpu: avgPool2dCpu },
  vjp: (g, { inputs: [x], attrs }) => [avgPool2dBackward(g, { ...attrs, inputShape: x!.shape as [number, number, number, number] })],
  spec: {
    sample: (fc: typeof FastCheck): FastCheck.Arbitrary<OpSample<AvgPool2dAttrs>> =>
      avgPoolCase(fc).chain((c) =>
        arbTensorOfShape(fc, c.xShape).map((x) => ({ inputs: [asStridedView(x, c.mode)], attrs: c.attrs })),
      ),
    reference: ([x], attrs) =>
      fromIndex(pool2dShape(x!.shape, x!.dtype, attrs, 'avgPool2d'), 'float64', ([n, c, i, j]) => {
        const { rows, cols, divisor } = referenceAvgWindow(attrs, x!.shape[2]!, x!.shape[3]!, i!, j!);
        let s = 0;
        for (const h of rows) for (const w of cols) s += x!.get(n!, c!, h, w);
        return s / divisor;
      }),
  },
});

/**
 * Options of {@link avgPool2d}.
 *
 * @example
 * ```ts
 * const options: AvgPool2dOptions = { kernelSize: 2, stride: 2, countIncludePad: false };
 * avgPool2d(zeros([1, 1, 4, 4]), options).shape; // [1, 1, 2, 2]
 * ```
 */
export interface AvgPool2dOptions extends PoolOptionsBase {
  /** Divide by the full window size including padded zeros (default true, as PyTorch). */
  countIncludePad?: boolean;
}

const AVG_POOL_KEYS = optionKeys<AvgPool2dOptions>({ kernelSize: true, stride: true, padding: true, ceilMode: true, countIncludePad: true });

/** Resolves avgPool2d's options against `x`. */
export function resolveAvgPool2dOptions(x: Tensor, options: AvgPool2dOptions, opName = 'avgPool2d'): AvgPool2dAttrs {
  const { kernelSize, stride, padding, ceilMode } = resolvePoolOptions(options, opName, false, AVG_POOL_KEYS);
  const countIncludePad = options.countIncludePad ?? true;
  if (typeof countIncludePad !== 'boolean') {
    throw new ArgumentError(`${opName}: countIncludePad must be a boolean, got ${describe(countIncludePad)}`);
  }
  const attrs = { kernelSize, stride, padding, ceilMode, countIncludePad };
  pool2dShape(x.shape, x.dtype, attrs, opName);
  return attrs;
}

/**
 * 2-D average pooling, as PyTorch's `torch.nn.functional.avg_pool2d`: `x` `[N, C, H, W]`
 * (or `[C, H, W]`), `stride` defaults to `kernelSize`, zero padding (at most half the
 * kernel). With `countIncludePad` (default) the divisor counts padded zeros but not the
 * part of a ceil-mode window beyond the padding.
 * @example
 * ```ts
 * avgPool2d(tensor([[[[1, 2], [3, 4]]]]), { kernelSize: 2 }).toArray(); // [[[[2.5]]]]
 * ```
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  assertTensor(x, 'x', 'avgPool2d');
  if (x.rank === 3) {
    const y = avgPool2d(reshape(x, [1, ...x.shape]), options);
    return reshape(y, y.shape.slice(1));
  }
  return dispatch(avgPool2dOp, [x], resolveAvgPool2dOptions(x, options));
}
