/**
 * Picture helpers: each mode computes what Captum's visualize_image_attr defines for it, on
 * hand-made maps whose expected pixels are worked out here.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { Tensor } from '@pathgrad/tensor';
import { attributionPicture, colorBar, colorBarLabels, colormapRGB, encodePNG, pictureGrid, upscalePicture } from '../src/index.js';

const map = (values: number[], h: number, w: number): Tensor => new Tensor(Float64Array.from(values), [h, w], 'float64');
const pixel = (rgba: Uint8ClampedArray, i: number): number[] => Array.from(rgba.subarray(i * 4, i * 4 + 4));

describe('attributionPicture', () => {
  // scale fixed at 2: +2 is full red, -2 full blue, 0 white, +1 halfway
  const m = map([2, -2, 0, 1], 2, 2);

  it("heatMap: the diverging colour of value / scale", () => {
    const p = attributionPicture(m, undefined, { scale: 2 });
    expect([p.width, p.height, p.kind, p.sign, p.colormap, p.scale]).toEqual([2, 2, 'attribution', 'all', 'diverging', 2]);
    expect(pixel(p.rgba, 0)).toEqual([...colormapRGB('diverging', 1), 255]);
    expect(pixel(p.rgba, 1)).toEqual([...colormapRGB('diverging', -1), 255]);
    expect(pixel(p.rgba, 2)).toEqual([255, 255, 255, 255]);
    expect(pixel(p.rgba, 3)).toEqual([...colormapRGB('diverging', 0.5), 255]);
  });

  it('blendedHeatMap: (1 - alpha) * gray + alpha * colour', () => {
    const image = map([0.5, 0.5, 0.5, 0.5], 2, 2);
    const p = attributionPicture(m, image, { scale: 2, alpha: 0.25 });
    const red = colormapRGB('diverging', 1);
    expect(pixel(p.rgba, 0).slice(0, 3)).toEqual(red.map((c) => Math.round(0.75 * 127.5 + 0.25 * c)));
    expect(pixel(p.rgba, 2).slice(0, 3)).toEqual([1, 1, 1].map(() => Math.round(0.75 * 127.5 + 0.25 * 255)));
  });

  it('maskedImage: the image times the normalised |map|; alphaScaling: |map| as opacity', () => {
    const image = map([1, 1, 1, 1], 2, 2);
    const masked = attributionPicture(m, image, { mode: 'maskedImage', sign: 'absolute', scale: 2 });
    expect([pixel(masked.rgba, 0), pixel(masked.rgba, 1), pixel(masked.rgba, 2), pixel(masked.rgba, 3)]).toEqual([
      [255, 255, 255, 255],
      [255, 255, 255, 255],
      [0, 0, 0, 255],
      [128, 128, 128, 255], // 255 * 0.5 rounds to 128
    ]);
    expect(masked.colormap).toBeUndefined();
    const positive = attributionPicture(m, image, { mode: 'alphaScaling', sign: 'positive', scale: 2 });
    expect([0, 1, 2, 3].map((i) => pixel(positive.rgba, i)[3])).toEqual([255, 0, 0, 128]);
    expect(() => attributionPicture(m, image, { mode: 'maskedImage' })).toThrow(/needs sign/);
    expect(() => attributionPicture(m, undefined, { mode: 'alphaScaling', sign: 'absolute' })).toThrow(/pass the image/);
  });

  it('draws ranks on a sequential map and labels them as ranks, not attributions', () => {
    const p = attributionPicture(map([0, 1, 2, 3], 2, 2), undefined, { kind: 'rank', percentile: 100 });
    expect([p.sign, p.colormap]).toEqual(['absolute', 'magma']);
    expect(pixel(p.rgba, 3)).toEqual([...colormapRGB('magma', 1), 255]);
    expect(pixel(p.rgba, 0)).toEqual([...colormapRGB('magma', 0), 255]);
    expect(colorBarLabels(p)).toEqual({ low: 0, high: 3, unit: expect.stringMatching(/rank.*not an attribution/) });
  });

  it('sums channels, refuses unknown options and mismatched images', () => {
    const chw = new Tensor(Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0]), [2, 2, 2], 'float64');
    expect(pixel(attributionPicture(chw, undefined, { scale: 2 }).rgba, 0)).toEqual([...colormapRGB('diverging', 1), 255]);
    expect(() => attributionPicture(m, undefined, { scal: 2 } as never)).toThrow(/scal.*did you mean 'scale'/);
    expect(() => attributionPicture(m, map([1, 2, 3], 1, 3))).toThrow(/image must be \[2, 2\]/);
  });
});

describe('upscalePicture, colorBar, pictureGrid, encodePNG', () => {
  const p = attributionPicture(map([2, -2, 0, 1], 2, 2), undefined, { scale: 2 });

  it('upscales by whole blocks', () => {
    const big = upscalePicture(p, 3);
    expect([big.width, big.height]).toEqual([6, 6]);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 6; x++) expect(pixel(big.rgba, y * 6 + x)).toEqual(pixel(p.rgba, Math.floor(y / 3) * 2 + Math.floor(x / 3)));
    }
  });

  it('a signed colour bar runs from blue at the bottom to red at the top, white in the middle', () => {
    const bar = colorBar(p, { length: 101, thickness: 3 });
    expect([bar.width, bar.height]).toEqual([3, 101]);
    expect(pixel(bar.rgba, 0)).toEqual([...colormapRGB('diverging', 1), 255]);
    expect(pixel(bar.rgba, 100 * 3)).toEqual([...colormapRGB('diverging', -1), 255]);
    expect(pixel(bar.rgba, 50 * 3)).toEqual([255, 255, 255, 255]);
    expect(colorBarLabels(p)).toEqual({ low: -2, high: 2, unit: 'attribution' });
    expect(() => colorBar({ sign: 'absolute' })).toThrow(/no colour map/);
  });

  it('places pictures in a grid with gaps', () => {
    const g = pictureGrid([p, p, p], { columns: 2, gap: 1, background: [0, 0, 0] });
    expect([g.width, g.height]).toEqual([5, 5]);
    expect(pixel(g.rgba, 3)).toEqual(pixel(p.rgba, 0)); // second picture starts at x = 3
    expect(pixel(g.rgba, 2)).toEqual([0, 0, 0, 255]); // the gap
    expect(pixel(g.rgba, 3 * 5 + 1)).toEqual(pixel(p.rgba, 1)); // third picture, second row
    expect(() => pictureGrid([])).toThrow(/non-empty/);
    // a narrow colour bar gets a narrow column
    const bar = colorBar(p, { length: 2, thickness: 2 });
    const row = pictureGrid([p, bar, p], { gap: 1 });
    expect([row.width, row.height]).toEqual([2 + 1 + 2 + 1 + 2, 2]);
    expect(pixel(row.rgba, 6)).toEqual(pixel(p.rgba, 0));
  });

  it('encodes PNG that decodes to the same pixels', () => {
    const png = encodePNG(upscalePicture(p, 2));
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const d = decode(png);
    expect([d.width, d.height, d.channels]).toEqual([4, 4, 4]);
    expect(Array.from(d.data as Uint8Array)).toEqual(Array.from(upscalePicture(p, 2).rgba));
  });
});
