/**
 * Scoped replacement of op backward rules (guided backprop, deconvnet, LRP-style rules).
 * A stack, not a global registry: rules apply only to ops recorded while `fn` runs, and
 * leaving the scope (even by a throw) restores what was there before.
 */
import { ArgumentError, describe, nearestKey, OPS, type OpName, type Vjp, type VjpContext, type Tensor } from '@pathgrad/tensor';

/**
 * A hand-written backward rule: given the output gradient `g` and the op's context, one
 * gradient per input (or `null` for none). Same shape as an op's `vjp`, so rules can be
 * swapped in with {@link withGradOverrides} or used by `customGrad`.
 * @example
 * ```ts
 * const guidedRelu: VjpRule = (g, ctx) => [mul(relu(g), greater(ctx.inputs[0]!, 0))];
 * ```
 */
export type VjpRule = (g: Tensor, ctx: VjpContext<unknown>) => readonly (Tensor | null)[];
type Rule = VjpRule;

const stack: ReadonlyMap<string, Rule>[] = [];

/** @internal The innermost override for `opName`, if any scope names it. */
export function resolveOverride(opName: string): Vjp<any> | undefined {
  for (let i = stack.length - 1; i >= 0; i--) {
    const r = stack[i]!.get(opName);
    if (r !== undefined) return r as Vjp<any>;
  }
  return undefined;
}

/**
 * True while any {@link withGradOverrides} scope is active. Code that may replace several
 * ops by one fused op (nn's Linear followed by ReLU) checks it and keeps the separate ops,
 * so rules written for `matmul`, `add` or `relu` still apply.
 * @example
 * ```ts
 * gradOverridesActive(); // false
 * withGradOverrides({ relu: (g) => [g] }, () => gradOverridesActive()); // true
 * ```
 */
export function gradOverridesActive(): boolean {
  return stack.length > 0;
}

/**
 * Runs `fn` with the backward of the named ops replaced by the given rules. The rule
 * receives the output gradient and the op's context (`inputs`, `output`, `attrs`, `needs`)
 * and returns one gradient per input. It applies to every op recorded while `fn` runs;
 * the previous rules are restored on exit, even when `fn` throws. Scopes nest (the
 * innermost rule for an op wins).
 *
 * @example
 * ```ts
 * // guided backprop: only positive gradients flow back through positive activations
 * const g = withGradOverrides(
 *   { relu: (g, ctx) => [mul(relu(g), greater(ctx.inputs[0]!, 0))] },
 *   () => grad((x) => sum(relu(mul(x, w))))(x),
 * );
 * ```
 */
export function withGradOverrides<T>(rules: Partial<Record<OpName, Rule>>, fn: () => T): T {
  if (typeof rules !== 'object' || rules === null) {
    throw new ArgumentError(`withGradOverrides: rules must be an object mapping op names to backward rules, got ${describe(rules)}`);
  }
  if (typeof fn !== 'function') throw new ArgumentError(`withGradOverrides: fn must be a function, got ${describe(fn)}`);
  const map = new Map<string, Rule>();
  for (const [name, rule] of Object.entries(rules) as [string, Rule | undefined][]) {
    if (rule === undefined) continue;
    if (!(name in OPS)) {
      const near = nearestKey(name, Object.keys(OPS));
      const hint = near === undefined ? `expected one of the registered ops (${Object.keys(OPS).join(', ')})` : `did you mean '${near}'?`;
      throw new ArgumentError(`withGradOverrides: unknown op ${JSON.stringify(name)} (${hint})`);
    }
    if (typeof rule !== 'function') {
      throw new ArgumentError(`withGradOverrides: the rule for '${name}' must be a function (g, ctx) => gradients, got ${describe(rule)}`);
    }
    map.set(name, rule);
  }
  stack.push(map);
  try {
    return fn();
  } finally {
    const i = stack.lastIndexOf(map);
    if (i >= 0) stack.splice(i, 1);
  }
}
