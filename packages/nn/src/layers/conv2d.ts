import { gradOverridesActive } from '@pathgrad/autograd';
import { ArgumentError, conv2d, conv2dBiasAct, conv2dReluMaxPool, relu as reluOf, checkOptionKeys, optionKeys, type DType, type Tensor } from '@pathgrad/tensor';
import { defaultBiasInit, defaultWeightInit, toRng, type RngOrSeed } from '../init.js';
import { Module, Parameter } from '../module.js';
import { describeShape } from '../tensorUtil.js';
import type { MaxPool2d } from './pooling.js';
import { checkPositiveInt, toPair, type Pair } from './checks.js';

/**
 * Options of {@link Conv2d}.
 * @example
 * ```ts
 * new Conv2d(16, 32, 3, { stride: 2, padding: 'same', groups: 2, rng: 0 });
 * ```
 */
export interface Conv2dLayerOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side (default 0), or `'valid'` / `'same'`. */
  padding?: Pair | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1); both channel counts must be divisible by it. */
  groups?: number;
  /** Learn a per-output-channel bias (default true). */
  bias?: boolean;
  /** Generator or seed for PyTorch's default init (default seed 0). */
  rng?: RngOrSeed;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

const CONV2D_KEYS = optionKeys<Conv2dLayerOptions>({ stride: true, padding: true, dilation: true, groups: true, bias: true, rng: true, dtype: true });

/**
 * 2-D convolution over NCHW input with PyTorch's weight layout `[out, in/groups, kh, kw]`
 * and default init (kaiming_uniform with a = sqrt(5); bias U(+-1/sqrt(fanIn))).
 * @example
 * ```ts
 * const conv = new Conv2d(1, 16, 5, { rng: rng(0) });
 * conv.forward(zeros([8, 1, 28, 28])).shape; // [8, 16, 24, 24]
 * ```
 */
export class Conv2d extends Module {
  /** `[outChannels, inChannels / groups, kh, kw]`. */
  weight: Parameter;
  /** `[outChannels]`, or null without bias. */
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'valid' | 'same';
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, rng, dtype = 'float32' } = checkOptionKeys(options, CONV2D_KEYS, 'Conv2d');
    this.inChannels = checkPositiveInt(inChannels, 'inChannels', 'Conv2d');
    this.outChannels = checkPositiveInt(outChannels, 'outChannels', 'Conv2d');
    this.kernelSize = toPair(kernelSize, 'kernelSize', 'Conv2d', 1);
    this.stride = toPair(stride, 'stride', 'Conv2d', 1);
    this.padding = padding === 'valid' || padding === 'same' ? padding : toPair(padding, 'padding', 'Conv2d', 0);
    this.dilation = toPair(dilation, 'dilation', 'Conv2d', 1);
    this.groups = checkPositiveInt(groups, 'groups', 'Conv2d');
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    const g = toRng(rng, 'Conv2d');
    const shape = [outChannels, inChannels / groups, this.kernelSize[0], this.kernelSize[1]];
    this.weight = new Parameter(defaultWeightInit(shape, g, dtype));
    const fanIn = (inChannels / groups) * this.kernelSize[0] * this.kernelSize[1];
    this.bias = bias ? new Parameter(defaultBiasInit([outChannels], fanIn, g, dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    return this.convolve(x, false);
  }

  /**
   * `forward` followed by ReLU, as one fused op where that is exact: what {@link Sequential}
   * runs for a Conv2d directly followed by a ReLU.
   * @internal
   */
  _forwardRelu(x: Tensor): Tensor {
    return this.convolve(x, true);
  }

  /**
   * `forward`, ReLU, then `pool`'s forward, as one fused op where that is exact: what
   * {@link Sequential} runs for Conv2d, ReLU, MaxPool2d in a row (the full-size activations
   * are then never copied out of the wasm kernel).
   * @internal
   */
  _forwardReluMaxPool(x: Tensor, pool: MaxPool2d): Tensor {
    if (x.rank !== 4 || !this.bias || gradOverridesActive()) return pool.forward(this.convolve(x, true));
    this.checkInput(x);
    const { kernelSize, stride, padding, dilation, ceilMode } = pool;
    return conv2dReluMaxPool(x, this.weight.value, this.bias.value, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      pool: { kernelSize, stride, padding, dilation, ceilMode },
    });
  }

  private checkInput(x: Tensor): void {
    if ((x.rank !== 4 && x.rank !== 3) || x.shape[x.rank - 3] !== this.inChannels) {
      throw new ArgumentError(`Conv2d.forward: input must be [N, ${this.inChannels}, H, W], got ${describeShape(x.shape)}`);
    }
  }

  private convolve(x: Tensor, relu: boolean): Tensor {
    this.checkInput(x);
    const options = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    // One conv2dBiasAct op: the bias add and ReLU in the conv's own pass over the output, the
    // same float64 values and gradients as the ops below, bit for bit. Not under gradient
    // overrides (rules for conv2d, add or relu must see those ops).
    if (this.bias && !gradOverridesActive()) {
      return conv2dBiasAct(x, this.weight.value, this.bias.value, { ...options, activation: relu ? 'relu' : 'none' });
    }
    const y = conv2d(x, this.weight.value, this.bias?.value ?? null, options);
    return relu ? reluOf(y) : y;
  }
}
