/**
 * Functions whose gradient is not the derivative of their forward: stopGradient (none)
 * and customGrad (a hand-written backward).
 */
import { ArgumentError, describe, Tensor, viewOf, type VjpContext } from '@pathgrad/tensor';
import { noGrad, recordCustom } from './tape.js';

/**
 * `x` as a constant: the same values (a zero-copy view with a new identity) that no tape
 * sees through, so no gradient flows back into `x`.
 *
 * @example
 * ```ts
 * grad((x: Tensor) => sum(mul(x, stopGradient(x))))(tensor([3])).toArray(); // [3], not [6]
 * ```
 */
export function stopGradient(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`stopGradient: x must be a Tensor, got ${describe(x)}`);
  // built directly, not dispatched, so it is never recorded
  return viewOf(x, x.shape, x.strides, x.offset);
}

/**
 * What a customGrad backward sees: the call's inputs, its output and which inputs need gradients.
 *
 * @example
 * ```ts
 * // a straight-through sign: the backward passes g to the inputs that need it
 * const signST = customGrad((x) => sign(x), (g, ctx: CustomGradContext) => [ctx.needs[0] ? g : null]);
 * ```
 */
export type CustomGradContext = VjpContext<unknown>;

/**
 * A customGrad backward: one gradient (or null) per input of the forward.
 *
 * @example
 * ```ts
 * const clipGrad: CustomBackward = (g) => [clip(g, -1, 1)];
 * const f = customGrad((x) => mul(x, 10), clipGrad);
 * grad((x: Tensor) => sum(f(x)))(tensor([1])).toArray(); // [1] (a clipped gradient of 1, not 10)
 * ```
 */
export type CustomBackward = (g: Tensor, ctx: CustomGradContext) => readonly (Tensor | null)[];

/**
 * A function with a hand-written backward. The forward runs without recording; one
 * node is recorded in its place whose VJP is `backward`. Write `backward` with tensor
 * ops and it is itself differentiable (higher-order gradients go through it).
 *
 * @example
 * ```ts
 * // an identity whose backward halves the gradient
 * const halfGrad = customGrad((x) => x, (g) => [mul(g, 0.5)]);
 * grad((x: Tensor) => sum(halfGrad(x)))(tensor([1, 2])).toArray(); // [0.5, 0.5]
 * ```
 */
export function customGrad(forward: (...xs: Tensor[]) => Tensor, backward: CustomBackward): (...xs: Tensor[]) => Tensor {
  if (typeof forward !== 'function') throw new ArgumentError(`customGrad: forward must be a function, got ${describe(forward)}`);
  if (typeof backward !== 'function') throw new ArgumentError(`customGrad: backward must be a function, got ${describe(backward)}`);
  const vjp = (g: Tensor, ctx: CustomGradContext): readonly (Tensor | null)[] => {
    const out = backward(g, ctx);
    if (!Array.isArray(out) || out.length !== ctx.inputs.length) {
      throw new ArgumentError(
        `customGrad: backward must return an array with one gradient (or null) per input (${ctx.inputs.length}), got ${describe(out)}`,
      );
    }
    return out;
  };
  return (...xs: Tensor[]) => {
    xs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new ArgumentError(`customGrad: argument ${i} must be a Tensor, got ${describe(x)}`);
    });
    const raw = noGrad(() => forward(...xs));
    if (!(raw instanceof Tensor)) throw new ArgumentError(`customGrad: forward must return a Tensor, got ${describe(raw)}`);
    // a fresh identity, so the output is distinct from any input even when forward returns one
    const y = viewOf(raw, raw.shape, raw.strides, raw.offset);
    recordCustom('customGrad', vjp, xs, y);
    return y;
  };
}
