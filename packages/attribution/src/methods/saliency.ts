import type { Model } from '../model.js';
import { optionKeys, type Tensor } from '@pathgrad/tensor';
import { EXPLAIN_KEYS, prepare, type ExplainOptions } from '../explain.js';
import { fromFlat, scalarAndGradient, toFloat64 } from '../gradients.js';
import { boolOption, checkOptions } from '../options.js';

/**
 * Options of {@link saliency}.
 *
 * @example
 * ```ts
 * const options: SaliencyOptions = { target: labels, abs: false }; // signed gradients
 * saliency(model, images, options);
 * ```
 */
export interface SaliencyOptions extends ExplainOptions {
  /** Return |gradient| (default true, as Captum's `Saliency`); false keeps the sign (PAIR's vanilla gradient). */
  abs?: boolean;
}

const SALIENCY_KEYS = optionKeys<SaliencyOptions>({ abs: true, target: true, outputTransform: true });

/**
 * An attribution map with the inputs' shape and dtype.
 *
 * @example
 * ```ts
 * const { attributions, gradientEvaluations }: AttributionResult = inputXGradient(model, images, { target: labels });
 * ```
 */
export interface AttributionResult {
  attributions: Tensor;
  /** Gradient evaluations spent per example. */
  gradientEvaluations: number;
}

/** The gradient of the explained scalar at the inputs, as float64 flat values. */
export function inputGradient(spec: ReturnType<typeof prepare>, inputs: Tensor): Float64Array {
  const n = inputs.shape[0]!;
  const { grads } = scalarAndGradient(spec, { points: inputs, rowExamples: Int32Array.from({ length: n }, (_, i) => i) });
  return toFloat64(grads);
}

/**
 * Saliency (Simonyan et al. 2013): the gradient of the explained scalar with respect to
 * the input, `|∇_x F_c(x)|` by default. One gradient evaluation. Fails IG's
 * Sensitivity(a) axiom where the output is flat at x.
 *
 * @example
 * ```ts
 * const { attributions } = saliency(model, images, { target: 3, abs: false });
 * ```
 */
export function saliency(model: Model, inputs: Tensor, opts: SaliencyOptions = {}): AttributionResult {
  checkOptions(opts, SALIENCY_KEYS, 'saliency');
  const spec = prepare(model, inputs, opts, 'saliency');
  const abs = boolOption(opts.abs, true, 'abs', 'saliency');
  const g = inputGradient(spec, inputs);
  if (abs) for (let i = 0; i < g.length; i++) g[i] = Math.abs(g[i]!);
  return { attributions: fromFlat(g, inputs.shape, inputs.dtype), gradientEvaluations: 1 };
}

/**
 * Gradient × Input (Shrikumar et al. 2016): `x ⊙ ∇_x F_c(x)`; the one-point right-Riemann
 * approximation of IG with a zero baseline.
 *
 * @example
 * ```ts
 * const { attributions } = inputXGradient(model, images, { target: labels });
 * ```
 */
export function inputXGradient(model: Model, inputs: Tensor, opts: ExplainOptions = {}): AttributionResult {
  checkOptions(opts, EXPLAIN_KEYS, 'inputXGradient');
  const spec = prepare(model, inputs, opts, 'inputXGradient');
  const g = inputGradient(spec, inputs);
  const x = toFloat64(inputs);
  for (let i = 0; i < g.length; i++) g[i] = g[i]! * x[i]!;
  return { attributions: fromFlat(g, inputs.shape, inputs.dtype), gradientEvaluations: 1 };
}
