/**
 * GGIG's model-perturbation sanity check (Rahman, Lewis & Plis, "Geometrically Guided
 * Integrated Gradients", arXiv:2206.05903; code `codes/model_perturbation_test.py`), with a
 * quantitative score of our own (the paper shows the curves only).
 */
import { noGrad } from '@pathgrad/autograd';
import { Module } from '@pathgrad/nn';
import { ArgumentError, Tensor, describe, optionKeys, rng as makeRng, softmax } from '@pathgrad/tensor';
import { fromFlat, toFloat64 } from '../gradients.js';
import { callModel } from '../model.js';
import { checkOptions, intOption } from '../options.js';
import { checkBatch, trapz } from './common.js';
import { checkedExplain, compareMaps, meanStd, resolveMetrics, sanityMaps, withParameters, type SimilarityMetric } from './sanity.js';
import { pearson } from './similarity.js';

/**
 * Attributions of `inputs` for `targets` under `model` (the check passes the perturbed model).
 *
 * @example
 * ```ts
 * const explain: PerturbedExplainFunction = (m, inputs, targets) => integratedGradients(m, inputs, { target: targets }).attributions;
 * modelPerturbationCheck(model, explain, images);
 * ```
 */
export type PerturbedExplainFunction = (model: Module, inputs: Tensor, targets: Int32Array) => Tensor;

/**
 * Options of {@link modelPerturbationCheck}.
 *
 * @example
 * ```ts
 * const options: ModelPerturbationOptions = { scales: [0.01, 0.05, 0.1], metrics: ['spearmanAbs', 'ssim'], seed: 0 };
 * modelPerturbationCheck(model, explain, images, options);
 * ```
 */
export interface ModelPerturbationOptions {
  /** Noise scales p in percent (default 1, 2, ..., 100 as the authors' `np.linspace(1, 100, 100)`). */
  scales?: readonly number[];
  /** Similarities (default Spearman abs and signed, plus SSIM for 2-D maps ≥ the window). */
  metrics?: readonly SimilarityMetric[];
  /** SSIM window (default 11). */
  ssimWindow?: 7 | 11;
  /** Seed (default 0). */
  seed?: number;
}

const PERTURBATION_KEYS = optionKeys<ModelPerturbationOptions>({ scales: true, metrics: true, ssimWindow: true, seed: true });

/**
 * Per-scale values of one quantity.
 *
 * @example
 * ```ts
 * const { rows } = modelPerturbationCheck(model, explain, images);
 * for (const row of rows) console.log(row.scale, row.metric, row.mean.toFixed(3));
 * ```
 */
export interface PerturbationRow {
  /** Noise scale p (percent). */
  scale: number;
  /** `'score'` is the normalised original-class softmax score; otherwise a similarity. */
  metric: SimilarityMetric | 'score';
  mean: number;
  std: number;
  values: Float64Array;
}

/**
 * Result of {@link modelPerturbationCheck}.
 *
 * @example
 * ```ts
 * const result: ModelPerturbationResult = modelPerturbationCheck(model, explain, images);
 * result.summary.ssim?.meanAuc; // how fast the maps decorrelate as the noise grows
 * ```
 */
export interface ModelPerturbationResult {
  scales: number[];
  /** The unperturbed model's predicted class per example (explained at every scale). */
  predictions: Int32Array;
  /** Its softmax score per example. */
  originalScores: Float64Array;
  /** Rows per (scale, quantity): the score curve and the similarity curves, ready to plot. */
  rows: PerturbationRow[];
  /**
   * Per similarity metric and example: `auc` = trapezoid of s(p) over p divided by the p
   * range (a mean similarity; s itself with one scale), `correlation` = Pearson of s(p)
   * with the normalised score curve over the scales (0 where either is constant).
   */
  summary: Partial<Record<SimilarityMetric, { auc: Float64Array; correlation: Float64Array; meanAuc: number; meanCorrelation: number }>>;
}

/**
 * Model-perturbation check (GGIG authors' procedure): for each scale p every parameter
 * tensor W of a fresh copy of the trained weights gets i.i.d. noise N(0, (std(W)·p/100)²)
 * (std unbiased as `torch.std`; 0 for one-element tensors); buffers (BatchNorm running
 * statistics) are untouched. The perturbed model's softmax score of the **original**
 * predicted class, normalised `clip(score(p)/score(0), 0, 1)`, is recorded, and the
 * explanation for the original class is compared with the unperturbed one (Spearman
 * abs/signed, SSIM, as the randomisation check). Explanations should stay similar while
 * the score is preserved: high AUC and positive correlation. Seeded; the caller's model
 * is restored after every scale.
 *
 * @example
 * ```ts
 * const explain = (m: Module, x: Tensor, t: Int32Array) => integratedGradients(m, x, { target: t }).attributions;
 * const res = modelPerturbationCheck(model, explain, images, { scales: [1, 11, 21, 31, 41, 51] });
 * ```
 */
export function modelPerturbationCheck(model: Module, explain: PerturbedExplainFunction, inputs: Tensor, opts: ModelPerturbationOptions = {}): ModelPerturbationResult {
  const name = 'modelPerturbationCheck';
  checkOptions(opts, PERTURBATION_KEYS, name);
  if (!(model instanceof Module)) throw new ArgumentError(`${name}: model must be an nn Module (its parameters are perturbed), got ${describe(model)}`);
  if (typeof explain !== 'function') throw new ArgumentError(`${name}: explain must be a function (model, inputs, targets) => attributions, got ${describe(explain)}`);
  checkBatch(inputs, name);
  const scales = opts.scales === undefined ? Array.from({ length: 100 }, (_, i) => i + 1) : [...opts.scales];
  if (scales.length === 0) throw new ArgumentError(`${name}: scales must not be empty`);
  for (const p of scales) if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) throw new ArgumentError(`${name}: scales must be finite percentages >= 0, got ${describe(scales)}`);
  const window = opts.ssimWindow ?? 11;
  const g = makeRng(intOption(opts.seed, 0, 'seed', name, 0));
  const n = inputs.shape[0]!;

  const probs = (): Float64Array => {
    const out = noGrad(() => callModel(model, inputs, name));
    if (out.rank !== 2) throw new ArgumentError(`${name}: the model must return class scores [N, C], got [${out.shape.join(', ')}]`);
    return toFloat64(noGrad(() => softmax(out, 1)).contiguous());
  };
  const p0 = probs();
  const classes = p0.length / n;
  const predictions = new Int32Array(n);
  const originalScores = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p0[e * classes + c]! > p0[e * classes + best]!) best = c;
    predictions[e] = best;
    originalScores[e] = p0[e * classes + best]!;
  }
  const ref = sanityMaps(checkedExplain(explain, inputs, name, model, inputs, predictions));
  const metrics = resolveMetrics(opts.metrics, ref, window, name);

  const scoreCurves = scales.map(() => new Float64Array(n));
  const simCurves = Object.fromEntries(metrics.map((m) => [m, scales.map(() => new Float64Array(n))])) as Record<SimilarityMetric, Float64Array[]>;
  const rows: PerturbationRow[] = [];
  scales.forEach((p, k) => {
    const sims = withParameters(
      model,
      (params) => {
        for (const [, param] of params) {
          const w = toFloat64(param.value.contiguous());
          const sd = unbiasedStd(w) * (p / 100);
          const v = Float64Array.from(w, (x) => x + sd * g.normal());
          param.value = fromFlat(v, param.value.shape, param.value.dtype);
        }
      },
      () => {
        const pk = probs();
        for (let e = 0; e < n; e++) scoreCurves[k]![e] = Math.min(1, Math.max(0, pk[e * classes + predictions[e]!]! / originalScores[e]!));
        return compareMaps(ref, sanityMaps(checkedExplain(explain, inputs, name, model, inputs, predictions)), metrics, window);
      },
    );
    rows.push({ scale: p, metric: 'score', ...meanStd(scoreCurves[k]!), values: scoreCurves[k]! });
    for (const m of metrics) {
      simCurves[m][k] = sims[m];
      rows.push({ scale: p, metric: m, ...meanStd(sims[m]), values: sims[m] });
    }
  });

  const summary: ModelPerturbationResult['summary'] = {};
  const range = scales[scales.length - 1]! - scales[0]!;
  for (const m of metrics) {
    const aucs = new Float64Array(n);
    const corr = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      const s = scales.map((_, k) => simCurves[m][k]![e]!);
      const q = scales.map((_, k) => scoreCurves[k]![e]!);
      aucs[e] = scales.length === 1 || range === 0 ? s[0]! : trapz(s, scales) / range;
      corr[e] = scales.length < 2 ? 0 : pearson(s, q);
    }
    summary[m] = { auc: aucs, correlation: corr, meanAuc: meanStd(aucs).mean, meanCorrelation: meanStd(corr).mean };
  }
  return { scales, predictions, originalScores, rows, summary };
}

/** `torch.std` (Bessel-corrected); 0 for fewer than two elements, where torch gives NaN. */
function unbiasedStd(w: Float64Array): number {
  if (w.length < 2) return 0;
  let m = 0;
  for (const v of w) m += v;
  m /= w.length;
  let s = 0;
  for (const v of w) s += (v - m) ** 2;
  return Math.sqrt(s / (w.length - 1));
}

