/**
 * Performance Information Curves, SIC and AIC (Kapishnikov, Bolukbasi, Viégas & Terry,
 * "XRAI: Better Attributions Through Regions", ICCV 2019, arXiv:1906.02825), following
 * PAIR-code/saliency `saliency/metrics/pic.py` step by step.
 */
import Delaunator from 'delaunator';
import { ArgumentError, ShapeError, Tensor, describe, optionKeys, rng as makeRng, softmax, type Rng } from '@pathgrad/tensor';
import { toFloat64 } from '../gradients.js';
import { checkModel, type Model } from '../model.js';
import { MAX_SAMPLES, boolOption, checkOptions, countOption, intOption, numberOption } from '../options.js';
import { resolveTarget, type Target } from '../target.js';
import { batchOption, checkBatch, evaluateOutputs, exampleMaps, trapz } from './common.js';
import { quantile } from './similarity.js';
import { webpLosslessSize } from './webp.js';

/**
 * PAIR's example saliency thresholds (fractions of the most salient pixels revealed).
 *
 * @example
 * ```ts
 * pic(model, x, maps, { thresholds: PIC_DEFAULT_THRESHOLDS.slice(0, 8) });
 * ```
 */
export const PIC_DEFAULT_THRESHOLDS: readonly number[] = [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.13, 0.21, 0.34, 0.5, 0.75];

/**
 * Options of {@link pic}.
 *
 * @example
 * ```ts
 * const options: PicOptions = { target: labels, numDataPoints: 1001, curves: ['sic', 'aic'], seed: 0 };
 * const result = await pic(model, images, attributions, options);
 * ```
 */
export interface PicOptions {
  /** Class of interest (default `'predicted'`: top-1 on the uint8-quantised original). */
  target?: Target;
  /** Ascending fractions of salient pixels to reveal (default {@link PIC_DEFAULT_THRESHOLDS}). */
  thresholds?: readonly number[];
  /** Images whose original prediction is below this are skipped (default 0.8, pic.py's default). */
  minPredValue?: number;
  /** Replace the normalised prediction by its running maximum (default true, as the paper). */
  keepMonotonous?: boolean;
  /** Curve points before the appended (1, 1) (default 1000, at most {@link MAX_SAMPLES}). */
  numDataPoints?: number;
  /** Fraction of pixels in the random mask (default 0.01). */
  randomMaskFraction?: number;
  /** Seed of the random masks (default 0); image i always gets the same mask for a seed, so methods compare fairly. */
  seed?: number;
  /** Explicit random masks `[N, H, W]` or `[H, W]` (non-zero = revealed), instead of seeded ones. */
  randomMasks?: Tensor;
  /** Maps [0, 1] images (the uint8 image / 255, the inputs' layout) to the model's input (default identity). */
  preprocess?: (images01: Tensor) => Tensor;
  /** Rank pixels by |saliency| instead of the signed value (default false: the caller decides, as pic.py). */
  abs?: boolean;
  /** Which curves to compute (default both). */
  curves?: readonly ('sic' | 'aic')[];
  /** Rows per model call (default 256). */
  batchSize?: number;
  /** Information estimate of a uint8 H×W×C image (default: lossless WebP size in bytes). */
  information?: (pixels: Uint8Array, height: number, width: number, channels: number) => Promise<number> | number;
}

const PIC_KEYS = optionKeys<PicOptions>({
  target: true, thresholds: true, minPredValue: true, keepMonotonous: true, numDataPoints: true,
  randomMaskFraction: true, seed: true, randomMasks: true, preprocess: true, abs: true, curves: true, batchSize: true,
  information: true,
});

/**
 * One image's curve, or why pic.py would skip it (`ComputePicMetricError`).
 *
 * @example
 * ```ts
 * const { sic } = await pic(model, images, attributions, { target: labels });
 * for (const curve of sic ?? []) console.log(curve.example, curve.ok ? curve.auc : curve.reason);
 * ```
 */
export type PicCurve =
  | {
      example: number;
      ok: true;
      /** Area under the curve (`np.trapz(curveY, curveX)`). */
      auc: number;
      /** y on the shared x grid `PicResult.curveX`. */
      curveY: Float64Array;
      /** Normalised information and (monotone) prediction per threshold. */
      normalizedInformation: Float64Array;
      normalizedPrediction: Float64Array;
    }
  | { example: number; ok: false; reason: string };

/**
 * Result of {@link pic}.
 *
 * @example
 * ```ts
 * const result: PicResult = await pic(model, images, attributions, { target: labels });
 * const { auc } = aggregatePic(result.sic ?? []);
 * ```
 */
export interface PicResult {
  /** Shared x grid: `linspace(0, 1, numDataPoints, endpoint=False)` then 1. */
  curveX: Float64Array;
  /** Softmax information curves (absent if not requested). */
  sic?: PicCurve[];
  /** Accuracy information curves (absent if not requested). */
  aic?: PicCurve[];
  /** Class of interest per image. */
  targets: Int32Array;
  /** Information (bytes) per image: original, fully blurred, then one per threshold. */
  information: Float64Array[];
  /** Softmax score of the target per image: original, fully blurred, then per threshold. */
  scores: Float64Array[];
  /** The random masks used, `[N, H·W]` as 0/1. */
  randomMasks: Uint8Array[];
}

/**
 * Random pixel mask of pic.py's `generate_random_mask`: `floor(H·W·fraction)` pixels
 * drawn without replacement (seeded partial Fisher–Yates), as 0/1 over H×W.
 *
 * @example
 * ```ts
 * generateRandomMask(28, 28, 0.01, rng(0)); // 7 ones
 * ```
 */
export function generateRandomMask(height: number, width: number, fraction: number, g: Rng): Uint8Array {
  if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentError(`generateRandomMask: fraction must be in [0, 1], got ${describe(fraction)}`);
  const size = height * width;
  const k = Math.floor(size * fraction);
  const idx = Int32Array.from({ length: size }, (_, i) => i);
  const mask = new Uint8Array(size);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(g.uniform() * (size - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
    mask[idx[i]!] = 1;
  }
  return mask;
}

/**
 * pic.py's `create_blurred_image(img, mask, 'linear')`: the four corners are always
 * revealed; unrevealed pixels get `scipy.interpolate.griddata(..., method='linear',
 * fill_value=mean colour)` per channel, i.e. barycentric interpolation in the Delaunay
 * triangulation (delaunator) of the revealed pixel coordinates, the channel mean outside
 * it; values pass through float32 and are rounded half to even (`np.round`) to uint8.
 * Co-circular point sets can be triangulated differently from Qhull, which changes the
 * interpolated values there (both are valid Delaunay triangulations).
 *
 * @example
 * ```ts
 * const bokeh = createBlurredImage(u8, 28, 28, 1, mask); // uint8 H×W×C
 * ```
 */
export function createBlurredImage(img: Uint8Array, height: number, width: number, channels: number, pixelMask: Uint8Array): Uint8Array {
  const H = height;
  const W = width;
  const C = channels;
  if (img.length !== H * W * C) throw new ShapeError(`createBlurredImage: img must hold ${H}x${W}x${C} values, got ${img.length}`);
  if (pixelMask.length !== H * W) throw new ShapeError(`createBlurredImage: pixelMask must hold ${H}x${W} values, got ${pixelMask.length}`);
  const mask = Uint8Array.from(pixelMask, (v) => (v ? 1 : 0));
  for (const i of [0, W - 1, (H - 1) * W, H * W - 1]) mask[i] = 1;
  if (mask.every((v) => v === 1)) return img.slice();
  const meanColor = new Float64Array(C);
  for (let i = 0; i < H * W; i++) for (let c = 0; c < C; c++) meanColor[c]! += img[i * C + c]!;
  for (let c = 0; c < C; c++) meanColor[c]! /= H * W;
  const known: number[] = [];
  for (let i = 0; i < H * W; i++) if (mask[i]) known.push(i);
  const coords = new Float64Array(known.length * 2);
  known.forEach((p, k) => {
    coords[2 * k] = Math.floor(p / W);
    coords[2 * k + 1] = p % W;
  });
  const out = new Float64Array(H * W * C);
  const assigned = Uint8Array.from(mask);
  for (let i = 0; i < H * W; i++) if (mask[i]) for (let c = 0; c < C; c++) out[i * C + c] = img[i * C + c]!;
  const tri = known.length >= 3 ? new Delaunator(coords).triangles : new Uint32Array(0);
  for (let t = 0; t < tri.length; t += 3) {
    const [p0, p1, p2] = [known[tri[t]!]!, known[tri[t + 1]!]!, known[tri[t + 2]!]!];
    const r0 = Math.floor(p0 / W), c0 = p0 % W;
    const r1 = Math.floor(p1 / W), c1 = p1 % W;
    const r2 = Math.floor(p2 / W), c2 = p2 % W;
    const det = (r1 - r0) * (c2 - c0) - (r2 - r0) * (c1 - c0);
    if (det === 0) continue;
    const sgn = Math.sign(det);
    for (let r = Math.min(r0, r1, r2); r <= Math.max(r0, r1, r2); r++) {
      for (let c = Math.min(c0, c1, c2); c <= Math.max(c0, c1, c2); c++) {
        const i = r * W + c;
        if (assigned[i]) continue;
        // integer numerators: an exact inside-or-on-edge test
        const n1 = (r - r0) * (c2 - c0) - (r2 - r0) * (c - c0);
        const n2 = (r1 - r0) * (c - c0) - (r - r0) * (c1 - c0);
        const n0 = det - n1 - n2;
        if (n0 * sgn < 0 || n1 * sgn < 0 || n2 * sgn < 0) continue;
        const l1 = n1 / det;
        const l2 = n2 / det;
        const l0 = 1 - l1 - l2;
        for (let ch = 0; ch < C; ch++) out[i * C + ch] = l0 * img[p0 * C + ch]! + l1 * img[p1 * C + ch]! + l2 * img[p2 * C + ch]!;
        assigned[i] = 1;
      }
    }
  }
  for (let i = 0; i < H * W; i++) if (!assigned[i]) for (let c = 0; c < C; c++) out[i * C + c] = meanColor[c]!;
  return Uint8Array.from(out, (v) => Math.min(255, Math.max(0, roundHalfEven(Math.fround(v)))));
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Performance information curves of saliency maps, SIC and AIC (PAIR pic.py).
 * Works on uint8 images, as pic.py requires: float inputs in [0, 1] (`[N, C, H, W]` with
 * C = 1 or 3, or `[N, H, W]`) are converted with `round(x·255)`, and every image shown to
 * the model is `u8 / 255` passed through `preprocess`. Per image: a seeded 1% random mask
 * (+ corners) gives the fully "blurred" (interpolated) image; for each threshold t, the
 * pixels with saliency ≥ quantile(1 − t) are revealed too; information = lossless WebP
 * bytes; `h = clip((H_t − H_blur)/(H_orig − H_blur), 0, 1)`, `q = clip((p_t − p_blur)/(p_orig
 * − p_blur), 0, 1)` (running max if `keepMonotonous`); (0,0) and (1,1) are added, the
 * points are linearly interpolated onto `numDataPoints` x values, (1,1) appended, and
 * AUC = trapezoid. SIC uses the softmax probability of the target, AIC 1/0 for top-1 = target.
 * Skipped images (`ok: false`) carry pic.py's reason: prediction below `minPredValue`,
 * blurred information ≥ original, or blurred prediction ≥ original. The interpolation is
 * scipy's (stable sort by h, searchsorted left), so tied h values resolve as in pic.py;
 * the one deviation is at a grid x equal to a duplicated h, where scipy yields NaN and we
 * take the largest q at that h. All images × thresholds go through the model in batches.
 *
 * @example
 * ```ts
 * const res = await pic(model, images, igMaps, { seed: 0 });
 * aggregatePic(res.sic!).auc; // median SIC AUC
 * ```
 */
export async function pic(model: Model, inputs: Tensor, saliencyMaps: Tensor, opts: PicOptions = {}): Promise<PicResult> {
  const name = 'pic';
  checkOptions(opts, PIC_KEYS, name);
  checkModel(model, name);
  checkBatch(inputs, name);
  if (inputs.rank !== 4 && inputs.rank !== 3) throw new ShapeError(`pic: inputs must be images [N, C, H, W] or [N, H, W], got [${inputs.shape.join(', ')}]`);
  const n = inputs.shape[0]!;
  const C = inputs.rank === 4 ? inputs.shape[1]! : 1;
  const H = inputs.shape[inputs.rank - 2]!;
  const W = inputs.shape[inputs.rank - 1]!;
  if (C !== 1 && C !== 3) throw new ShapeError(`pic: images must have 1 or 3 channels, got ${C}`);
  if (!(saliencyMaps instanceof Tensor)) throw new ArgumentError(`pic: saliencyMaps must be a Tensor [N, H, W] or [N, C, H, W], got ${describe(saliencyMaps)}`);
  const okShape =
    saliencyMaps.shape[0] === n &&
    ((saliencyMaps.rank === 3 && saliencyMaps.shape[1] === H && saliencyMaps.shape[2] === W) ||
      (saliencyMaps.rank === 4 && saliencyMaps.shape[2] === H && saliencyMaps.shape[3] === W));
  if (!okShape) throw new ShapeError(`pic: saliencyMaps must be [${n}, ${H}, ${W}] or [${n}, C, ${H}, ${W}], got [${saliencyMaps.shape.join(', ')}]`);
  const thresholds = opts.thresholds ?? PIC_DEFAULT_THRESHOLDS;
  if (!Array.isArray(thresholds) || thresholds.length === 0) throw new ArgumentError(`pic: thresholds must be a non-empty array of fractions, got ${describe(thresholds)}`);
  for (let i = 0; i < thresholds.length; i++) {
    const t = thresholds[i]!;
    if (!(t > 0 && t <= 1) || (i > 0 && !(t > thresholds[i - 1]!))) {
      throw new ArgumentError(`pic: thresholds must be ascending fractions in (0, 1], got ${describe([...thresholds])}`);
    }
  }
  const minPred = numberOption(opts.minPredValue, 0.8, 'minPredValue', name);
  const monotone = boolOption(opts.keepMonotonous, true, 'keepMonotonous', name);
  const numPoints = countOption(opts.numDataPoints, 1000, 'numDataPoints', name, MAX_SAMPLES);
  const fraction = numberOption(opts.randomMaskFraction, 0.01, 'randomMaskFraction', name, 0);
  if (fraction > 1) throw new ArgumentError(`pic: randomMaskFraction must be in [0, 1], got ${fraction}`);
  const seed = intOption(opts.seed, 0, 'seed', name, 0);
  const abs = boolOption(opts.abs, false, 'abs', name);
  const batchSize = batchOption(opts.batchSize, name);
  const wanted = opts.curves ?? ['sic', 'aic'];
  for (const c of wanted) if (c !== 'sic' && c !== 'aic') throw new ArgumentError(`pic: curves must hold 'sic' and/or 'aic', got ${describe([...wanted])}`);
  const information = opts.information ?? webpLosslessSize;
  const preprocess = opts.preprocess ?? ((x: Tensor) => x);

  // uint8 H×W×C images
  const x = toFloat64(inputs.contiguous());
  const per = C * H * W;
  const images = Array.from({ length: n }, (_, e) => {
    const u8 = new Uint8Array(per);
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H * W; i++) {
        const v = x[e * per + c * H * W + i]!;
        if (!(v >= 0 && v <= 1)) throw new ArgumentError(`pic: inputs must lie in [0, 1] (they are converted to uint8 as round(x·255)); example ${e} holds ${v}. Use preprocess for the model's normalisation`);
        u8[i * C + c] = Math.round(v * 255);
      }
    }
    return u8;
  });
  const maps = exampleMaps(saliencyMaps).maps.map((m) => (abs ? m.map(Math.abs) : m));
  const masks = resolveRandomMasks(opts.randomMasks, n, H, W, fraction, seed);

  // every image pic.py looks at: original, fully blurred, one per threshold
  const K = thresholds.length;
  const perImage = K + 2;
  const all: Uint8Array[] = [];
  for (let e = 0; e < n; e++) {
    all.push(images[e]!, createBlurredImage(images[e]!, H, W, C, masks[e]!));
    const map = maps[e]!;
    for (const t of thresholds) {
      const q = quantile(map, 1 - t);
      const pixelMask = Uint8Array.from(map, (v, i) => (v >= q || masks[e]![i] ? 1 : 0));
      all.push(createBlurredImage(images[e]!, H, W, C, pixelMask));
    }
  }
  const info = new Float64Array(all.length);
  for (let i = 0; i < all.length; i++) {
    const v = await information(all[i]!, H, W, C);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`pic: the information estimate returned ${describe(v)} for image ${Math.floor(i / perImage)}; expected a finite number`);
    info[i] = v;
  }
  const rowShape = inputs.shape.slice(1);
  const { values: probs, classes } = evaluateOutputs(
    preprocessed(model, preprocess),
    all.length,
    rowShape,
    inputs.dtype,
    batchSize,
    (s, e, out) => {
      for (let r = s; r < e; r++) {
        const u8 = all[r]!;
        for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) out[(r - s) * per + c * H * W + i] = u8[i * C + c]! / 255;
      }
    },
    (o) => {
      if (o.rank !== 2) throw new ShapeError(`pic: the model must return class scores [N, C], got [${o.shape.join(', ')}]`);
      return softmax(o, 1);
    },
    name,
  );
  const originals = new Float64Array(n * classes);
  for (let e = 0; e < n; e++) originals.set(probs.subarray(e * perImage * classes, (e * perImage + 1) * classes), e * classes);
  const resolved = resolveTarget(opts.target ?? 'predicted', n, new Tensor(originals, [n, classes], 'float64'), name);
  if (resolved.kind !== 'indices') throw new ArgumentError('pic: target must select one class per image (a function target is not supported)');
  const targets = resolved.indices;

  const curveX = Float64Array.from({ length: numPoints + 1 }, (_, i) => (i === numPoints ? 1 : i * (1 / numPoints)));
  const scores: Float64Array[] = [];
  const infos: Float64Array[] = [];
  const sic: PicCurve[] = [];
  const aic: PicCurve[] = [];
  for (let e = 0; e < n; e++) {
    const p = new Float64Array(perImage);
    const a = new Float64Array(perImage);
    for (let k = 0; k < perImage; k++) {
      const row = probs.subarray((e * perImage + k) * classes, (e * perImage + k + 1) * classes);
      p[k] = row[targets[e]!]!;
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      a[k] = best === targets[e] ? 1 : 0;
    }
    const h = info.slice(e * perImage, (e + 1) * perImage);
    scores.push(p);
    infos.push(h);
    if (wanted.includes('sic')) sic.push(picCurve(e, h, p, minPred, monotone, curveX));
    if (wanted.includes('aic')) aic.push(picCurve(e, h, a, minPred, monotone, curveX));
  }
  return {
    curveX,
    ...(wanted.includes('sic') ? { sic } : {}),
    ...(wanted.includes('aic') ? { aic } : {}),
    targets,
    information: infos,
    scores,
    randomMasks: masks,
  };
}

function preprocessed(model: Model, preprocess: (x: Tensor) => Tensor): Model {
  return (x: Tensor) => {
    const y = preprocess(x);
    if (!(y instanceof Tensor)) throw new ArgumentError(`pic: preprocess must return a Tensor, got ${describe(y)}`);
    return typeof model === 'function' ? model(y) : model.forward(y);
  };
}

function resolveRandomMasks(given: Tensor | undefined, n: number, H: number, W: number, fraction: number, seed: number): Uint8Array[] {
  if (given === undefined) {
    const g = makeRng(seed);
    return Array.from({ length: n }, () => generateRandomMask(H, W, fraction, g));
  }
  if (!(given instanceof Tensor)) throw new ArgumentError(`pic: randomMasks must be a Tensor [N, H, W] or [H, W], got ${describe(given)}`);
  const vals = given.contiguous().toTypedArray();
  if (given.rank === 2 && given.shape[0] === H && given.shape[1] === W) return Array.from({ length: n }, () => Uint8Array.from(vals, (v) => (v ? 1 : 0)));
  if (given.rank === 3 && given.shape[0] === n && given.shape[1] === H && given.shape[2] === W) {
    return Array.from({ length: n }, (_, e) => Uint8Array.from(vals.subarray(e * H * W, (e + 1) * H * W), (v) => (v ? 1 : 0)));
  }
  throw new ShapeError(`pic: randomMasks must be [${n}, ${H}, ${W}] or [${H}, ${W}], got [${given.shape.join(', ')}]`);
}

/** One image's curve from its information (orig, blur, thresholds...) and predictions, as compute_pic_metric. */
function picCurve(example: number, info: Float64Array, pred: Float64Array, minPred: number, monotone: boolean, curveX: Float64Array): PicCurve {
  const [hOrig, hBlur] = [info[0]!, info[1]!];
  const [pOrig, pBlur] = [pred[0]!, pred[1]!];
  if (pOrig < minPred) return { example, ok: false, reason: `prediction on the original image ${pOrig} is below minPredValue ${minPred}` };
  if (hBlur >= hOrig) return { example, ok: false, reason: `information of the fully blurred image (${hBlur}) is not below the original's (${hOrig})` };
  if (pBlur >= pOrig) return { example, ok: false, reason: `prediction on the fully blurred image (${pBlur}) is not below the original's (${pOrig})` };
  const K = info.length - 2;
  const hs = new Float64Array(K);
  const qs = new Float64Array(K);
  let maxQ = 0;
  for (let k = 0; k < K; k++) {
    hs[k] = clip01((info[k + 2]! - hBlur) / (hOrig - hBlur));
    const q = clip01((pred[k + 2]! - pBlur) / (pOrig - pBlur));
    maxQ = Math.max(maxQ, q);
    qs[k] = monotone ? maxQ : q;
  }
  // interp1d over the points plus (0,0) and (1,1), stably sorted by h as scipy does
  const pts = [...Array.from(hs, (h, k) => [h, qs[k]!] as [number, number]), [0, 0] as [number, number], [1, 1] as [number, number]];
  pts.sort((p, q) => p[0] - q[0]); // Array.prototype.sort is stable, as scipy's mergesort
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const curveY = new Float64Array(curveX.length);
  for (let i = 0; i < curveX.length - 1; i++) curveY[i] = interp1d(xs, ys, curveX[i]!);
  curveY[curveX.length - 1] = 1;
  return { example, ok: true, auc: trapz(curveY, curveX), curveY, normalizedInformation: hs, normalizedPrediction: qs };
}

/**
 * scipy interp1d 'linear' at one point inside [xs[0], xs[last]]: searchsorted left,
 * clipped to [1, len − 1], then the line through (lo, hi). Where the two x values are
 * equal (x is a duplicated h), scipy divides 0 by 0 and returns NaN; we return the
 * largest q among the points at that h instead (our choice; pic.py does not define this case).
 */
function interp1d(xs: number[], ys: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  const j = Math.min(Math.max(lo, 1), xs.length - 1);
  if (xs[j] === xs[j - 1]) {
    let best = -Infinity;
    for (let i = 0; i < xs.length; i++) if (xs[i] === xs[j]) best = Math.max(best, ys[i]!);
    return best;
  }
  const slope = (ys[j]! - ys[j - 1]!) / (xs[j]! - xs[j - 1]!);
  return slope * (x - xs[j - 1]!) + ys[j - 1]!;
}

function clip01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/**
 * Result of {@link aggregatePic}.
 *
 * @example
 * ```ts
 * const { auc, count, skipped }: AggregatePicResult = aggregatePic(result.sic ?? [], 'median');
 * ```
 */
export interface AggregatePicResult {
  curveX: Float64Array;
  /** Point-wise median (or mean) of the kept images' curves. */
  curveY: Float64Array;
  /** `np.trapz(curveY, curveX)`. */
  auc: number;
  /** Images aggregated. */
  count: number;
  /** Skipped images with their reasons. */
  skipped: { example: number; reason: string }[];
}

/**
 * pic.py's `aggregate_individual_pic_results`: the point-wise median (default) or mean of
 * the kept images' curves, and its trapezoid AUC. Skipped images are listed, not
 * aggregated; throws if every image was skipped.
 *
 * @example
 * ```ts
 * const { auc, count, skipped } = aggregatePic(res.sic!, 'median');
 * ```
 */
export function aggregatePic(curves: readonly PicCurve[], method: 'median' | 'mean' = 'median', curveX?: Float64Array): AggregatePicResult {
  if (!Array.isArray(curves)) throw new ArgumentError(`aggregatePic: curves must be an array of pic curves, got ${describe(curves)}`);
  if (method !== 'median' && method !== 'mean') throw new ArgumentError(`aggregatePic: method must be 'median' or 'mean', got ${describe(method)}`);
  const kept = curves.filter((c): c is Extract<PicCurve, { ok: true }> => c.ok);
  const skipped = curves.filter((c): c is Extract<PicCurve, { ok: false }> => !c.ok).map(({ example, reason }) => ({ example, reason }));
  if (kept.length === 0) {
    throw new ArgumentError(`aggregatePic: no image to aggregate (${curves.length} given, all skipped${skipped[0] ? `; first reason: ${skipped[0].reason}` : ''})`);
  }
  const len = kept[0]!.curveY.length;
  for (const c of kept) if (c.curveY.length !== len) throw new ShapeError(`aggregatePic: curves have different lengths (${len} and ${c.curveY.length})`);
  const xs = curveX ?? Float64Array.from({ length: len }, (_, i) => (i === len - 1 ? 1 : i * (1 / (len - 1))));
  const y = new Float64Array(len);
  const col = new Float64Array(kept.length);
  for (let i = 0; i < len; i++) {
    for (let k = 0; k < kept.length; k++) col[k] = kept[k]!.curveY[i]!;
    if (method === 'mean') y[i] = col.reduce((a, b) => a + b, 0) / col.length;
    else {
      const s = col.slice().sort();
      const m = s.length >> 1;
      y[i] = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    }
  }
  return { curveX: xs, curveY: y, auc: trapz(y, xs), count: kept.length, skipped };
}
