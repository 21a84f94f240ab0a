import type { Model } from '../model.js';
import { ArgumentError, Tensor, allocate, describe, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines } from '../baselines.js';
import { prepare } from '../explain.js';
import { groupSums, resolveFeatureMask } from '../featureMask.js';
import { fromFlat, toFloat64 } from '../gradients.js';
import { MAX_SAMPLES, checkOptions, countOption, intOption, quadratureOptions } from '../options.js';
import { exampleScores, straightPathGradient } from '../path.js';
import { quadrature } from '../quadrature.js';
import type { IntegratedGradientsOptions } from './integratedGradients.js';

/**
 * Options of {@link greedyPIG}.
 *
 * @example
 * ```ts
 * const options: GreedyPIGOptions = { target: labels, featureMask: patchMask(28, 28, 4), rounds: 8, steps: 32 };
 * greedyPIG(model, images, options);
 * ```
 */
export interface GreedyPIGOptions extends Omit<IntegratedGradientsOptions, 'multiplyByInputs'> {
  /** Feature groups (int tensor with one example's shape); default: every element. */
  featureMask?: Tensor;
  /** Selection rounds (default 10). `rounds: 1` is plain IG's ranking. (Our choice: the paper leaves it open.) At most {@link MAX_SAMPLES}; rounds beyond the feature count change nothing. */
  rounds?: number;
  /** Features selected per round (default ceil(n / rounds), so all are ranked). (Our choice: the paper leaves it open.) */
  perRound?: number;
  /** Rank candidates by signed attribution (default, consistent with maximising G) or by |attribution|. (Our choice: the paper leaves it open.) */
  selection?: 'signed' | 'absolute';
}

const GREEDY_PIG_KEYS = optionKeys<GreedyPIGOptions>({
  featureMask: true, rounds: true, perRound: true, selection: true, baseline: true, steps: true,
  method: true, internalBatchSize: true, seed: true, target: true, outputTransform: true,
});

/**
 * Result of {@link greedyPIG}.
 *
 * @example
 * ```ts
 * const { attributions, ranking }: GreedyPIGResult = greedyPIG(model, images, { target: labels, rounds: 4 });
 * ranking[0]; // example 0's features, most important first
 * ```
 */
export interface GreedyPIGResult {
  /**
   * Ranking scores spread over each group's elements (inputs' shape): features selected in
   * round r score (rounds − r) + 0.999·(normalised IG of that round), never-selected ones
   * score in [0, 1); higher means selected earlier.
   */
  attributions: Tensor;
  /** Per example, group ids in selection order (first selected first), then the rest by score. */
  ranking: Int32Array[];
  /** Per example, the round each group was selected in (−1: never). */
  selectedRound: Int32Array[];
  /**
   * Path attribution along the greedy path x' → b_1 → … → b_R → x (each segment reveals one
   * round's selection; the last reveals the rest), `[N, n]`: a path method, so it sums to
   * F(x) − F(x') up to quadrature error (completeness). (Our choice: the paper leaves it open.)
   */
  cumulative: Tensor;
  /** `Σ cumulative − (F(x) − F(x'))` per example. */
  delta: Tensor;
  gradientEvaluations: number;
}

/**
 * Greedy PIG (Axiotis et al. 2023), **reconstructed** from the abstract: in
 * each round, IG from the current baseline (selected features revealed at their input
 * values) to the input scores the unselected features; the top `perRound` are selected and
 * revealed. The objective defaults to the target's log-softmax. With one round it is IG's
 * top-k ranking.
 *
 * @example
 * ```ts
 * const { ranking } = greedyPIG(model, x, { target: 3, featureMask: patchMask(28, 28, 4), rounds: 4 });
 * ```
 */
export function greedyPIG(model: Model, inputs: Tensor, opts: GreedyPIGOptions = {}): GreedyPIGResult {
  const name = 'greedyPIG';
  checkOptions(opts, GREEDY_PIG_KEYS, name);
  const isScalarModel = opts.target === undefined;
  const spec = prepare(model, inputs, { ...opts, outputTransform: opts.outputTransform ?? (isScalarModel ? 'identity' : 'logSoftmax') }, name);
  const groups = resolveFeatureMask(opts.featureMask, inputs, name);
  const k = groups.count;
  const rounds = countOption(opts.rounds, 10, 'rounds', name, MAX_SAMPLES);
  const perRound = intOption(opts.perRound, Math.ceil(k / rounds), 'perRound', name);
  const selection = opts.selection ?? 'signed';
  if (selection !== 'signed' && selection !== 'absolute') throw new ArgumentError(`${name}: selection must be 'signed' or 'absolute', got ${describe(opts.selection)}`);
  const { method, steps } = quadratureOptions(opts.method, opts.steps, name);
  const quad = quadrature(method, steps);
  const [baseline0] = resolveBaselines(inputs, opts.baseline, intOption(opts.seed, 0, 'seed', name, 0), name);
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const x = toFloat64(inputs);
  const selected = Array.from({ length: n }, () => new Int32Array(k).fill(-1));
  const score = new Float64Array(n * k);
  const order: number[][] = Array.from({ length: n }, () => []);
  const cumulative = new Float64Array(n * k);
  let current = baseline0!;
  let lastScores: Float64Array[] = [];
  let evaluations = 0;
  const ig = (from: Tensor, to: Tensor): Float64Array => {
    const pg = straightPathGradient(spec, to, from, quad, opts.internalBatchSize);
    evaluations += steps;
    const a = toFloat64(to);
    const b = toFloat64(from);
    return pg.map((v, i) => v * (a[i]! - b[i]!));
  };
  for (let r = 0; r < rounds; r++) {
    const a = ig(current, inputs);
    lastScores = Array.from({ length: n }, (_, e) => groupSums(a, e * per, groups));
    const next = allocate(inputs.dtype, x.length);
    const cur = toFloat64(current);
    let anyLeft = false;
    for (let e = 0; e < n; e++) {
      const gs = lastScores[e]!;
      const key = (i: number) => (selection === 'signed' ? gs[i]! : Math.abs(gs[i]!));
      const cand = [...Array(k).keys()].filter((i) => selected[e]![i] === -1).sort((p, q) => key(q) - key(p) || p - q);
      const top = cand.slice(0, perRound);
      const vals = top.map(key);
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      for (const i of top) {
        selected[e]![i] = r;
        score[e * k + i] = rounds - r + 0.999 * (hi > lo ? (key(i) - lo) / (hi - lo) : 1);
        order[e]!.push(i);
      }
      if (cand.length > top.length) anyLeft = true;
      for (let d = 0; d < per; d++) next[e * per + d] = selected[e]![groups.ids[d]!]! >= 0 ? x[e * per + d]! : cur[e * per + d]!;
    }
    const nextT = new Tensor(next, inputs.shape, inputs.dtype);
    // segment of the greedy path revealing this round's selection
    const seg = ig(current, nextT);
    for (let e = 0; e < n; e++) {
      const gs = groupSums(seg, e * per, groups);
      for (let i = 0; i < k; i++) cumulative[e * k + i]! += gs[i]!;
    }
    current = nextT;
    if (!anyLeft) break;
  }
  // last segment: reveal whatever was never selected; rank it below every selected feature
  // (when every feature was selected, current is the input and the segment is empty)
  const anyUnselected = selected.some((rounds) => rounds.includes(-1));
  const rest = anyUnselected ? ig(current, inputs) : new Float64Array(x.length);
  for (let e = 0; e < n; e++) {
    const gs = groupSums(rest, e * per, groups);
    const unsel = [...Array(k).keys()].filter((i) => selected[e]![i] === -1);
    const last = lastScores[e]!;
    const vals = unsel.map((i) => last[i]!);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    unsel.sort((p, q) => last[q]! - last[p]! || p - q);
    for (const i of unsel) {
      score[e * k + i] = 0.999 * (hi > lo ? (last[i]! - lo) / (hi - lo) : 0.5);
      order[e]!.push(i);
    }
    for (let i = 0; i < k; i++) cumulative[e * k + i]! += gs[i]!;
  }
  const fx = exampleScores(spec, inputs);
  const fb = exampleScores(spec, baseline0!);
  const delta = Float64Array.from({ length: n }, (_, e) => {
    let s = 0;
    for (let i = 0; i < k; i++) s += cumulative[e * k + i]!;
    return s - (fx[e]! - fb[e]!);
  });
  const attr = new Float64Array(x.length);
  for (let e = 0; e < n; e++) for (let d = 0; d < per; d++) attr[e * per + d] = score[e * k + groups.ids[d]!]!;
  return {
    attributions: fromFlat(attr, inputs.shape, inputs.dtype),
    ranking: order.map((o) => Int32Array.from(o)),
    selectedRound: selected,
    cumulative: new Tensor(cumulative, [n, k], 'float64'),
    delta: new Tensor(delta, [n], 'float64'),
    gradientEvaluations: evaluations,
  };
}
