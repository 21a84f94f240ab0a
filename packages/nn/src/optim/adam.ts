import { ArgumentError, checkOptionKeys, optionKeys, type TypedArray } from '@pathgrad/tensor';
import type { Parameter } from '../module.js';
import { Optimizer, checkHyper } from './optimizer.js';

/**
 * Options of {@link Adam}.
 * @example
 * ```ts
 * new Adam(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
 * ```
 */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient, as PyTorch's `Adam` (not decoupled; default 0). */
  weightDecay?: number;
}

const ADAM_KEYS = optionKeys<AdamOptions>({ lr: true, betas: true, eps: true, weightDecay: true });

/**
 * Adam (Kingma & Ba 2015) with PyTorch's update rule: `g += wd * p`,
 * `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
 * `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 * @example
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * opt.step(grads);
 * ```
 */
export class Adam extends Optimizer {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m: (TypedArray | undefined)[] = [];
  private readonly v: (TypedArray | undefined)[] = [];
  private readonly steps: number[] = [];

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super(params, 'Adam');
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = checkOptionKeys(options, ADAM_KEYS, 'Adam');
    this.lr = checkHyper(lr, 'lr', 'Adam');
    if (!Array.isArray(betas) || betas.length !== 2) throw new ArgumentError(`Adam: betas must be a pair [beta1, beta2], got ${String(betas)}`);
    checkHyper(betas[0], 'betas[0]', 'Adam', { max: 1, openMax: true });
    checkHyper(betas[1], 'betas[1]', 'Adam', { max: 1, openMax: true });
    this.betas = [betas[0], betas[1]];
    this.eps = checkHyper(eps, 'eps', 'Adam');
    this.weightDecay = checkHyper(weightDecay, 'weightDecay', 'Adam');
  }

  protected update(index: number, p: TypedArray, grad: TypedArray): void {
    const [b1, b2] = this.betas;
    const { lr, eps, weightDecay } = this;
    const t = (this.steps[index] ?? 0) + 1;
    this.steps[index] = t;
    const m = this.stateBuffer(this.m, index, p);
    const v = this.stateBuffer(this.v, index, p);
    const stepSize = lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < p.length; i++) {
      const g = grad[i]! + weightDecay * p[i]!;
      const mi = b1 * m[i]! + (1 - b1) * g;
      const vi = b2 * v[i]! + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}
