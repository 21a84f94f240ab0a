import { ArgumentError, ShapeError, Tensor, allocate, describe, isFloat, type TypedArray } from '@pathgrad/tensor';
import { Parameter } from '../module.js';
import { describeShape } from '../tensorUtil.js';

/**
 * Base of the optimizers: holds the parameters and validates the gradients handed to
 * `step`. Updates are fused typed-array loops (one pass per parameter, as PyTorch's fused
 * kernels), never recorded by autograd, and they replace `p.value` with a new tensor so
 * tensors already handed out stay unchanged.
 * @example
 * ```ts
 * const opt: Optimizer = new SGD(model.parameters(), { lr: 0.1 });
 * opt.step(grads);
 * ```
 */
export abstract class Optimizer {
  /** The parameters updated by `step`, in the order gradients are given. */
  readonly params: readonly Parameter[];
  /** Number of `step` calls so far. */
  stepCount = 0;

  constructor(params: readonly Parameter[], where: string) {
    if (!Array.isArray(params) || params.some((p) => !(p instanceof Parameter))) {
      throw new ArgumentError(`${where}: params must be an array of Parameter (model.parameters()), got ${describe(params)}`);
    }
    this.params = [...params];
  }

  /**
   * Applies one update given one gradient per parameter (same order and shapes).
   * @example
   * ```ts
   * const { value, grad } = valueAndGrad(lossOf, { argnums: argnumsOf(params) })(...params.map((p) => p.value));
   * optimizer.step(grad);
   * ```
   */
  step(grads: readonly Tensor[]): void {
    const name = this.constructor.name;
    if (!Array.isArray(grads) || grads.length !== this.params.length) {
      throw new ArgumentError(`${name}.step: expected ${this.params.length} gradients (one per parameter), got ${Array.isArray(grads) ? grads.length : describe(grads)}`);
    }
    this.stepCount++;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const g = grads[i];
      if (!(g instanceof Tensor)) throw new ArgumentError(`${name}.step: grads[${i}] must be a Tensor, got ${describe(g)}`);
      if (g.size !== p.value.size || g.shape.length !== p.value.shape.length || g.shape.some((d, k) => d !== p.value.shape[k])) {
        throw new ShapeError(`${name}.step: grads[${i}] must have the parameter's shape ${describeShape(p.value.shape)}, got ${describeShape(g.shape)}`);
      }
      if (!isFloat(p.value.dtype)) throw new ArgumentError(`${name}.step: parameter ${i} has dtype ${p.value.dtype}; only float parameters can be optimised`);
      const values = p.value.toTypedArray();
      this.update(i, values, g.toTypedArray());
      p.value = new Tensor(values, p.value.shape, p.value.dtype);
    }
  }

  /** Updates `values` (a fresh copy of parameter `index`) in place given its gradient. */
  protected abstract update(index: number, values: TypedArray, grad: TypedArray): void;

  /** Per-parameter state buffer, allocated with zeros on first use. */
  protected stateBuffer(store: (TypedArray | undefined)[], index: number, like: TypedArray): TypedArray {
    let buf = store[index];
    if (buf === undefined) {
      buf = allocate(like instanceof Float64Array ? 'float64' : 'float32', like.length);
      store[index] = buf;
    }
    return buf;
  }
}

/** Validates a hyperparameter. */
export function checkHyper(value: unknown, name: string, where: string, { min = 0, max = Infinity, openMax = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (openMax && value === max)) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}${openMax ? ')' : ']'}`;
    throw new ArgumentError(`${where}: ${name} must be a finite number ${range}, got ${describe(value)}`);
  }
  return value;
}
