import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, ShapeError } from '../errors.js';
import {
  arbConv2dCase,
  check4d,
  conv2dBiasActCpu,
  conv2dShape,
  convDType,
  type Conv2dReluMaxPoolAttrs,
} from '../kernels/conv.js';
import { maxPool2dValuesAndIndices, pool2dShape, resolvePoolOptions, type MaxPool2dAttrs } from '../kernels/pool.js';
import { defineOp, dispatch } from '../op.js';
import { Tensor } from '../tensor.js';
import { asStridedView } from '../testing/arbitraries.js';
import { rand } from '../create.js';
import { rng } from '../random.js';
import { conv2dBackwardInput } from './conv2dBackwardInput.js';
import { conv2dBackwardWeight } from './conv2dBackwardWeight.js';
import { conv2dBiasAct, conv2dBiasActOp } from './conv2dBiasAct.js';
import { referenceConv2d, resolveConv2dOptions, type Conv2dOptions } from './conv2d.js';
import { hasNearTies, maxPool2dIndicesOp, maxPool2d, type MaxPool2dOptions } from './maxPool2d.js';
import { maxPool2dBackward } from './maxPool2dBackward.js';
import { conv2dMaxPoolBackwardInputOp } from './conv2dMaxPoolBackwardInput.js';
import { reluBackward } from './reluBackward.js';
import { reshape } from './reshape.js';
import { sumToShape } from './sum.js';
import { conv2dReluMaxPoolWasm } from '../wasm/kernels.js';

export type { Conv2dReluMaxPoolAttrs } from '../kernels/conv.js';

const POOL_KEYS = optionKeys<MaxPool2dOptions>({ kernelSize: true, stride: true, padding: true, dilation: true, ceilMode: true });

/** The conv's attributes alone (what conv2dBiasAct and the conv gradients take). */
function convAttrs(attrs: Conv2dReluMaxPoolAttrs): { stride: readonly [number, number]; padding: readonly [number, number]; dilation: readonly [number, number]; groups: number } {
  const { stride, padding, dilation, groups } = attrs;
  return { stride, padding, dilation, groups };
}

// Argmax indices computed by a kernel alongside the pooled values, keyed by the output
// tensor, so the VJP does not run the conv again. A miss recomputes them.
const indicesOf = new WeakMap<Tensor, Tensor>();

/** The pre-activation `conv2d(x, w) + b` by definition (float64), for the reference and the gradcheck skip. */
function referencePreActivation(x: Tensor, w: Tensor, b: Tensor, attrs: Conv2dReluMaxPoolAttrs): Tensor {
  const y = referenceConv2d(x, w, convAttrs(attrs));
  const data = y.toTypedArray();
  const [, O, Ho, Wo] = y.shape as [number, number, number, number];
  for (let i = 0; i < data.length; i++) data[i] = data[i]! + b.get(Math.floor(i / (Ho * Wo)) % O);
  return new Tensor(data, y.shape, 'float64');
}

/**
 * `maxPool2d(relu(conv2d(x, w) + b[o]))` as one op: the same values, bit for bit on cpu, as
 * the ops in sequence, but the wasm kernel keeps the conv's activations (4x the pooled
 * output for 2x2 pooling) in wasm memory and returns only the pooled values, so they are
 * never copied out, nor read back by the pooling. VJP: ReLU's mask on the pooled output
 * (the maximum's own value, so the same mask as on the activations), the pooling's scatter
 * to the argmax positions, then conv2d's gradients and the bias's.
 */
export const conv2dReluMaxPoolOp = defineOp<Conv2dReluMaxPoolAttrs>({
  name: 'conv2dReluMaxPool',
  infer: ([x, w, b], attrs) => {
    const op = 'conv2dReluMaxPool';
    check4d(x!, 'x', '[N, C, H, W]', op);
    check4d(w!, 'weight', '[O, C/groups, kh, kw]', op);
    const convShape = conv2dShape(x!.shape, w!.shape, attrs, op);
    if (b!.rank !== 1 || b!.shape[0] !== convShape[1]) {
      throw new ShapeError(`${op}: bias must have shape [${convShape[1]}] (one value per output channel), got [${b!.shape.join(', ')}]`);
    }
    const dtype = convDType(x!, w!);
    if (b!.dtype !== dtype) throw new ArgumentError(`${op}: bias must have the output's dtype ${dtype}, got ${b!.dtype}`);
    return { shape: pool2dShape(convShape, dtype, attrs.pool, op), dtype };
  },
  kernels: {
    cpu: ([x, w, b], attrs, out) => {
      const convShape = conv2dShape(x!.shape, w!.shape, attrs);
      const y = conv2dBiasActCpu([x!, w!, b!], { ...convAttrs(attrs), relu: true }, { shape: convShape, dtype: out.dtype });
      const { values, indices } = maxPool2dValuesAndIndices(y, attrs.pool, out);
      indicesOf.set(values, indices);
      return values;
    },
    wasm: ([x, w, b], attrs, out) => {
      const r = conv2dReluMaxPoolWasm(x!, w!, b!, attrs, out);
      if (r) indicesOf.set(r.values, r.indices);
      return r?.values;
    },
  },
  vjp: (g, { inputs: [x, w, b], output, attrs, needs }) => {
    const conv = convAttrs(attrs);
    const convShape = conv2dShape(x!.shape, w!.shape, conv);
    const indices =
      indicesOf.get(output) ?? dispatch(maxPool2dIndicesOp, [dispatch(conv2dBiasActOp, [x!, w!, b!], { ...conv, relu: true })], attrs.pool);
    // the mask on the pooled output: each maximum's value is the activation it came from
    const gp = reluBackward(g, output);
    const inputShape = x!.shape as [number, number, number, number];
    // only the input's gradient (attribution): scatter and transposed conv in one op
    if (!needs[1] && !needs[2]) return [needs[0] ? dispatch(conv2dMaxPoolBackwardInputOp, [gp, indices, w!], { ...conv, inputShape }) : null, null, null];
    const gy = maxPool2dBackward(gp, indices, { inputShape: convShape });
    const O = b!.shape[0]!;
    return [
      needs[0] ? conv2dBackwardInput(gy, w!, { ...conv, inputShape }) : null,
      needs[1] ? conv2dBackwardWeight(x!, gy, { ...conv, weightShape: w!.shape as [number, number, number, number] }) : null,
      needs[2] ? reshape(sumToShape(gy, [1, O, 1, 1]), [O]) : null,
    ];
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      arbConv2dCase(fc).chain((c) => {
        const [, , Ho, Wo] = c.yShape;
        return fc
          .record({
            k: fc.tuple(fc.integer({ min: 1, max: Math.min(2, Ho) }), fc.integer({ min: 1, max: Math.min(2, Wo) })),
            s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
            pad: fc.boolean(),
            seed: fc.nat(),
          })
          .map(({ k, s, pad, seed }) => {
            // values from a seeded generator rather than fast-check's doubles, which favour 0
            // and ±1: those make ReLU kinks and pooling ties, and gradcheck would skip most samples
            const g = rng(seed);
            const [x, w, b] = [c.xShape, c.wShape, [c.wShape[0]]].map((shape) => rand(shape, g, { low: -1, high: 1, dtype: 'float64' }));
            const pool: MaxPool2dAttrs = {
              kernelSize: k,
              stride: s,
              padding: pad ? [Math.floor(k[0] / 2), Math.floor(k[1] / 2)] : [0, 0],
              dilation: [1, 1],
              ceilMode: false,
            };
            return { inputs: [asStridedView(x!, c.modes[0]), asStridedView(w!, c.modes[1]), b!], attrs: { ...c.attrs, pool } };
          });
      }),
    reference: ([x, w, b], attrs) => {
      const pre = referencePreActivation(x!, w!, b!, attrs);
      const act = new Tensor(pre.toTypedArray().map((v) => (v > 0 ? v : 0)), pre.shape, 'float64');
      return maxPool2dValuesAndIndices(act, attrs.pool, { shape: pool2dShape(act.shape, 'float64', attrs.pool, 'reference'), dtype: 'float64' }).values;
    },
    // as conv2d's: sums of up to 18 products in [-1, 1], plus the bias
    float32Tolerance: 1e-4,
    // ReLU's kink and the pooling's ties: finite differences straddling them mislead
    gradcheckSkip: ({ inputs: [x, w, b], attrs }) => {
      const pre = referencePreActivation(x!, w!, b!, attrs);
      return pre.toTypedArray().some((v) => Math.abs(v) < 1e-3) || hasNearTies(pre, attrs.pool);
    },
  },
});

/**
 * Options of {@link conv2dReluMaxPool}: conv2d's, and the max pooling's under `pool`.
 *
 * @example
 * ```ts
 * const options: Conv2dReluMaxPoolOptions = { padding: 1, pool: { kernelSize: 2 } };
 * ```
 */
export interface Conv2dReluMaxPoolOptions extends Conv2dOptions {
  /** The max pooling after the ReLU (as {@link maxPool2d}'s options). */
  pool: MaxPool2dOptions;
}

const RELU_POOL_KEYS = optionKeys<Conv2dReluMaxPoolOptions>({ stride: true, padding: true, dilation: true, groups: true, pool: true });

/**
 * `maxPool2d(relu(conv2d(x, weight, bias)), pool)` as one op: the same result, but the
 * wasm kernel never copies the full-size activations out (what the nn `Conv2d` layer runs
 * for Conv2d, ReLU, MaxPool2d in a `Sequential`). Falls back to the separate ops where the
 * fused one does not apply (an unbatched input, asymmetric `'same'` padding, a bias of
 * another dtype).
 * @example
 * ```ts
 * const x = arange(16).reshape([1, 1, 4, 4]);
 * conv2dReluMaxPool(x, ones([1, 1, 1, 1]), tensor([-5]), { pool: { kernelSize: 2 } }).toArray();
 * // [[[[0, 2], [8, 10]]]]
 * ```
 */
export function conv2dReluMaxPool(x: Tensor, weight: Tensor, bias: Tensor, options: Conv2dReluMaxPoolOptions): Tensor {
  assertTensor(x, 'x', 'conv2dReluMaxPool');
  assertTensor(weight, 'weight', 'conv2dReluMaxPool');
  assertTensor(bias, 'bias', 'conv2dReluMaxPool');
  if (typeof options !== 'object' || options === null || typeof options.pool !== 'object' || options.pool === null) {
    throw new ArgumentError(`conv2dReluMaxPool: options.pool must be the max pooling's options ({ kernelSize, ... })`);
  }
  checkOptionKeys(options, RELU_POOL_KEYS, 'conv2dReluMaxPool');
  const { pool, ...convOptions } = options;
  if (x.rank === 4 && weight.rank === 4 && bias.rank === 1 && bias.dtype === convDType(x, weight)) {
    const { attrs, trim } = resolveConv2dOptions(convOptions, [weight.shape[2]!, weight.shape[3]!], 'conv2dReluMaxPool');
    if (!trim[0] && !trim[1]) {
      const r = resolvePoolOptions(pool, 'conv2dReluMaxPool', true, POOL_KEYS);
      const poolAttrs: MaxPool2dAttrs = { kernelSize: r.kernelSize, stride: r.stride, padding: r.padding, dilation: r.dilation, ceilMode: r.ceilMode };
      return dispatch(conv2dReluMaxPoolOp, [x, weight, bias], { ...attrs, pool: poolAttrs });
    }
  }
  return maxPool2d(conv2dBiasAct(x, weight, bias, { ...convOptions, activation: 'relu' }), pool);
}
