/**
 * Shared machinery of the model sanity checks: the sanity-checks normalisations of
 * attribution maps, map comparison, and temporary parameter swaps that always restore the
 * caller's model.
 */
import type { Module, Parameter } from '@pathgrad/nn';
import { ArgumentError, ShapeError, Tensor, describe, shapesEqual } from '@pathgrad/tensor';
import { toFloat64 } from '../gradients.js';
import { normalizeAbs, normalizeSigned, spearman, ssim } from './similarity.js';

/**
 * Similarity measures of the sanity checks (Adebayo et al. 2018).
 *
 * @example
 * ```ts
 * const metrics: SimilarityMetric[] = ['spearmanAbs', 'spearmanSigned', 'ssim'];
 * modelRandomizationCheck(model, explain, images, { metrics });
 * ```
 */
export type SimilarityMetric = 'spearmanAbs' | 'spearmanSigned' | 'ssim';

/**
 * Per-example maps of the sanity checks, normalised.
 *
 * @example
 * ```ts
 * const maps: SanityMaps = sanityMaps(attributions); // [N, 1, 28, 28] -> 28x28 maps, normalised
 * spearman(maps.abs[0]!, maps.abs[1]!); // rank correlation of two examples' maps
 * ```
 */
export interface SanityMaps {
  abs: Float64Array[];
  signed: Float64Array[];
  height?: number;
  width?: number;
}

/**
 * Normalised maps per example: for `[N, C, H, W]` the sanity-checks visualisation
 * normalisations (abs: Σ_c|A| scaled by min and 99th percentile into [0, 1]; signed: Σ_c A
 * over 2·|p99|, centred at 0.5); for other ranks `|A|/max|A|` and `A/max|A|` (zeros for an
 * all-zero map).
 *
 * @example
 * ```ts
 * const { abs, signed } = sanityMaps(igAttributions); // abs[e] in [0, 1], H·W values
 * ```
 */
export function sanityMaps(attributions: Tensor): SanityMaps {
  const n = attributions.shape[0]!;
  const flat = toFloat64(attributions.contiguous());
  const per = flat.length / n;
  if (attributions.rank === 4) {
    const [, C, H, W] = attributions.shape as [number, number, number, number];
    const abs: Float64Array[] = [];
    const signed: Float64Array[] = [];
    for (let e = 0; e < n; e++) {
      const sa = new Float64Array(H * W);
      const ss = new Float64Array(H * W);
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < H * W; i++) {
          const v = flat[e * per + c * H * W + i]!;
          sa[i]! += Math.abs(v);
          ss[i]! += v;
        }
      }
      abs.push(normalizeAbs(sa));
      signed.push(normalizeSigned(ss));
    }
    return { abs, signed, height: H, width: W };
  }
  const abs: Float64Array[] = [];
  const signed: Float64Array[] = [];
  for (let e = 0; e < n; e++) {
    const m = flat.subarray(e * per, (e + 1) * per);
    let mx = 0;
    for (const v of m) mx = Math.max(mx, Math.abs(v));
    abs.push(Float64Array.from(m, (v) => (mx > 0 ? Math.abs(v) / mx : 0)));
    signed.push(Float64Array.from(m, (v) => (mx > 0 ? v / mx : 0)));
  }
  return attributions.rank === 3 ? { abs, signed, height: attributions.shape[1]!, width: attributions.shape[2]! } : { abs, signed };
}

/** Which metrics apply: the requested ones (checked), or all that fit the maps. */
export function resolveMetrics(requested: readonly SimilarityMetric[] | undefined, maps: SanityMaps, window: 7 | 11, name: string): SimilarityMetric[] {
  const fitsSsim = maps.height !== undefined && maps.width !== undefined && maps.height >= window && maps.width >= window;
  if (requested === undefined) return fitsSsim ? ['spearmanAbs', 'spearmanSigned', 'ssim'] : ['spearmanAbs', 'spearmanSigned'];
  if (!Array.isArray(requested) || requested.length === 0) throw new ArgumentError(`${name}: metrics must be a non-empty array, got ${describe(requested)}`);
  for (const m of requested) {
    if (m !== 'spearmanAbs' && m !== 'spearmanSigned' && m !== 'ssim') throw new ArgumentError(`${name}: unknown metric ${describe(m)}; expected 'spearmanAbs', 'spearmanSigned' or 'ssim'`);
    if (m === 'ssim' && !fitsSsim) {
      throw new ShapeError(`${name}: 'ssim' needs 2-D maps of at least ${window}x${window} (inputs [N, C, H, W] or [N, H, W]); use the Spearman metrics for these inputs`);
    }
  }
  return [...requested];
}

/** Similarity of every example's map with its reference, per metric. */
export function compareMaps(ref: SanityMaps, other: SanityMaps, metrics: readonly SimilarityMetric[], window: 7 | 11): Record<SimilarityMetric, Float64Array> {
  const n = ref.abs.length;
  const out = {} as Record<SimilarityMetric, Float64Array>;
  for (const m of metrics) {
    out[m] = Float64Array.from({ length: n }, (_, e) => {
      if (m === 'spearmanAbs') return spearman(ref.abs[e]!, other.abs[e]!);
      if (m === 'spearmanSigned') return spearman(ref.signed[e]!, other.signed[e]!);
      return ssim(ref.abs[e]!, other.abs[e]!, { height: ref.height!, width: ref.width!, window });
    });
  }
  return out;
}

/** Runs `explain` and checks it returned attributions with the inputs' shape. */
export function checkedExplain<A extends unknown[]>(fn: (...args: A) => Tensor, inputs: Tensor, name: string, ...args: A): Tensor {
  const out = fn(...args);
  if (!(out instanceof Tensor) || !shapesEqual(out.shape, inputs.shape)) {
    throw new ShapeError(`${name}: explain must return attributions with the inputs' shape [${inputs.shape.join(', ')}], got ${describe(out)}`);
  }
  const v = out.toTypedArray();
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) throw new ArgumentError(`${name}: explain returned ${v[i]} at flat index ${i}; expected finite attributions`);
  return out;
}

/**
 * Runs `fn` after `change` has replaced some parameter values, then puts every original
 * tensor back (tensors are immutable, so keeping references is a complete snapshot), even
 * when `fn` throws.
 */
export function withParameters<T>(model: Module, change: (params: [string, Parameter][]) => void, fn: () => T): T {
  const params = model.namedParameters();
  const saved = params.map(([, p]) => p.value);
  try {
    change(params);
    return fn();
  } finally {
    params.forEach(([, p], i) => {
      p.value = saved[i]!;
    });
  }
}

/** Mean and (population) standard deviation. */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let m = 0;
  for (let i = 0; i < values.length; i++) m += values[i]!;
  m /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i]! - m) ** 2;
  return { mean: m, std: Math.sqrt(v / values.length) };
}
