/**
 * Infidelity (Yeh, Hsieh, Suggala, Inouye & Ravikumar, "On the (In)fidelity and Sensitivity
 * of Explanations", NeurIPS 2019, arXiv:1901.09392), as Captum's
 * `captum/metrics/_core/infidelity.py` computes it.
 */
import type { Model } from '../model.js';
import { ArgumentError, ShapeError, Tensor, describe, optionKeys, rng as makeRng, shapesEqual, type Rng } from '@pathgrad/tensor';
import { prepare } from '../explain.js';
import { fromFlat, toFloat64 } from '../gradients.js';
import { MAX_SAMPLES, boolOption, checkOptions, countOption, intOption, numberOption } from '../options.js';
import type { OutputTransform, Target } from '../target.js';
import { batchOption, checkAttributions, checkBatch, evaluateRows } from './common.js';

/**
 * A perturbation distribution μ_I: for a batch of inputs returns the perturbation `I` and
 * the perturbed inputs `x̃` (both with the inputs' shape), drawing from `rng`. Infidelity
 * compares `Iᵀ Φ(x)` with `F(x) − F(x̃)`.
 *
 * @example
 * ```ts
 * // a custom perturbation: zero one random row of each image
 * const zeroRow: Perturbation = {
 *   kind: 'zeroRow',
 *   perturb: (inputs, rng) => {
 *     const row = Math.floor(rng.uniform() * 28);
 *     const mask = oneHot(tensor([row], { dtype: 'int32' }), 28).reshape([1, 1, 28, 1]);
 *     const perturbed = mul(inputs, sub(1, mask));
 *     return { perturbations: sub(inputs, perturbed), perturbed };
 *   },
 * };
 * ```
 */
export interface Perturbation {
  /** A short name for tables. */
  readonly kind: string;
  /** One draw for every example of the batch. */
  perturb(inputs: Tensor, rng: Rng): { perturbations: Tensor; perturbed: Tensor };
}

const GAUSSIAN_PERTURBATION_KEYS = optionKeys<NonNullable<Parameters<typeof gaussianPerturbation>[0]>>({ std: true, low: true, high: true });
const SQUARE_PERTURBATION_KEYS = optionKeys<NonNullable<Parameters<typeof squarePerturbation>[0]>>({ maxSide: true, value: true });

/**
 * The authors' "Gaussian" perturbation for local (gradient-type) explanations:
 * `I = clip(x + std·ε, x − high, x − low)`, ε ~ N(0, 1), `x̃ = x − I` (so x̃ stays
 * in [low, high]: a noisy near-`low` baseline). Defaults std 0.2, data range [0, 1]
 * (saliency_evaluation `infid_sen_utils.py`, MNIST setting).
 *
 * @example
 * ```ts
 * infidelity(model, x, saliencyMaps, { perturbation: gaussianPerturbation({ std: 0.2 }) });
 * ```
 */
export function gaussianPerturbation(options: { std?: number; low?: number; high?: number } = {}): Perturbation {
  const { std = 0.2, low = 0, high = 1 } = checkOptions(options, GAUSSIAN_PERTURBATION_KEYS, 'gaussianPerturbation');
  numberOption(std, 0.2, 'std', 'gaussianPerturbation', 0);
  if (!(high > low)) throw new ArgumentError(`gaussianPerturbation: high must exceed low, got low=${describe(low)}, high=${describe(high)}`);
  return {
    kind: `gaussian(${std})`,
    perturb(inputs, g) {
      const x = toFloat64(inputs.contiguous());
      const I = new Float64Array(x.length);
      const xt = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        I[i] = Math.min(v - low, Math.max(v - high, v + std * g.normal()));
        xt[i] = v - I[i]!;
      }
      return { perturbations: fromFlat(I, inputs.shape, inputs.dtype), perturbed: fromFlat(xt, inputs.shape, inputs.dtype) };
    },
  };
}

/**
 * The authors' "Square" perturbation for global explanations (attributions multiplied by
 * the input): a square of side 1..`maxSide` (uniform) at a uniform position is set to
 * `value` in every channel; `I` is the square's 0/1 indicator, so `Iᵀ Φ` is the
 * attribution mass in the square. The authors enumerate every square; this samples them.
 * Needs image inputs `[N, C, H, W]` or `[N, H, W]`.
 *
 * @example
 * ```ts
 * infidelity(model, x, igMaps, { perturbation: squarePerturbation({ maxSide: 10 }), samples: 100 });
 * ```
 */
export function squarePerturbation(options: { maxSide?: number; value?: number } = {}): Perturbation {
  const { maxSide = 10, value = 0 } = checkOptions(options, SQUARE_PERTURBATION_KEYS, 'squarePerturbation');
  intOption(maxSide, 10, 'maxSide', 'squarePerturbation');
  numberOption(value, 0, 'value', 'squarePerturbation');
  return {
    kind: `square(${maxSide})`,
    perturb(inputs, g) {
      if (inputs.rank !== 3 && inputs.rank !== 4) throw new ShapeError(`squarePerturbation: needs images [N, C, H, W] or [N, H, W], got [${inputs.shape.join(', ')}]`);
      const n = inputs.shape[0]!;
      const H = inputs.shape[inputs.rank - 2]!;
      const W = inputs.shape[inputs.rank - 1]!;
      const C = inputs.rank === 4 ? inputs.shape[1]! : 1;
      const x = toFloat64(inputs.contiguous());
      const I = new Float64Array(x.length);
      const xt = x.slice();
      const per = C * H * W;
      for (let e = 0; e < n; e++) {
        const side = 1 + Math.floor(g.uniform() * Math.min(maxSide, H, W));
        const top = Math.floor(g.uniform() * (H - side + 1));
        const left = Math.floor(g.uniform() * (W - side + 1));
        for (let c = 0; c < C; c++) {
          for (let y = top; y < top + side; y++) {
            for (let xx = left; xx < left + side; xx++) {
              const i = e * per + c * H * W + y * W + xx;
              I[i] = 1;
              xt[i] = value;
            }
          }
        }
      }
      return { perturbations: fromFlat(I, inputs.shape, inputs.dtype), perturbed: fromFlat(xt, inputs.shape, inputs.dtype) };
    },
  };
}

/**
 * Options of {@link infidelity}.
 *
 * @example
 * ```ts
 * const options: InfidelityOptions = { target: labels, perturbation: squarePerturbation({ maxSide: 7 }), samples: 20 };
 * infidelity(model, images, attributions, options);
 * ```
 */
export interface InfidelityOptions {
  /** Explained output (required for multi-class models, as for the methods). */
  target?: Target;
  /** Output transform (default `'identity'`, Captum's raw forward output). */
  outputTransform?: OutputTransform;
  /** Perturbation distribution (default {@link gaussianPerturbation}). */
  perturbation?: Perturbation;
  /** Samples per example (default 10, Captum's `n_perturb_samples`; at most {@link MAX_SAMPLES}). */
  samples?: number;
  /** Rescale attributions by the optimal β first (default false as Captum; the authors always do). */
  normalize?: boolean;
  /** Seed (default 0). */
  seed?: number;
  /** Rows per model call (default 256). */
  batchSize?: number;
}

const INFIDELITY_KEYS = optionKeys<InfidelityOptions>({
  target: true, outputTransform: true, perturbation: true, samples: true, normalize: true, seed: true, batchSize: true,
});

/**
 * Result of {@link infidelity}.
 *
 * @example
 * ```ts
 * const { infidelity: perExample, beta }: InfidelityResult = infidelity(model, images, attributions, { target: labels, normalize: true });
 * ```
 */
export interface InfidelityResult {
  /** Infidelity per example `[N]` (float64). Lower is better; 0 = perfect. */
  infidelity: Tensor;
  /** β per example (1 when `normalize` is false). */
  beta: Float64Array;
}

/**
 * Infidelity `INFD(Φ, F, x) = E_I[(Iᵀ Φ(x) − (F(x) − F(x − I)))²]` estimated with
 * `samples` draws per example (Captum `infidelity`). With `normalize`, attributions are
 * first scaled by `β = E[a·b] / E[a²]` (a = IᵀΦ, b = F(x) − F(x̃); β = 0 when E[a²] = 0),
 * so the score is scale invariant. Signed attributions are used as given. Draws for all
 * examples and samples go through the model in batches.
 *
 * @example
 * ```ts
 * const { infidelity: infid } = infidelity(model, x, attributions, { target: labels, normalize: true });
 * ```
 */
export function infidelity(model: Model, inputs: Tensor, attributions: Tensor, opts: InfidelityOptions = {}): InfidelityResult {
  const name = 'infidelity';
  checkOptions(opts, INFIDELITY_KEYS, name);
  checkBatch(inputs, name);
  checkAttributions(attributions, inputs, name);
  const spec = prepare(model, inputs, opts, name);
  const samples = countOption(opts.samples, 10, 'samples', name, MAX_SAMPLES);
  const normalize = boolOption(opts.normalize, false, 'normalize', name);
  const seed = intOption(opts.seed, 0, 'seed', name, 0);
  const batchSize = batchOption(opts.batchSize, name);
  const perturbation = opts.perturbation ?? gaussianPerturbation();
  if (typeof perturbation !== 'object' || perturbation === null || typeof perturbation.perturb !== 'function') {
    throw new ArgumentError(`${name}: perturbation must be an object with perturb(inputs, rng), got ${describe(perturbation)}`);
  }
  const n = inputs.shape[0]!;
  const rowShape = inputs.shape.slice(1);
  const per = inputs.size / n;
  const x = toFloat64(inputs.contiguous());
  const attr = toFloat64(attributions.contiguous());
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const fx = evaluateRows(spec, n, rowShape, inputs.dtype, batchSize, (s, e, out) => {
    out.set(x.subarray(s * per, e * per));
    return all.subarray(s, e);
  });
  const g = makeRng(seed);
  const a = new Float64Array(samples * n);
  const b = new Float64Array(samples * n);
  // samples are drawn one at a time over the whole batch (the same stream for any batchSize),
  // then evaluated in groups that fill a model call
  const group = Math.max(1, Math.floor(batchSize / n));
  for (let s0 = 0; s0 < samples; s0 += group) {
    const s1 = Math.min(samples, s0 + group);
    const perturbed: Float64Array[] = [];
    for (let s = s0; s < s1; s++) {
      const { perturbations, perturbed: xt } = perturbation.perturb(inputs, g);
      for (const [t, what] of [[perturbations, 'perturbations'], [xt, 'perturbed inputs']] as const) {
        if (!(t instanceof Tensor) || !shapesEqual(t.shape, inputs.shape)) {
          throw new ShapeError(`${name}: the perturbation must return ${what} with the inputs' shape [${inputs.shape.join(', ')}], got ${describe(t)}`);
        }
      }
      const I = toFloat64(perturbations.contiguous());
      for (let e = 0; e < n; e++) {
        let dot = 0;
        for (let i = e * per; i < (e + 1) * per; i++) dot += I[i]! * attr[i]!;
        a[s * n + e] = dot;
      }
      perturbed.push(toFloat64(xt.contiguous()));
    }
    const rows = (s1 - s0) * n;
    const fxt = evaluateRows(spec, rows, rowShape, inputs.dtype, batchSize, (s, e, out) => {
      const ex = new Int32Array(e - s);
      for (let r = s; r < e; r++) {
        const k = Math.floor(r / n);
        ex[r - s] = r % n;
        out.set(perturbed[k]!.subarray((r % n) * per, (r % n + 1) * per), (r - s) * per);
      }
      return ex;
    });
    for (let r = 0; r < rows; r++) b[s0 * n + r] = fx[r % n]! - fxt[r]!;
  }
  const infid = new Float64Array(n);
  const beta = new Float64Array(n).fill(1);
  for (let e = 0; e < n; e++) {
    if (normalize) {
      let ab = 0;
      let aa = 0;
      for (let s = 0; s < samples; s++) {
        ab += a[s * n + e]! * b[s * n + e]!;
        aa += a[s * n + e]! ** 2;
      }
      beta[e] = aa === 0 ? ab : ab / aa; // Captum's safe_div divides by 1 when the denominator is 0
    }
    let sq = 0;
    for (let s = 0; s < samples; s++) sq += (beta[e]! * a[s * n + e]! - b[s * n + e]!) ** 2;
    infid[e] = sq / samples;
  }
  return { infidelity: new Tensor(infid, [n], 'float64'), beta };
}
