/**
 * Function transforms over the tape: grad, valueAndGrad, vjp, jvp and hvp. Each call
 * builds a fresh tape that watches the differentiated arguments by identity, so closures
 * over those same tensors (module parameters) are differentiated too.
 */
import {
  add,
  ArgumentError,
  checkOptionKeys,
  describe,
  DTypeError,
  isFloat,
  mul,
  optionKeys,
  onesLike,
  ShapeError,
  shapesEqual,
  sum,
  Tensor,
  zeros,
  cast,
  type DType,
} from '@pathgrad/tensor';
import { Tape } from './tape.js';

/**
 * A function of tensors returning a tensor: what the transforms differentiate.
 *
 * @example
 * ```ts
 * const f: TensorFunction = (x, w) => sum(mul(x, w));
 * grad(f, { argnums: 1 })(tensor([1, 2]), tensor([3, 4])).toArray(); // [1, 2]
 * ```
 */
export type TensorFunction = (...xs: Tensor[]) => Tensor;

/**
 * Options of {@link grad} and {@link valueAndGrad}.
 *
 * @example
 * ```ts
 * const options: GradOptions<readonly number[]> = { argnums: [0, 1] };
 * const [dx, dw] = grad((x, w) => sum(mul(x, w)), options)(tensor([1, 2]), tensor([3, 4]));
 * // a seed gives the gradient of sum(f(x) * seed) without reducing inside f
 * grad((x) => mul(x, x), { seed: tensor([1, 0]) })(tensor([3, 4])).toArray(); // [6, 0]
 * ```
 */
export interface GradOptions<N extends number | readonly number[] = number | readonly number[]> {
  /** Which positional arguments to differentiate: one index (default 0) or a list. */
  argnums?: N;
  /**
   * Cotangent of the output (defaults to 1 for a scalar output). Give one of the output's
   * shape to take `sum(f(x) * seed)`'s gradient without reducing inside `f`.
   */
  seed?: Tensor;
}

const GRAD_KEYS = optionKeys<GradOptions>({ argnums: true, seed: true });

/**
 * Result of {@link valueAndGrad}: the output and the gradient(s).
 *
 * @example
 * ```ts
 * const { value, grad: g }: ValueAndGrad<Tensor> = valueAndGrad((x) => sum(mul(x, x)))(tensor([1, 2]));
 * value.item(); // 5
 * g.toArray(); // [2, 4]
 * ```
 */
export interface ValueAndGrad<G extends Tensor | Tensor[]> {
  value: Tensor;
  grad: G;
}

/**
 * Result of {@link vjp}: the output and a pullback mapping an output cotangent to input gradients.
 *
 * @example
 * ```ts
 * const { value, pullback }: VjpResult = vjp((x) => mul(x, x), tensor([1, 2]));
 * pullback(tensor([1, 1]))[0]!.toArray(); // [2, 4]
 * pullback(tensor([1, 0]))[0]!.toArray(); // [2, 0] (a pullback may be called again)
 * ```
 */
export interface VjpResult {
  value: Tensor;
  /** Input gradients of `<value, g>`; may be called more than once. */
  pullback: (g: Tensor) => Tensor[];
}

/**
 * Result of {@link jvp}: the output and its directional derivative.
 *
 * @example
 * ```ts
 * const { value, tangent }: JvpResult = jvp((x) => mul(x, x), [tensor([1, 2])], [tensor([1, 1])]);
 * tangent.toArray(); // [2, 4]
 * ```
 */
export interface JvpResult {
  value: Tensor;
  tangent: Tensor;
}

function checkFunction(f: unknown, fnName: string): asserts f is TensorFunction {
  if (typeof f !== 'function') throw new ArgumentError(`${fnName}: f must be a function of tensors, got ${describe(f)}`);
}

function checkTensors(xs: readonly unknown[], fnName: string, what = 'argument'): asserts xs is Tensor[] {
  for (let i = 0; i < xs.length; i++) {
    if (!(xs[i] instanceof Tensor)) throw new ArgumentError(`${fnName}: ${what} ${i} must be a Tensor, got ${describe(xs[i])}`);
  }
}

function checkDifferentiable(x: Tensor, i: number, fnName: string): void {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(
      `${fnName}: argument ${i} is a ${x.dtype} tensor; cannot differentiate with respect to an integer tensor (use a float32/float64 tensor, or leave it out of argnums)`,
    );
  }
}

/** Validates argnums against the call's arguments; returns the list of indices. */
function resolveArgnums(argnums: unknown, n: number, fnName: string): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : argnums;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ArgumentError(`${fnName}: argnums must be an index or a non-empty list of indices, got ${describe(argnums)}`);
  }
  for (const a of list as unknown[]) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= n) {
      throw new ArgumentError(
        `${fnName}: argnums ${describe(a)} is out of range: f was called with ${n} argument${n === 1 ? '' : 's'}, so argnums must be in [0, ${n - 1}]`,
      );
    }
  }
  return list as number[];
}

function checkOutput(y: unknown, fnName: string): asserts y is Tensor {
  if (!(y instanceof Tensor)) throw new ArgumentError(`${fnName}: f must return a Tensor, got ${describe(y)}`);
  if (!isFloat(y.dtype)) {
    throw new DTypeError(`${fnName}: f returned a ${y.dtype} tensor; only float32/float64 outputs can be differentiated`);
  }
}

function checkSeed(seed: unknown, y: Tensor, fnName: string, argName: string): Tensor {
  if (!(seed instanceof Tensor)) throw new ArgumentError(`${fnName}: ${argName} must be a Tensor, got ${describe(seed)}`);
  if (!shapesEqual(seed.shape, y.shape)) {
    throw new ShapeError(`${fnName}: ${argName} must have the output's shape [${y.shape.join(', ')}], got [${seed.shape.join(', ')}]`);
  }
  return seed;
}

/** Gradients take the dtype of their input (mixed-precision graphs may promote). */
function castTo(g: Tensor, dtype: DType): Tensor {
  // cast is differentiable between float dtypes, so higher-order gradients still flow
  return g.dtype === dtype ? g : cast(g, dtype);
}

function valueAndGradImpl(fnName: string, f: TensorFunction, xs: unknown[], argnums: unknown, seed: unknown): { value: Tensor; grads: Tensor[] } {
  checkTensors(xs, fnName);
  const idx = resolveArgnums(argnums, xs.length, fnName);
  for (const i of idx) checkDifferentiable(xs[i]!, i, fnName);
  const tape = new Tape();
  for (const i of idx) tape.watch(xs[i]!);
  const y = tape.run(() => f(...xs));
  checkOutput(y, fnName);
  let s: Tensor;
  if (seed !== undefined) {
    s = checkSeed(seed, y, fnName, 'seed');
  } else {
    if (y.size !== 1) {
      throw new ShapeError(
        `${fnName}: f must return a scalar (one element) to take its gradient, but it returned shape [${y.shape.join(', ')}]; reduce it (e.g. sum(y)), pass { seed } of that shape, or use vjp(f, ...xs) for non-scalar outputs`,
      );
    }
    s = onesLike(y);
  }
  const wrt = idx.map((i) => xs[i]!);
  const grads = tape.gradient([y], [s], wrt).map((g, k) => castTo(g, wrt[k]!.dtype));
  return { value: y, grads };
}

/**
 * The gradient of a scalar function. With a numeric `argnums` (default 0) the returned
 * function gives one gradient; with a list, one per listed argument. Gradients have their
 * argument's shape and dtype; an argument the output does not depend on gets zeros.
 * Nest it for higher derivatives: `grad(grad(f))`.
 *
 * @example
 * ```ts
 * const f = (x: Tensor) => sum(mul(x, x));
 * grad(f)(tensor([1, 2, 3])).toArray();          // [2, 4, 6]
 * const [da, db] = grad((a, b) => sum(mul(a, b)), { argnums: [0, 1] })(a, b);
 * ```
 */
export function grad(f: TensorFunction, opts?: GradOptions<number>): (...xs: Tensor[]) => Tensor;
export function grad(f: TensorFunction, opts: GradOptions<readonly number[]>): (...xs: Tensor[]) => Tensor[];
export function grad(f: TensorFunction, opts: GradOptions = {}): (...xs: Tensor[]) => Tensor | Tensor[] {
  checkFunction(f, 'grad');
  checkOptionKeys(opts, GRAD_KEYS, 'grad');
  const many = Array.isArray(opts.argnums);
  return (...xs: Tensor[]) => {
    const { grads } = valueAndGradImpl('grad', f, xs, opts.argnums, opts.seed);
    return many ? grads : grads[0]!;
  };
}

/**
 * Like {@link grad}, but also returns the function's value (computed once).
 *
 * @example
 * ```ts
 * const { value, grad: g } = valueAndGrad((x: Tensor) => sum(mul(x, x)))(tensor([3]));
 * value.item(); // 9
 * g.toArray();  // [6]
 * ```
 */
export function valueAndGrad(f: TensorFunction, opts?: GradOptions<number>): (...xs: Tensor[]) => ValueAndGrad<Tensor>;
export function valueAndGrad(f: TensorFunction, opts: GradOptions<readonly number[]>): (...xs: Tensor[]) => ValueAndGrad<Tensor[]>;
export function valueAndGrad(f: TensorFunction, opts: GradOptions = {}): (...xs: Tensor[]) => ValueAndGrad<Tensor | Tensor[]> {
  checkFunction(f, 'valueAndGrad');
  checkOptionKeys(opts, GRAD_KEYS, 'valueAndGrad');
  const many = Array.isArray(opts.argnums);
  return (...xs: Tensor[]) => {
    const { value, grads } = valueAndGradImpl('valueAndGrad', f, xs, opts.argnums, opts.seed);
    return { value, grad: many ? grads : grads[0]! };
  };
}

/**
 * Runs `f` once and returns its value with a pullback: `pullback(g)` gives the gradients
 * of `<f(xs), g>` with respect to every argument (the vector-Jacobian product), for
 * outputs of any shape. The pullback may be called several times; the recorded graph
 * lives as long as the pullback does.
 *
 * @example
 * ```ts
 * const { value, pullback } = vjp((x: Tensor) => mul(x, x), tensor([1, 2]));
 * pullback(tensor([1, 10]))[0]!.toArray(); // [2, 40]
 * ```
 */
export function vjp(f: TensorFunction, ...xs: Tensor[]): VjpResult {
  checkFunction(f, 'vjp');
  checkTensors(xs, 'vjp');
  xs.forEach((x, i) => checkDifferentiable(x, i, 'vjp'));
  const tape = new Tape().watch(...xs);
  const value = tape.run(() => f(...xs));
  checkOutput(value, 'vjp');
  const pullback = (g: Tensor): Tensor[] => {
    checkSeed(g, value, 'vjp pullback', 'g');
    return tape.gradient([value], [g], xs, { retain: true }).map((d, k) => castTo(d, xs[k]!.dtype));
  };
  return { value, pullback };
}

/**
 * Forward-mode product: the derivative of `f` at `primals` in the direction `tangents`
 * (`J t`). Built from two reverse passes (the "double vjp" trick): the pullback is linear
 * in its cotangent `u`, so differentiating `<pullback(u), t>` with respect to `u` gives `J t`.
 *
 * @example
 * ```ts
 * const { tangent } = jvp((x: Tensor) => mul(x, x), [tensor([3])], [tensor([1])]);
 * tangent.toArray(); // [6]
 * ```
 */
export function jvp(f: TensorFunction, primals: readonly Tensor[], tangents: readonly Tensor[]): JvpResult {
  checkFunction(f, 'jvp');
  if (!Array.isArray(primals)) throw new ArgumentError(`jvp: primals must be an array of Tensors, got ${describe(primals)}`);
  if (!Array.isArray(tangents)) throw new ArgumentError(`jvp: tangents must be an array of Tensors, got ${describe(tangents)}`);
  checkTensors(primals, 'jvp', 'primal');
  checkTensors(tangents, 'jvp', 'tangent');
  if (primals.length !== tangents.length) {
    throw new ArgumentError(`jvp: expected one tangent per primal (${primals.length}), got ${tangents.length}`);
  }
  tangents.forEach((t, i) => {
    if (!shapesEqual(t.shape, primals[i]!.shape)) {
      throw new ShapeError(`jvp: tangent ${i} must have primal ${i}'s shape [${primals[i]!.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
  });
  const { value, pullback } = vjp(f, ...primals);
  const u = zeros(value.shape, value.dtype);
  const tape = new Tape().watch(u);
  const inner = tape.run(() => {
    const gs = pullback(u);
    let acc: Tensor | null = null;
    for (let i = 0; i < gs.length; i++) {
      const term = sum(mul(gs[i]!, tangents[i]!));
      acc = acc === null ? term : add(acc, term);
    }
    return acc ?? zeros([], value.dtype);
  });
  const [tangent] = tape.gradient([inner], [onesLike(inner)], [u]);
  return { value, tangent: castTo(tangent!, value.dtype) };
}

/**
 * Hessian-vector product `H v` of a scalar function at `x`, as the gradient of
 * `<grad f(x), v>` (reverse over reverse). Integrated Hessians is built on it.
 *
 * @example
 * ```ts
 * // f = sum(x^3): H = diag(6x)
 * hvp((x: Tensor) => sum(mul(mul(x, x), x)), tensor([1, 2]), tensor([1, 1])).toArray(); // [6, 12]
 * ```
 */
export function hvp(f: TensorFunction, x: Tensor, v: Tensor): Tensor {
  checkFunction(f, 'hvp');
  checkTensors([x], 'hvp', 'x');
  checkTensors([v], 'hvp', 'v');
  checkDifferentiable(x, 0, 'hvp');
  if (!shapesEqual(x.shape, v.shape)) {
    throw new ShapeError(`hvp: v must have x's shape [${x.shape.join(', ')}], got [${v.shape.join(', ')}]`);
  }
  const df = grad(f);
  return grad((xx: Tensor) => sum(mul(df(xx), v)))(x);
}
