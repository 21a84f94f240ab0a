/**
 * Heatmaps: an attribution map to RGBA bytes (row-major, 4 bytes a pixel), the layout of
 * canvas ImageData and of PNG encoders such as pngjs, optionally blended over the image.
 */
import { ArgumentError, ShapeError, Tensor, checkOptionKeys, describe, optionKeys } from '@pathgrad/tensor';
import { normalizeAttribution, reduceChannels, type NormalizeOptions } from './normalize.js';

/**
 * Colour maps: `'diverging'` blue-white-red for signed maps; `'magma'` and `'gray'` show magnitude.
 *
 * @example
 * ```ts
 * const colormap: Colormap = 'magma';
 * heatmapRGBA(map, { colormap, normalize: { sign: 'absolute' } });
 * ```
 */
export type Colormap = 'diverging' | 'magma' | 'gray';

/**
 * Options of {@link heatmapRGBA}.
 *
 * @example
 * ```ts
 * const options: HeatmapOptions = { colormap: 'diverging', overlay: slice(images, [0]), alpha: 0.6, normalize: { sign: 'all', percentile: 99 } };
 * const rgba = heatmapRGBA(reduceChannels(slice(attributions, [0])), options); // 28 * 28 * 4 bytes
 * ```
 */
export interface HeatmapOptions {
  /** Colour map (default `'diverging'`: negative blue, zero white, positive red). */
  colormap?: Colormap;
  /**
   * The image to draw under the heatmap: `[H, W]`, `[1, H, W]` (gray) or `[3, H, W]` (RGB), or
   * with a leading batch dimension of 1, values in [0, 1]. Blended as
   * `(1 − alpha) · image + alpha · colour`.
   */
  overlay?: Tensor;
  /** Weight of the heatmap colour in [0, 1] (default 0.6 with an overlay, 1 without). */
  alpha?: number;
  /** How the map is normalised first (see {@link normalizeAttribution}); `false` if it already is, in [-1, 1]. */
  normalize?: NormalizeOptions | false;
}

const HEATMAP_KEYS = optionKeys<HeatmapOptions>({ colormap: true, overlay: true, alpha: true, normalize: true });

/** A colour as three bytes. */
type RGB = readonly [number, number, number];

// matplotlib's magma at 11 evenly spaced stops (as listed by d3-scale-chromatic).
const MAGMA: readonly RGB[] = [
  [0, 0, 4],
  [20, 14, 54],
  [59, 15, 112],
  [100, 26, 128],
  [140, 41, 129],
  [183, 55, 121],
  [222, 73, 104],
  [247, 112, 92],
  [254, 159, 109],
  [254, 207, 146],
  [252, 253, 191],
];
const BLUE: RGB = [33, 102, 172];
const RED: RGB = [178, 24, 43];
const WHITE: RGB = [255, 255, 255];

function lerp(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/**
 * The colour of a normalised value under a colour map: `'diverging'` takes v in [-1, 1]
 * (−1 blue, 0 white, +1 red); `'magma'` and `'gray'` take |v| in [0, 1].
 * @example
 * ```ts
 * colormapRGB('diverging', 0); // [255, 255, 255]
 * ```
 */
export function colormapRGB(colormap: Colormap, v: number): [number, number, number] {
  const x = Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
  let c: RGB;
  if (colormap === 'diverging') {
    c = x >= 0 ? lerp(WHITE, RED, x) : lerp(WHITE, BLUE, -x);
  } else if (colormap === 'gray') {
    const g = Math.abs(x) * 255;
    c = [g, g, g];
  } else if (colormap === 'magma') {
    const pos = Math.abs(x) * (MAGMA.length - 1);
    const i = Math.min(MAGMA.length - 2, Math.floor(pos));
    c = lerp(MAGMA[i]!, MAGMA[i + 1]!, pos - i);
  } else {
    throw new ArgumentError(`colormapRGB: colormap must be 'diverging', 'magma' or 'gray', got ${describe(colormap)}`);
  }
  return [Math.round(c[0]), Math.round(c[1]), Math.round(c[2])];
}

/**
 * An image drawn under a map, as its channel planes (1 gray or 3 RGB, values in [0, 1]):
 * `[H, W]`, `[1|3, H, W]`, or either with a leading batch dimension of 1. `where` names the
 * function and argument in errors (e.g. `'heatmapRGBA: overlay'`).
 */
export function imagePlanes(image: Tensor, h: number, w: number, where: string): { channels: number; values: ArrayLike<number> } {
  if (!(image instanceof Tensor)) throw new ArgumentError(`${where} must be a Tensor, got ${describe(image)}`);
  let shape = [...image.shape];
  if (shape.length === 4 && shape[0] === 1) shape = shape.slice(1);
  if (shape.length === 2) shape = [1, ...shape];
  if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3) || shape[1] !== h || shape[2] !== w) {
    throw new ShapeError(`${where} must be [${h}, ${w}], [1, ${h}, ${w}] or [3, ${h}, ${w}] like the map, got [${image.shape.join(', ')}]`);
  }
  return { channels: shape[0]!, values: image.toTypedArray() };
}

/**
 * Renders an attribution map as RGBA bytes (`H · W · 4`, row-major, alpha 255), usable as
 * canvas `ImageData` data or fed to a PNG encoder. `[C, H, W]` maps are summed over
 * channels first; the map is then normalised (default: signed, 99.5th percentile of |a|),
 * coloured, and optionally blended over `overlay`. All-zero maps give a blank (white for
 * `'diverging'`) image, never NaN.
 * @example
 * ```ts
 * const rgba = heatmapRGBA(attributions.slice([[0, 1]]), { overlay: image, alpha: 0.6 });
 * new ImageData(rgba, 28, 28);
 * ```
 */
export function heatmapRGBA(map2d: Tensor, opts: HeatmapOptions = {}): Uint8ClampedArray {
  checkOptionKeys(opts, HEATMAP_KEYS, 'heatmapRGBA');
  const colormap = opts.colormap ?? 'diverging';
  if (colormap !== 'diverging' && colormap !== 'magma' && colormap !== 'gray') {
    throw new ArgumentError(`heatmapRGBA: colormap must be 'diverging', 'magma' or 'gray', got ${describe(colormap)}`);
  }
  const alpha = opts.alpha ?? (opts.overlay === undefined ? 1 : 0.6);
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw new ArgumentError(`heatmapRGBA: alpha must be a number in [0, 1], got ${describe(alpha)}`);
  const reduced = reduceChannels(map2d);
  const [h, w] = reduced.shape as [number, number];
  const shown = opts.normalize === false ? normalizeAttribution(reduced, { mode: 'none' }) : normalizeAttribution(reduced, opts.normalize);
  const v = shown.toTypedArray();
  const under = opts.overlay === undefined ? undefined : imagePlanes(opts.overlay, h, w, 'heatmapRGBA: overlay');
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const c = colormapRGB(colormap, v[i]!);
    for (let k = 0; k < 3; k++) {
      let value = c[k]!;
      if (under !== undefined) {
        const g = under.values[(under.channels === 3 ? k * h * w : 0) + i]!;
        const base = Number.isFinite(g) ? Math.max(0, Math.min(1, g)) * 255 : 0;
        value = (1 - alpha) * base + alpha * value;
      }
      out[i * 4 + k] = value;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
