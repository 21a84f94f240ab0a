import type { Model } from '../model.js';
import { Tensor, allocate, optionKeys } from '@pathgrad/tensor';
import { gaussianBlur2d } from '../blur.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { chunkSize, forEachGradientChunk, fromFlat, toFloat64 } from '../gradients.js';
import { boolOption, checkOptions, numberOption, stepsOption } from '../options.js';
import { exampleScores, rowSums } from '../path.js';

/**
 * Options of {@link blurIG}.
 *
 * @example
 * ```ts
 * const options: BlurIGOptions = { target: labels, maxSigma: 50, steps: 100, internalBatchSize: 128 };
 * blurIG(model, images, options);
 * ```
 */
export interface BlurIGOptions extends ExplainOptions {
  /** Largest blur σ in pixels, the path's start (default 50, PAIR's default for 224-pixel images; ~10 suits 28-pixel MNIST). */
  maxSigma?: number;
  /** Steps along σ (default 100). */
  steps?: number;
  /** Finite-difference step for ∂blur/∂σ (default 0.01). */
  gradStep?: number;
  /** Space the σ values as sqrt(i·maxSigma/steps), as PAIR's `sqrt` (default false); the path then starts at σ = √maxSigma. */
  sqrt?: boolean;
  /** At most this many points per forward/backward pass. */
  internalBatchSize?: number;
}

const BLUR_IG_KEYS = optionKeys<BlurIGOptions>({
  maxSigma: true, steps: true, gradStep: true, sqrt: true, internalBatchSize: true, target: true,
  outputTransform: true,
});

/**
 * Result of {@link blurIG}.
 *
 * @example
 * ```ts
 * const { attributions, delta, gradientEvaluations }: BlurIGResult = blurIG(model, images, { target: labels });
 * ```
 */
export interface BlurIGResult {
  attributions: Tensor;
  /** `Σ attributions − (F(x) − F(blur(x, σ_0)))` per example, σ_0 the path's start: maxSigma, or √maxSigma with `sqrt`. */
  delta: Tensor;
  gradientEvaluations: number;
}

/**
 * Blur IG (Xu, Venugopalan & Sundararajan 2020), as PAIR saliency's `BlurIG`: integrate
 * gradients along the path of Gaussian blurs from σ = maxSigma (the baseline) down to the
 * input, `−Σ_i (σ_{i+1} − σ_i) ∂L(x,σ_i)/∂σ ⊙ ∇F(L(x,σ_i))`, blurring the last two axes
 * (H, W) with zero padding, channels unmixed. (PAIR applies one step size to a whole batch
 * of steps; pathgrad uses each step's own, which equals PAIR at batch_size 1.)
 *
 * @example
 * ```ts
 * const { attributions, delta } = blurIG(model, images, { target: labels, maxSigma: 10 });
 * ```
 */
export function blurIG(model: Model, inputs: Tensor, opts: BlurIGOptions = {}): BlurIGResult {
  const name = 'blurIG';
  checkOptions(opts, BLUR_IG_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const maxSigma = numberOption(opts.maxSigma, 50, 'maxSigma', name, 0);
  const steps = stepsOption(opts.steps, 100, name);
  const gradStep = numberOption(opts.gradStep, 0.01, 'gradStep', name, Number.MIN_VALUE);
  const useSqrt = boolOption(opts.sqrt, false, 'sqrt', name);
  const sigmas = Array.from({ length: steps + 1 }, (_, i) => (useSqrt ? Math.sqrt((i * maxSigma) / steps) : (i * maxSigma) / steps));
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const attr = new Float64Array(inputs.size);
  const cache = new Map<number, { x: Float64Array; dx: Float64Array }>();
  const blurredAt = (k: number) => {
    let c = cache.get(k);
    if (!c) {
      cache.clear();
      const x = toFloat64(gaussianBlur2d(inputs, sigmas[k]!));
      const xh = toFloat64(gaussianBlur2d(inputs, sigmas[k]! + gradStep));
      c = { x, dx: xh.map((v, i) => (v - x[i]!) / gradStep) };
      cache.set(k, c);
    }
    return c;
  };
  const total = n * steps;
  forEachGradientChunk(
    spec,
    total,
    chunkSize(opts.internalBatchSize, total, name, per),
    (start, end) => {
      const rows = end - start;
      // straight into the input dtype (set rounds each value as fromFlat would)
      const pts = allocate(inputs.dtype, rows * per);
      const rowExamples = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const k = Math.floor((start + r) / n);
        const e = (start + r) % n;
        rowExamples[r] = e;
        pts.set(blurredAt(k).x.subarray(e * per, (e + 1) * per), r * per);
      }
      return { points: new Tensor(pts, [rows, ...inputs.shape.slice(1)], inputs.dtype), rowExamples };
    },
    (start, end, _values, grads) => {
      for (let r = 0; r < end - start; r++) {
        const k = Math.floor((start + r) / n);
        const e = (start + r) % n;
        const dsigma = sigmas[k + 1]! - sigmas[k]!;
        const dx = blurredAt(k).dx;
        for (let d = 0; d < per; d++) attr[e * per + d]! -= dsigma * dx[e * per + d]! * grads[r * per + d]!;
      }
    },
  );
  const fx = exampleScores(spec, inputs);
  // the path starts at sigmas[steps]: maxSigma, or √maxSigma when `sqrt` spaces the σ values
  const fb = exampleScores(spec, gaussianBlur2d(inputs, sigmas[steps]!));
  const sums = rowSums(attr, n);
  return {
    attributions: fromFlat(attr, inputs.shape, inputs.dtype),
    delta: new Tensor(Float64Array.from({ length: n }, (_, e) => sums[e]! - (fx[e]! - fb[e]!)), [n], 'float64'),
    gradientEvaluations: steps,
  };
}
