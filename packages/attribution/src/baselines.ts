import {
  ArgumentError,
  ShapeError,
  Tensor,
  broadcastShapes,
  describe,
  expand,
  optionKeys,
  rng as makeRng,
  shapesEqual,
  type Rng,
} from '@pathgrad/tensor';
import { gaussianBlur2d, type BlurMode } from './blur.js';
import { fromFlat, toFloat64 } from './gradients.js';
import { MAX_BASELINES, checkOptions, countOption } from './options.js';

/**
 * Builds one or more baselines for a batch of inputs, in the model's input space. Each
 * returned tensor must broadcast to the inputs' shape; several mean "average over them".
 *
 * @example
 * ```ts
 * // a custom builder: the image with its colours inverted
 * const inverted: BaselineBuilder = { kind: 'inverted', build: (inputs) => [sub(1, inputs)] };
 * integratedGradients(model, images, { target: labels, baseline: inverted });
 * ```
 */
export interface BaselineBuilder {
  /** A short name, recorded in results and reports. */
  readonly kind: string;
  /** Makes the baselines for `inputs`; `rng` is seeded by the method's `seed` option. */
  build(inputs: Tensor, rng: Rng): Tensor[];
}

/**
 * A baseline: a number, a tensor broadcastable to the inputs, a builder, or a list of these.
 *
 * @example
 * ```ts
 * const black: Baseline = 0;
 * const several: Baseline = [0, gaussianBlurBaseline(5), uniformNoiseBaseline({ samples: 4 })]; // attributions are averaged
 * integratedGradients(model, images, { target: labels, baseline: several });
 * ```
 */
export type Baseline = number | Tensor | BaselineBuilder | readonly (number | Tensor | BaselineBuilder)[];

/**
 * The all-zero baseline (Captum's default). In normalised input spaces, zero is the mean
 * colour, not black: build baselines in the space the model sees.
 * @example
 * ```ts
 * integratedGradients(model, x, { target: 3, baseline: zerosBaseline() });
 * ```
 */
export function zerosBaseline(): BaselineBuilder {
  return constantBaseline(0);
}

/**
 * A constant baseline `c` everywhere.
 * @example
 * ```ts
 * const white = constantBaseline(1);
 * ```
 */
export function constantBaseline(c: number): BaselineBuilder {
  if (typeof c !== 'number' || !Number.isFinite(c)) throw new ArgumentError(`constantBaseline: c must be a finite number, got ${describe(c)}`);
  return { kind: `constant(${c})`, build: (inputs) => [fromFlat(new Float64Array(inputs.size).fill(c), inputs.shape, inputs.dtype)] };
}

const UNIFORM_NOISE_KEYS = optionKeys<NonNullable<Parameters<typeof uniformNoiseBaseline>[0]>>({ low: true, high: true, samples: true });
const BLUR_BASELINE_KEYS = optionKeys<NonNullable<Parameters<typeof gaussianBlurBaseline>[1]>>({ mode: true });

/**
 * `samples` baselines of i.i.d. uniform noise in [low, high) (the IG authors'
 * random-baseline variant averages IG over 10 of them); at most {@link MAX_BASELINES}.
 * @example
 * ```ts
 * const noise = uniformNoiseBaseline({ samples: 10 });
 * ```
 */
export function uniformNoiseBaseline(options: { low?: number; high?: number; samples?: number } = {}): BaselineBuilder {
  const { low = 0, high = 1, samples = 1 } = checkOptions(options, UNIFORM_NOISE_KEYS, 'uniformNoiseBaseline');
  if (!(high > low)) throw new ArgumentError(`uniformNoiseBaseline: high must exceed low, got low=${low}, high=${high}`);
  countOption(samples, 1, 'samples', 'uniformNoiseBaseline', MAX_BASELINES);
  return {
    kind: `uniformNoise(${low},${high})x${samples}`,
    build: (inputs, g) =>
      Array.from({ length: samples }, () => {
        const v = new Float64Array(inputs.size);
        for (let i = 0; i < v.length; i++) v[i] = low + (high - low) * g.uniform();
        return fromFlat(v, inputs.shape, inputs.dtype);
      }),
  };
}

/**
 * The input blurred with a Gaussian of `sigma` pixels over its last two axes (a
 * "blurred" baseline, Sturmfels et al. 2020).
 * @example
 * ```ts
 * const blurred = gaussianBlurBaseline(5);
 * ```
 */
export function gaussianBlurBaseline(sigma: number, options: { mode?: BlurMode } = {}): BaselineBuilder {
  const { mode = 'constant' } = checkOptions(options, BLUR_BASELINE_KEYS, 'gaussianBlurBaseline');
  return { kind: `gaussianBlur(${sigma})`, build: (inputs) => [gaussianBlur2d(inputs, sigma, { mode })] };
}

/**
 * `k` baselines drawn from a dataset `[M, ...]` (uniformly, independently for every
 * input example and every draw, with replacement), as IGC's `x_0 = K`; `k` at most
 * {@link MAX_BASELINES}.
 * @example
 * ```ts
 * const refs = datasetSamplesBaseline(trainImages, 8);
 * ```
 */
export function datasetSamplesBaseline(data: Tensor, k: number): BaselineBuilder {
  checkData(data, 'datasetSamplesBaseline');
  if (k === undefined) throw new ArgumentError('datasetSamplesBaseline: k (how many baselines to draw) is required, got undefined');
  countOption(k, 1, 'k', 'datasetSamplesBaseline', MAX_BASELINES);
  return {
    kind: `datasetSamples(${k})`,
    build: (inputs, g) => {
      checkFeatureShape(data, inputs, 'datasetSamplesBaseline');
      const flat = toFloat64(data);
      const m = data.shape[0]!;
      const per = m === 0 ? 0 : flat.length / m;
      const n = inputs.shape[0]!;
      return Array.from({ length: k }, () => {
        const v = new Float64Array(n * per);
        for (let i = 0; i < n; i++) {
          const r = g.int(0, m);
          v.set(flat.subarray(r * per, (r + 1) * per), i * per);
        }
        return fromFlat(v, inputs.shape, inputs.dtype);
      });
    },
  };
}

/**
 * The mean of a dataset `[M, ...]` as a single baseline.
 * @example
 * ```ts
 * const avg = meanBaseline(trainImages);
 * ```
 */
export function meanBaseline(data: Tensor): BaselineBuilder {
  checkData(data, 'meanBaseline');
  const flat = toFloat64(data);
  const m = data.shape[0]!;
  const per = flat.length / m;
  const mean = new Float64Array(per);
  for (let i = 0; i < m; i++) for (let j = 0; j < per; j++) mean[j]! += flat[i * per + j]! / m;
  return {
    kind: 'mean',
    build: (inputs) => {
      checkFeatureShape(data, inputs, 'meanBaseline');
      return [fromFlat(mean, [1, ...data.shape.slice(1)], inputs.dtype)];
    },
  };
}

function checkData(data: unknown, fn: string): asserts data is Tensor {
  if (!(data instanceof Tensor) || data.rank < 1 || data.shape[0] === 0) {
    throw new ArgumentError(`${fn}: data must be a non-empty Tensor [M, ...], got ${describe(data)}`);
  }
}

function checkFeatureShape(data: Tensor, inputs: Tensor, fn: string): void {
  if (!shapesEqual(data.shape.slice(1), inputs.shape.slice(1))) {
    throw new ShapeError(`${fn}: dataset examples have shape [${data.shape.slice(1).join(', ')}] but inputs have [${inputs.shape.slice(1).join(', ')}]`);
  }
}

/**
 * Resolves a baseline option into a list of tensors with exactly the inputs' shape and
 * dtype (contiguous). `undefined` means zeros.
 *
 * @example
 * ```ts
 * const [b] = resolveBaselines(images, 0, 0, 'myMethod'); // one all-zeros tensor shaped like images
 * resolveBaselines(images, [0, gaussianBlurBaseline(5)], 0, 'myMethod').length; // 2
 * ```
 */
export function resolveBaselines(inputs: Tensor, baseline: Baseline | undefined, seed: number, methodName: string): Tensor[] {
  const g = makeRng(seed);
  const items = Array.isArray(baseline) ? (baseline as readonly (number | Tensor | BaselineBuilder)[]) : [baseline ?? 0];
  if (items.length === 0) throw new ArgumentError(`${methodName}: baseline list must not be empty`);
  const out: Tensor[] = [];
  for (const item of items as (number | Tensor | BaselineBuilder)[]) {
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) throw new ArgumentError(`${methodName}: baseline must be finite, got ${item}`);
      out.push(fromFlat(new Float64Array(inputs.size).fill(item), inputs.shape, inputs.dtype));
    } else if (item instanceof Tensor) {
      out.push(broadcastBaseline(item, inputs, methodName));
    } else if (item && typeof item === 'object' && typeof item.build === 'function') {
      for (const b of item.build(inputs, g)) out.push(broadcastBaseline(b, inputs, methodName));
    } else {
      throw new ArgumentError(`${methodName}: baseline must be a number, a Tensor, a baseline builder or a list of them, got ${describe(item)}`);
    }
  }
  return out;
}

function broadcastBaseline(b: Tensor, inputs: Tensor, methodName: string): Tensor {
  let shape: number[];
  try {
    shape = broadcastShapes(b.shape, inputs.shape);
  } catch {
    throw new ShapeError(`${methodName}: baseline of shape [${b.shape.join(', ')}] does not broadcast to the inputs' shape [${inputs.shape.join(', ')}]`);
  }
  if (!shapesEqual(shape, inputs.shape)) {
    throw new ShapeError(`${methodName}: baseline of shape [${b.shape.join(', ')}] does not broadcast to the inputs' shape [${inputs.shape.join(', ')}]`);
  }
  const values = toFloat64(expand(b, inputs.shape));
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new ArgumentError(`${methodName}: baseline contains ${values[i]} at flat index ${i}; expected finite values`);
  }
  return fromFlat(values, inputs.shape, inputs.dtype);
}
