import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import {
  arbConv2dCase,
  check4d,
  conv2dCpu,
  conv2dShape,
  convDType,
  resolvePair,
  type Conv2dAttrs,
  type Pair,
} from '../kernels/conv.js';
import { defineOp, dispatch } from '../op.js';
import type { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { add } from './add.js';
import { conv2dBackwardInput } from './conv2dBackwardInput.js';
import { conv2dBackwardWeight } from './conv2dBackwardWeight.js';
import { reshape } from './reshape.js';
import { slice } from './slice.js';
import { conv2dGpujs } from '../gpujs/conv2d.js';
import { conv2dWasm } from '../wasm/kernels.js';

export type { Conv2dAttrs } from '../kernels/conv.js';

/** Input value at a possibly padded position: zero outside the input. */
function padded(x: Tensor, n: number, c: number, h: number, w: number): number {
  return h < 0 || w < 0 || h >= x.shape[2]! || w >= x.shape[3]! ? 0 : x.get(n, c, h, w);
}

/**
 * conv2d by its definition: `y[n,o,i,j] = sum_{c in group(o), ki, kj} w[o,c,ki,kj] * xpad[n, c, i*sh-ph+ki*dh, j*sw-pw+kj*dw]`
 * (float64; the generic tests' reference, shared with the fused conv2dBiasAct's).
 * @example
 * ```ts
 * const attrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } as const;
 * referenceConv2d(ones([1, 1, 3, 3]), ones([1, 1, 2, 2]), attrs).toArray(); // [[[[4, 4], [4, 4]]]]
 * ```
 */
export function referenceConv2d(x: Tensor, w: Tensor, attrs: Conv2dAttrs): Tensor {
  const { stride, padding, dilation, groups } = attrs;
  const [, Cg, kh, kw] = w.shape as [number, number, number, number];
  const perGroup = w.shape[0]! / groups;
  return fromIndex(conv2dShape(x.shape, w.shape, attrs), 'float64', ([n, o, i, j]) => {
    const g = Math.floor(o! / perGroup);
    let s = 0;
    for (let c = 0; c < Cg; c++) {
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          const h = i! * stride[0] - padding[0] + ki * dilation[0];
          const v = j! * stride[1] - padding[1] + kj * dilation[1];
          s += w.get(o!, c, ki, kj) * padded(x, n!, g * Cg + c, h, v);
        }
      }
    }
    return s;
  });
}

/**
 * 2-D convolution (cross-correlation, as PyTorch), NCHW, without bias. Attributes are the
 * resolved {@link Conv2dAttrs}. VJP: the input gradient is {@link conv2dBackwardInput}
 * (a transposed convolution of `g` with the same weight), the weight gradient
 * {@link conv2dBackwardWeight} (a correlation of the input with `g`); both are ops with
 * their own VJPs, so second derivatives work.
 */
export const conv2dOp = defineOp<Conv2dAttrs>({
  name: 'conv2d',
  infer: ([x, w], attrs) => {
    check4d(x!, 'x', '[N, C, H, W]', 'conv2d');
    check4d(w!, 'weight', '[O, C/groups, kh, kw]', 'conv2d');
    return { shape: conv2dShape(x!.shape, w!.shape, attrs), dtype: convDType(x!, w!) };
  },
  kernels: { cpu: conv2dCpu, gpujs: conv2dGpujs, wasm: conv2dWasm },
  vjp: (g, { inputs: [x, w], attrs, needs }) => [
    needs[0] ? conv2dBackwardInput(g, w!, { ...attrs, inputShape: x!.shape as [number, number, number, number] }) : null,
    needs[1] ? conv2dBackwardWeight(x!, g, { ...attrs, weightShape: w!.shape as [number, number, number, number] }) : null,
  ],
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbConv2dCase(fc).chain((c) =>
        fc
          .tuple(arbTensorOfShape(fc, c.xShape, { min: -1, max: 1 }), arbTensorOfShape(fc, c.wShape, { min: -1, max: 1 }))
          .map(([x, w]) => ({ inputs: [asStridedView(x, c.modes[0]), asStridedView(w, c.modes[1])], attrs: c.attrs })),
      ),
    reference: ([x, w], attrs) => referenceConv2d(x!, w!, attrs),
    // sums of up to 2*3*3 = 18 products of values in [-1, 1]: a kernel accumulating in
    // float32 (the wasm one) errs by at most ~18 roundings of partial sums <= 18, ~2e-5.
    float32Tolerance: 1e-4,
  },
});

/**
 * Options of {@link conv2d}; each spatial argument is one number or `[h, w]`.
 *
 * @example
 * ```ts
 * const options: Conv2dOptions = { stride: 1, padding: 'same' };
 * conv2d(zeros([1, 1, 28, 28]), zeros([8, 1, 3, 3]), null, options).shape; // [1, 8, 28, 28]
 * ```
 */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: number | readonly [number, number];
  /**
   * Zeros added on both sides (default 0); `'valid'` is 0, `'same'` keeps the input's
   * size (stride 1 only, as PyTorch; an odd total padding puts the extra zero at the
   * bottom/right, as PyTorch does).
   */
  padding?: number | readonly [number, number] | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly [number, number];
  /** Number of channel groups (default 1); C and O must be divisible by it. */
  groups?: number;
}

const CONV2D_KEYS = optionKeys<Conv2dOptions>({ stride: true, padding: true, dilation: true, groups: true });

/**
 * Resolves conv2d's options to attributes, plus how many leading rows/columns to drop for asymmetric 'same' padding.
 *
 * @example
 * ```ts
 * resolveConv2dOptions({ padding: 1 }, [3, 3]).attrs;
 * // { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }
 * ```
 */
export function resolveConv2dOptions(
  options: Conv2dOptions | undefined,
  kernel: Pair,
  opName = 'conv2d',
): { attrs: Conv2dAttrs; trim: Pair } {
  checkOptionKeys(options, CONV2D_KEYS, opName);
  const stride = resolvePair(options?.stride ?? 1, 'stride', opName, 1);
  const dilation = resolvePair(options?.dilation ?? 1, 'dilation', opName, 1);
  const groups = options?.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new ArgumentError(`${opName}: groups must be an integer >= 1, got ${describe(groups)}`);
  }
  const p = options?.padding ?? 0;
  if (p === 'valid') return { attrs: { stride, padding: [0, 0], dilation, groups }, trim: [0, 0] };
  if (p === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ArgumentError(`${opName}: padding 'same' needs stride 1 (as PyTorch), got stride [${stride.join(', ')}]`);
    }
    // total padding d*(k-1); when odd, pad the larger half on both sides and drop the first row/column
    const total = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)] as const;
    const padding: Pair = [Math.ceil(total[0] / 2), Math.ceil(total[1] / 2)];
    return { attrs: { stride, padding, dilation, groups }, trim: [total[0] % 2, total[1] % 2] };
  }
  if (typeof p === 'string') {
    throw new ArgumentError(`${opName}: padding must be a number, [h, w], 'valid' or 'same', got ${describe(p)}`);
  }
  return { attrs: { stride, padding: resolvePair(p, 'padding', opName, 0), dilation, groups }, trim: [0, 0] };
}

/**
 * 2-D convolution over NCHW input, as PyTorch's `torch.nn.functional.conv2d`:
 * `x` `[N, C, H, W]` (or unbatched `[C, H, W]`), `weight` `[O, C/groups, kh, kw]`,
 * optional `bias` `[O]`; the output is `[N, O, Ho, Wo]` with
 * `Ho = floor((H + 2*ph - dh*(kh-1) - 1) / sh) + 1` (likewise `Wo`).
 * @example
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * const w = ones([1, 1, 3, 3]);
 * conv2d(x, w).toArray();                        // [[[[45, 54], [81, 90]]]]
 * conv2d(x, w, tensor([1]), { padding: 'same' }).shape; // [1, 1, 4, 4]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor {
  assertTensor(x, 'x', 'conv2d');
  assertTensor(weight, 'weight', 'conv2d');
  if (x.rank === 3) {
    const y = conv2d(reshape(x, [1, ...x.shape]), weight, bias, options);
    return reshape(y, y.shape.slice(1));
  }
  check4d(x, 'x', '[N, C, H, W] (or [C, H, W])', 'conv2d');
  check4d(weight, 'weight', '[O, C/groups, kh, kw]', 'conv2d');
  const { attrs, trim } = resolveConv2dOptions(options, [weight.shape[2]!, weight.shape[3]!]);
  let y = dispatch(conv2dOp, [x, weight], attrs);
  if (trim[0] || trim[1]) y = slice(y, [null, null, [trim[0]], [trim[1]]]);
  if (bias !== undefined && bias !== null) {
    assertTensor(bias, 'bias', 'conv2d');
    const O = weight.shape[0]!;
    if (bias.rank !== 1 || bias.shape[0] !== O) {
      throw new ShapeError(`conv2d: bias must have shape [${O}] (one value per output channel), got [${bias.shape.join(', ')}]`);
    }
    y = add(y, reshape(bias, [1, O, 1, 1]));
  }
  return y;
}
