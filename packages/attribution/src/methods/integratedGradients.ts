import type { Model } from '../model.js';
import { Tensor, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { fromFlat, toFloat64 } from '../gradients.js';
import { boolOption, checkOptions, intOption, quadratureOptions } from '../options.js';
import { exampleScores, rowSums, straightPathGradient } from '../path.js';
import { quadrature, type QuadratureMethod } from '../quadrature.js';

/**
 * Options of {@link integratedGradients}.
 *
 * @example
 * ```ts
 * const options: IntegratedGradientsOptions = {
 *   target: labels, baseline: 0, steps: 64, method: 'gaussLegendre', internalBatchSize: 256,
 * };
 * integratedGradients(model, images, options);
 * ```
 */
export interface IntegratedGradientsOptions extends ExplainOptions {
  /** Baseline x' (default 0): a number, a tensor broadcastable to the inputs, a builder, or a list (IG averaged over them). */
  baseline?: Baseline;
  /** Number of quadrature points (default 50). */
  steps?: number;
  /** Quadrature rule (default `'gaussLegendre'`); `'captumTrapezoid'` reproduces Captum's `riemann_trapezoid`. */
  method?: QuadratureMethod;
  /** At most this many interpolation points per forward/backward pass (default: as many as hold `DEFAULT_CHUNK_ELEMENTS` = 2^19 input elements). */
  internalBatchSize?: number;
  /** Multiply the path-averaged gradient by (x − x') (default true; false gives Captum's "local" attribution). */
  multiplyByInputs?: boolean;
  /** Seed for random baseline builders (default 0). */
  seed?: number;
}

const IG_KEYS = optionKeys<IntegratedGradientsOptions>({
  baseline: true, steps: true, method: true, internalBatchSize: true, multiplyByInputs: true, seed: true,
  target: true, outputTransform: true,
});

/**
 * Result of {@link integratedGradients}.
 *
 * @example
 * ```ts
 * const { attributions, delta, inputScores, baselineScores }: IntegratedGradientsResult =
 *   integratedGradients(model, images, { target: labels });
 * // completeness: attributions sum to inputScores - baselineScores, up to delta
 * ```
 */
export interface IntegratedGradientsResult {
  /** Attributions with the inputs' shape and dtype. */
  attributions: Tensor;
  /**
   * Completeness error per example, float64 `[N]`: `Σ attributions − (F(x) − F̄(x'))`, with
   * F̄(x') the mean over baselines. Meaningless when `multiplyByInputs` is false.
   */
  delta: Tensor;
  /** F(x) per example. */
  inputScores: Float64Array;
  /** F(x') per example, averaged over baselines. */
  baselineScores: Float64Array;
  /** Gradient evaluations spent per example (steps × baselines). */
  gradientEvaluations: number;
}

/**
 * Integrated Gradients (Sundararajan, Taly & Yan 2017):
 * `IG_i(x) = (x_i − x'_i) ∫_0^1 ∂F(x' + α(x − x'))/∂x_i dα`, approximated by a quadrature
 * rule, batched over (steps × examples) in chunks of `internalBatchSize`.
 *
 * @example
 * ```ts
 * const { attributions, delta } = integratedGradients(model, images, { target: labels, steps: 64 });
 * ```
 */
export function integratedGradients(model: Model, inputs: Tensor, opts: IntegratedGradientsOptions = {}): IntegratedGradientsResult {
  checkOptions(opts, IG_KEYS, 'integratedGradients');
  const spec = prepare(model, inputs, opts, 'integratedGradients');
  const { method, steps } = quadratureOptions(opts.method, opts.steps, 'integratedGradients');
  const multiply = boolOption(opts.multiplyByInputs, true, 'multiplyByInputs', 'integratedGradients');
  const seed = intOption(opts.seed, 0, 'seed', 'integratedGradients', 0);
  const baselines = resolveBaselines(inputs, opts.baseline, seed, 'integratedGradients');
  const quad = quadrature(method, steps);
  const n = inputs.shape[0]!;
  const x = toFloat64(inputs);
  const attr = new Float64Array(x.length);
  const baselineScores = new Float64Array(n);
  for (const baseline of baselines) {
    const pathGrad = straightPathGradient(spec, inputs, baseline, quad, opts.internalBatchSize);
    const b = toFloat64(baseline);
    for (let i = 0; i < attr.length; i++) attr[i]! += (multiply ? pathGrad[i]! * (x[i]! - b[i]!) : pathGrad[i]!) / baselines.length;
    const fb = exampleScores(spec, baseline);
    for (let i = 0; i < n; i++) baselineScores[i]! += fb[i]! / baselines.length;
  }
  const inputScores = exampleScores(spec, inputs);
  const sums = rowSums(attr, n);
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) delta[i] = sums[i]! - (inputScores[i]! - baselineScores[i]!);
  return {
    attributions: fromFlat(attr, inputs.shape, inputs.dtype),
    delta: new Tensor(delta, [n], 'float64'),
    inputScores,
    baselineScores,
    gradientEvaluations: steps * baselines.length,
  };
}
