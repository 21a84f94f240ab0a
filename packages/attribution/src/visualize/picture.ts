/**
 * Pictures of attribution maps, in the spirit of Captum's `visualize_image_attr`: the map as
 * a heat map, blended over the image, the image masked or alpha-scaled by the map, upscaled,
 * laid out side by side with a colour bar, and encoded as PNG (fast-png, which runs in the
 * browser too). Every picture records what it shows (the colour map, the sign, the value
 * drawn at full colour, and whether the values are attributions at all), so a caption or a
 * colour bar can say it.
 */
import { ArgumentError, ShapeError, Tensor, checkOptionKeys, describe, optionKeys } from '@pathgrad/tensor';
import { encode } from 'fast-png';
import { colormapRGB, imagePlanes, type Colormap } from './heatmap.js';
import { attributionScale, normalizeAttribution, reduceChannels, type AttributionSign } from './normalize.js';

/**
 * How a map is drawn (Captum's `method` of `visualize_image_attr`): `'heatMap'` the map alone;
 * `'blendedHeatMap'` the map over the gray image; `'maskedImage'` the image times the
 * normalised |map|; `'alphaScaling'` the image with the normalised |map| as its opacity;
 * `'originalImage'` the image alone.
 *
 * @example
 * ```ts
 * const mode: PictureMode = 'blendedHeatMap';
 * attributionPicture(map, image, { mode });
 * ```
 */
export type PictureMode = 'heatMap' | 'blendedHeatMap' | 'maskedImage' | 'alphaScaling' | 'originalImage';

/**
 * What the map's values are: `'attribution'` (signed contributions, drawn on the diverging
 * map by default); `'rank'` (an order, such as Greedy PIG's selection ranks: larger is
 * selected earlier; drawn on a sequential map and labelled as ranks); `'value'` (magnitudes
 * that are not attributions, such as a region score).
 *
 * @example
 * ```ts
 * const kind: MapKind = 'rank';
 * attributionPicture(greedyPigScores, image, { kind });
 * ```
 */
export type MapKind = 'attribution' | 'rank' | 'value';

/**
 * Options of {@link attributionPicture}.
 *
 * @example
 * ```ts
 * const options: PictureOptions = { mode: 'blendedHeatMap', sign: 'all', alpha: 0.6, upscale: 4 };
 * ```
 */
export interface PictureOptions {
  /** How the map is drawn (default `'heatMap'`, or `'blendedHeatMap'` when an image is given). */
  mode?: PictureMode;
  /** What the values are (default `'attribution'`). */
  kind?: MapKind;
  /** Which part of the map is shown (default `'all'` for attributions, `'absolute'` otherwise). */
  sign?: AttributionSign;
  /** Colour map (default `'diverging'` for signed maps, `'magma'` otherwise). */
  colormap?: Colormap;
  /** Percentile of |map| drawn at full colour (default 99.5; Captum's `outlier_perc=2` is 98). */
  percentile?: number;
  /** A fixed value drawn at full colour (overrides `percentile`): the same for several maps makes them comparable. */
  scale?: number;
  /** Weight of the heat map over the image in `'blendedHeatMap'` (default 0.6). */
  alpha?: number;
  /** Integer upscaling factor, nearest neighbour (default 1). */
  upscale?: number;
}

const PICTURE_KEYS = optionKeys<PictureOptions>({ mode: true, kind: true, sign: true, colormap: true, percentile: true, scale: true, alpha: true, upscale: true });

/**
 * RGBA pixels (row-major, 4 bytes each) and what they show.
 *
 * @example
 * ```ts
 * const p: Picture = attributionPicture(map, image);
 * new ImageData(p.rgba, p.width, p.height);
 * ```
 */
export interface Picture {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  /** The colour map the values were drawn with (absent for pictures without a map). */
  colormap?: Colormap;
  /** The part of the map shown. */
  sign?: AttributionSign;
  /** The value drawn at full colour (the colour bar's end). */
  scale?: number;
  /** What the values are. */
  kind?: MapKind;
}

const MODES: readonly PictureMode[] = ['heatMap', 'blendedHeatMap', 'maskedImage', 'alphaScaling', 'originalImage'];
const KINDS: readonly MapKind[] = ['attribution', 'rank', 'value'];


const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0);

/**
 * Draws one map (`[H, W]` or `[C, H, W]`, channels summed) as a picture, over `image` where the
 * mode uses one. Values are scaled so the stated percentile of |map| (or `scale`) gets full
 * colour; an all-zero map gives a blank picture, never NaN.
 * @example
 * ```ts
 * const p = attributionPicture(attributions.slice([[0, 1]]), images.slice([[0, 1]]), { mode: 'blendedHeatMap', upscale: 4 });
 * p.width; // 112 for a 28 x 28 map
 * ```
 */
export function attributionPicture(map: Tensor, image?: Tensor, opts: PictureOptions = {}): Picture {
  checkOptionKeys(opts, PICTURE_KEYS, 'attributionPicture');
  const kind = opts.kind ?? 'attribution';
  if (!KINDS.includes(kind)) throw new ArgumentError(`attributionPicture: kind must be one of ${KINDS.join(', ')}, got ${describe(kind)}`);
  const mode = opts.mode ?? (image === undefined ? 'heatMap' : 'blendedHeatMap');
  if (!MODES.includes(mode)) throw new ArgumentError(`attributionPicture: mode must be one of ${MODES.join(', ')}, got ${describe(mode)}`);
  if (mode !== 'heatMap' && image === undefined) throw new ArgumentError(`attributionPicture: mode '${mode}' draws over the image; pass the image as the second argument`);
  const sign = opts.sign ?? (kind === 'attribution' ? 'all' : 'absolute');
  if ((mode === 'maskedImage' || mode === 'alphaScaling') && sign === 'all') {
    throw new ArgumentError(`attributionPicture: mode '${mode}' needs sign 'positive', 'negative' or 'absolute' (a mask has no sign), got 'all'`);
  }
  const colormap = opts.colormap ?? (sign === 'all' ? 'diverging' : 'magma');
  const alpha = opts.alpha ?? 0.6;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw new ArgumentError(`attributionPicture: alpha must be a number in [0, 1], got ${describe(alpha)}`);
  const upscale = opts.upscale ?? 1;
  if (!Number.isInteger(upscale) || upscale < 1 || upscale > 64) throw new ArgumentError(`attributionPicture: upscale must be an integer in 1..64, got ${describe(upscale)}`);

  const reduced = reduceChannels(map);
  const [h, w] = reduced.shape as [number, number];
  const norm = { sign, ...(opts.percentile !== undefined ? { percentile: opts.percentile } : {}), ...(opts.scale !== undefined ? { scale: opts.scale } : {}) };
  const scale = attributionScale(reduced, norm);
  const v = normalizeAttribution(reduced, norm).toTypedArray();
  const under = image === undefined ? undefined : imagePlanes(image, h, w, 'attributionPicture: image');
  const px = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const m = v[i]!;
    const base = (k: number): number => (under === undefined ? 0 : clamp01(under.values[(under.channels === 3 ? k * h * w : 0) + i]!) * 255);
    const gray = under === undefined ? 0 : under.channels === 3 ? 0.299 * base(0) + 0.587 * base(1) + 0.114 * base(2) : base(0);
    const c = colormapRGB(colormap, m);
    for (let k = 0; k < 3; k++) {
      let value: number;
      if (mode === 'heatMap') value = c[k]!;
      else if (mode === 'blendedHeatMap') value = (1 - alpha) * gray + alpha * c[k]!;
      else if (mode === 'maskedImage') value = base(k) * Math.abs(m);
      else value = base(k);
      px[i * 4 + k] = value;
    }
    px[i * 4 + 3] = mode === 'alphaScaling' ? Math.abs(m) * 255 : 255;
  }
  const picture: Picture = { rgba: px, width: w, height: h, kind, sign, scale };
  if (mode !== 'maskedImage' && mode !== 'alphaScaling' && mode !== 'originalImage') picture.colormap = colormap;
  return upscale === 1 ? picture : upscalePicture(picture, upscale);
}

/**
 * Nearest-neighbour upscaling by an integer factor (small maps stay crisp when shown large).
 * @example
 * ```ts
 * upscalePicture(p, 4).width; // 4 * p.width
 * ```
 */
export function upscalePicture(picture: Picture, factor: number): Picture {
  if (!Number.isInteger(factor) || factor < 1 || factor > 64) throw new ArgumentError(`upscalePicture: factor must be an integer in 1..64, got ${describe(factor)}`);
  const { width: w, height: h, rgba } = picture;
  const w2 = w * factor;
  const out = new Uint8ClampedArray(w2 * h * factor * 4);
  const src = new Uint32Array(rgba.buffer, rgba.byteOffset, w * h);
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < h * factor; y++) {
    const row = Math.floor(y / factor) * w;
    for (let x = 0; x < w2; x++) dst[y * w2 + x] = src[row + Math.floor(x / factor)]!;
  }
  return { ...picture, rgba: out, width: w2, height: h * factor };
}

/**
 * Options of {@link colorBar}.
 *
 * @example
 * ```ts
 * const options: ColorBarOptions = { length: 112, thickness: 8, orientation: 'vertical' };
 * ```
 */
export interface ColorBarOptions {
  /** Pixels along the bar (default 112). */
  length?: number;
  /** Pixels across the bar (default 8). */
  thickness?: number;
  /** `'vertical'` (default; the largest value on top) or `'horizontal'` (largest on the right). */
  orientation?: 'vertical' | 'horizontal';
}

const COLOR_BAR_KEYS = optionKeys<ColorBarOptions>({ length: true, thickness: true, orientation: true });

/**
 * The colour bar of a picture: its colour map from −scale to +scale (signed pictures) or from
 * 0 to scale, as a picture of its own. {@link colorBarLabels} gives the values at its ends.
 * @example
 * ```ts
 * const bar = colorBar(p, { length: p.height });
 * pictureGrid([p, bar]);
 * ```
 */
export function colorBar(picture: Pick<Picture, 'colormap' | 'sign'>, opts: ColorBarOptions = {}): Picture {
  checkOptionKeys(opts, COLOR_BAR_KEYS, 'colorBar');
  const colormap = picture.colormap;
  if (colormap === undefined) throw new ArgumentError("colorBar: the picture has no colour map (modes 'maskedImage', 'alphaScaling' and 'originalImage' draw the image itself)");
  const length = opts.length ?? 112;
  const thickness = opts.thickness ?? 8;
  for (const [name, v] of [['length', length], ['thickness', thickness]] as const) {
    if (!Number.isInteger(v) || v < 2 || v > 4096) throw new ArgumentError(`colorBar: ${name} must be an integer in 2..4096, got ${describe(v)}`);
  }
  const vertical = (opts.orientation ?? 'vertical') === 'vertical';
  const signed = picture.sign === 'all';
  const negative = picture.sign === 'negative';
  const [width, height] = vertical ? [thickness, length] : [length, thickness];
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < length; i++) {
    const t = i / (length - 1); // 0 at the low end, 1 at the high end
    const v = signed ? 2 * t - 1 : negative ? t - 1 : t;
    const c = colormapRGB(colormap, v);
    for (let j = 0; j < thickness; j++) {
      const p = vertical ? ((length - 1 - i) * width + j) * 4 : (j * width + i) * 4;
      rgba[p] = c[0];
      rgba[p + 1] = c[1];
      rgba[p + 2] = c[2];
      rgba[p + 3] = 255;
    }
  }
  return { rgba, width, height, colormap, ...(picture.sign !== undefined ? { sign: picture.sign } : {}) };
}

/**
 * The values at the ends of a picture's colour bar and what they measure, for a caption:
 * `{ low: -0.012, high: 0.012, unit: 'attribution' }`.
 * @example
 * ```ts
 * const { low, high, unit } = colorBarLabels(p);
 * `${unit}: ${low.toPrecision(2)} … ${high.toPrecision(2)}`;
 * ```
 */
export function colorBarLabels(picture: Pick<Picture, 'sign' | 'scale' | 'kind'>): { low: number; high: number; unit: string } {
  const s = picture.scale ?? 1;
  const unit = picture.kind === 'rank' ? 'selection rank (larger = selected earlier; not an attribution)' : picture.kind === 'value' ? 'value (not an attribution)' : picture.sign === 'absolute' ? '|attribution|' : 'attribution';
  if (picture.sign === 'all') return { low: -s, high: s, unit };
  if (picture.sign === 'negative') return { low: -s, high: 0, unit };
  return { low: 0, high: s, unit };
}

/**
 * Options of {@link pictureGrid}.
 *
 * @example
 * ```ts
 * const options: GridOptions = { columns: 4, gap: 2, background: [255, 255, 255] };
 * ```
 */
export interface GridOptions {
  /** Pictures per row (default: all in one row). */
  columns?: number;
  /** Pixels between pictures (default 2). */
  gap?: number;
  /** Background colour (default white). */
  background?: readonly [number, number, number];
}

const GRID_KEYS = optionKeys<GridOptions>({ columns: true, gap: true, background: true });

/**
 * Lays pictures out side by side in rows (each column as wide as its widest picture, each row
 * as tall as its tallest, pictures at their cell's top left), e.g. the input, each method's map
 * and a colour bar.
 * @example
 * ```ts
 * const sheet = pictureGrid([attributionPicture(image.slice([[0, 1]]), image, { mode: 'originalImage' }), p, colorBar(p)]);
 * ```
 */
export function pictureGrid(pictures: readonly Picture[], opts: GridOptions = {}): Picture {
  checkOptionKeys(opts, GRID_KEYS, 'pictureGrid');
  if (!Array.isArray(pictures) || pictures.length === 0) throw new ArgumentError(`pictureGrid: pictures must be a non-empty array, got ${describe(pictures)}`);
  const columns = opts.columns ?? pictures.length;
  const gap = opts.gap ?? 2;
  if (!Number.isInteger(columns) || columns < 1) throw new ArgumentError(`pictureGrid: columns must be a positive integer, got ${describe(columns)}`);
  if (!Number.isInteger(gap) || gap < 0 || gap > 256) throw new ArgumentError(`pictureGrid: gap must be an integer in 0..256, got ${describe(gap)}`);
  const bg = opts.background ?? [255, 255, 255];
  const rows = Math.ceil(pictures.length / columns);
  const cols = Math.min(columns, pictures.length);
  // each column as wide as its widest picture, each row as tall as its tallest
  const colW = Array.from({ length: cols }, (_, c) => Math.max(...pictures.filter((_, n) => n % columns === c).map((p) => p.width)));
  const rowH = Array.from({ length: rows }, (_, r) => Math.max(...pictures.slice(r * columns, (r + 1) * columns).map((p) => p.height)));
  const colX = colW.map((_, c) => colW.slice(0, c).reduce((a, b) => a + b + gap, 0));
  const rowY = rowH.map((_, r) => rowH.slice(0, r).reduce((a, b) => a + b + gap, 0));
  const width = colW.reduce((a, b) => a + b, 0) + (cols - 1) * gap;
  const height = rowH.reduce((a, b) => a + b, 0) + (rows - 1) * gap;
  if (width * height > 2 ** 26) throw new ArgumentError(`pictureGrid: the grid would be ${width} x ${height} pixels; use fewer or smaller pictures`);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([bg[0], bg[1], bg[2], 255], i * 4);
  pictures.forEach((p, n) => {
    const x0 = colX[n % columns]!;
    const y0 = rowY[Math.floor(n / columns)]!;
    for (let y = 0; y < p.height; y++) rgba.set(p.rgba.subarray(y * p.width * 4, (y + 1) * p.width * 4), ((y0 + y) * width + x0) * 4);
  });
  return { rgba, width, height };
}

/**
 * A picture as PNG file bytes (RGBA, 8 bits a channel), encoded with fast-png, which needs no
 * Node built-ins, so it works in the browser too.
 * @example
 * ```ts
 * writeFileSync('ig.png', encodePNG(attributionPicture(map, image, { upscale: 4 })));
 * ```
 */
export function encodePNG(picture: Picture): Uint8Array {
  const { width, height, rgba } = picture;
  if (rgba.length !== width * height * 4) throw new ShapeError(`encodePNG: ${rgba.length} bytes do not make a ${width} x ${height} RGBA picture`);
  return encode({ width, height, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), channels: 4, depth: 8 });
}
