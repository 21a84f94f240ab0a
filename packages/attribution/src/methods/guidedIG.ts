import type { Model } from '../model.js';
import { Tensor, allocate, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines, type Baseline } from '../baselines.js';
import { prepare, type ExplainOptions } from '../explain.js';
import { chunkSize, forEachGradientChunk, fromFlat, toFloat64, type ExplainedScalar } from '../gradients.js';
import { checkOptions, intOption, numberOption, stepsOption } from '../options.js';
import { exampleScores, rowSums } from '../path.js';

/**
 * Options of {@link guidedIG}.
 *
 * @example
 * ```ts
 * const options: GuidedIGOptions = { target: labels, steps: 128, fraction: 0.25, maxDist: 0.02 };
 * guidedIG(model, images, options);
 * ```
 */
export interface GuidedIGOptions extends ExplainOptions {
  /** Baseline (default 0). */
  baseline?: Baseline;
  /** Steps, one gradient each (default 200, PAIR's default). */
  steps?: number;
  /** Fraction of features moved per inner iteration: those with the lowest |gradient| (default 0.25). */
  fraction?: number;
  /** How far (in α) a feature may run ahead of the straight path (default 0.02; 0 = IG, 1 = unbounded). */
  maxDist?: number;
  /** At most this many examples per forward/backward pass. */
  internalBatchSize?: number;
  /** Seed for random baselines (default 0). */
  seed?: number;
}

const GUIDED_IG_KEYS = optionKeys<GuidedIGOptions>({
  baseline: true, steps: true, fraction: true, maxDist: true, internalBatchSize: true, seed: true,
  target: true, outputTransform: true,
});

/**
 * Result of {@link guidedIG}.
 *
 * @example
 * ```ts
 * const { attributions, delta }: GuidedIGResult = guidedIG(model, images, { target: labels });
 * ```
 */
export interface GuidedIGResult {
  attributions: Tensor;
  /** `Σ attributions − (F(x) − F(x'))` per example (a path method: small, shrinking with steps). */
  delta: Tensor;
  gradientEvaluations: number;
}

const EPSILON = 1e-9;

/**
 * Guided Integrated Gradients (Kapishnikov et al. 2021), exactly as PAIR saliency's
 * `guided_ig_impl` (float64): an adaptive path from the baseline to the input that at each
 * step moves the features with the smallest |gradient| first, within `maxDist` of the
 * straight line, accumulating `(x_new − x_old) ⊙ ∇F(x_old)`. Examples are batched: every
 * step evaluates all examples' current points in one pass.
 *
 * @example
 * ```ts
 * const { attributions } = guidedIG(model, images, { target: labels, steps: 100 });
 * ```
 */
export function guidedIG(model: Model, inputs: Tensor, opts: GuidedIGOptions = {}): GuidedIGResult {
  const name = 'guidedIG';
  checkOptions(opts, GUIDED_IG_KEYS, name);
  const spec = prepare(model, inputs, opts, name);
  const { attr, baseline, steps } = guidedPath(spec, inputs, opts, name);
  const n = inputs.shape[0]!;
  const fx = exampleScores(spec, inputs);
  const fb = exampleScores(spec, baseline);
  const sums = rowSums(attr, n);
  return {
    attributions: fromFlat(attr, inputs.shape, inputs.dtype),
    delta: new Tensor(Float64Array.from({ length: n }, (_, e) => sums[e]! - (fx[e]! - fb[e]!)), [n], 'float64'),
    gradientEvaluations: steps,
  };
}

/**
 * What {@link guidedPath} shows of each step: the examples still moving, the explained scalar
 * and its gradient at their current path points (row r belongs to example `active[r]`), and
 * the points themselves (flat `[N * per]`, before this step's move).
 */
export type GuidedStepObserver = (step: number, active: Int32Array, values: Float64Array, grads: Float64Array, points: Float64Array) => void;

/**
 * PAIR's guided_ig_impl path walk shared by {@link guidedIG} and IDGI on the Guided IG path:
 * returns the Guided IG attributions, the baseline and the path's end points; `observe`
 * sees every step's points, values and gradients.
 */
export function guidedPath(
  spec: ExplainedScalar,
  inputs: Tensor,
  opts: GuidedIGOptions,
  name: string,
  observe?: GuidedStepObserver,
): { attr: Float64Array; baseline: Tensor; end: Float64Array; steps: number } {
  const steps = stepsOption(opts.steps, 200, name);
  const fraction = numberOption(opts.fraction, 0.25, 'fraction', name, 0);
  const maxDist = numberOption(opts.maxDist, 0.02, 'maxDist', name, 0);
  const [baseline] = resolveBaselines(inputs, opts.baseline, intOption(opts.seed, 0, 'seed', name, 0), name);
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const xIn = toFloat64(inputs);
  const xb = toFloat64(baseline!);
  const x = Float64Array.from(xb);
  const attr = new Float64Array(inputs.size);
  const scratch = new Float64Array(per); // guidedStep's quantile
  const l1Total = Float64Array.from({ length: n }, (_, e) => {
    let s = 0;
    for (let d = 0; d < per; d++) s += Math.abs(xIn[e * per + d]! - xb[e * per + d]!);
    return s;
  });
  const active = Int32Array.from({ length: n }, (_, e) => e).filter((e) => l1Total[e]! > 0);
  for (let step = 0; step < steps && active.length > 0; step++) {
    const grads = new Float64Array(active.length * per);
    const values = new Float64Array(active.length);
    forEachGradientChunk(
      spec,
      active.length,
      chunkSize(opts.internalBatchSize, active.length, name, per),
      (start, end) => {
        const pts = allocate(inputs.dtype, (end - start) * per);
        for (let r = start; r < end; r++) for (let d = 0; d < per; d++) pts[(r - start) * per + d] = x[active[r]! * per + d]!;
        return { points: new Tensor(pts, [end - start, ...inputs.shape.slice(1)], inputs.dtype), rowExamples: active.slice(start, end) };
      },
      (start, end, v, g) => {
        grads.set(g.subarray(0, (end - start) * per), start * per);
        values.set(v, start);
      },
    );
    observe?.(step, active, values, grads, x);
    for (let r = 0; r < active.length; r++) {
      guidedStep(active[r]! * per, l1Total[active[r]!]!, step, grads.subarray(r * per, (r + 1) * per));
    }
  }

  /** One step of PAIR's guided_ig_impl for the example whose elements start at `o`. */
  function guidedStep(o: number, l1: number, step: number, gActual: Float64Array): void {
    const g = Float64Array.from(gActual);
    const alpha = (step + 1) / steps;
    const alphaMin = Math.max(alpha - maxDist, 0);
    const alphaMax = Math.min(alpha + maxDist, 1);
    const xAt = (a: number, d: number) => xb[o + d]! + (xIn[o + d]! - xb[o + d]!) * a;
    const l1Target = l1 * (1 - (step + 1) / steps);
    const xOld = new Float64Array(per);
    const absG = new Float64Array(per);
    let gamma = Infinity;
    // PAIR loops `while gamma > 1` and asserts gamma > 0; the guard below ends a step that
    // cannot make progress (every candidate already at x_max, or overshoot) instead of hanging
    for (let iter = 0; gamma > 1 && iter <= per + 1; iter++) {
      for (let d = 0; d < per; d++) xOld[d] = x[o + d]!;
      for (let d = 0; d < per; d++) {
        const diff = xIn[o + d]! - xb[o + d]!;
        const xAlpha = diff !== 0 ? (x[o + d]! - xb[o + d]!) / diff : alphaMax;
        if (xAlpha < alphaMin) x[o + d] = xAt(alphaMin, d);
      }
      let l1Current = 0;
      for (let d = 0; d < per; d++) l1Current += Math.abs(x[o + d]! - xIn[o + d]!);
      if (Math.abs(l1Target - l1Current) <= Math.max(EPSILON * Math.max(Math.abs(l1Target), Math.abs(l1Current)), EPSILON)) {
        for (let d = 0; d < per; d++) attr[o + d]! += (x[o + d]! - xOld[d]!) * gActual[d]!;
        break;
      }
      for (let d = 0; d < per; d++) {
        if (x[o + d] === xAt(alphaMax, d)) g[d] = Infinity;
        absG[d] = Math.abs(g[d]!);
      }
      // numpy.quantile(|g|, fraction, method='lower'): the k-th smallest, selected in linear
      // time rather than by sorting (it was most of guidedIG's own time on an MLP)
      scratch.set(absG);
      const threshold = kthSmallest(scratch, Math.floor(fraction * (per - 1)));
      let l1S = 0;
      const selected = new Uint8Array(per);
      for (let d = 0; d < per; d++) {
        if (absG[d]! <= threshold && g[d] !== Infinity) {
          selected[d] = 1;
          l1S += Math.abs(x[o + d]! - xAt(alphaMax, d));
        }
      }
      gamma = l1S > 0 ? (l1Current - l1Target) / l1S : Infinity;
      if (gamma <= 0 || (l1S === 0 && !selected.some((v) => v === 1))) {
        for (let d = 0; d < per; d++) attr[o + d]! += (x[o + d]! - xOld[d]!) * gActual[d]!;
        break;
      }
      for (let d = 0; d < per; d++) {
        if (!selected[d]) continue;
        const xMax = xAt(alphaMax, d);
        x[o + d] = gamma > 1 ? xMax : x[o + d]! + (xMax - x[o + d]!) * gamma;
      }
      for (let d = 0; d < per; d++) attr[o + d]! += (x[o + d]! - xOld[d]!) * gActual[d]!;
    }
  }

  return { attr, baseline: baseline!, end: x, steps };
}

/**
 * The k-th smallest of `a` (0-based), as `Float64Array.from(a).sort()[k]` gives it for values
 * without NaN or −0 (|g| here: +0 … +Infinity), by quickselect with three-way partitions (many
 * equal values, such as the zero gradients of an image's background, cost no extra rounds).
 * Reorders `a`.
 */
export function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi]!;
    // median of three as the pivot
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) {
        a[i] = a[lt]!;
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt]!;
        a[gt] = v;
        gt--;
      } else {
        i++;
      }
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return a[lo]!;
}
