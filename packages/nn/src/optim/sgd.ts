import { ArgumentError, checkOptionKeys, optionKeys, type TypedArray } from '@pathgrad/tensor';
import type { Parameter } from '../module.js';
import { Optimizer, checkHyper } from './optimizer.js';

/**
 * Options of {@link SGD}.
 * @example
 * ```ts
 * new SGD(params, { lr: 0.01, momentum: 0.9, nesterov: true });
 * ```
 */
export interface SGDOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

const SGD_KEYS = optionKeys<SGDOptions>({ lr: true, momentum: true, dampening: true, weightDecay: true, nesterov: true });

/**
 * Stochastic gradient descent with PyTorch's update rule:
 * `g += wd * p; buf = momentum * buf + (1 - dampening) * g` (the first step sets
 * `buf = g`); `g = nesterov ? g + momentum * buf : buf`; `p -= lr * g`.
 * @example
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.step(grads);
 * ```
 */
export class SGD extends Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buffers: (TypedArray | undefined)[] = [];

  constructor(params: readonly Parameter[], options: SGDOptions) {
    super(params, 'SGD');
    // lr has no default: a missing options object reaches checkHyper as lr undefined
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = checkOptionKeys(options, SGD_KEYS, 'SGD') ?? ({} as Partial<SGDOptions>);
    this.lr = checkHyper(lr, 'lr', 'SGD');
    this.momentum = checkHyper(momentum, 'momentum', 'SGD');
    this.dampening = checkHyper(dampening, 'dampening', 'SGD');
    this.weightDecay = checkHyper(weightDecay, 'weightDecay', 'SGD');
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new ArgumentError(`SGD: nesterov momentum requires momentum > 0 and dampening 0, got momentum=${momentum}, dampening=${dampening}`);
    }
    this.nesterov = nesterov;
  }

  protected update(index: number, p: TypedArray, grad: TypedArray): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this;
    const buf = momentum !== 0 ? this.buffers[index] : undefined;
    const first = momentum !== 0 && buf === undefined;
    const b = momentum !== 0 ? this.stateBuffer(this.buffers, index, p) : undefined;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i]! + weightDecay * p[i]!;
      if (b) {
        const v = first ? g : momentum * b[i]! + (1 - dampening) * g;
        b[i] = v;
        g = nesterov ? g + momentum * b[i]! : b[i]!;
      }
      p[i] = p[i]! - lr * g;
    }
  }
}
