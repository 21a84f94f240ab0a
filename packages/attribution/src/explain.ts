import { noGrad } from '@pathgrad/autograd';
import { optionKeys, type Tensor } from '@pathgrad/tensor';
import type { ExplainedScalar } from './gradients.js';
import { callModel, checkInputs, checkModel, type Model } from './model.js';
import { transformOption } from './options.js';
import { resolveTarget, type OutputTransform, type Target } from './target.js';

/**
 * Options every gradient-based method shares.
 *
 * @example
 * ```ts
 * const options: ExplainOptions = { target: 'predicted', outputTransform: 'softmax' };
 * saliency(model, images, options);
 * ```
 */
export interface ExplainOptions {
  /** Which output to explain (required for multi-output models). */
  target?: Target;
  /** Transform of the model output before the target is taken (default `'identity'`, the logit). */
  outputTransform?: OutputTransform;
}

/**
 * The keys of {@link ExplainOptions}, for methods that take nothing more.
 *
 * @example
 * ```ts
 * checkOptions(opts, EXPLAIN_KEYS, 'inputXGradient'); // refuses { targt: 3 }, suggesting 'target'
 * ```
 */
export const EXPLAIN_KEYS = optionKeys<ExplainOptions>({ target: true, outputTransform: true });

/**
 * Validates the common arguments and resolves the explained scalar: checks the model and
 * inputs, runs the model once on the inputs to resolve the target against its output. The
 * caller has already checked its options' keys (each method knows its own key list).
 */
export function prepare(model: unknown, inputs: unknown, opts: ExplainOptions | undefined, methodName: string): ExplainedScalar {
  checkModel(model, methodName);
  checkInputs(inputs, methodName);
  const outputTransform = transformOption(opts?.outputTransform, methodName);
  const output = noGrad(() => callModel(model as Model, inputs as Tensor, methodName));
  const target = resolveTarget(opts?.target, (inputs as Tensor).shape[0]!, output, methodName);
  return { model: model as Model, target, outputTransform, methodName };
}
