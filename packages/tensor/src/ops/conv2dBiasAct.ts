import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, ShapeError } from '../errors.js';
import {
  arbConv2dCase,
  check4d,
  conv2dBiasActCpu,
  conv2dShape,
  convDType,
  type Conv2dBiasActAttrs,
} from '../kernels/conv.js';
import { defineOp, dispatch } from '../op.js';
import { Tensor } from '../tensor.js';
import { asStridedView } from '../testing/arbitraries.js';
import { rand } from '../create.js';
import { rng } from '../random.js';
import { conv2dBackwardInput } from './conv2dBackwardInput.js';
import { conv2dBackwardWeight } from './conv2dBackwardWeight.js';
import { conv2d, referenceConv2d, resolveConv2dOptions, type Conv2dOptions } from './conv2d.js';
import { relu as reluOf } from './relu.js';
import { reluBackward } from './reluBackward.js';
import { reshape } from './reshape.js';
import { sumToShape } from './sum.js';
import { conv2dBiasActWasm } from '../wasm/kernels.js';

export type { Conv2dBiasActAttrs } from '../kernels/conv.js';

/** The reference: conv2d by its definition, plus the bias, then ReLU when asked. */
function referenceConv2dBiasAct(x: Tensor, w: Tensor, b: Tensor, attrs: Conv2dBiasActAttrs): Tensor {
  const y = referenceConv2d(x, w, attrs);
  const data = y.toTypedArray();
  const [N, O, Ho, Wo] = y.shape as [number, number, number, number];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]! + b.get(Math.floor(i / (Ho * Wo)) % O);
    data[i] = attrs.relu && !(v > 0) ? 0 : v;
  }
  return new Tensor(data, [N, O, Ho, Wo], 'float64');
}

/**
 * conv2d, bias and (optionally) ReLU as one op: `relu(conv2d(x, w) + b[o])`. The same values
 * as the three ops in sequence, bit for bit on cpu, but the wasm kernel adds the bias and
 * applies the ReLU to each image's output right after its GEMM, so the batch's activations
 * are written once instead of three times (they are the largest tensors of a small CNN).
 * VJP: the ReLU mask is taken from the output (as relu's), then conv2d's gradients and the
 * bias gradient (the masked gradient summed over N, H, W).
 */
export const conv2dBiasActOp = defineOp<Conv2dBiasActAttrs>({
  name: 'conv2dBiasAct',
  infer: ([x, w, b], attrs) => {
    check4d(x!, 'x', '[N, C, H, W]', 'conv2dBiasAct');
    check4d(w!, 'weight', '[O, C/groups, kh, kw]', 'conv2dBiasAct');
    const shape = conv2dShape(x!.shape, w!.shape, attrs, 'conv2dBiasAct');
    if (b!.rank !== 1 || b!.shape[0] !== shape[1]) {
      throw new ShapeError(`conv2dBiasAct: bias must have shape [${shape[1]}] (one value per output channel), got [${b!.shape.join(', ')}]`);
    }
    const dtype = convDType(x!, w!);
    if (b!.dtype !== dtype) throw new ArgumentError(`conv2dBiasAct: bias must have the output's dtype ${dtype}, got ${b!.dtype}`);
    return { shape, dtype };
  },
  kernels: { cpu: conv2dBiasActCpu, wasm: conv2dBiasActWasm },
  vjp: (g, { inputs: [x, w, b], output, attrs, needs }) => {
    const { stride, padding, dilation, groups } = attrs;
    const conv = { stride, padding, dilation, groups };
    const gy = attrs.relu ? reluBackward(g, output) : g;
    const O = b!.shape[0]!;
    return [
      needs[0] ? conv2dBackwardInput(gy, w!, { ...conv, inputShape: x!.shape as [number, number, number, number] }) : null,
      needs[1] ? conv2dBackwardWeight(x!, gy, { ...conv, weightShape: w!.shape as [number, number, number, number] }) : null,
      // as add's gradient for a [1, O, 1, 1] operand, then the reshape back to [O]
      needs[2] ? reshape(sumToShape(gy, [1, O, 1, 1]), [O]) : null,
    ];
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      // values from a seeded generator rather than fast-check's doubles, which favour 0 and
      // ±1: those put pre-activations on ReLU's kink, and gradcheck would skip most samples
      fc.tuple(arbConv2dCase(fc), fc.boolean(), fc.nat()).map(([c, relu, seed]) => {
        const g = rng(seed);
        const [x, w, b] = [c.xShape, c.wShape, [c.wShape[0]]].map((shape) => rand(shape, g, { low: -1, high: 1, dtype: 'float64' }));
        return { inputs: [asStridedView(x!, c.modes[0]), asStridedView(w!, c.modes[1]), b!], attrs: { ...c.attrs, relu } };
      }),
    reference: ([x, w, b], attrs) => referenceConv2dBiasAct(x!, w!, b!, attrs),
    // as conv2d's: sums of up to 18 products in [-1, 1], plus the bias
    float32Tolerance: 1e-4,
    // ReLU's kink: finite differences straddling 0 mislead
    gradcheckSkip: ({ inputs: [x, w, b], attrs }) =>
      attrs.relu && referenceConv2dBiasAct(x!, w!, b!, { ...attrs, relu: false }).toTypedArray().some((v) => Math.abs(v) < 1e-3),
  },
});

/**
 * Options of {@link conv2dBiasAct}: conv2d's, plus the activation.
 *
 * @example
 * ```ts
 * const options: Conv2dBiasActOptions = { padding: 'same', activation: 'relu' };
 * ```
 */
export interface Conv2dBiasActOptions extends Conv2dOptions {
  /** `'relu'` to apply ReLU to the result; `'none'` (default) for conv2d + bias alone. */
  activation?: 'none' | 'relu';
}

const BIAS_ACT_KEYS = optionKeys<Conv2dBiasActOptions>({ stride: true, padding: true, dilation: true, groups: true, activation: true });

/**
 * `relu(conv2d(x, weight) + bias)` (or without the ReLU) as one op: the same result as
 * `relu(conv2d(x, weight, bias, options))`, computed in one pass over the output (what the
 * nn `Conv2d` layer uses, fused with a following `ReLU`). Falls back to the separate ops
 * where the fused one does not apply (an unbatched input, asymmetric `'same'` padding, a
 * bias of another dtype).
 * @example
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * conv2dBiasAct(x, ones([1, 1, 3, 3]), tensor([-50]), { activation: 'relu' }).toArray();
 * // [[[[0, 4], [31, 40]]]]
 * ```
 */
export function conv2dBiasAct(x: Tensor, weight: Tensor, bias: Tensor, options: Conv2dBiasActOptions = {}): Tensor {
  assertTensor(x, 'x', 'conv2dBiasAct');
  assertTensor(weight, 'weight', 'conv2dBiasAct');
  assertTensor(bias, 'bias', 'conv2dBiasAct');
  checkOptionKeys(options, BIAS_ACT_KEYS, 'conv2dBiasAct');
  const { activation = 'none', ...convOptions } = options ?? {};
  if (activation !== 'none' && activation !== 'relu') {
    throw new ArgumentError(`conv2dBiasAct: activation must be 'none' or 'relu', got ${String(activation)}`);
  }
  const relu = activation === 'relu';
  if (x.rank === 4 && weight.rank === 4 && bias.dtype === convDType(x, weight) && bias.rank === 1) {
    const { attrs, trim } = resolveConv2dOptions(convOptions, [weight.shape[2]!, weight.shape[3]!], 'conv2dBiasAct');
    if (!trim[0] && !trim[1]) return dispatch(conv2dBiasActOp, [x, weight, bias], { ...attrs, relu });
  }
  return separate(x, weight, bias, convOptions, relu);
}

/** The unfused path: conv2d (with its bias add), then ReLU when asked. */
function separate(x: Tensor, weight: Tensor, bias: Tensor, options: Conv2dOptions, relu: boolean): Tensor {
  const y = conv2d(x, weight, bias, options);
  return relu ? reluOf(y) : y;
}
