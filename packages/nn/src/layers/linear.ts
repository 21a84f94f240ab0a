import { gradOverridesActive } from '@pathgrad/autograd';
import { ArgumentError, add, linear, matmul, relu, transpose, checkOptionKeys, optionKeys, type DType, type Tensor } from '@pathgrad/tensor';
import { defaultBiasInit, defaultWeightInit, toRng, type RngOrSeed } from '../init.js';
import { Module, Parameter } from '../module.js';
import { describeShape } from '../tensorUtil.js';
import { checkPositiveInt } from './checks.js';

/**
 * Options of {@link Linear}.
 * @example
 * ```ts
 * new Linear(784, 10, { bias: false, rng: 0, dtype: 'float64' });
 * ```
 */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator or seed for PyTorch's default init (default seed 0). */
  rng?: RngOrSeed;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

const LINEAR_KEYS = optionKeys<LinearOptions>({ bias: true, rng: true, dtype: true });

/**
 * Fully connected layer `y = x W^T + b`, with PyTorch's layout (`weight` is `[out, in]`)
 * and default init, so a PyTorch state dict loads unchanged. Accepts `[..., in]`.
 * @example
 * ```ts
 * const fc = new Linear(784, 10, { rng: rng(0) });
 * fc.forward(zeros([2, 784])).shape; // [2, 10]
 * ```
 */
export class Linear extends Module {
  /** `[outFeatures, inFeatures]`. */
  weight: Parameter;
  /** `[outFeatures]`, or null without bias. */
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    const { bias = true, rng, dtype = 'float32' } = checkOptionKeys(options, LINEAR_KEYS, 'Linear');
    this.inFeatures = checkPositiveInt(inFeatures, 'inFeatures', 'Linear');
    this.outFeatures = checkPositiveInt(outFeatures, 'outFeatures', 'Linear');
    const g = toRng(rng, 'Linear');
    this.weight = new Parameter(defaultWeightInit([outFeatures, inFeatures], g, dtype));
    this.bias = bias ? new Parameter(defaultBiasInit([outFeatures], inFeatures, g, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    return this._forward(x, 'none', 'Linear.forward');
  }

  /**
   * `forward` followed by ReLU, as one fused op where that is exact: what {@link Sequential}
   * runs for a Linear directly followed by a ReLU.
   * @internal
   */
  _forwardRelu(x: Tensor): Tensor {
    return this._forward(x, 'relu', 'Linear.forward');
  }

  private _forward(x: Tensor, activation: 'none' | 'relu', where: string): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ArgumentError(`${where}: input must have last dimension ${this.inFeatures} (shape [..., ${this.inFeatures}]), got ${describeShape(x.shape)}`);
    }
    const w = this.weight.value;
    const b = this.bias?.value;
    // One `linear` op for [N, in] and [in]: the same float64 values and gradients as the ops
    // below, bit for bit. Not for [..., N, in] (matmul's weight gradient sums batch by batch)
    // nor under gradient overrides (rules for matmul, add or relu must see those ops).
    if (x.rank <= 2 && !gradOverridesActive()) return linear(x, w, b, { activation });
    const y = matmul(x, transpose(w));
    const z = b ? add(y, b) : y;
    return activation === 'relu' ? relu(z) : z;
  }
}
