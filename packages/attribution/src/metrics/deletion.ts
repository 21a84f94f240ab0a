/**
 * RISE causal metrics (Petsiuk, Das & Saenko, BMVC 2018, arXiv:1806.07421; code
 * eclique/RISE `evaluation.py::CausalMetric`): deletion and insertion curves and their AUC.
 */
import type { Model } from '../model.js';
import { ArgumentError, ShapeError, Tensor, broadcastShapes, describe, expand, optionKeys, shapesEqual } from '@pathgrad/tensor';
import { gaussianBlur2d } from '../blur.js';
import { prepare } from '../explain.js';
import { resolveFeatureMask, patchMask, groupSums, type FeatureGroups } from '../featureMask.js';
import { toFloat64 } from '../gradients.js';
import { checkOptions, numberOption, intOption } from '../options.js';
import type { OutputTransform, Target } from '../target.js';
import { batchOption, checkAttributions, checkBatch, descendingOrder, evaluateRows } from './common.js';

/**
 * What replaces (deletion) or starts (insertion) the image: `'zeros'`, `'blur'` (Gaussian
 * blur of the input with `blurSigma`), `'mean'` (each example's per-channel mean value),
 * or a tensor broadcastable to the inputs (`[N, ...]`, `[1, ...]` or one example's shape).
 *
 * @example
 * ```ts
 * const substrate: Substrate = 'blur'; // deleted pixels become a blurred copy instead of black
 * deletionCurve(model, images, attributions, { target: labels, substrate });
 * ```
 */
export type Substrate = 'zeros' | 'blur' | 'mean' | Tensor;

/**
 * Options of {@link deletionCurve} and {@link insertionCurve}.
 *
 * @example
 * ```ts
 * const options: CausalMetricOptions = { target: labels, step: 28, substrate: 'zeros', outputTransform: 'softmax' };
 * deletionCurve(model, images, attributions, options).auc.toArray(); // lower is better
 * ```
 */
export interface CausalMetricOptions {
  /** Class whose probability is tracked (default `'predicted'`: the top-1 class on the original inputs). */
  target?: Target;
  /** Output transform (default `'softmax'`, as RISE wraps the model in `nn.Softmax`). */
  outputTransform?: OutputTransform;
  /** Features changed per iteration (default 1); must divide the number of features. */
  step?: number;
  /**
   * Feature groups: an int tensor with one example's shape. Default: for
   * `[N, C, H, W]` inputs one feature per pixel (all channels move together, as RISE);
   * otherwise one per element. A group's saliency is the sum of its elements' attributions.
   */
  featureMask?: Tensor;
  /** Substrate (default `'zeros'` for deletion, `'blur'` for insertion, as RISE). */
  substrate?: Substrate;
  /**
   * σ of the `'blur'` substrate in pixels (default 5 with an 11-tap kernel: RISE's
   * `gkern(klen=11, nsig=5)`, zero padding). 2 suits 28×28 MNIST digits better: σ = 5 blurs a digit away.
   */
  blurSigma?: number;
  /** Rows per model call (default 256). */
  batchSize?: number;
}

const CAUSAL_KEYS = optionKeys<CausalMetricOptions>({
  target: true, outputTransform: true, step: true, featureMask: true, substrate: true, blurSigma: true,
  batchSize: true,
});

/**
 * Result of {@link deletionCurve} / {@link insertionCurve}.
 *
 * @example
 * ```ts
 * const { curves, auc, fractions }: CausalMetricResult = insertionCurve(model, images, attributions, { target: labels });
 * curves.shape; // [N, steps + 1]: the score after each step
 * ```
 */
export interface CausalMetricResult {
  /** Scores `[N, steps + 1]` (float64): the tracked probability after 0, step, 2·step, ... features. */
  curves: Tensor;
  /** AUC per example `[N]` (float64), RISE's `(Σ − first/2 − last/2)/(len − 1)`. */
  auc: Tensor;
  /** Fraction of features changed at each curve point (`i/steps`). */
  fractions: Float64Array;
  /** The tracked class per example. */
  targets: Int32Array;
  /** Number of iterations (`features / step`). */
  steps: number;
}

/**
 * RISE's area under a curve sampled on a uniform grid over [0, 1]:
 * `auc(a) = (Σ a − a[0]/2 − a[last]/2) / (len(a) − 1)` (the trapezoid rule).
 *
 * @example
 * ```ts
 * auc([1, 0.5, 0]); // 0.5
 * ```
 */
export function auc(values: ArrayLike<number>): number {
  if (values.length < 2) throw new ArgumentError(`auc: need at least 2 points, got ${values.length}`);
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new ArgumentError(`auc: values[${i}] is ${values[i]}; expected finite values`);
    s += values[i]!;
  }
  return (s - values[0]! / 2 - values[values.length - 1]! / 2) / (values.length - 1);
}

/**
 * Deletion curve (RISE): starting from the input, the `step` most salient features
 * (descending signed group attribution, ties by index) are replaced by the substrate at
 * each iteration; the curve is the softmax probability of the target class after each
 * iteration, `steps + 1` points. A faithful attribution makes the probability fall fast:
 * **lower AUC is better**. All examples × iterations go through the model in batches.
 *
 * @example
 * ```ts
 * const { auc } = deletionCurve(model, images, igAttributions, { step: 28 }); // 784 px / 28 = 28 iterations
 * ```
 */
export function deletionCurve(model: Model, inputs: Tensor, attributions: Tensor, opts: CausalMetricOptions = {}): CausalMetricResult {
  return causalCurve('deletion', model, inputs, attributions, opts);
}

/**
 * Insertion curve (RISE): starting from the substrate (default a blurred copy of the
 * input), the `step` most salient features are copied back from the input at each
 * iteration; the curve is the target's softmax probability. **Higher AUC is better.**
 *
 * @example
 * ```ts
 * const { auc } = insertionCurve(model, images, igAttributions, { step: 28, blurSigma: 2 });
 * ```
 */
export function insertionCurve(model: Model, inputs: Tensor, attributions: Tensor, opts: CausalMetricOptions = {}): CausalMetricResult {
  return causalCurve('insertion', model, inputs, attributions, opts);
}

function causalCurve(mode: 'deletion' | 'insertion', model: unknown, inputs: Tensor, attributions: Tensor, opts: CausalMetricOptions): CausalMetricResult {
  const name = mode === 'deletion' ? 'deletionCurve' : 'insertionCurve';
  checkOptions(opts, CAUSAL_KEYS, name);
  checkBatch(inputs, name);
  checkAttributions(attributions, inputs, name);
  const spec = prepare(model, inputs, { target: opts.target ?? 'predicted', outputTransform: opts.outputTransform ?? 'softmax' }, name);
  const batchSize = batchOption(opts.batchSize, name);
  const groups = defaultGroups(opts.featureMask, inputs, name);
  const step = intOption(opts.step, 1, 'step', name);
  if (groups.count % step !== 0) {
    throw new ArgumentError(
      `${name}: step must divide the number of features (${groups.count}), got ${step}; divisors near it: ${nearDivisors(groups.count, step).join(', ')}`,
    );
  }
  const steps = groups.count / step;
  const n = inputs.shape[0]!;
  const rowShape = inputs.shape.slice(1);
  const per = rowShape.reduce((a, b) => a * b, 1);
  const x = toFloat64(inputs.contiguous());
  const sub = substrateValues(opts.substrate ?? (mode === 'deletion' ? 'zeros' : 'blur'), inputs, opts.blurSigma, name);
  const [start, finish] = mode === 'deletion' ? [x, sub] : [sub, x];
  const a = toFloat64(attributions.contiguous());
  const orders = Array.from({ length: n }, (_, e) => descendingOrder(groupSums(a, e * per, groups)));
  const points = steps + 1;
  const values = evaluateRows(spec, n * points, rowShape, inputs.dtype, batchSize, (s, e, out) => {
    const rowExamples = new Int32Array(e - s);
    for (let r = s; r < e; r++) {
      const ex = Math.floor(r / points);
      const k = r % points;
      rowExamples[r - s] = ex;
      const o = (r - s) * per;
      out.set(start.subarray(ex * per, (ex + 1) * per), o);
      const order = orders[ex]!;
      for (let j = 0; j < k * step; j++) {
        for (const i of groups.members[order[j]!]!) out[o + i] = finish[ex * per + i]!;
      }
    }
    return rowExamples;
  });
  const aucs = new Float64Array(n);
  for (let e = 0; e < n; e++) aucs[e] = auc(values.subarray(e * points, (e + 1) * points));
  const targets = spec.target.kind === 'indices' ? spec.target.indices : new Int32Array(n);
  return {
    curves: new Tensor(values, [n, points], 'float64'),
    auc: new Tensor(aucs, [n], 'float64'),
    fractions: Float64Array.from({ length: points }, (_, i) => i / steps),
    targets,
    steps,
  };
}

/** Feature groups: the mask, or one group per pixel (all channels) for [N, C, H, W] inputs. */
export function defaultGroups(mask: Tensor | undefined, inputs: Tensor, name: string): FeatureGroups {
  if (mask === undefined && inputs.rank === 4) {
    const [, C, H, W] = inputs.shape as [number, number, number, number];
    return resolveFeatureMask(patchMask(H, W, 1, C), inputs, name);
  }
  return resolveFeatureMask(mask, inputs, name);
}

function nearDivisors(count: number, step: number): number[] {
  const ds: number[] = [];
  for (let d = 1; d <= count; d++) if (count % d === 0) ds.push(d);
  return ds.sort((p, q) => Math.abs(p - step) - Math.abs(q - step) || p - q).slice(0, 3).sort((p, q) => p - q);
}

/** Flat substrate values with the inputs' shape. */
export function substrateValues(substrate: Substrate, inputs: Tensor, blurSigma: number | undefined, name: string): Float64Array {
  const n = inputs.shape[0]!;
  const per = inputs.size / n;
  if (substrate === 'zeros') return new Float64Array(inputs.size);
  if (substrate === 'blur') {
    if (inputs.rank < 3) throw new ShapeError(`${name}: the 'blur' substrate needs image inputs [N, (C,) H, W], got [${inputs.shape.join(', ')}]`);
    const sigma = numberOption(blurSigma, 5, 'blurSigma', name, 0);
    // RISE's kernel has 11 taps for sigma 5: radius 5 = truncate 1 sigma; other sigmas keep scipy's 4.
    const truncate = blurSigma === undefined ? 1 : 4;
    return toFloat64(gaussianBlur2d(inputs, sigma, { truncate }).contiguous());
  }
  if (substrate === 'mean') {
    const x = toFloat64(inputs.contiguous());
    const out = new Float64Array(x.length);
    // per example and channel (axis 1 for images; the whole example otherwise)
    const channels = inputs.rank >= 3 ? inputs.shape[1]! : 1;
    const plane = per / channels;
    for (let e = 0; e < n; e++) {
      for (let c = 0; c < channels; c++) {
        const o = e * per + c * plane;
        let s = 0;
        for (let i = 0; i < plane; i++) s += x[o + i]!;
        out.fill(s / plane, o, o + plane);
      }
    }
    return out;
  }
  if (substrate instanceof Tensor) {
    let shape: readonly number[];
    try {
      shape = broadcastShapes(substrate.rank === inputs.rank - 1 ? [1, ...substrate.shape] : substrate.shape, inputs.shape);
    } catch {
      shape = [];
    }
    if (!shapesEqual(shape, inputs.shape)) {
      throw new ShapeError(`${name}: substrate tensor must broadcast to the inputs' shape [${inputs.shape.join(', ')}], got [${substrate.shape.join(', ')}]`);
    }
    const s = substrate.rank === inputs.rank - 1 ? substrate.reshape([1, ...substrate.shape]) : substrate;
    const out = toFloat64(expand(s, inputs.shape).contiguous());
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) throw new ArgumentError(`${name}: substrate holds ${out[i]} at flat index ${i}; expected finite values`);
    return out;
  }
  throw new ArgumentError(`${name}: substrate must be 'zeros', 'blur', 'mean' or a Tensor, got ${describe(substrate)}`);
}
