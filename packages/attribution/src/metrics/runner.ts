/**
 * `evaluateMethods`: attribution methods × metrics over a slice of data, returned as a
 * tidy table (one row per example, method and metric) plus timings, so the CLI and the
 * reproductions need no glue of their own.
 */
import { noGrad } from '@pathgrad/autograd';
import { ArgumentError, Tensor, argmax, describe, optionKeys } from '@pathgrad/tensor';
import { callModel, checkModel, type Model } from '../model.js';
import { checkOptions } from '../options.js';
import { checkBatch } from './common.js';
import { complexity, completenessStats, sparseness } from './complexity.js';
import { deletionCurve, insertionCurve, type CausalMetricOptions } from './deletion.js';
import { infidelity, type InfidelityOptions } from './infidelity.js';
import { pic, type PicOptions } from './pic.js';
import { sensitivityMax, type SensitivityMaxOptions } from './sensitivity.js';

/**
 * What a method returns for the runner: attributions, and scores if it knows them (IG family).
 *
 * @example
 * ```ts
 * const output: MethodOutput = integratedGradients(model, images, { target: labels }); // inputScores enable 'completeness'
 * ```
 */
export interface MethodOutput {
  attributions: Tensor;
  inputScores?: ArrayLike<number>;
  baselineScores?: ArrayLike<number>;
}

/**
 * An attribution method as the runner calls it: one class per example in `opts.target`.
 *
 * @example
 * ```ts
 * const ig: MethodFunction = (m, inputs, { target }) => integratedGradients(m, inputs, { target, steps: 32 });
 * await evaluateMethods({ model, inputs: images, targets: labels.toTypedArray(), methods: { ig }, metrics: ['deletion'] });
 * ```
 */
export type MethodFunction = (model: Model, inputs: Tensor, opts: { target: Int32Array }) => MethodOutput;

/**
 * The built-in metrics.
 *
 * @example
 * ```ts
 * const metrics: MetricName[] = ['deletion', 'insertion', 'sparseness', 'completeness'];
 * ```
 */
export type MetricName = 'deletion' | 'insertion' | 'sic' | 'aic' | 'infidelity' | 'sensitivityMax' | 'sparseness' | 'complexity' | 'completeness';

/**
 * What a custom metric sees.
 *
 * @example
 * ```ts
 * // a repeatability metric: how far a second explanation of the same examples moves
 * const repeatability: CustomMetric = {
 *   name: 'repeatability',
 *   compute: (ctx: MetricContext) => {
 *     const again = ctx.explain(ctx.inputs, Int32Array.from(ctx.targets, (_, i) => i));
 *     return max(abs(sub(again, ctx.output.attributions)), { axis: [1, 2, 3] }).toTypedArray();
 *   },
 * };
 * ```
 */
export interface MetricContext {
  model: Model;
  inputs: Tensor;
  targets: Int32Array;
  method: string;
  output: MethodOutput;
  /** Re-runs the method on other inputs (rows from `examples`), as sensitivity needs. */
  explain: (inputs: Tensor, examples: Int32Array) => Tensor;
}

/**
 * A user metric: one value per example (null = not defined for that example).
 *
 * @example
 * ```ts
 * // a custom metric: the attribution mass inside the central 14x14 crop, per example
 * const centreMass: CustomMetric = {
 *   name: 'centreMass',
 *   compute: ({ output }) => {
 *     const a = abs(output.attributions);
 *     const centre = sum(slice(a, [null, null, [7, 21], [7, 21]]), { axis: [1, 2, 3] });
 *     return div(centre, sum(a, { axis: [1, 2, 3] })).toTypedArray();
 *   },
 * };
 * ```
 */
export interface CustomMetric {
  name: string;
  compute(ctx: MetricContext): ArrayLike<number | null> | Promise<ArrayLike<number | null>>;
}

/**
 * A metric to run: a built-in name, a built-in with options (and an optional row name), or a custom metric.
 *
 * @example
 * ```ts
 * const metrics: MetricSpec[] = [
 *   'deletion',
 *   { metric: 'insertion', name: 'insertion (blur)', options: { substrate: 'blur' } },
 *   { metric: 'infidelity', options: { samples: 20 } },
 * ];
 * ```
 */
export type MetricSpec =
  | MetricName
  | { metric: 'deletion' | 'insertion'; name?: string; options?: Omit<CausalMetricOptions, 'target'> }
  | { metric: 'sic' | 'aic'; name?: string; options?: Omit<PicOptions, 'target' | 'curves'> }
  | { metric: 'infidelity'; name?: string; options?: Omit<InfidelityOptions, 'target'> }
  | { metric: 'sensitivityMax'; name?: string; options?: SensitivityMaxOptions }
  | { metric: 'sparseness' | 'complexity' | 'completeness'; name?: string }
  | CustomMetric;

/**
 * Options of {@link evaluateMethods}.
 *
 * @example
 * ```ts
 * const options: EvaluateMethodsOptions = {
 *   model,
 *   inputs: images,
 *   targets: labels.toTypedArray(),
 *   methods: { saliency: (m, x, o) => saliency(m, x, o), ig: (m, x, o) => integratedGradients(m, x, o) },
 *   metrics: ['deletion', 'insertion', 'sparseness'],
 * };
 * const { rows } = await evaluateMethods(options);
 * ```
 */
export interface EvaluateMethodsOptions {
  model: Model;
  inputs: Tensor;
  /** Class per example (default: the model's predicted class). */
  targets?: ArrayLike<number>;
  methods: Record<string, MethodFunction>;
  metrics: readonly MetricSpec[];
}

/**
 * One cell of the tidy table.
 *
 * @example
 * ```ts
 * const { rows } = await evaluateMethods(options);
 * const igDeletion = rows.filter((r: EvaluationRow) => r.method === 'ig' && r.metric === 'deletion' && r.value !== null);
 * ```
 */
export interface EvaluationRow {
  example: number;
  method: string;
  metric: string;
  /** The value, or null where the metric is undefined for the example (see `note`). */
  value: number | null;
  note?: string;
}

/**
 * Result of {@link evaluateMethods}.
 *
 * @example
 * ```ts
 * const { rows, timings }: EvaluationResult = await evaluateMethods(options);
 * timings.map((t) => `${t.method}: ${t.attributionSeconds.toFixed(2)} s`);
 * ```
 */
export interface EvaluationResult {
  rows: EvaluationRow[];
  /** Wall-clock seconds per method: computing attributions, and each metric. */
  timings: { method: string; attributionSeconds: number; metricSeconds: Record<string, number> }[];
  targets: Int32Array;
}

/**
 * Runs every method on the inputs (one batched call each) and every metric on its
 * attributions, returning rows `{ example, method, metric, value }`. Built-in metrics
 * use their documented defaults; options go through `{ metric, options }`. SIC and AIC
 * share one PIC computation per method; PIC-skipped images get `value: null` and the
 * reason in `note`; `completeness` needs a method that reports `inputScores` and
 * `baselineScores` (others get null rows with a note).
 *
 * @example
 * ```ts
 * const { rows } = await evaluateMethods({
 *   model, inputs: images, targets: labels,
 *   methods: { ig: (m, x, o) => integratedGradients(m, x, o), saliency: (m, x, o) => saliency(m, x, { ...o, abs: false }) },
 *   metrics: ['deletion', { metric: 'insertion', options: { blurSigma: 2 } }, 'sparseness'],
 * });
 * ```
 */
export async function evaluateMethods(opts: EvaluateMethodsOptions): Promise<EvaluationResult> {
  const name = 'evaluateMethods';
  if (opts === undefined) throw new ArgumentError(`${name}: expected an options object { model, inputs, methods, metrics }, got undefined`);
  checkOptions(opts, EVALUATE_METHODS_KEYS, name);
  const { model, inputs, methods, metrics } = opts;
  checkModel(model, name);
  checkBatch(inputs, name);
  if (typeof methods !== 'object' || methods === null || Object.keys(methods).length === 0) throw new ArgumentError(`${name}: methods must name at least one method, got ${describe(methods)}`);
  for (const [k, f] of Object.entries(methods)) if (typeof f !== 'function') throw new ArgumentError(`${name}: methods.${k} must be a function (model, inputs, { target }) => { attributions }, got ${describe(f)}`);
  if (!Array.isArray(metrics) || metrics.length === 0) throw new ArgumentError(`${name}: metrics must be a non-empty array, got ${describe(metrics)}`);
  const n = inputs.shape[0]!;
  let targets: Int32Array;
  if (opts.targets === undefined) {
    targets = Int32Array.from(noGrad(() => argmax(callModel(model, inputs, name), { axis: 1 })).toTypedArray());
  } else {
    if (typeof opts.targets !== 'object' || opts.targets === null || opts.targets.length !== n) throw new ArgumentError(`${name}: targets must hold one class per example (${n}), got ${describe(opts.targets)}`);
    targets = Int32Array.from(opts.targets);
  }
  const specs = metrics.map((m) => normalizeSpec(m, name));
  const names = specs.map((s) => s.name);
  const dup = names.find((x, i) => names.indexOf(x) !== i);
  if (dup !== undefined) throw new ArgumentError(`${name}: two metrics are named ${JSON.stringify(dup)}; give one a different name`);

  const rows: EvaluationRow[] = [];
  const timings: EvaluationResult['timings'] = [];
  for (const [method, fn] of Object.entries(methods)) {
    const t0 = performance.now();
    const output = fn(model, inputs, { target: targets });
    if (typeof output !== 'object' || output === null || !(output.attributions instanceof Tensor)) {
      throw new ArgumentError(`${name}: method ${JSON.stringify(method)} must return { attributions: Tensor }, got ${describe(output)}`);
    }
    const attributionSeconds = (performance.now() - t0) / 1000;
    const ctx: MetricContext = {
      model,
      inputs,
      targets,
      method,
      output,
      explain: (x, ex) => fn(model, x, { target: Int32Array.from(ex, (i) => targets[i]!) }).attributions,
    };
    const metricSeconds: Record<string, number> = {};
    let picCache: Promise<Awaited<ReturnType<typeof pic>>> | undefined;
    let picKey = '';
    for (const spec of specs) {
      const t1 = performance.now();
      const values = await runMetric(spec, ctx, (o) => {
        const key = JSON.stringify(o ?? {}, (_k, v: unknown) => (typeof v === 'function' ? String(v) : v));
        if (picCache === undefined || key !== picKey) {
          picKey = key;
          picCache = pic(model, inputs, output.attributions, { ...o, target: targets, curves: ['sic', 'aic'] });
        }
        return picCache;
      });
      metricSeconds[spec.name] = (performance.now() - t1) / 1000;
      for (let e = 0; e < n; e++) rows.push({ example: e, method, metric: spec.name, ...values[e]! });
    }
    timings.push({ method, attributionSeconds, metricSeconds });
  }
  return { rows, timings, targets };
}

type NormalizedSpec =
  | { kind: 'builtin'; name: string; metric: MetricName; options?: object }
  | { kind: 'custom'; name: string; metric: CustomMetric };

const BUILTIN: readonly MetricName[] = ['deletion', 'insertion', 'sic', 'aic', 'infidelity', 'sensitivityMax', 'sparseness', 'complexity', 'completeness'];

const EVALUATE_METHODS_KEYS = optionKeys<EvaluateMethodsOptions>({ model: true, inputs: true, targets: true, methods: true, metrics: true });
const CUSTOM_METRIC_KEYS = optionKeys<CustomMetric>({ name: true, compute: true });
const NO_OPTIONS_METRICS: readonly string[] = ['sparseness', 'complexity', 'completeness'];

function normalizeSpec(m: MetricSpec, name: string): NormalizedSpec {
  if (typeof m === 'string') {
    if (!BUILTIN.includes(m)) throw new ArgumentError(`${name}: unknown metric ${JSON.stringify(m)}; expected one of ${BUILTIN.join(', ')} or a custom { name, compute }`);
    return { kind: 'builtin', name: m, metric: m };
  }
  if (typeof m === 'object' && m !== null && 'compute' in m && typeof m.compute === 'function') {
    checkOptions(m, CUSTOM_METRIC_KEYS, `${name}: custom metric`);
    if (typeof m.name !== 'string' || m.name === '') throw new ArgumentError(`${name}: a custom metric needs a non-empty name`);
    return { kind: 'custom', name: m.name, metric: m };
  }
  if (typeof m === 'object' && m !== null && 'metric' in m && BUILTIN.includes(m.metric)) {
    // the metric's own options are checked by the metric function; here the spec's keys
    checkOptions(m, NO_OPTIONS_METRICS.includes(m.metric) ? ['metric', 'name'] : ['metric', 'name', 'options'], `${name}: metric '${m.metric}'`);
    const options = 'options' in m ? m.options : undefined;
    return { kind: 'builtin', name: m.name ?? m.metric, metric: m.metric, ...(options ? { options } : {}) };
  }
  throw new ArgumentError(`${name}: each metric must be a name (${BUILTIN.join(', ')}), { metric, options } or { name, compute }, got ${describe(m)}`);
}

type Cell = { value: number | null; note?: string };

async function runMetric(spec: NormalizedSpec, ctx: MetricContext, getPic: (o: object | undefined) => ReturnType<typeof pic>): Promise<Cell[]> {
  const { model, inputs, targets, output } = ctx;
  const n = inputs.shape[0]!;
  const numbers = (v: ArrayLike<number> | Tensor): Cell[] => {
    const arr = v instanceof Tensor ? v.toTypedArray() : v;
    return Array.from({ length: n }, (_, e) => ({ value: arr[e]! }));
  };
  if (spec.kind === 'custom') {
    const v = await spec.metric.compute(ctx);
    if (v === null || typeof v !== 'object' || v.length !== n) throw new ArgumentError(`evaluateMethods: custom metric ${JSON.stringify(spec.name)} must return one value per example (${n}), got ${describe(v)}`);
    return Array.from({ length: n }, (_, e) => {
      const x = v[e];
      if (x !== null && (typeof x !== 'number' || !Number.isFinite(x))) throw new ArgumentError(`evaluateMethods: custom metric ${JSON.stringify(spec.name)} returned ${describe(x)} for example ${e}; expected a finite number or null`);
      return { value: x ?? null };
    });
  }
  const o = spec.options;
  switch (spec.metric) {
    case 'deletion':
      return numbers(deletionCurve(model, inputs, output.attributions, { ...o, target: targets }).auc);
    case 'insertion':
      return numbers(insertionCurve(model, inputs, output.attributions, { ...o, target: targets }).auc);
    case 'sic':
    case 'aic': {
      const res = await getPic(o);
      const curves = spec.metric === 'sic' ? res.sic! : res.aic!;
      return curves.map((c) => (c.ok ? { value: c.auc } : { value: null, note: `skipped: ${c.reason}` }));
    }
    case 'infidelity':
      return numbers(infidelity(model, inputs, output.attributions, { ...o, target: targets }).infidelity);
    case 'sensitivityMax':
      return numbers(sensitivityMax(ctx.explain, inputs, o).sensitivity);
    case 'sparseness':
      return numbers(sparseness(output.attributions));
    case 'complexity':
      return numbers(complexity(output.attributions));
    case 'completeness': {
      if (output.inputScores === undefined || output.baselineScores === undefined) {
        return Array.from({ length: n }, () => ({ value: null, note: 'the method reports no inputScores/baselineScores (completeness applies to IG-family methods)' }));
      }
      return numbers(completenessStats({ attributions: output.attributions, inputScores: output.inputScores, baselineScores: output.baselineScores }).relative);
    }
  }
}
