/**
 * Model-randomisation sanity check (Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim,
 * "Sanity Checks for Saliency Maps", NeurIPS 2018, arXiv:1810.03292; code
 * adebayoj/sanity_checks_saliency) and Quantus' RandomLogit check.
 */
import { Module } from '@pathgrad/nn';
import { ArgumentError, Tensor, describe, optionKeys, rng as makeRng, type Rng } from '@pathgrad/tensor';
import { fromFlat } from '../gradients.js';
import { checkOptions, intOption } from '../options.js';
import { checkBatch } from './common.js';
import { checkedExplain, compareMaps, meanStd, resolveMetrics, sanityMaps, withParameters, type SimilarityMetric } from './sanity.js';

/**
 * Attributions of `inputs` under `model` (the check passes the randomised model).
 *
 * @example
 * ```ts
 * const explain: ModelExplainFunction = (m, inputs) => saliency(m, inputs, { target: labels }).attributions;
 * modelRandomizationCheck(model, explain, images);
 * ```
 */
export type ModelExplainFunction = (model: Module, inputs: Tensor) => Tensor;

/**
 * A re-initialiser: a new value for parameter `name` (same shape and dtype), drawing from `rng`.
 *
 * @example
 * ```ts
 * const init: ParameterInit = (_name, value, rng) => randn(value.shape, rng, { std: 0.01, dtype: value.dtype });
 * modelRandomizationCheck(model, explain, images, { init });
 * ```
 */
export type ParameterInit = (name: string, value: Tensor, rng: Rng) => Tensor;

const TRUNCATED_NORMAL_KEYS = optionKeys<NonNullable<Parameters<typeof truncatedNormalInit>[0]>>({ mean: true, std: true, a: true, b: true });

/**
 * PyTorch's `nn.init.trunc_normal_(p, mean, std, a, b)`: N(mean, std²) redrawn outside
 * [a, b] (absolute bounds). Defaults std 0.1, a = −2, b = 2 as the GGIG authors' port of
 * the sanity checks (applied to weights and biases; with std 0.1 the bounds never bite).
 *
 * @example
 * ```ts
 * modelRandomizationCheck(model, explain, x, { init: truncatedNormalInit({ std: 0.05 }) });
 * ```
 */
export function truncatedNormalInit(options: { mean?: number; std?: number; a?: number; b?: number } = {}): ParameterInit {
  const { mean = 0, std = 0.1, a = -2, b = 2 } = checkOptions(options, TRUNCATED_NORMAL_KEYS, 'truncatedNormalInit');
  if (!(std > 0) || !(b > a) || !(mean - 10 * std < b && mean + 10 * std > a)) {
    throw new ArgumentError(`truncatedNormalInit: need std > 0 and [a, b] overlapping mean ± 10 std, got mean=${mean}, std=${std}, a=${a}, b=${b}`);
  }
  return (_name, value, g) => {
    const v = new Float64Array(value.size);
    for (let i = 0; i < v.length; i++) {
      let s: number;
      do s = mean + std * g.normal();
      while (s < a || s > b);
      v[i] = s;
    }
    return fromFlat(v, value.shape, value.dtype);
  };
}

/**
 * Options of {@link modelRandomizationCheck}.
 *
 * @example
 * ```ts
 * const options: ModelRandomizationOptions = { mode: 'cascading', metrics: ['spearmanAbs', 'ssim'], init: truncatedNormalInit() };
 * modelRandomizationCheck(model, explain, images, options);
 * ```
 */
export interface ModelRandomizationOptions {
  /**
   * Modules to randomise, top (logits) first, as `namedModules` names. Default: every
   * module that owns parameters, in reverse `namedParameters` order (for `mnistCnn()`:
   * `9, 7, 3, 0`). All parameters under a named module are re-initialised.
   */
  layerOrder?: readonly string[];
  /** `'cascading'` (default): stage k randomises layers 1..k; `'independent'`: only layer k. */
  mode?: 'cascading' | 'independent';
  /** Re-initialiser (default {@link truncatedNormalInit}). */
  init?: ParameterInit;
  /** Similarities to report (default Spearman abs and signed, plus SSIM for 2-D maps ≥ the window). */
  metrics?: readonly SimilarityMetric[];
  /** SSIM window (default 11). */
  ssimWindow?: 7 | 11;
  /** Seed (default 0). A layer gets the same random values in every stage and mode. */
  seed?: number;
}

const RANDOMIZATION_KEYS = optionKeys<ModelRandomizationOptions>({
  layerOrder: true, mode: true, init: true, metrics: true, ssimWindow: true, seed: true,
});

/**
 * One point of a sanity-check plot: a stage, a metric, per-example values and their mean.
 *
 * @example
 * ```ts
 * const { rows } = modelRandomizationCheck(model, explain, images);
 * for (const row of rows) console.log(row.stage, row.layer, row.metric, row.mean.toFixed(3));
 * ```
 */
export interface RandomizationRow {
  /** 0 = the trained model (self-similarity), k = after randomising the k-th layer of the order. */
  stage: number;
  /** The layer randomised at this stage (`'original'` for stage 0). */
  layer: string;
  /** Every layer randomised at this stage. */
  randomized: string[];
  metric: SimilarityMetric;
  mean: number;
  std: number;
  /** Similarity per example. */
  values: Float64Array;
}

/**
 * Result of {@link modelRandomizationCheck}.
 *
 * @example
 * ```ts
 * const result: ModelRandomizationResult = modelRandomizationCheck(model, explain, images, { mode: 'independent' });
 * result.layerOrder; // e.g. ['6', '3', '0'], output layer first
 * ```
 */
export interface ModelRandomizationResult {
  layerOrder: string[];
  mode: 'cascading' | 'independent';
  metrics: SimilarityMetric[];
  /** One row per (stage, metric), stage-major: ready to plot similarity against stage. */
  rows: RandomizationRow[];
}

/**
 * Names of the modules owning parameters, top (last) first: the default layer order of
 * {@link modelRandomizationCheck}.
 *
 * @example
 * ```ts
 * parameterisedLayers(mnistMlp()); // ['4', '2', '0']
 * ```
 */
export function parameterisedLayers(model: Module): string[] {
  const seen: string[] = [];
  for (const [name] of model.namedParameters()) {
    const dot = name.lastIndexOf('.');
    const owner = dot < 0 ? '' : name.slice(0, dot);
    if (!seen.includes(owner)) seen.push(owner);
  }
  return seen.reverse();
}

/**
 * Model-randomisation check: the explanation of the trained model is compared with the
 * explanation after re-initialising layers, top-down. Cascading mode randomises one more
 * layer per stage (Adebayo et al.'s main test); independent mode one layer at a time.
 * Maps are compared per example with Spearman rank correlation of the abs-normalised and
 * of the signed (diverging) maps and SSIM of the abs-normalised maps (as Adebayo et al. 2018 compare them). A
 * method that depends on the model loses similarity as layers are randomised; one that
 * does not (an edge detector) keeps it. The caller's model is never changed: parameter
 * values are swapped for each stage and always restored.
 *
 * @example
 * ```ts
 * const explain = (m: Module, x: Tensor) => integratedGradients(m, x, { target: labels }).attributions;
 * const { rows } = modelRandomizationCheck(model, explain, images, { mode: 'cascading' });
 * ```
 */
export function modelRandomizationCheck(model: Module, explain: ModelExplainFunction, inputs: Tensor, opts: ModelRandomizationOptions = {}): ModelRandomizationResult {
  const name = 'modelRandomizationCheck';
  checkOptions(opts, RANDOMIZATION_KEYS, name);
  if (!(model instanceof Module)) throw new ArgumentError(`${name}: model must be an nn Module (its layers are re-initialised), got ${describe(model)}`);
  if (typeof explain !== 'function') throw new ArgumentError(`${name}: explain must be a function (model, inputs) => attributions, got ${describe(explain)}`);
  checkBatch(inputs, name);
  const mode = opts.mode ?? 'cascading';
  if (mode !== 'cascading' && mode !== 'independent') throw new ArgumentError(`${name}: mode must be 'cascading' or 'independent', got ${describe(mode)}`);
  const init = opts.init ?? truncatedNormalInit();
  if (typeof init !== 'function') throw new ArgumentError(`${name}: init must be a function (name, value, rng) => Tensor, got ${describe(init)}`);
  const seed = intOption(opts.seed, 0, 'seed', name, 0);
  const window = opts.ssimWindow ?? 11;
  const available = parameterisedLayers(model);
  const order = opts.layerOrder === undefined ? available : [...opts.layerOrder];
  if (order.length === 0) throw new ArgumentError(`${name}: layerOrder is empty (the model has ${available.length} parameterised layers: [${available.join(', ')}])`);
  const paramNames = model.namedParameters().map(([n]) => n);
  const layerParams = order.map((layer) => {
    if (typeof layer !== 'string') throw new ArgumentError(`${name}: layerOrder entries must be module names, got ${describe(layer)}`);
    const own = paramNames.filter((n) => layer === '' || n.startsWith(`${layer}.`));
    if (own.length === 0) throw new ArgumentError(`${name}: layer ${JSON.stringify(layer)} has no parameters; parameterised layers are [${available.join(', ')}]`);
    return own;
  });

  // the random values of each layer, drawn once (same in every stage and mode)
  const values = new Map<string, Tensor>();
  const current = new Map(model.namedParameters().map(([n, p]) => [n, p.value] as const));
  order.forEach((_, k) => {
    const g = makeRng(seed + 7919 * (k + 1));
    for (const p of layerParams[k]!) {
      const v = init(p, current.get(p)!, g);
      if (!(v instanceof Tensor) || v.size !== current.get(p)!.size) throw new ArgumentError(`${name}: init must return a tensor with ${p}'s shape [${current.get(p)!.shape.join(', ')}], got ${describe(v)}`);
      values.set(p, v.reshape(current.get(p)!.shape));
    }
  });

  const ref = sanityMaps(checkedExplain(explain, inputs, name, model, inputs));
  const metrics = resolveMetrics(opts.metrics, ref, window, name);
  const rows: RandomizationRow[] = [];
  const push = (stage: number, layer: string, randomized: string[], sims: Record<SimilarityMetric, Float64Array>): void => {
    for (const m of metrics) rows.push({ stage, layer, randomized, metric: m, ...meanStd(sims[m]), values: sims[m] });
  };
  push(0, 'original', [], compareMaps(ref, ref, metrics, window));
  order.forEach((layer, k) => {
    const randomized = mode === 'cascading' ? order.slice(0, k + 1) : [layer];
    const touched = new Set(randomized.flatMap((l) => layerParams[order.indexOf(l)]!));
    const attr = withParameters(
      model,
      (params) => {
        for (const [n, p] of params) if (touched.has(n)) p.value = values.get(n)!;
      },
      () => checkedExplain(explain, inputs, name, model, inputs),
    );
    push(k + 1, layer, randomized, compareMaps(ref, sanityMaps(attr), metrics, window));
  });
  return { layerOrder: order, mode, metrics, rows };
}

/**
 * Explanation of `inputs` for the given class per example.
 *
 * @example
 * ```ts
 * const explain: TargetExplainFunction = (inputs, targets) => integratedGradients(model, inputs, { target: targets }).attributions;
 * randomLogitCheck(explain, images, labels.toTypedArray(), { numClasses: 10 });
 * ```
 */
export type TargetExplainFunction = (inputs: Tensor, targets: Int32Array) => Tensor;

/**
 * Options of {@link randomLogitCheck}.
 *
 * @example
 * ```ts
 * const options: RandomLogitOptions = { numClasses: 10, similarity: 'ssim', seed: 0 };
 * randomLogitCheck(explain, images, labels.toTypedArray(), options).mean; // low = the map depends on the class
 * ```
 */
export interface RandomLogitOptions {
  /** Number of classes (required: the random class is drawn from the others). */
  numClasses: number;
  /** Similarity (default `'ssim'` on abs-normalised maps, Quantus' default similarity). */
  similarity?: SimilarityMetric;
  /** SSIM window (default 11). */
  ssimWindow?: 7 | 11;
  /** Seed (default 0). */
  seed?: number;
}

const RANDOM_LOGIT_KEYS = optionKeys<RandomLogitOptions>({ numClasses: true, similarity: true, ssimWindow: true, seed: true });

/**
 * Quantus `RandomLogit` (Sixt et al. 2020): similarity between the explanation of the
 * given class and of a class drawn uniformly from the other `numClasses − 1` (seeded).
 * Class-sensitive explanations give **low** similarity. Both explanations are computed
 * in one batch each.
 *
 * @example
 * ```ts
 * const explain = (x: Tensor, t: Int32Array) => saliency(model, x, { target: t }).attributions;
 * randomLogitCheck(explain, images, labels, { numClasses: 10 }).similarity;
 * ```
 */
export function randomLogitCheck(
  explain: TargetExplainFunction,
  inputs: Tensor,
  targets: ArrayLike<number>,
  opts: RandomLogitOptions,
): { similarity: Float64Array; randomTargets: Int32Array; mean: number } {
  const name = 'randomLogitCheck';
  checkOptions(opts, RANDOM_LOGIT_KEYS, name);
  if (typeof explain !== 'function') throw new ArgumentError(`${name}: explain must be a function (inputs, targets) => attributions, got ${describe(explain)}`);
  checkBatch(inputs, name);
  const n = inputs.shape[0]!;
  if (opts?.numClasses === undefined) throw new ArgumentError(`${name}: numClasses is required (the random class is drawn from the other classes)`);
  const k = intOption(opts.numClasses, 2, 'numClasses', name, 2);
  if (targets === null || typeof targets !== 'object' || targets.length !== n) {
    throw new ArgumentError(`${name}: targets must hold one class per example (${n}), got ${describe(targets)}`);
  }
  const t = Int32Array.from(targets);
  for (let i = 0; i < n; i++) if (!(targets[i]! >= 0 && targets[i]! < k) || !Number.isInteger(targets[i]!)) throw new ArgumentError(`${name}: targets[${i}] = ${targets[i]} is not a class in [0, ${k - 1}]`);
  const g = makeRng(intOption(opts.seed, 0, 'seed', name, 0));
  const other = Int32Array.from(t, (c) => {
    const r = Math.floor(g.uniform() * (k - 1));
    return r >= c ? r + 1 : r;
  });
  const window = opts.ssimWindow ?? 11;
  const a = sanityMaps(checkedExplain(explain, inputs, name, inputs, t));
  const b = sanityMaps(checkedExplain(explain, inputs, name, inputs, other));
  const [metric] = resolveMetrics([opts.similarity ?? 'ssim'], a, window, name) as [SimilarityMetric];
  const similarity = compareMaps(a, b, [metric], window)[metric];
  return { similarity, randomTargets: other, mean: meanStd(similarity).mean };
}
