/**
 * Similarity measures between attribution maps used by the sanity checks (Adebayo et al. 2018):
 * Spearman rank correlation (average ranks for ties, as scipy.stats.spearmanr), Pearson
 * correlation, SSIM (Wang et al. 2004), NumPy's linear quantile, and the two
 * visualisation normalisations of the sanity-checks code (abs and diverging).
 */
import { ArgumentError, ShapeError, checkOptionKeys, describe, optionKeys } from '@pathgrad/tensor';
import { gaussianKernel1d } from '../blur.js';

/**
 * Ranks of `values` (1-based) with ties given their average rank, as
 * `scipy.stats.rankdata(method='average')`.
 *
 * @example
 * ```ts
 * averageRanks([10, 20, 20, 5]); // Float64Array [2, 3.5, 3.5, 1]
 * ```
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const r = (i + j) / 2 + 1; // average of ranks i+1 .. j+1
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Pearson correlation `cov(a, b) / (σ_a σ_b)`. Defined as 0 when either input is
 * constant (zero variance), where the textbook formula is 0/0: a constant map carries no
 * information about the order of the other, so "no association" is reported instead of NaN.
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // 0.9934...
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, 'pearson');
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return 0;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Spearman rank correlation: the Pearson correlation of the average ranks
 * (`scipy.stats.spearmanr` on flattened maps). 0 when either input is constant (scipy
 * returns NaN there).
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4], [10, 20, 30, 25]); // 0.8
 * ```
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, 'spearman');
  return pearson(averageRanks(a), averageRanks(b));
}

/**
 * The `q`-quantile of `values` with NumPy's default 'linear' method (including its
 * two-sided lerp, so results match `np.quantile` bit for bit on the same doubles).
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new ArgumentError('quantile: values must not be empty');
  if (!(q >= 0 && q <= 1)) throw new ArgumentError(`quantile: q must be in [0, 1], got ${describe(q)}`);
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * Options of {@link ssim}.
 *
 * @example
 * ```ts
 * const options: SsimOptions = { height: 28, width: 28, window: 7, dataRange: 1 };
 * ssim(mapA, mapB, options); // 1 for identical maps
 * ```
 */
export interface SsimOptions {
  /** Height and width of the 2-D maps (their product must be the length). */
  height: number;
  width: number;
  /** Side of the Gaussian window, 7 or 11 (default 11, σ = 1.5 as Wang et al. 2004). */
  window?: 7 | 11;
  /**
   * Dynamic range L of the values (default `max(a) − min(a)` of the first, reference map,
   * as Adebayo et al. do; 1 when that is 0, the range of maps normalised to [0, 1]).
   */
  dataRange?: number;
}

const SSIM_KEYS = optionKeys<SsimOptions>({ height: true, width: true, window: true, dataRange: true });

/**
 * Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) of two H×W maps:
 * local means, variances and covariance under a normalised Gaussian window (σ = 1.5,
 * `window` taps), `SSIM = ((2μaμb + C1)(2σab + C2)) / ((μa² + μb² + C1)(σa² + σb² + C2))`
 * with `C1 = (0.01 L)²`, `C2 = (0.03 L)²`, averaged over the window positions that fit in
 * the image (the border of half a window is cropped, as
 * `skimage.metrics.structural_similarity(gaussian_weights=True, use_sample_covariance=False)`).
 * Two constant maps give 1 when equal; maps smaller than the window throw.
 *
 * @example
 * ```ts
 * ssim(refMap, otherMap, { height: 28, width: 28 }); // 1 for identical maps
 * ```
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, opts: SsimOptions): number {
  checkPair(a, b, 'ssim');
  if (opts === undefined) throw new ArgumentError('ssim: options must be an object like { height, width }, got undefined');
  checkOptionKeys(opts, SSIM_KEYS, 'ssim');
  const { height: H, width: W } = opts;
  const win = opts.window ?? 11;
  if (win !== 7 && win !== 11) throw new ArgumentError(`ssim: window must be 7 or 11, got ${describe(win)}`);
  if (!Number.isInteger(H) || !Number.isInteger(W) || H * W !== a.length) {
    throw new ShapeError(`ssim: height x width must equal the map length ${a.length}, got ${describe(H)} x ${describe(W)}`);
  }
  if (H < win || W < win) throw new ShapeError(`ssim: maps must be at least ${win}x${win} for a ${win}-tap window, got ${H}x${W}`);
  let range = opts.dataRange;
  if (range === undefined) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < a.length; i++) {
      lo = Math.min(lo, a[i]!);
      hi = Math.max(hi, a[i]!);
    }
    range = hi - lo > 0 ? hi - lo : 1;
  }
  if (!(range > 0) || !Number.isFinite(range)) throw new ArgumentError(`ssim: dataRange must be a finite number > 0, got ${describe(range)}`);
  // sigma 1.5 with truncate chosen so the radius is (win-1)/2
  const r = (win - 1) / 2;
  const k = gaussianKernel1d(1.5, r / 1.5);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  let count = 0;
  for (let y = r; y < H - r; y++) {
    for (let x = r; x < W - r; x++) {
      let ma = 0;
      let mb = 0;
      let maa = 0;
      let mbb = 0;
      let mab = 0;
      for (let dy = -r; dy <= r; dy++) {
        const ky = k[dy + r]!;
        for (let dx = -r; dx <= r; dx++) {
          const w = ky * k[dx + r]!;
          const i = (y + dy) * W + (x + dx);
          const va = a[i]!;
          const vb = b[i]!;
          ma += w * va;
          mb += w * vb;
          maa += w * va * va;
          mbb += w * vb * vb;
          mab += w * va * vb;
        }
      }
      const va = maa - ma * ma;
      const vb = mbb - mb * mb;
      const cab = mab - ma * mb;
      total += ((2 * ma * mb + c1) * (2 * cab + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      count++;
    }
  }
  return total / count;
}

/**
 * The sanity-checks "abs" normalisation of one map (`VisualizeImageGrayscale`):
 * `(M − min) / (p99 − min)` clipped to [0, 1], where `M = Σ_c |A|` has been formed by the
 * caller. A map whose 99th percentile equals its minimum (constant, all-zero) gives zeros.
 *
 * @example
 * ```ts
 * normalizeAbs([0, 1, 2, 100]); // [0, 0.0107, 0.0215, 1] (p99 = 93.07...)
 * ```
 */
export function normalizeAbs(map: ArrayLike<number>, percentile = 99): Float64Array {
  const m = Float64Array.from(map, Math.abs);
  const vmax = quantile(m, percentile / 100);
  let vmin = Infinity;
  for (const v of m) vmin = Math.min(vmin, v);
  const out = new Float64Array(m.length);
  if (!(vmax > vmin)) return out;
  for (let i = 0; i < m.length; i++) out[i] = Math.min(1, Math.max(0, (m[i]! - vmin) / (vmax - vmin)));
  return out;
}

/**
 * The sanity-checks "diverging" normalisation of one signed map
 * (`VisualizeImageDiverging`): span = |p99(M)|, `(M + span) / (2 span)` clipped to
 * [−1, 1]. With span 0 every value maps to 0.5, the value a zero map gets for any span.
 *
 * @example
 * ```ts
 * normalizeSigned([-1, 0, 1, 2]);
 * ```
 */
export function normalizeSigned(map: ArrayLike<number>, percentile = 99): Float64Array {
  const span = Math.abs(quantile(map, percentile / 100));
  const out = new Float64Array(map.length);
  if (span === 0) return out.fill(0.5);
  for (let i = 0; i < map.length; i++) out[i] = Math.min(1, Math.max(-1, (map[i]! + span) / (2 * span)));
  return out;
}

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>, name: string): void {
  if (a.length !== b.length) throw new ShapeError(`${name}: the two maps must have the same length, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new ArgumentError(`${name}: maps must not be empty`);
  for (const [arr, which] of [[a, 'first'], [b, 'second']] as const) {
    for (let i = 0; i < arr.length; i++) {
      if (!Number.isFinite(arr[i]!)) throw new ArgumentError(`${name}: the ${which} map holds ${arr[i]} at index ${i}; expected finite values`);
    }
  }
}
