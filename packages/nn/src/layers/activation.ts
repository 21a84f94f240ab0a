import { gelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh, checkOptionKeys, optionKeys, type Tensor } from '@pathgrad/tensor';
import { Module } from '../module.js';
import { checkFiniteNumber } from './checks.js';

/**
 * Rectified linear unit, `max(x, 0)` (gradient 0 at 0, as PyTorch).
 * @example
 * ```ts
 * new ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * Options of {@link Softplus}.
 * @example
 * ```ts
 * new Softplus({ beta: 10, threshold: 20 });
 * ```
 */
export interface SoftplusLayerOptions {
  /** Sharpness (default 1, > 0). */
  beta?: number;
  /** Above `beta * x > threshold` the output is `x` (default 20). */
  threshold?: number;
}

const SOFTPLUS_KEYS = optionKeys<SoftplusLayerOptions>({ beta: true, threshold: true });

/**
 * Softplus `log(1 + e^(beta x)) / beta`, linear above the threshold (PyTorch's `Softplus`).
 * A smooth ReLU, used to make ReLU networks twice differentiable.
 * @example
 * ```ts
 * new Softplus({ beta: 10 }).forward(tensor([0])).toArray(); // [0.0693...]
 * ```
 */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;

  constructor(options: SoftplusLayerOptions = {}) {
    super();
    const { beta = 1, threshold = 20 } = checkOptionKeys(options, SOFTPLUS_KEYS, 'Softplus');
    this.beta = checkFiniteNumber(beta, 'beta', 'Softplus');
    this.threshold = checkFiniteNumber(threshold, 'threshold', 'Softplus');
  }

  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
}

/**
 * Logistic sigmoid `1 / (1 + e^-x)`.
 * @example
 * ```ts
 * new Sigmoid().forward(tensor([0])).toArray(); // [0.5]
 * ```
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * Hyperbolic tangent.
 * @example
 * ```ts
 * new Tanh().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * Exact (erf) GELU, PyTorch's default.
 * @example
 * ```ts
 * new GELU().forward(tensor([0])).toArray(); // [0]
 * ```
 */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/**
 * Softmax along `dim` (default -1; PyTorch requires it, `Softmax(1)` for `[N, C]` logits).
 * @example
 * ```ts
 * new Softmax(1).forward(tensor([[0, 0]])).toArray(); // [[0.5, 0.5]]
 * ```
 */
export class Softmax extends Module {
  readonly dim: number;

  constructor(dim = -1) {
    super();
    this.dim = dim;
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/**
 * Log-softmax along `dim` (default -1), computed stably (not as log of softmax).
 * @example
 * ```ts
 * new LogSoftmax(1).forward(tensor([[0, 0]])).toArray(); // [[-0.693..., -0.693...]]
 * ```
 */
export class LogSoftmax extends Module {
  readonly dim: number;

  constructor(dim = -1) {
    super();
    this.dim = dim;
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}
