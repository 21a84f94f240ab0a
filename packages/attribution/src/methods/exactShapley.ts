import type { Model } from '../model.js';
import { ArgumentError, Tensor, allocate, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { resolveFeatureMask, type FeatureGroups } from '../featureMask.js';
import { chunkSize, fromFlat, scalarValues, toFloat64, type ExplainedScalar } from '../gradients.js';
import { checkOptions } from '../options.js';

/**
 * Options of {@link exactShapley}.
 *
 * @example
 * ```ts
 * const options: ExactShapleyOptions = { target: labels, reference: 0, featureMask: patchMask(28, 28, 7) };
 * exactShapley(model, images, options); // 2^16 coalitions per image
 * ```
 */
export interface ExactShapleyOptions extends ExplainOptions {
  /** Value of absent features (default 0): "baseline Shapley" v(S) = F(x_S ⊕ r_S̄). */
  reference?: Baseline;
  /** Feature groups (int tensor with one example's shape); default: every element. At most 20 groups. */
  featureMask?: Tensor;
  /** Coalitions evaluated per forward pass (default 1024). */
  batchSize?: number;
}

const EXACT_SHAPLEY_KEYS = optionKeys<ExactShapleyOptions>({
  reference: true, featureMask: true, batchSize: true, target: true, outputTransform: true,
});

/**
 * Result of {@link exactShapley}.
 *
 * @example
 * ```ts
 * const { perFeature, total, evaluations }: ExactShapleyResult = exactShapley(model, images, { target: labels, featureMask: patchMask(28, 28, 7) });
 * perFeature.shape; // [4, 16]: one Shapley value per patch
 * ```
 */
export interface ExactShapleyResult {
  /** Each group's Shapley value spread evenly over its elements (inputs' shape). */
  attributions: Tensor;
  /** Shapley values per example and group, `[N, n]`, float64. */
  perFeature: Tensor;
  /** v(N) − v(∅) per example: what the values sum to (efficiency). */
  total: Float64Array;
  /** Model evaluations per example (2^n). */
  evaluations: number;
}

/**
 * Maximum number of features `exactShapley` enumerates.
 *
 * @example
 * ```ts
 * // exactShapley evaluates 2^F coalitions, so it refuses more than this many features (groups)
 * EXACT_SHAPLEY_MAX_FEATURES; // 20
 * ```
 */
export const EXACT_SHAPLEY_MAX_FEATURES = 20;

/**
 * Exact Shapley values by enumerating all 2^n coalitions of n ≤ 20 feature groups, with
 * the baseline-Shapley value function `v(S) = F(x_S ⊕ r_S̄)` (Sundararajan & Najmi 2020):
 * `φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · [v(S ∪ {i}) − v(S)]`. The ground truth for
 * Shapley IG and other estimators. Element attributions spread each group's value evenly
 * over its elements, so they sum to the group value.
 *
 * @example
 * ```ts
 * const { perFeature } = exactShapley(model, x, { target: 3, featureMask: patchMask(28, 28, 7) });
 * ```
 */
export function exactShapley(model: Model, inputs: Tensor, opts: ExactShapleyOptions = {}): ExactShapleyResult {
  const name = 'exactShapley';
  checkOptions(opts, EXACT_SHAPLEY_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const groups = resolveFeatureMask(opts.featureMask, inputs, name);
  if (groups.count > EXACT_SHAPLEY_MAX_FEATURES) {
    throw new ArgumentError(
      `${name}: ${groups.count} features would need 2^${groups.count} model evaluations; exact enumeration allows at most ${EXACT_SHAPLEY_MAX_FEATURES}. Group features with featureMask, or estimate with shapleyIG.`,
    );
  }
  const [reference] = resolveBaselines(inputs, opts.reference, 0, name);
  const values = coalitionValues(spec, inputs, reference!, groups, chunkSize(opts.batchSize ?? 1024, 1, name));
  const n = inputs.shape[0]!;
  const k = groups.count;
  const per = inputs.size / Math.max(n, 1);
  const phi = new Float64Array(n * k);
  const weight = shapleyWeights(k);
  const subsets = 1 << k;
  for (let e = 0; e < n; e++) {
    const v = values.subarray(e * subsets, (e + 1) * subsets);
    for (let i = 0; i < k; i++) {
      const bit = 1 << i;
      let s = 0;
      for (let S = 0; S < subsets; S++) if (!(S & bit)) s += weight[popcount(S)]! * (v[S | bit]! - v[S]!);
      phi[e * k + i] = s;
    }
  }
  const attr = new Float64Array(n * per);
  for (let e = 0; e < n; e++) for (let d = 0; d < per; d++) attr[e * per + d] = phi[e * k + groups.ids[d]!]! / groups.members[groups.ids[d]!]!.length;
  const total = Float64Array.from({ length: n }, (_, e) => values[e * subsets + subsets - 1]! - values[e * subsets]!);
  return { attributions: fromFlat(attr, inputs.shape, inputs.dtype), perFeature: new Tensor(phi, [n, k], 'float64'), total, evaluations: subsets };
}

/**
 * |S|!(n−|S|−1)!/n! for |S| = 0..n−1.
 *
 * @example
 * ```ts
 * shapleyWeights(3); // [1/3, 1/6, 1/3]: the weight of a coalition of size 0, 1, 2
 * ```
 */
export function shapleyWeights(n: number): Float64Array {
  const w = new Float64Array(Math.max(n, 1));
  // w(s) = 1 / (n * C(n-1, s)), computed without factorial overflow
  for (let s = 0; s < n; s++) {
    let c = 1;
    for (let j = 1; j <= s; j++) c = (c * (n - 1 - s + j)) / j;
    w[s] = 1 / (n * c);
  }
  return w;
}

function popcount(x: number): number {
  let c = 0;
  while (x) {
    x &= x - 1;
    c++;
  }
  return c;
}

/** v(S) for every example and every subset S (bit i = group i present), `[N * 2^n]`. */
export function coalitionValues(spec: ExplainedScalar, inputs: Tensor, reference: Tensor, groups: FeatureGroups, batch: number): Float64Array {
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const subsets = 1 << groups.count;
  const x = toFloat64(inputs);
  const r = toFloat64(reference);
  const out = new Float64Array(n * subsets);
  const total = n * subsets;
  for (let start = 0; start < total; start += batch) {
    const end = Math.min(total, start + batch);
    const rows = end - start;
    const pts = allocate(inputs.dtype, rows * per);
    const rowExamples = new Int32Array(rows);
    for (let j = 0; j < rows; j++) {
      const e = Math.floor((start + j) / subsets);
      const S = (start + j) % subsets;
      rowExamples[j] = e;
      for (let d = 0; d < per; d++) pts[j * per + d] = S & (1 << groups.ids[d]!) ? x[e * per + d]! : r[e * per + d]!;
    }
    out.set(scalarValues(spec, new Tensor(pts, [rows, ...inputs.shape.slice(1)], inputs.dtype), rowExamples), start);
  }
  return out;
}
