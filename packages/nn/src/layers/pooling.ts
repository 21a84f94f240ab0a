import { avgPool2d, maxPool2d, checkOptionKeys, optionKeys, type Tensor } from '@pathgrad/tensor';
import { Module } from '../module.js';
import { toPair, type Pair } from './checks.js';

/**
 * Options shared by the pooling layers.
 * @example
 * ```ts
 * new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true });
 * ```
 */
export interface Pool2dLayerOptions {
  /** Step between windows (default: the kernel size, as PyTorch). */
  stride?: Pair;
  /** Implicit padding on both sides (default 0). */
  padding?: Pair;
  /** Round the output size up (default false). */
  ceilMode?: boolean;
}

/**
 * Options of {@link MaxPool2d}.
 * @example
 * ```ts
 * new MaxPool2d(3, { stride: 2, dilation: 2 });
 * ```
 */
export interface MaxPool2dLayerOptions extends Pool2dLayerOptions {
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
}

const MAX_POOL_KEYS = optionKeys<MaxPool2dLayerOptions>({ stride: true, padding: true, dilation: true, ceilMode: true });

/**
 * Options of {@link AvgPool2d}.
 * @example
 * ```ts
 * new AvgPool2d(2, { countIncludePad: false, padding: 1 });
 * ```
 */
export interface AvgPool2dLayerOptions extends Pool2dLayerOptions {
  /** Count padded zeros in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

const AVG_POOL_KEYS = optionKeys<AvgPool2dLayerOptions>({ stride: true, padding: true, ceilMode: true, countIncludePad: true });

/**
 * 2-D max pooling over NCHW input. The gradient goes to the first maximum of each window
 * in row-major order, as PyTorch (MNIST's flat background makes ties common).
 * @example
 * ```ts
 * new MaxPool2d(2).forward(zeros([1, 16, 24, 24])).shape; // [1, 16, 12, 12]
 * ```
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: Pair, options: MaxPool2dLayerOptions = {}) {
    super();
    const { stride, padding = 0, dilation = 1, ceilMode = false } = checkOptionKeys(options, MAX_POOL_KEYS, 'MaxPool2d');
    this.kernelSize = toPair(kernelSize, 'kernelSize', 'MaxPool2d', 1);
    this.stride = stride === undefined ? this.kernelSize : toPair(stride, 'stride', 'MaxPool2d', 1);
    this.padding = toPair(padding, 'padding', 'MaxPool2d', 0);
    this.dilation = toPair(dilation, 'dilation', 'MaxPool2d', 1);
    this.ceilMode = ceilMode;
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }
}

/**
 * 2-D average pooling over NCHW input (padded zeros counted by default, as PyTorch).
 * @example
 * ```ts
 * new AvgPool2d(2).forward(ones([1, 1, 4, 4])).toArray(); // [[[[1, 1], [1, 1]]]]
 * ```
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: Pair, options: AvgPool2dLayerOptions = {}) {
    super();
    const { stride, padding = 0, ceilMode = false, countIncludePad = true } = checkOptionKeys(options, AVG_POOL_KEYS, 'AvgPool2d');
    this.kernelSize = toPair(kernelSize, 'kernelSize', 'AvgPool2d', 1);
    this.stride = stride === undefined ? this.kernelSize : toPair(stride, 'stride', 'AvgPool2d', 1);
    this.padding = toPair(padding, 'padding', 'AvgPool2d', 0);
    this.ceilMode = ceilMode;
    this.countIncludePad = countIncludePad;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}
