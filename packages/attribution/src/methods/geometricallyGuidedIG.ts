import type { Model } from '../model.js';
import { ArgumentError, Tensor, describe, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { chunkSize, forEachGradientChunk, fromFlat, toFloat64 } from '../gradients.js';
import { givePointBuffer, takePointBuffer } from '../path.js';
import { MAX_BASELINES, MAX_STEPS, boolOption, checkOptions, countOption, intOption, numberOption } from '../options.js';

/**
 * Options of {@link geometricallyGuidedIG}.
 *
 * @example
 * ```ts
 * const options: GeometricallyGuidedIGOptions = { target: labels, scales: 20, iterations: 10, reduce: 'max' };
 * geometricallyGuidedIG(model, images, options);
 * ```
 */
export interface GeometricallyGuidedIGOptions extends ExplainOptions {
  /** Baseline b of the scaled inputs (default 0). */
  baseline?: Baseline;
  /** Scale intervals m: the m+1 points linspace(0, 1, m+1) (default 50, as the authors' code; at most {@link MAX_BASELINES}: every point is held in memory). */
  scales?: number;
  /** Gradient-ascent iterations T per scaled point (default 200, the authors' MNIST setting; at most {@link MAX_STEPS}). */
  iterations?: number;
  /** Ascent step η (default 1e-4; tune per model: it sets how far each ascent step moves). */
  learningRate?: number;
  /** `'max'` (GGIG: feature-wise max over scales, default) or `'integral'` (GGIG_IG: trapezoid mean over scales). */
  reduce?: 'max' | 'integral';
  /** Multiply by the input (the authors' `scaling` flag; default false, as every call site in their code). */
  scaleByInput?: boolean;
  /** At most this many points per forward/backward pass. */
  internalBatchSize?: number;
  /** Seed for random baselines (default 0). */
  seed?: number;
}

const GGIG_KEYS = optionKeys<GeometricallyGuidedIGOptions>({
  baseline: true, scales: true, iterations: true, learningRate: true, reduce: true, scaleByInput: true,
  internalBatchSize: true, seed: true, target: true, outputTransform: true,
});

/**
 * Result of {@link geometricallyGuidedIG}.
 *
 * @example
 * ```ts
 * const { attributions, gradientEvaluations }: GeometricallyGuidedIGResult = geometricallyGuidedIG(model, images, { target: labels });
 * ```
 */
export interface GeometricallyGuidedIGResult {
  /** A gradient-type map with the inputs' shape (GGIG does not satisfy completeness: no delta). */
  attributions: Tensor;
  gradientEvaluations: number;
}

/**
 * Geometrically Guided Integrated Gradients (Rahman, Lewis & Plis 2022), exactly as the
 * authors' `get_multi_grad_ascent_max_saliency`: from each scaled input
 * `X_k = b + α_k (x − b)`, α_k = k/m, run T steps of plain gradient ascent on the explained
 * scalar (`X ← X + η ∇F(X)`, all points independently), keep the feature-wise signed max of
 * the gradients over iterations, then the feature-wise max over scales (or their trapezoid
 * mean for GGIG_IG). Cost: (m+1)·T gradient evaluations per example.
 *
 * @example
 * ```ts
 * const { attributions } = geometricallyGuidedIG(model, images, { target: labels, iterations: 20 });
 * ```
 */
export function geometricallyGuidedIG(model: Model, inputs: Tensor, opts: GeometricallyGuidedIGOptions = {}): GeometricallyGuidedIGResult {
  const name = 'geometricallyGuidedIG';
  checkOptions(opts, GGIG_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const m = countOption(opts.scales, 50, 'scales', name, MAX_BASELINES);
  const T = countOption(opts.iterations, 200, 'iterations', name, MAX_STEPS);
  const lr = numberOption(opts.learningRate, 1e-4, 'learningRate', name);
  const reduce = opts.reduce ?? 'max';
  if (reduce !== 'max' && reduce !== 'integral') throw new ArgumentError(`${name}: reduce must be 'max' or 'integral', got ${describe(opts.reduce)}`);
  const scaleByInput = boolOption(opts.scaleByInput, false, 'scaleByInput', name);
  const [baseline] = resolveBaselines(inputs, opts.baseline, intOption(opts.seed, 0, 'seed', name, 0), name);
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const x = toFloat64(inputs);
  const b = toFloat64(baseline!);
  const points = m + 1;
  const total = n * points; // scale-major rows: row = k * n + e
  const X = new Float64Array(total * per);
  for (let k = 0; k < points; k++) {
    const a = k / m;
    for (let e = 0; e < n; e++) for (let d = 0; d < per; d++) X[(k * n + e) * per + d] = b[e * per + d]! + a * (x[e * per + d]! - b[e * per + d]!);
  }
  const M = new Float64Array(total * per).fill(-Infinity);
  const size = chunkSize(opts.internalBatchSize, total, name, per);
  // one point buffer for every chunk of every iteration (a chunk's tensor is dead once its
  // gradient is read), filled by one converting set from X
  const buffer = takePointBuffer(inputs.dtype, Math.min(size, total) * per);
  for (let t = 0; t < T; t++) {
    forEachGradientChunk(
      spec,
      total,
      size,
      (start, end) => {
        const rows = end - start;
        const pts = rows * per === buffer.length ? buffer : buffer.subarray(0, rows * per);
        pts.set(X.subarray(start * per, end * per));
        return { points: new Tensor(pts, [rows, ...inputs.shape.slice(1)], inputs.dtype), rowExamples: Int32Array.from({ length: rows }, (_, r) => (start + r) % n) };
      },
      (start, end, _values, g) => {
        if (g instanceof Float32Array) ascend32(M, X, g, start * per, (end - start) * per, lr);
        else ascend64(M, X, g, start * per, (end - start) * per, lr);
      },
    );
  }
  givePointBuffer(buffer);
  const attr = new Float64Array(n * per);
  for (let e = 0; e < n; e++) {
    for (let d = 0; d < per; d++) {
      let v: number;
      if (reduce === 'max') {
        v = -Infinity;
        for (let k = 0; k < points; k++) v = Math.max(v, M[(k * n + e) * per + d]!);
      } else {
        v = 0;
        for (let k = 0; k < m; k++) v += (M[(k * n + e) * per + d]! + M[((k + 1) * n + e) * per + d]!) / 2 / m;
      }
      attr[e * per + d] = scaleByInput ? v * x[e * per + d]! : v;
    }
  }
  return { attributions: fromFlat(attr, inputs.shape, inputs.dtype), gradientEvaluations: points * T };
}

// Running max of the gradients and one gradient-ascent step of the points, from offset `o`
// of M and X: the same code per gradient array type (one shape each, so V8 keeps them monomorphic).
function ascend32(M: Float64Array, X: Float64Array, g: Float32Array, o: number, count: number, lr: number): void {
  for (let i = 0; i < count; i++) {
    const j = o + i;
    if (g[i]! > M[j]!) M[j] = g[i]!;
    X[j] = X[j]! + lr * g[i]!;
  }
}

function ascend64(M: Float64Array, X: Float64Array, g: Float64Array, o: number, count: number, lr: number): void {
  for (let i = 0; i < count; i++) {
    const j = o + i;
    if (g[i]! > M[j]!) M[j] = g[i]!;
    X[j] = X[j]! + lr * g[i]!;
  }
}
