import type { Model } from '../model.js';
import { ArgumentError, Tensor, allocate, describe, optionKeys, rng } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { prepare } from '../explain.js';
import { groupSums, resolveFeatureMask } from '../featureMask.js';
import { fromFlat, toFloat64 } from '../gradients.js';
import { MAX_SAMPLES, checkOptions, countOption, intOption, quadratureOptions } from '../options.js';
import { exampleScores, rowSums, straightPathGradient } from '../path.js';
import { quadrature } from '../quadrature.js';
import type { IntegratedGradientsOptions } from './integratedGradients.js';

/**
 * Options of {@link shapleyIG}.
 *
 * @example
 * ```ts
 * const options: ShapleyIGOptions = { target: labels, reference: 0, featureMask: patchMask(28, 28, 7), coalitions: 8, steps: 16 };
 * shapleyIG(model, images, options);
 * ```
 */
export interface ShapleyIGOptions extends Omit<IntegratedGradientsOptions, 'baseline' | 'multiplyByInputs'> {
  /** Value of absent features, as in baseline Shapley (default 0). */
  reference?: Baseline;
  /** Feature groups (int tensor with one example's shape); default: every element. */
  featureMask?: Tensor;
  /** Number of coalition baselines K per example (default n, the number of features: one per size stratum; at most {@link MAX_SAMPLES}, also the default's bound). */
  coalitions?: number;
  /**
   * How coalition sizes are drawn: `'stratified'` (default; size k mod n for the k-th
   * coalition, so sizes 0..n−1 are equally represented) or `'random'` (size uniform on 0..n−1).
   * Within a size, the coalition is uniform. (Our reconstruction: the paper leaves it open.)
   */
  sampling?: 'stratified' | 'random';
}

const SHAPLEY_IG_KEYS = optionKeys<ShapleyIGOptions>({
  reference: true, featureMask: true, coalitions: true, sampling: true, steps: true, method: true,
  internalBatchSize: true, seed: true, target: true, outputTransform: true,
});

/**
 * Result of {@link shapleyIG}.
 *
 * @example
 * ```ts
 * const { attributions, perFeature }: ShapleyIGResult = shapleyIG(model, images, { target: labels, featureMask: patchMask(28, 28, 7) });
 * ```
 */
export interface ShapleyIGResult {
  /** SIG attributions (mean IG over coalition baselines), inputs' shape. */
  attributions: Tensor;
  /** Group sums `[N, n]` of the attributions, float64. */
  perFeature: Tensor;
  /**
   * Group sums rescaled per example so they add up to v(N) − v(∅) = F(x) − F(r), the
   * Shapley total: SIG tracks the ratios of Shapley values, not their scale.
   */
  rescaled: Tensor;
  /** `Σ attributions − (F(x) − mean_k F(b_k))` per example. */
  delta: Tensor;
  gradientEvaluations: number;
}

/**
 * Shapley Integrated Gradients (Liu, Chen et al. 2023/24), **reconstructed**: no reference
 * code or full text was available, so this is our reconstruction from the abstract. Coalitions S are drawn by
 * proportional (size-stratified) sampling; each defines a baseline `b_S = x_S ⊕ r_S̄`
 * (present features at their input value); IG from `b_S` to `x` credits only the absent
 * features; SIG averages these IG maps. For an additive model E[SIG_i] = (n+1)/(2n) φ_i.
 *
 * @example
 * ```ts
 * const { perFeature, rescaled } = shapleyIG(model, x, { target: 3, featureMask: patchMask(28, 28, 7), coalitions: 64 });
 * ```
 */
export function shapleyIG(model: Model, inputs: Tensor, opts: ShapleyIGOptions = {}): ShapleyIGResult {
  const name = 'shapleyIG';
  checkOptions(opts, SHAPLEY_IG_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const groups = resolveFeatureMask(opts.featureMask, inputs, name);
  const k = groups.count;
  const K = countOption(opts.coalitions, Math.min(k, MAX_SAMPLES), 'coalitions', name, MAX_SAMPLES);
  const sampling = opts.sampling ?? 'stratified';
  if (sampling !== 'stratified' && sampling !== 'random') {
    throw new ArgumentError(`${name}: sampling must be 'stratified' or 'random', got ${describe(opts.sampling)}`);
  }
  const seed = intOption(opts.seed, 0, 'seed', name, 0);
  const g = rng(seed);
  const { method, steps } = quadratureOptions(opts.method, opts.steps, name);
  const quad = quadrature(method, steps);
  const [reference] = resolveBaselines(inputs, opts.reference, seed, name);
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const x = toFloat64(inputs);
  const r = toFloat64(reference!);
  const attr = new Float64Array(x.length);
  const baselineMean = new Float64Array(n);
  for (let c = 0; c < K; c++) {
    const b = allocate(inputs.dtype, x.length);
    for (let e = 0; e < n; e++) {
      const size = sampling === 'stratified' ? c % k : g.int(0, k);
      const present = new Uint8Array(k);
      for (const i of g.choice(k, size)) present[i] = 1;
      for (let d = 0; d < per; d++) b[e * per + d] = present[groups.ids[d]!] ? x[e * per + d]! : r[e * per + d]!;
    }
    const baseline = new Tensor(b, inputs.shape, inputs.dtype);
    const pg = straightPathGradient(spec, inputs, baseline, quad, opts.internalBatchSize);
    const bf = toFloat64(baseline);
    for (let i = 0; i < attr.length; i++) attr[i]! += (pg[i]! * (x[i]! - bf[i]!)) / K;
    const fb = exampleScores(spec, baseline);
    for (let e = 0; e < n; e++) baselineMean[e]! += fb[e]! / K;
  }
  const fx = exampleScores(spec, inputs);
  const fr = exampleScores(spec, reference!);
  const sums = rowSums(attr, n);
  const perFeature = new Float64Array(n * k);
  const rescaled = new Float64Array(n * k);
  for (let e = 0; e < n; e++) {
    const gs = groupSums(attr, e * per, groups);
    perFeature.set(gs, e * k);
    const s = gs.reduce((a, v) => a + v, 0);
    const scale = s !== 0 ? (fx[e]! - fr[e]!) / s : 0;
    for (let i = 0; i < k; i++) rescaled[e * k + i] = gs[i]! * scale;
  }
  return {
    attributions: fromFlat(attr, inputs.shape, inputs.dtype),
    perFeature: new Tensor(perFeature, [n, k], 'float64'),
    rescaled: new Tensor(rescaled, [n, k], 'float64'),
    delta: new Tensor(Float64Array.from({ length: n }, (_, e) => sums[e]! - (fx[e]! - baselineMean[e]!)), [n], 'float64'),
    gradientEvaluations: K * steps,
  };
}
