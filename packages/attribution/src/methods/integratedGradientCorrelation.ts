import { noGrad } from '@pathgrad/autograd';
import { ArgumentError, ShapeError, Tensor, describe, optionKeys, shapesEqual } from '@pathgrad/tensor';
import { datasetSamplesBaseline, resolveBaselines, type Baseline } from '../baselines.js';
import { toFloat64 } from '../gradients.js';
import { callModel, checkInputs, checkModel, type Model } from '../model.js';
import { MAX_BASELINES, checkOptions, countOption, intOption, quadratureOptions, transformOption } from '../options.js';
import { exampleScores, straightPathGradient } from '../path.js';
import { quadrature, type QuadratureMethod } from '../quadrature.js';
import type { OutputTransform } from '../target.js';

/**
 * One batch of a dataset: inputs `[B, ...]` and targets (`[B]` int labels, or `[B]`/`[B, J]` real values, column j the target of output j).
 *
 * @example
 * ```ts
 * const batch: DataBatch = { inputs: images, targets: labels };
 * integratedGradientCorrelation(model, batch);
 * ```
 */
export interface DataBatch {
  inputs: Tensor;
  targets: Tensor;
}

/**
 * Options of {@link integratedGradientCorrelation}.
 *
 * @example
 * ```ts
 * const options: IGCOptions = { task: 'classification', components: [3, 8], steps: 32, baseline: 0 };
 * integratedGradientCorrelation(model, { inputs: images, targets: labels }, options);
 * ```
 */
export interface IGCOptions {
  /** `'classification'` (int labels, one map per class, y = one-hot) or `'regression'`; default from the targets' dtype. */
  task?: 'classification' | 'regression';
  /** Output components (classes) to explain (default: all). */
  components?: readonly number[];
  /**
   * Baselines: a fixed baseline (number, tensor or builder; default 0), with which Σ IGC equals
   * the correlation exactly; or `{ samples: K, data }` (K at most {@link MAX_BASELINES}) for K dataset baselines re-drawn for every
   * batch (IGC's `x_0 = K`; completeness then holds only in expectation).
   */
  baseline?: Baseline | { samples: number; data: Tensor };
  /** IG steps (default 64, the IGC package's default). */
  steps?: number;
  /** Quadrature rule (default `'riemannTrapezoid'`: the correct trapezoid the IGC code uses). */
  method?: QuadratureMethod;
  /** Explained scalar: classification default `'softmax'` (class probability, IGC v1), or `'logSoftmax'`/`'identity'`. */
  outputTransform?: OutputTransform;
  /** At most this many points per forward/backward pass. */
  internalBatchSize?: number;
  /** Seed of random baselines (default 100, the IGC package's `x_0_seed`). */
  seed?: number;
}

const IGC_KEYS = optionKeys<IGCOptions>({
  task: true, components: true, baseline: true, steps: true, method: true, outputTransform: true,
  internalBatchSize: true, seed: true,
});

/**
 * Serializable state of an IGC accumulator (merge shards with {@link IGCAccumulator.merge}).
 *
 * @example
 * ```ts
 * const state: IGCState = igcAccumulate(model, { inputs: images, targets: labels }).toState();
 * const restored = IGCAccumulator.fromState(JSON.parse(JSON.stringify(state))); // resume later, or elsewhere
 * ```
 */
export interface IGCState {
  featureShape: number[];
  components: number[];
  count: number;
  meanY: number[];
  meanYhat: number[];
  m2Y: number[];
  m2Yhat: number[];
  coYhatY: number[];
  meanIG: number[][];
  coIGY: number[][];
}

/**
 * Result of IGC.
 *
 * @example
 * ```ts
 * const { igc, correlation }: IGCResult = integratedGradientCorrelation(model, { inputs: images, targets: labels });
 * igc.shape; // [10, 1, 28, 28]: one map per output component
 * ```
 */
export interface IGCResult {
  /** IGC maps `[J, ...features]`, float64, one per component. */
  igc: Tensor;
  /** The explained components. */
  components: number[];
  /** Pearson correlation between predictions and targets per component. */
  correlation: Float64Array;
  /** Σ_i IGC per component (equals the correlation with fixed baselines, up to IG error). */
  igcSum: Float64Array;
  /** Examples seen. */
  count: number;
}

/**
 * Mergeable streaming statistics of IGC (Chan et al.'s parallel mean/co-moment updates):
 * per component the means and second moments of y and ŷ, and per feature the mean IG
 * and its co-moment with y. Shards can be merged in any grouping.
 *
 * @example
 * ```ts
 * // two shards of the data set, accumulated separately and merged
 * const a = igcAccumulate(model, shardA);
 * const b = igcAccumulate(model, shardB);
 * const { igc } = a.merge(b).result();
 * ```
 */
export class IGCAccumulator {
  private count = 0;
  private readonly meanY: Float64Array;
  private readonly meanYhat: Float64Array;
  private readonly m2Y: Float64Array;
  private readonly m2Yhat: Float64Array;
  private readonly coYhatY: Float64Array;
  private readonly meanIG: Float64Array[];
  private readonly coIGY: Float64Array[];
  private readonly per: number;

  /** A new, empty accumulator for `components` maps over features of `featureShape`. */
  constructor(readonly featureShape: readonly number[], readonly components: readonly number[]) {
    const J = components.length;
    this.per = featureShape.reduce((a, b) => a * b, 1);
    this.meanY = new Float64Array(J);
    this.meanYhat = new Float64Array(J);
    this.m2Y = new Float64Array(J);
    this.m2Yhat = new Float64Array(J);
    this.coYhatY = new Float64Array(J);
    this.meanIG = Array.from({ length: J }, () => new Float64Array(this.per));
    this.coIGY = Array.from({ length: J }, () => new Float64Array(this.per));
  }

  /** Adds one batch: per component, the IG rows `[B * D]`, the predictions `[B]` and the targets `[B]`. */
  addBatch(ig: Float64Array[], yhat: Float64Array[], y: Float64Array[]): void {
    const B = y[0]?.length ?? 0;
    if (B === 0) return;
    const other = new IGCAccumulator(this.featureShape, this.components);
    other.count = B;
    this.components.forEach((_, c) => {
      let my = 0;
      let mh = 0;
      for (let i = 0; i < B; i++) {
        my += y[c]![i]! / B;
        mh += yhat[c]![i]! / B;
      }
      let sy = 0;
      let sh = 0;
      let shy = 0;
      for (let i = 0; i < B; i++) {
        sy += (y[c]![i]! - my) ** 2;
        sh += (yhat[c]![i]! - mh) ** 2;
        shy += (yhat[c]![i]! - mh) * (y[c]![i]! - my);
      }
      other.coYhatY[c] = shy;
      other.meanY[c] = my;
      other.meanYhat[c] = mh;
      other.m2Y[c] = sy;
      other.m2Yhat[c] = sh;
      const mIG = other.meanIG[c]!;
      const co = other.coIGY[c]!;
      for (let i = 0; i < B; i++) for (let d = 0; d < this.per; d++) mIG[d]! += ig[c]![i * this.per + d]! / B;
      for (let i = 0; i < B; i++) {
        const dy = y[c]![i]! - my;
        for (let d = 0; d < this.per; d++) co[d]! += (ig[c]![i * this.per + d]! - mIG[d]!) * dy;
      }
    });
    this.merge(other);
  }

  /** Merges another accumulator's statistics into this one (the order of shards does not matter beyond float rounding). */
  merge(other: IGCAccumulator): this {
    if (!shapesEqual(other.featureShape, this.featureShape) || other.components.join() !== this.components.join()) {
      throw new ShapeError(`IGCAccumulator.merge: accumulators differ (features [${other.featureShape.join(', ')}] vs [${this.featureShape.join(', ')}], components ${other.components.join(',')} vs ${this.components.join(',')})`);
    }
    const na = this.count;
    const nb = other.count;
    const n = na + nb;
    if (nb === 0) return this;
    this.components.forEach((_, c) => {
      const dy = other.meanY[c]! - this.meanY[c]!;
      const dh = other.meanYhat[c]! - this.meanYhat[c]!;
      this.m2Y[c] = this.m2Y[c]! + other.m2Y[c]! + (dy * dy * na * nb) / n;
      this.m2Yhat[c] = this.m2Yhat[c]! + other.m2Yhat[c]! + (dh * dh * na * nb) / n;
      this.coYhatY[c] = this.coYhatY[c]! + other.coYhatY[c]! + (dh * dy * na * nb) / n;
      const mIG = this.meanIG[c]!;
      const co = this.coIGY[c]!;
      for (let d = 0; d < this.per; d++) {
        const dIG = other.meanIG[c]![d]! - mIG[d]!;
        co[d] = co[d]! + other.coIGY[c]![d]! + (dIG * dy * na * nb) / n;
        mIG[d] = mIG[d]! + (dIG * nb) / n;
      }
      this.meanY[c] = this.meanY[c]! + (dy * nb) / n;
      this.meanYhat[c] = this.meanYhat[c]! + (dh * nb) / n;
    });
    this.count = n;
    return this;
  }

  /** IGC maps and the checks: `IGC_{j,i} = cov(IG_i, y_j) / (σ_y σ_ŷ)`, population (ddof 0) statistics. */
  result(): IGCResult {
    const J = this.components.length;
    const igc = new Float64Array(J * this.per);
    const correlation = new Float64Array(J);
    const igcSum = new Float64Array(J);
    const n = this.count;
    this.components.forEach((_, c) => {
      const sy = Math.sqrt(this.m2Y[c]! / n);
      const sh = Math.sqrt(this.m2Yhat[c]! / n);
      const denom = sy * sh;
      let s = 0;
      for (let d = 0; d < this.per; d++) {
        const v = denom > 0 ? this.coIGY[c]![d]! / n / denom : 0;
        igc[c * this.per + d] = v;
        s += v;
      }
      igcSum[c] = s;
      correlation[c] = denom > 0 ? this.coYhatY[c]! / n / denom : 0;
    });
    return { igc: new Tensor(igc, [J, ...this.featureShape], 'float64'), components: [...this.components], correlation, igcSum, count: n };
  }

  /** A plain JSON-able snapshot (for writing shard files). */
  toState(): IGCState {
    return {
      featureShape: [...this.featureShape],
      components: [...this.components],
      count: this.count,
      meanY: [...this.meanY],
      meanYhat: [...this.meanYhat],
      m2Y: [...this.m2Y],
      m2Yhat: [...this.m2Yhat],
      coYhatY: [...this.coYhatY],
      meanIG: this.meanIG.map((a) => [...a]),
      coIGY: this.coIGY.map((a) => [...a]),
    };
  }

  /**
   * Restores an accumulator from {@link toState}'s snapshot, after checking every field:
   * shapes and lengths consistent with `featureShape` and `components`, `count` a
   * non-negative integer, every statistic a finite number, second moments non-negative,
   * and an empty accumulator all zeros. A state read from a file is untrusted input: any
   * mismatch throws an ArgumentError naming the field (e.g. `state.meanIG[1]`).
   */
  static fromState(s: IGCState): IGCAccumulator {
    checkState(s);
    const a = new IGCAccumulator(s.featureShape, s.components);
    a.count = s.count;
    a.meanY.set(s.meanY);
    a.meanYhat.set(s.meanYhat);
    a.m2Y.set(s.m2Y);
    a.m2Yhat.set(s.m2Yhat);
    a.coYhatY.set(s.coYhatY);
    s.meanIG.forEach((v, c) => a.meanIG[c]!.set(v));
    s.coIGY.forEach((v, c) => a.coIGY[c]!.set(v));
    return a;
  }
}

const STATE_FIELDS = ['featureShape', 'components', 'count', 'meanY', 'meanYhat', 'm2Y', 'm2Yhat', 'coYhatY', 'meanIG', 'coIGY'] as const;

/** Throws an ArgumentError naming the first field of `s` that is not a valid {@link IGCState}. */
function checkState(s: unknown): asserts s is IGCState {
  // `got` is described; a string `text` is shown as it is (e.g. "783 values")
  const fail = (field: string, expected: string, got: unknown, text?: string): never => {
    throw new ArgumentError(`IGCAccumulator.fromState: state${field === '' ? '' : `.${field}`} must be ${expected}, got ${text ?? describe(got)}`);
  };
  if (typeof s !== 'object' || s === null || Array.isArray(s)) fail('', 'an object (from toState)', s);
  const st = s as Record<string, unknown>;
  for (const f of STATE_FIELDS) if (!(f in st)) fail(f, 'present', undefined);
  const intList = (field: 'featureShape' | 'components', min: number): number[] => {
    const v = st[field];
    if (!Array.isArray(v)) return fail(field, 'an array of integers', v);
    v.forEach((d, i) => {
      if (!Number.isSafeInteger(d) || (d as number) < min) fail(`${field}[${i}]`, `an integer >= ${min}`, d);
    });
    return v as number[];
  };
  const featureShape = intList('featureShape', 1);
  const components = intList('components', 0);
  if (components.length === 0) fail('components', 'a non-empty array', components);
  if (new Set(components).size !== components.length) fail('components', 'distinct class indices', components);
  const per = featureShape.reduce((x, y) => x * y, 1);
  if (!Number.isSafeInteger(per) || per > 2 ** 31) fail('featureShape', 'a shape of at most 2^31 elements', featureShape);
  const count = st['count'];
  if (!Number.isSafeInteger(count) || (count as number) < 0) fail('count', 'a non-negative integer', count);
  const J = components.length;
  const numbers = (field: string, v: unknown, length: number, nonNegative: boolean): void => {
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) fail(field, `an array of ${length} numbers`, v);
    const arr = v as ArrayLike<unknown>;
    if (arr.length !== length) fail(field, `${length} numbers`, arr, `${arr.length} values`);
    for (let i = 0; i < length; i++) {
      const x = arr[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${field}[${i}]`, 'a finite number', x);
      if (nonNegative && (x as number) < 0) fail(`${field}[${i}]`, 'non-negative (a sum of squares)', x);
      if (count === 0 && x !== 0) fail(`${field}[${i}]`, '0 when count is 0 (an empty accumulator)', x);
    }
  };
  for (const f of ['meanY', 'meanYhat', 'coYhatY'] as const) numbers(f, st[f], J, false);
  for (const f of ['m2Y', 'm2Yhat'] as const) numbers(f, st[f], J, true);
  for (const f of ['meanIG', 'coIGY'] as const) {
    const rows = st[f];
    if (!Array.isArray(rows)) fail(f, `an array of ${J} arrays (one per component)`, rows);
    if ((rows as unknown[]).length !== J) fail(f, `${J} arrays (one per component)`, rows, `${(rows as unknown[]).length} arrays`);
    (rows as unknown[]).forEach((row, c) => numbers(`${f}[${c}]`, row, per, false));
  }
}

/**
 * Integrated Gradient Correlation (Lelièvre & Chen 2024), exactly as the authors' code:
 * a dataset-wise map per output component j,
 * `IGC_{j,i} = (1/N) Σ_n IG_i(x_n) (y_n − ȳ) / (σ_y σ_ŷ)` (population statistics), which
 * sums over features to the Pearson correlation between predictions ŷ = F_j(x) and targets
 * y (exactly with fixed baselines, up to IG's discretisation). For classifiers the map of
 * class k explains the class probability against the one-hot target. Streams over batches
 * with a mergeable accumulator, so any dataset size runs in bounded memory.
 *
 * @example
 * ```ts
 * const { igc, igcSum, correlation } = integratedGradientCorrelation(model, [{ inputs: images, targets: labels }], { steps: 32 });
 * ```
 */
export function integratedGradientCorrelation(model: Model, data: DataBatch | Iterable<DataBatch>, opts: IGCOptions = {}): IGCResult {
  return igcAccumulate(model, data, opts).result();
}

/**
 * Runs IGC over the data and returns the accumulator (for sharding: merge, then `result()`).
 *
 * @example
 * ```ts
 * let acc: IGCAccumulator | undefined;
 * for (const batch of batches) acc = igcAccumulate(model, batch, { steps: 32 }, acc);
 * const { igc } = acc!.result();
 * ```
 */
export function igcAccumulate(model: Model, data: DataBatch | Iterable<DataBatch>, opts: IGCOptions = {}, into?: IGCAccumulator): IGCAccumulator {
  const name = 'integratedGradientCorrelation';
  checkModel(model, name);
  checkOptions(opts, IGC_KEYS, name);
  const batches: Iterable<DataBatch> = isBatch(data) ? [data] : checkedBatches(data, name);
  const { method, steps } = quadratureOptions(opts.method ?? 'riemannTrapezoid', opts.steps ?? 64, name);
  const quad = quadrature(method, steps);
  let acc = into;
  let batchIndex = 0;
  const seed = intOption(opts.seed, 100, 'seed', name, 0);
  for (const batch of batches) {
    if (!isBatch(batch)) {
      if (typeof batch === 'object' && batch !== null) checkOptions(batch, DATA_BATCH_KEYS, `${name}: batch`);
      throw new ArgumentError(`${name}: every batch must be { inputs: Tensor, targets: Tensor }, got ${describe(batch)}`);
    }
    const { inputs, targets } = batch;
    checkInputs(inputs, name);
    const B = inputs.shape[0]!;
    if (!(targets instanceof Tensor) || targets.shape[0] !== B || targets.rank > 2) {
      throw new ShapeError(`${name}: targets must be [${B}] or [${B}, J] to match ${B} inputs, got ${describe(targets)}`);
    }
    const task = opts.task ?? (targets.dtype === 'int32' ? 'classification' : 'regression');
    if (task !== 'classification' && task !== 'regression') throw new ArgumentError(`${name}: task must be 'classification' or 'regression', got ${describe(opts.task)}`);
    const output = noGrad(() => callModel(model as Model, inputs, name));
    const C = output.rank === 2 ? output.shape[1]! : 1;
    if (task === 'regression' && targets.rank === 2 && targets.shape[1] !== C) {
      throw new ShapeError(`${name}: [B, J] regression targets need one column per model output (J = ${C}), got ${describe(targets)}`);
    }
    const components = opts.components ? [...opts.components] : Array.from({ length: C }, (_, j) => j);
    for (const j of components) {
      if (!Number.isInteger(j) || j < 0 || j >= C) throw new ArgumentError(`${name}: component ${describe(j)} is out of range [0, ${C - 1}]`);
    }
    acc ??= new IGCAccumulator(inputs.shape.slice(1), components);
    const transform = transformOption(opts.outputTransform ?? (task === 'classification' ? 'softmax' : 'identity'), name);
    const baselines = igcBaselines(inputs, opts.baseline, seed + 1_000_000 * (batchIndex + 1), name);
    const t = toFloat64(targets);
    const x = toFloat64(inputs);
    const igs: Float64Array[] = [];
    const yhats: Float64Array[] = [];
    const ys: Float64Array[] = [];
    for (const j of components) {
      const spec = { model: model as Model, target: output.rank === 2 ? { kind: 'indices' as const, indices: new Int32Array(B).fill(j) } : { kind: 'none' as const }, outputTransform: transform, methodName: name };
      const ig = new Float64Array(x.length);
      for (const b of baselines) {
        const pg = straightPathGradient(spec, inputs, b, quad, opts.internalBatchSize);
        const bf = toFloat64(b);
        for (let i = 0; i < ig.length; i++) ig[i]! += (pg[i]! * (x[i]! - bf[i]!)) / baselines.length;
      }
      igs.push(ig);
      yhats.push(exampleScores(spec, inputs));
      ys.push(
        Float64Array.from({ length: B }, (_, i) =>
          // [B, J] targets: column j belongs to output j (by component id, not by position in `components`)
          task === 'classification' ? (t[i] === j ? 1 : 0) : targets.rank === 2 ? t[i * C + j]! : t[i]!,
        ),
      );
    }
    acc.addBatch(igs, yhats, ys);
    batchIndex++;
  }
  if (!acc) throw new ArgumentError(`${name}: the dataset is empty`);
  return acc;
}

function isBatch(d: unknown): d is DataBatch {
  return typeof d === 'object' && d !== null && 'inputs' in d && 'targets' in d;
}

const DATA_BATCH_KEYS = optionKeys<DataBatch>({ inputs: true, targets: true });

/** `data` as an iterable of batches; a lone object that is not a batch is refused naming its odd key. */
function checkedBatches(data: unknown, name: string): Iterable<DataBatch> {
  if (typeof data === 'object' && data !== null && typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function') return data as Iterable<DataBatch>;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) checkOptions(data, DATA_BATCH_KEYS, `${name}: data`);
  throw new ArgumentError(`${name}: data must be a batch { inputs, targets } or an iterable of them, got ${describe(data)}`);
}

function igcBaselines(inputs: Tensor, spec: IGCOptions['baseline'], seed: number, name: string): Tensor[] {
  if (spec && typeof spec === 'object' && ('samples' in spec || 'data' in spec) && !(spec instanceof Tensor) && !Array.isArray(spec)) {
    checkOptions(spec, ['samples', 'data'], `${name}: baseline`);
    if (!('samples' in spec && 'data' in spec)) throw new ArgumentError(`${name}: a dataset baseline needs both samples and data, got ${describe(Object.keys(spec))}`);
    // named as the caller wrote it (baseline.samples), not as datasetSamplesBaseline's k
    if (spec.samples !== undefined) countOption(spec.samples, 1, 'baseline.samples', name, MAX_BASELINES);
    return resolveBaselines(inputs, datasetSamplesBaseline(spec.data, spec.samples), seed, name);
  }
  return resolveBaselines(inputs, spec as Baseline | undefined, seed, name);
}

