/**
 * Weight initialisation as PyTorch's `torch.nn.init` (same fans, gains and bounds), but
 * returning new tensors from an explicit seeded generator instead of filling in place.
 */
import { ArgumentError, Rng, checkOptionKeys, optionKeys, rand, randn, rng as makeRng, type DType, type Tensor } from '@pathgrad/tensor';
import { describeShape } from './tensorUtil.js';

/**
 * Which fan scales the variance: `fanIn` keeps forward activations, `fanOut` gradients.
 * @example
 * ```ts
 * kaimingNormal([64, 128], rng(0), { mode: 'fanOut' });
 * ```
 */
export type FanMode = 'fanIn' | 'fanOut';

/**
 * Nonlinearities with a recommended gain (PyTorch's `calculate_gain`).
 * @example
 * ```ts
 * calculateGain('tanh'); // 5/3
 * ```
 */
export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/**
 * Options shared by the initialisers.
 * @example
 * ```ts
 * xavierUniform([4, 4], rng(0), { dtype: 'float64' });
 * ```
 */
export interface InitOptions {
  /** Element type of the result (default float32). */
  dtype?: DType;
}

/**
 * Options of the Kaiming initialisers.
 * @example
 * ```ts
 * kaimingUniform([64, 128], rng(0), { a: 0, mode: 'fanIn', nonlinearity: 'relu' });
 * ```
 */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** Fan used (default `'fanIn'`). */
  mode?: FanMode;
  /** Nonlinearity that follows (default `'leakyRelu'`, as PyTorch). */
  nonlinearity?: Nonlinearity;
}

const KAIMING_KEYS = optionKeys<KaimingOptions>({ a: true, mode: true, nonlinearity: true, dtype: true });

/**
 * Options of the Xavier initialisers.
 * @example
 * ```ts
 * xavierNormal([64, 128], rng(0), { gain: 2 });
 * ```
 */
export interface XavierOptions extends InitOptions {
  /** Scale factor (default 1). */
  gain?: number;
}

const XAVIER_KEYS = optionKeys<XavierOptions>({ gain: true, dtype: true });

/**
 * A generator, or a seed to make one from.
 * @example
 * ```ts
 * new Linear(4, 2, { rng: 7 }); new Linear(4, 2, { rng: rng(7) }); // same weights
 * ```
 */
export type RngOrSeed = Rng | number;

/** Turns an `Rng | seed` into an `Rng`. */
export function toRng(g: RngOrSeed | undefined, where: string, fallbackSeed = 0): Rng {
  if (g === undefined) return makeRng(fallbackSeed);
  if (typeof g === 'number') return makeRng(g);
  if (g instanceof Rng) return g;
  throw new ArgumentError(`${where}: rng must be an Rng from rng(seed) or an integer seed, got ${typeof g}`);
}

/**
 * Fan-in and fan-out of a weight shape as PyTorch computes them: `[out, in, ...kernel]`
 * gives `fanIn = in * prod(kernel)`, `fanOut = out * prod(kernel)`.
 * @example
 * ```ts
 * computeFans([16, 1, 5, 5]); // { fanIn: 25, fanOut: 400 }
 * ```
 */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new ArgumentError(`computeFans: shape must have at least 2 dimensions (fans are undefined otherwise), got ${describeShape(shape)}`);
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/**
 * PyTorch's `calculate_gain`: the factor that keeps activations' variance for a nonlinearity.
 * @example
 * ```ts
 * calculateGain('relu'); // Math.SQRT2
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}; expected one of linear, conv2d, sigmoid, tanh, relu, leakyRelu, selu`);
  }
}

function kaimingStd(shape: readonly number[], options: KaimingOptions, where: string): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = checkOptionKeys(options, KAIMING_KEYS, where);
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new ArgumentError(`${where}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  if (!Number.isFinite(a)) throw new ArgumentError(`${where}: a must be a finite number, got ${a}`);
  const fans = computeFans(shape);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  if (fan === 0) throw new ArgumentError(`${where}: cannot initialise a tensor with a zero fan, shape ${describeShape(shape)}`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * Kaiming (He) uniform: U(-b, b) with `b = gain * sqrt(3 / fan)`, as `kaiming_uniform_`.
 * @example
 * ```ts
 * const w = kaimingUniform([128, 784], rng(0), { a: Math.sqrt(5) }); // PyTorch's Linear default
 * ```
 */
export function kaimingUniform(shape: readonly number[], generator: Rng, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(shape, opts, 'kaimingUniform');
  return rand(shape, generator, { low: -bound, high: bound, dtype: opts.dtype ?? 'float32' });
}

/**
 * Kaiming (He) normal: N(0, (gain / sqrt(fan))^2), as `kaiming_normal_`.
 * @example
 * ```ts
 * const w = kaimingNormal([64, 128], rng(0), { nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal(shape: readonly number[], generator: Rng, opts: KaimingOptions = {}): Tensor {
  const std = kaimingStd(shape, opts, 'kaimingNormal');
  return randn(shape, generator, { std, dtype: opts.dtype ?? 'float32' });
}

function xavierStd(shape: readonly number[], gain: number, where: string): number {
  if (!Number.isFinite(gain) || gain < 0) throw new ArgumentError(`${where}: gain must be a finite number >= 0, got ${gain}`);
  const { fanIn, fanOut } = computeFans(shape);
  if (fanIn + fanOut === 0) throw new ArgumentError(`${where}: cannot initialise a tensor with zero fans, shape ${describeShape(shape)}`);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Xavier (Glorot) uniform: U(-b, b) with `b = gain * sqrt(6 / (fanIn + fanOut))`.
 * @example
 * ```ts
 * const w = xavierUniform([64, 128], rng(0));
 * ```
 */
export function xavierUniform(shape: readonly number[], generator: Rng, options: XavierOptions = {}): Tensor {
  const { gain = 1, dtype = 'float32' } = checkOptionKeys(options, XAVIER_KEYS, 'xavierUniform');
  const bound = Math.sqrt(3) * xavierStd(shape, gain, 'xavierUniform');
  return rand(shape, generator, { low: -bound, high: bound, dtype });
}

/**
 * Xavier (Glorot) normal: N(0, gain^2 * 2 / (fanIn + fanOut)).
 * @example
 * ```ts
 * const w = xavierNormal([64, 128], rng(0), { gain: calculateGain('tanh') });
 * ```
 */
export function xavierNormal(shape: readonly number[], generator: Rng, options: XavierOptions = {}): Tensor {
  const { gain = 1, dtype = 'float32' } = checkOptionKeys(options, XAVIER_KEYS, 'xavierNormal');
  const std = xavierStd(shape, gain, 'xavierNormal');
  return randn(shape, generator, { std, dtype });
}

/**
 * PyTorch's default weight init for Linear and Conv2d: `kaiming_uniform_(a=sqrt(5))`,
 * which is U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 * @example
 * ```ts
 * const w = defaultWeightInit([10, 64], rng(0));
 * ```
 */
export function defaultWeightInit(shape: readonly number[], generator: Rng, dtype: DType = 'float32'): Tensor {
  return kaimingUniform(shape, generator, { a: Math.sqrt(5), dtype });
}

/**
 * PyTorch's default bias init for Linear and Conv2d: U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 * @example
 * ```ts
 * const b = defaultBiasInit([10], 64, rng(0));
 * ```
 */
export function defaultBiasInit(shape: readonly number[], fanIn: number, generator: Rng, dtype: DType = 'float32'): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rand(shape, generator, { low: -bound, high: bound, dtype });
}
