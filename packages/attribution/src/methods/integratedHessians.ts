import type { Model } from '../model.js';
import { grad } from '@pathgrad/autograd';
import { ArgumentError, Tensor, allocate, mul, optionKeys, sum } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { checkFiniteGradients, chunkSize, explainedScalar, toFloat64 } from '../gradients.js';
import { checkOptions, intOption, quadratureOptions } from '../options.js';
import { quadrature, type QuadratureMethod } from '../quadrature.js';

/**
 * Options of {@link integratedHessians}.
 *
 * @example
 * ```ts
 * const options: IntegratedHessiansOptions = { target: 0, baseline: 0, steps: 32, method: 'riemannMiddle' };
 * integratedHessians(tabularModel, rows, options);
 * ```
 */
export interface IntegratedHessiansOptions extends ExplainOptions {
  /** Baseline (default 0). */
  baseline?: Baseline;
  /** Quadrature points per axis of the double integral over (α, β) (default 16; steps² points). */
  steps?: number;
  /** Quadrature rule per axis (default `'gaussLegendre'`). */
  method?: QuadratureMethod;
  /** At most this many points per pass. */
  internalBatchSize?: number;
  /** Seed for random baselines (default 0). */
  seed?: number;
}

const INTEGRATED_HESSIANS_KEYS = optionKeys<IntegratedHessiansOptions>({
  baseline: true, steps: true, method: true, internalBatchSize: true, seed: true, target: true,
  outputTransform: true,
});

/**
 * Result of {@link integratedHessians}.
 *
 * @example
 * ```ts
 * const { interactions, rowSums }: IntegratedHessiansResult = integratedHessians(tabularModel, rows, { target: 0 });
 * interactions.shape; // [N, F, F]; rowSums ≈ integrated gradients
 * ```
 */
export interface IntegratedHessiansResult {
  /** Interactions Γ `[N, D, D]` (float64) between the D flattened features of each example; symmetric. */
  interactions: Tensor;
  /** Row sums Σ_j Γ_ij `[N, D]` (float64): equal to IG_i up to quadrature error. */
  rowSums: Tensor;
  gradientEvaluations: number;
}

/**
 * Largest number of features (D) integratedHessians accepts: it costs D Hessian-vector products per point.
 *
 * @example
 * ```ts
 * // the interaction matrix is F x F per example, so integratedHessians refuses more features than this
 * INTEGRATED_HESSIANS_MAX_FEATURES; // 512
 * ```
 */
export const INTEGRATED_HESSIANS_MAX_FEATURES = 512;

/**
 * Integrated Hessians (Janizek, Sturmfels & Lee 2021): IG applied to IG. With Δ = x − x',
 * `Γ_ij = Δ_i Δ_j ∫∫ αβ ∂²F(x' + αβΔ)/∂x_i∂x_j dα dβ + δ_ij Δ_i ∫∫ ∂F(x' + αβΔ)/∂x_i dα dβ`,
 * so each row sums to IG_i (completeness of IG applied to IG_i). Hessian rows come from
 * nested reverse-mode gradients (one per feature and batch of points). For small, tabular
 * inputs (D ≤ 512).
 *
 * @example
 * ```ts
 * const { interactions } = integratedHessians(model, x, { target: 0, steps: 16 });
 * ```
 */
export function integratedHessians(model: Model, inputs: Tensor, opts: IntegratedHessiansOptions = {}): IntegratedHessiansResult {
  const name = 'integratedHessians';
  checkOptions(opts, INTEGRATED_HESSIANS_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const n = inputs.shape[0]!;
  const D = inputs.size / Math.max(n, 1);
  if (D > INTEGRATED_HESSIANS_MAX_FEATURES) {
    throw new ArgumentError(`${name}: ${D} features would need ${D} Hessian-vector products per point; at most ${INTEGRATED_HESSIANS_MAX_FEATURES} are allowed (group or downsample the input)`);
  }
  const { method, steps } = quadratureOptions(opts.method, opts.steps, name, 16);
  const q = quadrature(method, steps);
  const [baseline] = resolveBaselines(inputs, opts.baseline, intOption(opts.seed, 0, 'seed', name, 0), name);
  const x = toFloat64(inputs);
  const b = toFloat64(baseline!);
  const S = steps * steps;
  const total = n * S; // rows: (pair p = k * steps + l) * n + e
  const size = chunkSize(opts.internalBatchSize, total, name, D);
  const gamma = new Float64Array(n * D * D);
  const featureShape = inputs.shape.slice(1);
  for (let start = 0; start < total; start += size) {
    const end = Math.min(total, start + size);
    const rows = end - start;
    const pts = allocate(inputs.dtype, rows * D);
    const rowExamples = new Int32Array(rows);
    const w = new Float64Array(rows);
    const ab = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      const p = Math.floor(i / n);
      const e = i % n;
      const k = Math.floor(p / steps);
      const l = p % steps;
      rowExamples[r] = e;
      ab[r] = q.alphas[k]! * q.alphas[l]!;
      w[r] = q.weights[k]! * q.weights[l]!;
      for (let d = 0; d < D; d++) pts[r * D + d] = b[e * D + d]! + ab[r]! * (x[e * D + d]! - b[e * D + d]!);
    }
    const P = new Tensor(pts, [rows, ...featureShape], inputs.dtype);
    const f = (z: Tensor) => sum(explainedScalar(spec, z, rowExamples));
    const gradF = grad(f);
    const g = toFloat64(gradF(P));
    checkFiniteGradients(g, rowExamples, P.shape, spec.methodName);
    for (let j = 0; j < D; j++) {
      const ej = allocate(inputs.dtype, rows * D);
      for (let r = 0; r < rows; r++) ej[r * D + j] = 1;
      const E = new Tensor(ej, [rows, ...featureShape], inputs.dtype);
      // row r: ∂/∂p (∂F/∂x_j)(p_r) = H(p_r)[j, :]
      const hj = toFloat64(grad((z: Tensor) => sum(mul(gradF(z), E)))(P));
      checkFiniteGradients(hj, rowExamples, P.shape, spec.methodName);
      for (let r = 0; r < rows; r++) {
        const e = rowExamples[r]!;
        const dj = x[e * D + j]! - b[e * D + j]!;
        const base = e * D * D + j * D;
        for (let i = 0; i < D; i++) {
          const di = x[e * D + i]! - b[e * D + i]!;
          gamma[base + i]! += w[r]! * ab[r]! * hj[r * D + i]! * di * dj;
        }
        gamma[base + j]! += w[r]! * g[r * D + j]! * dj;
      }
    }
  }
  const rowSumsArr = new Float64Array(n * D);
  for (let e = 0; e < n; e++) for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) rowSumsArr[e * D + i]! += gamma[e * D * D + i * D + j]!;
  return {
    interactions: new Tensor(gamma, [n, D, D], 'float64'),
    rowSums: new Tensor(rowSumsArr, [n, D], 'float64'),
    gradientEvaluations: S * (D + 1),
  };
}
