import type { Model } from '../model.js';
import { ArgumentError, ShapeError, Tensor, describe, optionKeys, rng, shapesEqual } from '@pathgrad/tensor';
import { prepare, type ExplainOptions } from '../explain.js';
import { chunkSize, forEachGradientChunk, fromFlat, toFloat64 } from '../gradients.js';
import { MAX_SAMPLES, boolOption, checkOptions, countOption, intOption, numberOption } from '../options.js';
import { exampleScores, givePointBuffer, rowScores, rowSums, takePointBuffer } from '../path.js';

/**
 * Options of {@link expectedGradients}.
 *
 * @example
 * ```ts
 * const background = mnist({ split: 'train', limit: 200 }).images;
 * const options: ExpectedGradientsOptions = { data: background, samples: 64, target: labels, seed: 0 };
 * expectedGradients(model, images, options);
 * ```
 */
export interface ExpectedGradientsOptions extends ExplainOptions {
  /** Background data `[M, ...]` the references are drawn from (required). */
  data: Tensor;
  /** Samples per example (default 50; the authors suggest 100-200 for reliable maps; at most {@link MAX_SAMPLES}). */
  samples?: number;
  /** Gaussian noise std added to the input of every sample (Captum GradientShap `stdevs`, default 0). */
  stdev?: number;
  /** Multiply by (x − x') (default true). */
  multiplyByInputs?: boolean;
  /** At most this many points per forward/backward pass. */
  internalBatchSize?: number;
  /** Seed of the reference and alpha draws (default 0). */
  seed?: number;
}

const EXPECTED_GRADIENTS_KEYS = optionKeys<ExpectedGradientsOptions>({
  data: true, samples: true, stdev: true, multiplyByInputs: true, internalBatchSize: true, seed: true,
  target: true, outputTransform: true,
});

/**
 * Result of {@link expectedGradients}.
 *
 * @example
 * ```ts
 * const { attributions, delta }: ExpectedGradientsResult = expectedGradients(model, images, { data: background, target: labels });
 * ```
 */
export interface ExpectedGradientsResult {
  attributions: Tensor;
  /** `Σ attributions − (F(x) − mean_j F(x'_j))` per example (zero only in expectation, and only with `stdev` 0: with noise the sum tends to E[F(x + ε)] − mean_j F(x'_j), as in Captum). */
  delta: Tensor;
  gradientEvaluations: number;
}

/**
 * Expected Gradients (Erion et al. 2021) with Captum GradientShap semantics: for each
 * example and sample, a reference x' drawn uniformly with replacement from `data` and
 * α ~ U(0, 1); the attribution is the mean of `(x − x') ⊙ ∇F(x' + α(x − x'))`. With
 * `stdev > 0` the input of every sample is x + ε, ε ~ N(0, stdev²), in the gradient's
 * point and in the multiplier alike: the mean of `(x + ε − x') ⊙ ∇F(x' + α(x + ε − x'))`.
 *
 * @example
 * ```ts
 * const { attributions } = expectedGradients(model, images, { data: trainImages, target: labels, samples: 100 });
 * ```
 */
export function expectedGradients(model: Model, inputs: Tensor, opts: ExpectedGradientsOptions): ExpectedGradientsResult {
  checkOptions(opts, EXPECTED_GRADIENTS_KEYS, 'expectedGradients');
  const spec = prepare(model, inputs, opts, 'expectedGradients');
  const data = opts?.data;
  if (!(data instanceof Tensor) || data.rank < 1 || data.shape[0] === 0) {
    throw new ArgumentError(`expectedGradients: data must be a non-empty Tensor [M, ...] of references, got ${describe(data)}`);
  }
  if (!shapesEqual(data.shape.slice(1), inputs.shape.slice(1))) {
    throw new ShapeError(`expectedGradients: data examples have shape [${data.shape.slice(1).join(', ')}] but inputs have [${inputs.shape.slice(1).join(', ')}]`);
  }
  const samples = countOption(opts.samples, 50, 'samples', 'expectedGradients', MAX_SAMPLES);
  const stdev = numberOption(opts.stdev, 0, 'stdev', 'expectedGradients', 0);
  const multiply = boolOption(opts.multiplyByInputs, true, 'multiplyByInputs', 'expectedGradients');
  const g = rng(intOption(opts.seed, 0, 'seed', 'expectedGradients', 0));
  const n = inputs.shape[0]!;
  const x = toFloat64(inputs);
  const ref = toFloat64(data);
  const m = data.shape[0]!;
  const per = n === 0 ? 0 : x.length / n;
  // draws fixed up front so the result does not depend on the chunking
  const total = n * samples;
  const refIndex = new Int32Array(total);
  const alpha = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    refIndex[i] = g.int(0, m);
    alpha[i] = g.uniform();
  }
  // the noise (samples x examples x features values) is drawn chunk by chunk, rows in order: the
  // same stream as drawing it all up front, but held for one chunk only
  let noise: Float64Array | null = null;
  const attr = new Float64Array(x.length);
  const refScoresMean = new Float64Array(n);
  const size = chunkSize(opts.internalBatchSize, total, 'expectedGradients', per);
  // one point buffer for every chunk (a chunk's tensor is dead once its gradient is read)
  const buffer = takePointBuffer(inputs.dtype, Math.min(size, total) * per);
  forEachGradientChunk(
    spec,
    total,
    size,
    (start, end) => {
      const rows = end - start;
      const pts = rows * per === buffer.length ? buffer : buffer.subarray(0, rows * per);
      const rowExamples = new Int32Array(rows);
      let nz: Float64Array | null = null;
      if (stdev > 0) {
        nz = new Float64Array(rows * per);
        for (let k = 0; k < nz.length; k++) nz[k] = stdev * g.normal();
      }
      noise = nz;
      for (let r = 0; r < rows; r++) rowExamples[r] = (start + r) % n;
      if (pts instanceof Float32Array) fillReferencePoints32(pts, start, rows, n, per, x, ref, refIndex, alpha, nz);
      else fillReferencePoints64(pts, start, rows, n, per, x, ref, refIndex, alpha, nz);
      return { points: new Tensor(pts, [rows, ...inputs.shape.slice(1)], inputs.dtype), rowExamples };
    },
    (start, end, _values, grads) => {
      const nz = noise;
      for (let r = 0; r < end - start; r++) {
        const i = start + r;
        const o = (i % n) * per;
        const ro = refIndex[i]! * per;
        const q = r * per;
        // GradientSHAP multiplies by the noisy input's difference (x + ε − x'); the three
        // cases are separate loops (no test per element), each the same expression as
        // (multiply ? x + (ε or 0) − x' : 1) · g / samples
        if (!multiply) for (let d = 0; d < per; d++) attr[o + d] = attr[o + d]! + grads[q + d]! / samples;
        else if (nz) for (let d = 0; d < per; d++) attr[o + d] = attr[o + d]! + ((x[o + d]! + nz[q + d]! - ref[ro + d]!) * grads[q + d]!) / samples;
        else for (let d = 0; d < per; d++) attr[o + d] = attr[o + d]! + ((x[o + d]! + 0 - ref[ro + d]!) * grads[q + d]!) / samples;
      }
    },
  );
  givePointBuffer(buffer);
  // mean reference output per example (each reference scored with that example's target)
  const refScores = rowScores(spec, ref, refIndex, (i) => i % n, [per, inputs.shape.slice(1), inputs.dtype], chunkSize(opts.internalBatchSize, total, 'expectedGradients', per));
  for (let i = 0; i < total; i++) refScoresMean[i % n]! += refScores[i]! / samples;
  const fx = exampleScores(spec, inputs);
  const sums = rowSums(attr, n);
  const delta = new Float64Array(n);
  for (let i = 0; i < n; i++) delta[i] = sums[i]! - (fx[i]! - refScoresMean[i]!);
  return { attributions: fromFlat(attr, inputs.shape, inputs.dtype), delta: new Tensor(delta, [n], 'float64'), gradientEvaluations: samples };
}

// Point i is ref_{refIndex[i]} + α_i ((x_e + ε) − ref), example e = i mod n, rounded to the
// buffer's type; one copy per array type (V8 keeps each loop monomorphic), the noise test
// out of the element loop. `+ 0` without noise keeps the sum of the general expression.
function fillReferencePoints32(pts: Float32Array, start: number, rows: number, n: number, per: number, x: Float64Array, ref: Float64Array, refIndex: Int32Array, alpha: Float64Array, nz: Float64Array | null): void {
  for (let r = 0; r < rows; r++) {
    const i = start + r;
    const o = (i % n) * per;
    const ro = refIndex[i]! * per;
    const a = alpha[i]!;
    const q = r * per;
    if (nz) for (let d = 0; d < per; d++) pts[q + d] = ref[ro + d]! + a * (x[o + d]! + nz[q + d]! - ref[ro + d]!);
    else for (let d = 0; d < per; d++) pts[q + d] = ref[ro + d]! + a * (x[o + d]! + 0 - ref[ro + d]!);
  }
}

function fillReferencePoints64(pts: Float64Array, start: number, rows: number, n: number, per: number, x: Float64Array, ref: Float64Array, refIndex: Int32Array, alpha: Float64Array, nz: Float64Array | null): void {
  for (let r = 0; r < rows; r++) {
    const i = start + r;
    const o = (i % n) * per;
    const ro = refIndex[i]! * per;
    const a = alpha[i]!;
    const q = r * per;
    if (nz) for (let d = 0; d < per; d++) pts[q + d] = ref[ro + d]! + a * (x[o + d]! + nz[q + d]! - ref[ro + d]!);
    else for (let d = 0; d < per; d++) pts[q + d] = ref[ro + d]! + a * (x[o + d]! + 0 - ref[ro + d]!);
  }
}
