import type { Model } from '../model.js';
import { ArgumentError, Tensor, allocate, describe, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { gaussianBlur2d } from '../blur.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { chunkSize, forEachGradientChunk, fromFlat, scalarValues, toFloat64, type ExplainedScalar } from '../gradients.js';
import { guidedPath } from './guidedIG.js';
import { checkOptions, intOption, numberOption, stepsOption } from '../options.js';
import { exampleScores } from '../path.js';

/**
 * Options of {@link idgi}.
 *
 * @example
 * ```ts
 * const options: IDGIOptions = { target: labels, path: 'straight', baseline: 0, steps: 64 };
 * idgi(model, images, options);
 * ```
 */
export interface IDGIOptions extends ExplainOptions {
  /**
   * The path IDGI is applied to: the straight IG line (default), Blur IG's blur path, or
   * Guided IG's adaptive path (PAIR's guided_ig_impl, as the IDGI authors apply it to GIG).
   */
  path?: 'straight' | 'blur' | 'guided';
  /** Baseline of the straight and guided paths (default 0). */
  baseline?: Baseline;
  /** Path segments N (N+1 points including both ends; default 50). */
  steps?: number;
  /** Largest σ of the blur path (default 50). */
  maxSigma?: number;
  /** Guided path: fraction of features moved per inner iteration (default 0.25, as {@link guidedIG}). */
  fraction?: number;
  /** Guided path: how far (in α) a feature may run ahead of the straight line (default 0.02, as {@link guidedIG}). */
  maxDist?: number;
  /** At most this many points per forward/backward pass. */
  internalBatchSize?: number;
  /** Seed for random baselines (default 0). */
  seed?: number;
}

const IDGI_KEYS = optionKeys<IDGIOptions>({
  path: true, baseline: true, steps: true, maxSigma: true, fraction: true, maxDist: true,
  internalBatchSize: true, seed: true, target: true, outputTransform: true,
});

/**
 * Result of {@link idgi}.
 *
 * @example
 * ```ts
 * const { attributions, delta }: IDGIResult = idgi(model, images, { target: labels });
 * ```
 */
export interface IDGIResult {
  attributions: Tensor;
  /**
   * `Σ attributions − (F(x) − F(x_0))`: zero up to float error, by construction (on the
   * guided path, up to the path's end missing x by float error).
   */
  delta: Tensor;
  gradientEvaluations: number;
}

/**
 * IDGI, Important Direction Gradient Integration (Yang, Wang & Bilgic 2023), as the
 * authors' `idgi.py`: along path points x_0 (baseline) … x_N (input),
 * `IDGI = Σ_j (F(x_{j+1}) − F(x_j)) · g_j ⊙ g_j / ‖g_j‖²` with `g_j = ∇F(x_j)`. It sums to
 * F(x) − F(x_0) exactly, whatever N, except that steps where ‖g_j‖² < 1e-30 are
 * skipped (a guard of ours, not in the paper): their output change (if any) is then lost and shows in `delta`.
 * The path is IG's straight line, Blur IG's blur path, or Guided IG's adaptive path (the
 * points PAIR's guided_ig_impl visits, one gradient each).
 *
 * @example
 * ```ts
 * const { attributions } = idgi(model, images, { target: labels, steps: 64 });
 * const onGuided = idgi(model, images, { target: labels, path: 'guided', steps: 128, maxDist: 0.02 });
 * ```
 */
export function idgi(model: Model, inputs: Tensor, opts: IDGIOptions = {}): IDGIResult {
  const name = 'idgi';
  checkOptions(opts, IDGI_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const path = opts.path ?? 'straight';
  if (path !== 'straight' && path !== 'blur' && path !== 'guided') {
    throw new ArgumentError(`${name}: path must be 'straight', 'blur' or 'guided', got ${describe(opts.path)}`);
  }
  if (path === 'guided') return idgiGuided(spec, inputs, opts);
  const steps = stepsOption(opts.steps, 50, name);
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const x = toFloat64(inputs);
  let pointAt: (j: number) => Float64Array;
  if (path === 'straight') {
    const [b] = resolveBaselines(inputs, opts.baseline, intOption(opts.seed, 0, 'seed', name, 0), name);
    const bf = toFloat64(b!);
    pointAt = (j) => {
      // a plain loop: TypedArray.map calls a closure per element (most of IDGI's time on an MLP)
      const a = j / steps;
      const p = new Float64Array(bf.length);
      for (let i = 0; i < p.length; i++) p[i] = bf[i]! + a * (x[i]! - bf[i]!);
      return p;
    };
  } else {
    const maxSigma = numberOption(opts.maxSigma, 50, 'maxSigma', name, 0);
    pointAt = (j) => toFloat64(gaussianBlur2d(inputs, ((steps - j) * maxSigma) / steps));
  }
  let cached = -1;
  let cachedPoint: Float64Array = new Float64Array(0);
  const point = (j: number) => {
    if (j !== cached) {
      cached = j;
      cachedPoint = pointAt(j);
    }
    return cachedPoint;
  };
  const total = n * (steps + 1);
  const size = chunkSize(opts.internalBatchSize, total, name, per);
  const build = (start: number, end: number) => {
    const rows = end - start;
    // straight into the input dtype (set rounds each value as fromFlat would)
    const pts = allocate(inputs.dtype, rows * per);
    const rowExamples = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const j = Math.floor((start + r) / n);
      const e = (start + r) % n;
      rowExamples[r] = e;
      pts.set(point(j).subarray(e * per, (e + 1) * per), r * per);
    }
    return { points: new Tensor(pts, [rows, ...inputs.shape.slice(1)], inputs.dtype), rowExamples };
  };
  // values at every path point first (forward only), so each step knows F(x_{j+1})
  const f = new Float64Array(total);
  for (let start = 0; start < total; start += size) {
    const c = build(start, Math.min(total, start + size));
    f.set(scalarValues(spec, c.points, c.rowExamples), start);
  }
  const attr = new Float64Array(inputs.size);
  const gradTotal = n * steps;
  forEachGradientChunk(spec, gradTotal, Math.min(size, gradTotal), build, (start, end, _values, grads) => {
    for (let r = 0; r < end - start; r++) {
      const j = Math.floor((start + r) / n);
      const e = (start + r) % n;
      addStep(attr, e * per, grads, r * per, per, f[(j + 1) * n + e]! - f[j * n + e]!);
    }
  });
  const delta = Float64Array.from({ length: n }, (_, e) => {
    let s = 0;
    for (let d = 0; d < per; d++) s += attr[e * per + d]!;
    return s - (f[steps * n + e]! - f[e]!);
  });
  return { attributions: fromFlat(attr, inputs.shape, inputs.dtype), delta: new Tensor(delta, [n], 'float64'), gradientEvaluations: steps };
}

/** IDGI's step weights g_j ⊙ g_j / ‖g_j‖² times (f_{j+1} − f_j), added into `attr` at `o`; steps with ‖g_j‖² < 1e-30 are skipped. */
function addStep(attr: Float64Array, o: number, g: Float64Array | Float32Array, go: number, per: number, df: number): void {
  let norm = 0;
  for (let d = 0; d < per; d++) norm += g[go + d]! ** 2;
  if (norm < 1e-30) return;
  for (let d = 0; d < per; d++) attr[o + d]! += (df * g[go + d]! ** 2) / norm;
}

/**
 * IDGI on the Guided IG path: the path points x_0 … x_N are the guided walk's points
 * (x_N its end, the input), g_j the gradient at x_j, f_j = F(x_j). Streamed: step j is
 * added once f_{j+1} is known, so memory does not grow with `steps`.
 */
function idgiGuided(spec: ExplainedScalar, inputs: Tensor, opts: IDGIOptions): IDGIResult {
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const attr = new Float64Array(inputs.size);
  let prevG = new Float64Array(0);
  let prevF = new Float64Array(0);
  let prevActive: Int32Array = new Int32Array(0);
  const flush = (nextF: (r: number) => number) => {
    for (let r = 0; r < prevActive.length; r++) addStep(attr, prevActive[r]! * per, prevG, r * per, per, nextF(r) - prevF[r]!);
  };
  const { baseline, end, steps } = guidedPath(
    spec,
    inputs,
    { baseline: opts.baseline, steps: opts.steps ?? 50, fraction: opts.fraction, maxDist: opts.maxDist, internalBatchSize: opts.internalBatchSize, seed: opts.seed },
    'idgi',
    (step, active, values, grads) => {
      if (step > 0) flush((r) => values[r]!); // the guided walk keeps the same active examples at every step
      prevG = Float64Array.from(grads);
      prevF = Float64Array.from(values);
      prevActive = active;
    },
  );
  const endTensor = fromFlat(end, inputs.shape, inputs.dtype);
  const fEnd = exampleScores(spec, endTensor);
  flush((r) => fEnd[prevActive[r]!]!);
  const fb = exampleScores(spec, baseline);
  const fx = exampleScores(spec, inputs);
  const delta = Float64Array.from({ length: n }, (_, e) => {
    let s = 0;
    for (let d = 0; d < per; d++) s += attr[e * per + d]!;
    return s - (fx[e]! - fb[e]!);
  });
  return { attributions: fromFlat(attr, inputs.shape, inputs.dtype), delta: new Tensor(delta, [n], 'float64'), gradientEvaluations: steps };
}
