/**
 * Attribution-only statistics: completeness error, Sparseness (Gini index,
 * Chalasani et al. 2020 as Quantus `Sparseness`) and Complexity (entropy, Bhatt et al.
 * 2020 as Quantus `Complexity`). Each is per example and defined for all-zero and
 * constant maps (no NaN).
 */
import { ArgumentError, ShapeError, Tensor, describe } from '@pathgrad/tensor';
import { toFloat64 } from '../gradients.js';
import { checkInputs } from '../model.js';
import { mean } from './common.js';

/**
 * Result of {@link completenessStats}.
 *
 * @example
 * ```ts
 * const stats: CompletenessStats = completenessStats(integratedGradients(model, images, { target: labels }));
 * stats.maxRelative; // worst |delta| relative to |f(x) - f(baseline)|
 * ```
 */
export interface CompletenessStats {
  /** `Σ A − (F(x) − F(x'))` per example. */
  delta: Float64Array;
  /** `|delta| / |F(x) − F(x')|` per example; where F(x) = F(x') it is `|delta|` (divided by 1, as Captum's safe_div). */
  relative: Float64Array;
  /** Mean and max of |delta| over examples. */
  meanAbsDelta: number;
  maxAbsDelta: number;
  /** Mean and max of the relative error. */
  meanRelative: number;
  maxRelative: number;
}

/**
 * Completeness (summation-to-delta) statistics of attributions: with `inputScores` F(x)
 * and `baselineScores` F(x'), `delta = Σ_i A_i − (F(x) − F(x'))` per example, and the
 * relative error `|delta| / |F(x) − F(x')|`. Pass an IG-family result directly (it has
 * `attributions`, `inputScores` and `baselineScores`), or `delta` with the scores.
 *
 * @example
 * ```ts
 * const ig = integratedGradients(model, x, { target: 3 });
 * completenessStats(ig).meanRelative; // e.g. 1e-3
 * ```
 */
export function completenessStats(result: {
  attributions?: Tensor;
  delta?: Tensor | ArrayLike<number>;
  inputScores: ArrayLike<number>;
  baselineScores: ArrayLike<number>;
}): CompletenessStats {
  const name = 'completenessStats';
  if (typeof result !== 'object' || result === null) throw new ArgumentError(`${name}: expected { attributions or delta, inputScores, baselineScores }, got ${describe(result)}`);
  const { attributions, inputScores: fx, baselineScores: fb } = result;
  if (fx === undefined || fb === undefined || typeof fx.length !== 'number' || typeof fb.length !== 'number') {
    throw new ArgumentError(`${name}: inputScores and baselineScores (one per example) are required`);
  }
  const n = fx.length;
  if (n === 0) throw new ArgumentError(`${name}: empty batch (no scores)`);
  if (fb.length !== n) throw new ShapeError(`${name}: inputScores (${n}) and baselineScores (${fb.length}) must have one value per example`);
  let delta: Float64Array;
  if (attributions !== undefined) {
    checkInputs(attributions, name, 'attributions');
    if (attributions.shape[0] !== n) throw new ShapeError(`${name}: attributions have ${attributions.shape[0]} examples, scores ${n}`);
    const a = toFloat64(attributions.contiguous());
    const per = a.length / n;
    delta = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      let s = 0;
      for (let i = e * per; i < (e + 1) * per; i++) s += a[i]!;
      delta[e] = s - (fx[e]! - fb[e]!);
    }
  } else if (result.delta !== undefined) {
    delta = result.delta instanceof Tensor ? toFloat64(result.delta.contiguous()) : Float64Array.from(result.delta);
    if (delta.length !== n) throw new ShapeError(`${name}: delta has ${delta.length} values, scores ${n}`);
  } else {
    throw new ArgumentError(`${name}: pass attributions or delta`);
  }
  const relative = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const d = Math.abs(fx[e]! - fb[e]!);
    relative[e] = Math.abs(delta[e]!) / (d === 0 ? 1 : d);
  }
  for (let e = 0; e < n; e++) {
    if (!Number.isFinite(relative[e]!)) throw new ArgumentError(`${name}: example ${e} has a non-finite delta or score (${delta[e]}); expected finite values`);
  }
  const abs = delta.map(Math.abs);
  return {
    delta,
    relative,
    meanAbsDelta: mean(abs),
    maxAbsDelta: Math.max(...abs),
    meanRelative: mean(relative),
    maxRelative: Math.max(...relative),
  };
}

/**
 * Sparseness: the Gini index of the absolute attributions of each example, as Quantus
 * `Sparseness` (normalised by max |A|, then `a = sort(|A| + 1e-7)`,
 * `G = Σ_i (2i − d − 1) a_i / (d Σ a)`, i = 1..d). 1 = all mass on one feature, 0 =
 * uniform. All-zero and constant maps give 0.
 *
 * @example
 * ```ts
 * sparseness(attributions); // Float64Array [N], higher = sparser
 * ```
 */
export function sparseness(attributions: Tensor): Float64Array {
  return perExample(attributions, 'sparseness', (a) => {
    const d = a.length;
    let mx = 0;
    for (const v of a) mx = Math.max(mx, Math.abs(v));
    const s = Float64Array.from(a, (v) => (mx > 0 ? Math.abs(v) / mx : 0) + 1e-7).sort();
    let num = 0;
    let den = 0;
    for (let i = 0; i < d; i++) {
      num += (2 * (i + 1) - d - 1) * s[i]!;
      den += s[i]!;
    }
    return num / (d * den);
  });
}

/**
 * Complexity: the Shannon entropy (natural log) of the fractional contributions
 * `p_i = |A_i| / Σ|A|` of each example, as Quantus `Complexity`
 * (`scipy.stats.entropy(p)`). 0 = one feature carries everything, ln d = uniform. An
 * all-zero map is treated as uniform and gives ln d (the value of every constant map).
 *
 * @example
 * ```ts
 * complexity(attributions); // Float64Array [N], lower = simpler
 * ```
 */
export function complexity(attributions: Tensor): Float64Array {
  return perExample(attributions, 'complexity', (a) => {
    let total = 0;
    for (const v of a) total += Math.abs(v);
    if (total === 0) return Math.log(a.length);
    let h = 0;
    for (const v of a) {
      const p = Math.abs(v) / total;
      if (p > 0) h -= p * Math.log(p);
    }
    return h;
  });
}

function perExample(attributions: Tensor, name: string, f: (a: Float64Array) => number): Float64Array {
  checkInputs(attributions, name, 'attributions');
  const n = attributions.shape[0]!;
  if (n === 0) throw new ArgumentError(`${name}: attributions is an empty batch; expected at least one example`);
  const flat = toFloat64(attributions.contiguous());
  const per = flat.length / n;
  if (per === 0) throw new ShapeError(`${name}: each example must have at least one feature, got shape [${attributions.shape.join(', ')}]`);
  return Float64Array.from({ length: n }, (_, e) => f(flat.subarray(e * per, (e + 1) * per)));
}
