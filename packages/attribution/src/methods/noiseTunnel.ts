import { ArgumentError, Tensor, describe, optionKeys, rng } from '@pathgrad/tensor';
import { checkInputs, type Model } from '../model.js';
import { fromFlat, toFloat64 } from '../gradients.js';
import { MAX_SAMPLES, checkOptions, countOption, intOption, numberOption } from '../options.js';
import { gaussianNoise } from '../path.js';

/**
 * Any attribution method: `(model, inputs, options) => { attributions, ... }`.
 *
 * @example
 * ```ts
 * const method: AttributionMethod<SaliencyOptions> = saliency;
 * noiseTunnel(method)(model, images, { target: labels });
 * ```
 */
export type AttributionMethod<O> = (model: Model, inputs: Tensor, options?: O) => { attributions: Tensor };

/**
 * Options of {@link noiseTunnel}.
 *
 * @example
 * ```ts
 * const options: NoiseTunnelOptions = { type: 'smoothgradSq', samples: 25, noiseLevel: 0.15, seed: 0 };
 * noiseTunnel(saliency, options)(model, images, { target: labels });
 * ```
 */
export interface NoiseTunnelOptions {
  /** `'smoothgrad'` (mean), `'smoothgradSq'` (mean of squares) or `'vargrad'` (variance). Default `'smoothgrad'`. */
  type?: 'smoothgrad' | 'smoothgradSq' | 'vargrad';
  /** Number of noisy samples (default 25, as PAIR and the SmoothGrad paper's range; at most {@link MAX_SAMPLES}). */
  samples?: number;
  /** Absolute noise standard deviation (as Captum's `stdevs`). Overrides `noiseLevel`. */
  stdev?: number;
  /** Noise std relative to each example's input range max − min (default 0.15, PAIR's `stdev_spread`). */
  noiseLevel?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

const NOISE_TUNNEL_KEYS = optionKeys<NoiseTunnelOptions>({ type: true, samples: true, stdev: true, noiseLevel: true, seed: true });

/**
 * Result of a noise-tunnelled method.
 *
 * @example
 * ```ts
 * const { attributions, stdevs }: NoiseTunnelResult = noiseTunnel(integratedGradients, { samples: 10 })(model, images, { target: labels });
 * ```
 */
export interface NoiseTunnelResult {
  attributions: Tensor;
  /** The absolute noise std used per example. */
  stdevs: Float64Array;
  samples: number;
}

/**
 * SmoothGrad / SmoothGrad² / VarGrad around any attribution method (Smilkov et al. 2017;
 * Adebayo et al. 2018): the method is run on `samples` noisy copies `x + ε`,
 * `ε ~ N(0, σ²)`, and the maps are averaged (or their squares, or their variance).
 *
 * @example
 * ```ts
 * const smoothIG = noiseTunnel(integratedGradients, { type: 'smoothgrad', samples: 10, stdev: 0.1 });
 * const { attributions } = smoothIG(model, images, { target: labels, steps: 32 });
 * ```
 */
export function noiseTunnel<O>(method: AttributionMethod<O>, opts: NoiseTunnelOptions = {}): (model: Model, inputs: Tensor, options?: O) => NoiseTunnelResult {
  if (typeof method !== 'function') throw new ArgumentError(`noiseTunnel: method must be an attribution function, got ${describe(method)}`);
  checkOptions(opts, NOISE_TUNNEL_KEYS, 'noiseTunnel');
  const type = opts.type ?? 'smoothgrad';
  if (type !== 'smoothgrad' && type !== 'smoothgradSq' && type !== 'vargrad') {
    throw new ArgumentError(`noiseTunnel: type must be 'smoothgrad', 'smoothgradSq' or 'vargrad', got ${describe(opts.type)}`);
  }
  const samples = countOption(opts.samples, 25, 'samples', 'noiseTunnel', MAX_SAMPLES);
  const seed = intOption(opts.seed, 0, 'seed', 'noiseTunnel', 0);
  const absolute = opts.stdev === undefined ? undefined : numberOption(opts.stdev, 0, 'stdev', 'noiseTunnel', 0);
  const level = numberOption(opts.noiseLevel, 0.15, 'noiseLevel', 'noiseTunnel', 0);
  return (model, inputs, options) => {
    checkInputs(inputs, 'noiseTunnel');
    const n = inputs.shape[0]!;
    const x = toFloat64(inputs);
    const per = n === 0 ? 0 : x.length / n;
    const stdevs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (absolute !== undefined) stdevs[i] = absolute;
      else {
        let lo = Infinity;
        let hi = -Infinity;
        for (let d = 0; d < per; d++) {
          lo = Math.min(lo, x[i * per + d]!);
          hi = Math.max(hi, x[i * per + d]!);
        }
        stdevs[i] = per ? level * (hi - lo) : 0;
      }
    }
    const g = rng(seed);
    const s1 = new Float64Array(x.length);
    const s2 = new Float64Array(x.length);
    for (let s = 0; s < samples; s++) {
      const noisy = new Float64Array(x.length);
      for (let i = 0; i < n; i++) {
        const eps = gaussianNoise(per, stdevs[i]!, g);
        for (let d = 0; d < per; d++) noisy[i * per + d] = x[i * per + d]! + eps[d]!;
      }
      const a = toFloat64(method(model, fromFlat(noisy, inputs.shape, inputs.dtype), options).attributions);
      for (let i = 0; i < a.length; i++) {
        s1[i]! += a[i]! / samples;
        s2[i]! += (a[i]! * a[i]!) / samples;
      }
    }
    const out = type === 'smoothgrad' ? s1 : type === 'smoothgradSq' ? s2 : s2.map((v, i) => v - s1[i]! * s1[i]!);
    return { attributions: fromFlat(out, inputs.shape, inputs.dtype), stdevs, samples };
  };
}
