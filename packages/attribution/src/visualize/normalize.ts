/**
 * Attribution maps to display values: sign selection, a robust scale (a percentile of |a|,
 * so one extreme pixel does not wash out the rest), clipping, and channel reduction.
 * Never NaN: an all-zero map (or a map with nothing of the selected sign) stays all zero
 * (Captum #959 threw "Cannot normalize by scale factor = 0" there).
 */
import { ArgumentError, ShapeError, Tensor, checkOptionKeys, describe, optionKeys } from '@pathgrad/tensor';

/**
 * Which part of a signed map is shown.
 *
 * @example
 * ```ts
 * const sign: AttributionSign = 'positive';
 * normalizeAttribution(map, { sign }); // values in [0, 1]
 * ```
 */
export type AttributionSign = 'all' | 'positive' | 'negative' | 'absolute';

/**
 * How the scale is chosen.
 *
 * @example
 * ```ts
 * const mode: NormalizeMode = 'maxabs';
 * normalizeAttribution(map, { mode }); // divides by max |a|
 * ```
 */
export type NormalizeMode = 'percentile' | 'maxabs' | 'none';

/**
 * Options of {@link normalizeAttribution} and {@link attributionScale}.
 *
 * @example
 * ```ts
 * // one scale for several maps makes their heatmaps comparable
 * const scale = Math.max(attributionScale(mapA), attributionScale(mapB));
 * const options: NormalizeOptions = { sign: 'all', scale };
 * [normalizeAttribution(mapA, options), normalizeAttribution(mapB, options)];
 * ```
 */
export interface NormalizeOptions {
  /**
   * `'all'` (default) keeps the sign (values in [-1, 1]); `'positive'` keeps the positive
   * part ([0, 1]); `'negative'` keeps the negative part ([-1, 0]); `'absolute'` shows |a| ([0, 1]).
   */
  sign?: AttributionSign;
  /** Percentile of |selected values| used as the scale in `'percentile'` mode (default 99.5). */
  percentile?: number;
  /**
   * `'percentile'` (default): divide by the stated percentile of |a| and clip to ±1 (falls
   * back to the max |a| when that percentile is 0, as in a sparse map); `'maxabs'`: divide by
   * max |a|; `'none'`: no scaling, values are only clipped to ±1.
   */
  mode?: NormalizeMode;
  /**
   * A fixed scale that overrides `mode`: pass the same number for several maps to make their
   * heatmaps comparable (Captum #1103), e.g. the largest {@link attributionScale} of the set.
   */
  scale?: number;
}

const SIGNS: readonly AttributionSign[] = ['all', 'positive', 'negative', 'absolute'];
const MODES: readonly NormalizeMode[] = ['percentile', 'maxabs', 'none'];

interface ResolvedOptions {
  sign: AttributionSign;
  percentile: number;
  mode: NormalizeMode;
  scale: number | undefined;
}

const NORMALIZE_KEYS = optionKeys<NormalizeOptions>({ sign: true, percentile: true, mode: true, scale: true });

function resolveOptions(opts: NormalizeOptions | undefined, where: string): ResolvedOptions {
  checkOptionKeys(opts, NORMALIZE_KEYS, where);
  const sign = opts?.sign ?? 'all';
  if (!SIGNS.includes(sign)) throw new ArgumentError(`${where}: sign must be one of ${SIGNS.join(', ')}, got ${describe(sign)}`);
  const mode = opts?.mode ?? 'percentile';
  if (!MODES.includes(mode)) throw new ArgumentError(`${where}: mode must be one of ${MODES.join(', ')}, got ${describe(mode)}`);
  const percentile = opts?.percentile ?? 99.5;
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100)) {
    throw new ArgumentError(`${where}: percentile must be a number in (0, 100], got ${describe(percentile)}`);
  }
  const scale = opts?.scale;
  if (scale !== undefined && (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0)) {
    throw new ArgumentError(`${where}: scale must be a finite number >= 0, got ${describe(scale)}`);
  }
  return { sign, percentile, mode, scale };
}

function valuesOf(a: Tensor | ArrayLike<number>, where: string): Float64Array {
  let values: Float64Array;
  if (a instanceof Tensor) {
    values = Float64Array.from(a.toTypedArray());
  } else if (a !== null && typeof a === 'object' && typeof (a as ArrayLike<number>).length === 'number') {
    values = Float64Array.from(a as ArrayLike<number>);
  } else {
    throw new ArgumentError(`${where}: attribution must be a Tensor or an array of numbers, got ${describe(a)}`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new ArgumentError(`${where}: attribution holds ${values[i]} at flat index ${i}; expected finite values`);
    }
  }
  return values;
}

/** The selected part of each value: the sign rule applied before scaling. */
function select(v: number, sign: AttributionSign): number {
  switch (sign) {
    case 'all':
      return v;
    case 'positive':
      return v > 0 ? v : 0;
    case 'negative':
      return v < 0 ? v : 0;
    case 'absolute':
      return Math.abs(v);
  }
}

/** Linear-interpolated percentile (NumPy's default 'linear' method) of sorted values. */
function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const t = pos - lo;
  return sorted[lo]! * (1 - t) + sorted[hi]! * t;
}

function scaleOf(selected: Float64Array, o: ResolvedOptions): number {
  if (o.scale !== undefined) return o.scale;
  if (o.mode === 'none') return 1;
  let maxAbs = 0;
  for (let i = 0; i < selected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(selected[i]!));
  if (o.mode === 'maxabs') return maxAbs;
  const abs = selected.map(Math.abs).sort();
  const p = percentileOfSorted(abs, o.percentile);
  // A sparse map can have a zero percentile but nonzero entries: fall back to max |a|.
  return p > 0 ? p : maxAbs;
}

/**
 * The number an attribution map is divided by under `opts` (before clipping to ±1): the
 * stated percentile of |selected values|, their max, 1 for `mode: 'none'`, or `opts.scale`.
 * 0 for a map with nothing of the selected sign. Take the max over several maps and pass it
 * as `scale` to draw them on one colour scale.
 * @example
 * ```ts
 * const s = Math.max(...maps.map((m) => attributionScale(m)));
 * const heat = maps.map((m) => normalizeAttribution(m, { scale: s }));
 * ```
 */
export function attributionScale(a: Tensor | ArrayLike<number>, opts?: NormalizeOptions): number {
  const o = resolveOptions(opts, 'attributionScale');
  const v = valuesOf(a, 'attributionScale');
  for (let i = 0; i < v.length; i++) v[i] = select(v[i]!, o.sign);
  return scaleOf(v, o);
}

/**
 * Scales an attribution map for display: keeps the chosen sign, divides by a robust scale
 * (default: the 99.5th percentile of |a|) and clips to [-1, 1]. Returns a float64 tensor with
 * `a`'s shape (or `[length]` for an array). Never NaN: when the scale is 0 (an all-zero map,
 * or `sign: 'positive'` on an all-negative one) the result is all zeros.
 * @example
 * ```ts
 * const shown = normalizeAttribution(attributions, { sign: 'all', percentile: 99 });
 * normalizeAttribution(zeros([28, 28]), { sign: 'positive' }); // all zeros, no NaN
 * ```
 */
export function normalizeAttribution(a: Tensor | ArrayLike<number>, opts?: NormalizeOptions): Tensor {
  const o = resolveOptions(opts, 'normalizeAttribution');
  const v = valuesOf(a, 'normalizeAttribution');
  for (let i = 0; i < v.length; i++) v[i] = select(v[i]!, o.sign);
  const scale = scaleOf(v, o);
  const out = new Float64Array(v.length);
  if (scale > 0) {
    for (let i = 0; i < v.length; i++) out[i] = Math.max(-1, Math.min(1, v[i]! / scale));
  }
  const shape = a instanceof Tensor ? [...a.shape] : [v.length];
  return new Tensor(out, shape, 'float64');
}

/**
 * Reduces an image-shaped map to 2-D `[H, W]` (float64): `[H, W]` as is, `[C, H, W]` and
 * `[1, C, H, W]` summed over channels (the signed sum, as Captum's `visualize_image_attr`),
 * so per-channel attributions add up to the pixel's.
 * @example
 * ```ts
 * reduceChannels(attributions.slice([[0, 1]])).shape; // [28, 28] from [1, 1, 28, 28]
 * ```
 */
export function reduceChannels(map: Tensor): Tensor {
  if (!(map instanceof Tensor)) throw new ArgumentError(`reduceChannels: map must be a Tensor, got ${describe(map)}`);
  let shape = [...map.shape];
  if (shape.length === 4) {
    if (shape[0] !== 1) throw new ShapeError(`reduceChannels: a 4-D map must be one example [1, C, H, W], got [${shape.join(', ')}]`);
    shape = shape.slice(1);
  }
  const values = Float64Array.from(map.toTypedArray());
  if (shape.length === 2) return new Tensor(values, shape, 'float64');
  if (shape.length !== 3) {
    throw new ShapeError(`reduceChannels: map must be [H, W], [C, H, W] or [1, C, H, W], got [${map.shape.join(', ')}]`);
  }
  const [c, h, w] = shape as [number, number, number];
  const out = new Float64Array(h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i]! += values[k * h * w + i]!;
  return new Tensor(out, [h, w], 'float64');
}
