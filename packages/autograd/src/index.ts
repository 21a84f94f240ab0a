/**
 * @pathgrad/autograd: reverse-mode automatic differentiation for @pathgrad/tensor.
 *
 * A tape records ops through tensor's dispatch hook only while a gradient is being
 * taken, and replays their vector-Jacobian products in reverse. Because every VJP is
 * written with tensor ops, gradients of gradients work (`grad(grad(f))`, `hvp`).
 *
 * @example
 * ```ts
 * import { tensor, sum, mul } from '@pathgrad/tensor';
 * import { grad } from '@pathgrad/autograd';
 * grad((x) => sum(mul(x, x)))(tensor([1, 2, 3])).toArray(); // [2, 4, 6]
 * ```
 *
 * @module @pathgrad/autograd
 * @document ../README.md
 */
export { Tape, noGrad, isRecording, type GradientOptions } from './tape.js';
export {
  grad,
  valueAndGrad,
  vjp,
  jvp,
  hvp,
  type TensorFunction,
  type GradOptions,
  type ValueAndGrad,
  type VjpResult,
  type JvpResult,
} from './transforms.js';
export { stopGradient, customGrad, type CustomBackward, type CustomGradContext } from './custom.js';
export { withGradOverrides, gradOverridesActive, type VjpRule } from './overrides.js';
export { gradcheck, type GradcheckOptions, type GradcheckReport } from './gradcheck.js';
