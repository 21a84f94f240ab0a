import type * as FastCheck from '../sampling.js';
import { assertTensor, optionKeys } from '../args.js';
import {
  arbPool2dCase,
  maxPool2dValuesAndIndices,
  pool2dShape,
  resolvePoolOptions,
  type MaxPool2dAttrs,
  type Pool2dCase,
  type PoolOptionsBase,
} from '../kernels/pool.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { forEachIndex, fromIndex } from '../testing/reference.js';
import { maxPool2dBackward } from './maxPool2dBackward.js';
import { reshape } from './reshape.js';
import { maxPool2dWasm } from '../wasm/pool.js';

export type { MaxPool2dAttrs } from '../kernels/pool.js';

/**
 * Indices of the values each window sees, in row-major window order (padding and
 * out-of-range taps left out). Written from the definition for the references.
 */
function windowTaps(x: Tensor, attrs: MaxPool2dAttrs, i: number, j: number): [number, number][] {
  const taps: [number, number][] = [];
  for (let ki = 0; ki < attrs.kernelSize[0]; ki++) {
    for (let kj = 0; kj < attrs.kernelSize[1]; kj++) {
      const h = i * attrs.stride[0] - attrs.padding[0] + ki * attrs.dilation[0];
      const w = j * attrs.stride[1] - attrs.padding[1] + kj * attrs.dilation[1];
      if (h >= 0 && h < x.shape[2]! && w >= 0 && w < x.shape[3]!) taps.push([h, w]);
    }
  }
  return taps;
}

/** Reference max pooling: per window the largest value and the flat index of its first occurrence. */
function referenceMaxPool(x: Tensor, attrs: MaxPool2dAttrs, which: 'values' | 'indices'): Tensor {
  const shape = pool2dShape(x.shape, x.dtype, attrs, 'maxPool2d');
  return fromIndex(shape, which === 'values' ? 'float64' : 'int32', ([n, c, i, j]) => {
    let best = -Infinity;
    let at = -1;
    for (const [h, w] of windowTaps(x, attrs, i!, j!)) {
      const v = x.get(n!, c!, h, w);
      if (at < 0 || v > best) {
        best = v;
        at = h * x.shape[3]! + w;
      }
    }
    return which === 'values' ? best : at;
  });
}

/** Pooling samples whose values are random doubles or, half the time, small integers (so windows tie). */
export function maxPoolSample(fc: typeof FastCheck): FastCheck.Arbitrary<OpSample<MaxPool2dAttrs>> {
  return fc.tuple(arbPool2dCase(fc), fc.boolean()).chain(([c, ties]: [Pool2dCase, boolean]) =>
    arbTensorOfShape(fc, c.xShape).map((x) => {
      const data = ties ? x.toTypedArray().map((v) => Math.round(v / 2)) : x.toTypedArray();
      const attrs: MaxPool2dAttrs = { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, dilation: c.dilation, ceilMode: c.ceilMode };
      return { inputs: [asStridedView(new Tensor(data, c.xShape, 'float64'), c.mode)], attrs };
    }),
  );
}

/**
 * True when some window's maximum is not clear of its runner-up by `margin` (or the window
 * is empty): there the max is not differentiable and finite differences mislead.
 */
export function hasNearTies(x: Tensor, attrs: MaxPool2dAttrs, margin = 1e-3): boolean {
  const shape = pool2dShape(x.shape, x.dtype, attrs, 'maxPool2d');
  let found = false;
  forEachIndex(shape, ([n, c, i, j]) => {
    const vals = windowTaps(x, attrs, i!, j!)
      .map(([h, w]) => x.get(n!, c!, h, w))
      .sort((a, b) => b - a);
    if (vals.length === 0 || (vals.length > 1 && vals[0]! - vals[1]! < margin)) found = true;
  });
  return found;
}

// Indices computed by the cpu kernel alongside the values, keyed by the output tensor, so
// the VJP does not pool twice. A miss (another backend's kernel) recomputes them.
const indicesOf = new WeakMap<Tensor, Tensor>();

/**
 * Max pooling over NCHW input, PyTorch semantics (padding counts as -inf, `ceilMode`,
 * dilation). Gradient convention: each window sends its gradient to the FIRST maximum in
 * row-major window order (PyTorch's choice); tied elements after it get nothing, and
 * overlapping windows add. The VJP is {@link maxPool2dBackward} (a scatter-add at the
 * argmax indices of {@link maxPool2dIndicesOp}); its own VJP is a gather at the same
 * indices, so second derivatives work.
 */
export const maxPool2dOp = defineOp<MaxPool2dAttrs>({
  name: 'maxPool2d',
  infer: ([x], attrs) => ({ shape: pool2dShape(x!.shape, x!.dtype, attrs, 'maxPool2d'), dtype: x!.dtype }),
  kernels: {
    cpu: ([x], attrs, out) => {
      const { values, indices } = maxPool2dValuesAndIndices(x!, attrs, out);
      indicesOf.set(values, indices);
      return values;
    },
    wasm: ([x], attrs, out) => {
      const r = maxPool2dWasm(x!, attrs, out);
      if (r) indicesOf.set(r.values, r.indices);
      return r?.values;
    },
  },
  vjp: (g, { inputs: [x], output, attrs }) => {
    const indices = indicesOf.get(output) ?? dispatch(maxPool2dIndicesOp, [x!], attrs);
    return [maxPool2dBackward(g, indices, { inputShape: x!.shape as [number, number, number, number] })];
  },
  spec: {
    sample: maxPoolSample,
    reference: ([x], attrs) => referenceMaxPool(x!, attrs, 'values'),
    gradcheckSkip: ({ inputs: [x], attrs }) => hasNearTies(x!, attrs),
  },
});

/**
 * The argmax of every max-pooling window: int32, the output's shape, holding the flat
 * index `h * W + w` within the `(n, c)` input plane of the first maximum in row-major
 * window order (-1 for a window that covers no input element, possible only with
 * dilation). Same attributes as {@link maxPool2dOp}.
 */
export const maxPool2dIndicesOp = defineOp<MaxPool2dAttrs>({
  name: 'maxPool2dIndices',
  infer: ([x], attrs) => ({ shape: pool2dShape(x!.shape, x!.dtype, attrs, 'maxPool2dIndices'), dtype: 'int32' }),
  kernels: {
    cpu: ([x], attrs, out) => maxPool2dValuesAndIndices(x!, attrs, { shape: out.shape, dtype: x!.dtype }).indices,
    wasm: ([x], attrs, out) => maxPool2dWasm(x!, attrs, { shape: out.shape, dtype: x!.dtype })?.indices,
  },
  differentiable: false,
  why: 'integer positions: piecewise constant in the input',
  spec: {
    sample: maxPoolSample,
    reference: ([x], attrs) => referenceMaxPool(x!, attrs, 'indices'),
  },
});

/**
 * Options of {@link maxPool2d}.
 *
 * @example
 * ```ts
 * const options: MaxPool2dOptions = { kernelSize: 2, stride: 2, dilation: 1 };
 * maxPool2d(zeros([1, 16, 24, 24]), options).shape; // [1, 16, 12, 12]
 * ```
 */
export interface MaxPool2dOptions extends PoolOptionsBase {
  /** Spacing between window taps (default 1). */
  dilation?: number | readonly [number, number];
}

const MAX_POOL_KEYS = optionKeys<MaxPool2dOptions>({ kernelSize: true, stride: true, padding: true, dilation: true, ceilMode: true });

function resolveMax(x: Tensor, options: MaxPool2dOptions, opName: string): MaxPool2dAttrs {
  const { kernelSize, stride, padding, dilation, ceilMode } = resolvePoolOptions(options, opName, true, MAX_POOL_KEYS);
  const attrs = { kernelSize, stride, padding, dilation, ceilMode };
  pool2dShape(x.shape, x.dtype, attrs, opName);
  return attrs;
}

/**
 * 2-D max pooling, as PyTorch's `torch.nn.functional.max_pool2d`: `x` `[N, C, H, W]` (or
 * `[C, H, W]`), `stride` defaults to `kernelSize`, padding (at most half the kernel) is
 * -inf. Output size per dimension `floor((H + 2p - d(k-1) - 1) / s) + 1` (ceil with
 * `ceilMode`, as long as the last window starts inside the input or left padding).
 * The gradient goes to the first maximum of each window (row-major), as PyTorch.
 * @example
 * ```ts
 * const x = tensor([[[[1, 2], [3, 4]]]]);
 * maxPool2d(x, { kernelSize: 2 }).toArray(); // [[[[4]]]]
 * ```
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  assertTensor(x, 'x', 'maxPool2d');
  if (x.rank === 3) {
    const y = maxPool2d(reshape(x, [1, ...x.shape]), options);
    return reshape(y, y.shape.slice(1));
  }
  return dispatch(maxPool2dOp, [x], resolveMax(x, options, 'maxPool2d'));
}

/**
 * The argmax positions of {@link maxPool2d}'s windows (PyTorch's `return_indices`): an
 * int32 tensor of the output's shape holding flat indices `h * W + w` into each `(n, c)`
 * input plane, the first maximum in row-major window order.
 * @example
 * ```ts
 * maxPool2dIndices(tensor([[[[5, 5], [1, 2]]]]), { kernelSize: 2 }).toArray(); // [[[[0]]]]
 * ```
 */
export function maxPool2dIndices(x: Tensor, options: MaxPool2dOptions): Tensor {
  assertTensor(x, 'x', 'maxPool2dIndices');
  if (x.rank === 3) {
    const y = maxPool2dIndices(reshape(x, [1, ...x.shape]), options);
    return reshape(y, y.shape.slice(1));
  }
  return dispatch(maxPool2dIndicesOp, [x], resolveMax(x, options, 'maxPool2dIndices'));
}
