import { describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, Tensor, concat, log, mean, reshape, rng, sub, tensor, zerosLike, mul, sum } from '@pathgrad/tensor';
import { mnist } from '@pathgrad/nn/node';
import { aggregatePic, createBlurredImage, generateRandomMask, pic, webpLosslessSize } from '../src/index.js';

describe('pic building blocks', () => {
  it('random mask: floor(H·W·fraction) distinct pixels, seeded', () => {
    const m = generateRandomMask(28, 28, 0.01, rng(0));
    expect(m.reduce((a, b) => a + b, 0)).toBe(7);
    expect(Array.from(generateRandomMask(28, 28, 0.01, rng(0)))).toEqual(Array.from(m));
    expect(generateRandomMask(10, 10, 0.5, rng(1)).reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('interpolates unrevealed pixels linearly from the corners, rounding half to even', () => {
    // v = 2.5c + 60r at the corners: any triangulation reproduces the affine function
    const img = Uint8Array.from([0, 99, 5, 99, 99, 99, 120, 99, 125]);
    const out = createBlurredImage(img, 3, 3, 1, new Uint8Array(9));
    // (0,1) 2.5 -> 2, (1,0) 60, (1,1) 62.5 -> 62, (1,2) 65, (2,1) 122.5 -> 122
    expect(Array.from(out)).toEqual([0, 2, 5, 60, 62, 65, 120, 122, 125]);
  });

  it('keeps revealed pixels and interpolates every channel', () => {
    const H = 4;
    const W = 5;
    const img = new Uint8Array(H * W * 3);
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let ch = 0; ch < 3; ch++) img[(r * W + c) * 3 + ch] = 10 * r + 5 * c + 50 * ch;
    const mask = new Uint8Array(H * W);
    mask[7] = 1;
    const out = createBlurredImage(img, H, W, 3, mask);
    // an affine image is reproduced exactly by linear interpolation
    expect(Array.from(out)).toEqual(Array.from(img));
    const all = createBlurredImage(img, H, W, 3, new Uint8Array(H * W).fill(1));
    expect(Array.from(all)).toEqual(Array.from(img));
  });

  it('lossless WebP sizes: a flat image is smaller than noise, and sizes are deterministic', async () => {
    const flat = new Uint8Array(28 * 28).fill(17);
    const g = rng(2);
    const noise = Uint8Array.from({ length: 28 * 28 }, () => Math.floor(g.uniform() * 256));
    const a = await webpLosslessSize(flat, 28, 28, 1);
    const b = await webpLosslessSize(noise, 28, 28, 1);
    expect(a).toBeGreaterThan(20); // a RIFF header alone is 20 bytes
    expect(b).toBeGreaterThan(a * 5);
    expect(await webpLosslessSize(noise, 28, 28, 1)).toBe(b);
    await expect(webpLosslessSize(flat, 28, 27, 1)).rejects.toThrow(ArgumentError);
  });
});

/** Model whose class-0 softmax score is the mean pixel value m: logits [log m − log(1 − m), 0]. */
function meanModel(x: Tensor): Tensor {
  const n = x.shape[0]!;
  const m = reshape(mean(reshape(x, [n, x.size / n]), { axis: 1 }), [n, 1]);
  const logit = sub(log(m), log(sub(1, m)));
  return concat([logit, zerosLike(logit)], 1);
}

describe('pic', () => {
  // 16x16, background 50 with a bright block: revealing pixels moves the mean monotonically with the information
  const H = 16;
  const img = new Float64Array(H * H).fill(50 / 255);
  for (let r = 4; r < 12; r++) for (let c = 5; c < 11; c++) img[r * H + c] = 250 / 255;
  const inputs = new Tensor(img, [1, 1, H, H], 'float64');
  const g = rng(7);
  const sal = new Tensor(Float64Array.from({ length: H * H }, () => g.uniform()), [1, H, H], 'float64');
  const noRandom = new Tensor(new Float64Array(H * H), [H, H], 'float64');

  it('information and score both affine in the mean pixel: SIC is the diagonal, AUC = 1/2', async () => {
    const res = await pic(meanModel, inputs, sal, {
      target: 0,
      minPredValue: 0,
      keepMonotonous: false,
      randomMasks: noRandom,
      information: (px) => 1000 + px.reduce((a, b) => a + b, 0),
      curves: ['sic'],
    });
    const c = res.sic![0]!;
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.auc).toBeCloseTo(0.5, 12);
    c.curveY.forEach((y, i) => expect(y).toBeCloseTo(res.curveX[i]!, 12));
    expect(res.curveX.length).toBe(1001);
    expect(res.curveX[1]).toBeCloseTo(0.001, 15);
    expect(res.curveX[1000]).toBe(1);
    expect(res.aic).toBeUndefined();
  });

  it('with WebP information on MNIST digits: curves are monotone in [0, 1] and end at 1, or skipped with pic.py\'s reasons', async () => {
    const { images } = mnist({ split: 'test', limit: 6 });
    const maps = new Tensor(Float64Array.from(images.toTypedArray()), [6, 28, 28], 'float64'); // "the ink is salient"
    const res = await pic(meanModel, images, maps, { target: 0, minPredValue: 0, seed: 3 });
    expect(res.information.every((h) => h.every((v) => Number.isInteger(v) && v > 20))).toBe(true);
    let kept = 0;
    for (const c of [...res.sic!, ...res.aic!]) {
      if (!c.ok) {
        expect(c.reason).toMatch(/below minPredValue|information of the fully blurred|prediction on the fully blurred/);
        continue;
      }
      kept++;
      for (let i = 1; i < c.curveY.length; i++) expect(c.curveY[i]!).toBeGreaterThanOrEqual(c.curveY[i - 1]! - 1e-12);
      expect(c.curveY[c.curveY.length - 1]).toBe(1);
      for (const y of c.curveY) expect(y >= 0 && y <= 1).toBe(true);
      expect(c.auc).toBeGreaterThanOrEqual(0);
      expect(c.auc).toBeLessThanOrEqual(1);
    }
    expect(kept).toBeGreaterThan(0);
  });

  it('skips images as pic.py does and aggregates the rest (median and mean)', async () => {
    const two = new Tensor(Float64Array.from([...img, ...new Float64Array(H * H).fill(0.5)]), [2, 1, H, H], 'float64');
    const sal2 = new Tensor(Float64Array.from({ length: 2 * H * H }, (_, i) => (i * 31) % 17), [2, H, H], 'float64');
    const res = await pic(meanModel, two, sal2, { target: 0, minPredValue: 0, randomMasks: noRandom, information: (px) => 1000 + px.reduce((a, b) => a + b, 0) });
    const [a, b] = res.sic!;
    expect(a!.ok).toBe(true);
    expect(b!.ok).toBe(false); // a flat image: the blurred one has the same information
    if (!b!.ok) expect(b!.reason).toMatch(/information of the fully blurred image/);
    const agg = aggregatePic(res.sic!, 'median', res.curveX);
    expect(agg.count).toBe(1);
    expect(agg.skipped.map((s) => s.example)).toEqual([1]);
    if (a!.ok) expect(agg.auc).toBeCloseTo(a!.auc, 12);
    const low = await pic(meanModel, inputs, sal, { target: 0, randomMasks: noRandom, minPredValue: 0.99, curves: ['sic'] });
    expect(low.sic![0]!.ok).toBe(false);
    expect(() => aggregatePic(low.sic!)).toThrow(/no image to aggregate/);
    expect(aggregatePic(res.sic!, 'mean', res.curveX).auc).toBeCloseTo(agg.auc, 12);
  });

  it('batched over images equals one image at a time', async () => {
    const g2 = rng(11);
    const imgs = new Tensor(Float64Array.from({ length: 3 * H * H }, () => Math.round(g2.uniform() * 255) / 255), [3, 1, H, H], 'float64');
    const maps = new Tensor(Float64Array.from({ length: 3 * H * H }, () => g2.normal()), [3, 1, H, H], 'float64');
    const opts = { minPredValue: 0, information: (px: Uint8Array) => 1000 + px.reduce((a, b) => a + (b > 128 ? 1 : 0), 0), batchSize: 5 };
    const all = await pic(meanModel, imgs, maps, { ...opts, randomMasks: new Tensor(new Float64Array(H * H), [H, H], 'float64') });
    for (let e = 0; e < 3; e++) {
      const one = await pic(meanModel, imgs.slice([[e, e + 1]]), maps.slice([[e, e + 1]]), { ...opts, randomMasks: new Tensor(new Float64Array(H * H), [H, H], 'float64') });
      expect(Array.from(one.scores[0]!)).toEqual(Array.from(all.scores[e]!));
      const [p, q] = [one.sic![0]!, all.sic![e]!];
      expect(p.ok).toBe(q.ok);
      if (p.ok && q.ok) expect(p.auc).toBe(q.auc);
    }
  });

  it('bad inputs throw', async () => {
    await expect(pic(meanModel, inputs, tensor([[1, 2]]))).rejects.toThrow(ShapeError);
    await expect(pic(meanModel, new Tensor(Float64Array.from(img, (v) => v * 2), [1, 1, H, H], 'float64'), sal)).rejects.toThrow(/lie in \[0, 1\]/);
    await expect(pic(meanModel, inputs, sal, { thresholds: [0.5, 0.1] })).rejects.toThrow(/ascending/);
    await expect(pic(meanModel, new Tensor(new Float64Array(0), [0, 1, H, H], 'float64'), sal)).rejects.toThrow(/empty batch/);
  });
});
