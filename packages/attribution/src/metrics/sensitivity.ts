/**
 * Max-sensitivity (Yeh et al., NeurIPS 2019, arXiv:1901.09392) as Captum's
 * `captum/metrics/_core/sensitivity.py::sensitivity_max` computes it.
 */
import { ArgumentError, ShapeError, Tensor, describe, optionKeys, rng as makeRng, shapesEqual } from '@pathgrad/tensor';
import { fromFlat, toFloat64 } from '../gradients.js';
import { MAX_SAMPLES, checkOptions, countOption, intOption, numberOption } from '../options.js';
import { batchOption, checkBatch } from './common.js';

/**
 * An explanation function for the metrics: attributions for a batch of (possibly
 * perturbed) inputs, where `examples[i]` says which original example row i comes from
 * (so the function can pick that example's target). Must return the inputs' shape.
 *
 * @example
 * ```ts
 * const explain: ExplainFunction = (inputs, examples) =>
 *   saliency(model, inputs, { target: Int32Array.from(examples, (e) => labels.get(e)) }).attributions;
 * sensitivityMax(explain, images);
 * ```
 */
export type ExplainFunction = (inputs: Tensor, examples: Int32Array) => Tensor;

/**
 * Options of {@link sensitivityMax}.
 *
 * @example
 * ```ts
 * const options: SensitivityMaxOptions = { radius: 0.02, samples: 10, seed: 0 };
 * sensitivityMax(explain, images, options);
 * ```
 */
export interface SensitivityMaxOptions {
  /** Radius r of the L∞ ball: noise U(−r, r) per element (default 0.02, Captum). */
  radius?: number;
  /** Samples per example (default 10, Captum; at most {@link MAX_SAMPLES}). */
  samples?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Rows per `explain` call (default 256). */
  batchSize?: number;
}

const SENSITIVITY_KEYS = optionKeys<SensitivityMaxOptions>({ radius: true, samples: true, seed: true, batchSize: true });

/**
 * Result of {@link sensitivityMax}.
 *
 * @example
 * ```ts
 * const { sensitivity }: SensitivityMaxResult = sensitivityMax(explain, images);
 * sensitivity.toArray(); // per example; lower = a more stable explanation
 * ```
 */
export interface SensitivityMaxResult {
  /** Max relative sensitivity per example `[N]` (float64). Lower is more stable. */
  sensitivity: Tensor;
}

/**
 * `SENS_MAX = max_s ||Φ(x + u_s) − Φ(x)||_F / ||Φ(x)||_F` with u_s ~ U(−r, r)^d, the
 * Frobenius norm over all elements of an example (Captum `sensitivity_max`, default
 * perturbation and `norm_ord='fro'`); where `||Φ(x)|| = 0` the difference is not divided
 * (Captum's guard). Perturbed copies of all examples go through `explain` in batches.
 *
 * @example
 * ```ts
 * const explain = (x: Tensor, ex: Int32Array) => saliency(model, x, { target: Array.from(ex, (i) => labels[i]!) }).attributions;
 * const { sensitivity } = sensitivityMax(explain, images, { radius: 0.02, samples: 10 });
 * ```
 */
export function sensitivityMax(explain: ExplainFunction, inputs: Tensor, opts: SensitivityMaxOptions = {}): SensitivityMaxResult {
  const name = 'sensitivityMax';
  checkOptions(opts, SENSITIVITY_KEYS, name);
  if (typeof explain !== 'function') throw new ArgumentError(`${name}: explain must be a function (inputs, examples) => attributions, got ${describe(explain)}`);
  checkBatch(inputs, name);
  const radius = numberOption(opts.radius, 0.02, 'radius', name, 0);
  const samples = countOption(opts.samples, 10, 'samples', name, MAX_SAMPLES);
  const seed = intOption(opts.seed, 0, 'seed', name, 0);
  const batchSize = batchOption(opts.batchSize, name);
  const n = inputs.shape[0]!;
  const rowShape = inputs.shape.slice(1);
  const per = inputs.size / n;
  const x = toFloat64(inputs.contiguous());
  const run = (flat: Float64Array, examples: Int32Array): Float64Array => {
    const pts = fromFlat(flat, [examples.length, ...rowShape], inputs.dtype);
    const out = explain(pts, examples);
    if (!(out instanceof Tensor) || !shapesEqual(out.shape, pts.shape)) {
      throw new ShapeError(`${name}: explain must return attributions with the inputs' shape [${pts.shape.join(', ')}], got ${describe(out)}`);
    }
    const v = toFloat64(out.contiguous());
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) throw new ArgumentError(`${name}: explain returned ${v[i]} for example ${examples[Math.floor(i / per)]}; expected finite values`);
    return v;
  };
  const base = new Float64Array(n * per);
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    base.set(run(x.slice(s * per, e * per), Int32Array.from({ length: e - s }, (_, i) => s + i)), s * per);
  }
  const baseNorm = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    let ss = 0;
    for (let i = e * per; i < (e + 1) * per; i++) ss += base[i]! ** 2;
    baseNorm[e] = Math.sqrt(ss);
  }
  const g = makeRng(seed);
  const total = samples * n;
  const sens = new Float64Array(n);
  // rows are sample-major (row r = sample ⌊r/N⌋ of example r mod N) and the noise is drawn
  // in row order, so the result does not depend on batchSize
  for (let s = 0; s < total; s += batchSize) {
    const e = Math.min(total, s + batchSize);
    const flat = new Float64Array((e - s) * per);
    const ex = new Int32Array(e - s);
    for (let r = s; r < e; r++) {
      const k = r % n;
      ex[r - s] = k;
      for (let i = 0; i < per; i++) flat[(r - s) * per + i] = x[k * per + i]! + radius * (2 * g.uniform() - 1);
    }
    const out = run(flat, ex);
    for (let r = s; r < e; r++) {
      const k = r % n;
      let ss = 0;
      for (let i = 0; i < per; i++) ss += (out[(r - s) * per + i]! - base[k * per + i]!) ** 2;
      const d = Math.sqrt(ss);
      sens[k] = Math.max(sens[k]!, baseNorm[k]! !== 0 ? d / baseNorm[k]! : d);
    }
  }
  return { sensitivity: new Tensor(sens, [n], 'float64') };
}
