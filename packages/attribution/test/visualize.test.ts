import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { ArgumentError, ShapeError, Tensor, zeros } from '@pathgrad/tensor';
import { attributionScale, colormapRGB, heatmapRGBA, normalizeAttribution, reduceChannels } from '../src/index.js';

const t = (values: number[], shape: number[]): Tensor => new Tensor(Float64Array.from(values), shape, 'float64');
const finiteArray = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 64 });

describe('normalizeAttribution', () => {
  it('divides by the stated percentile of |a| and clips', () => {
    // |a| sorted = 0..100 step 1 (101 values): the 50th percentile is 50.
    const values = Array.from({ length: 101 }, (_, i) => (i % 2 ? -i : i));
    const out = normalizeAttribution(values, { percentile: 50 }).toTypedArray();
    expect(out[10]).toBeCloseTo(10 / 50, 12);
    expect(out[11]).toBeCloseTo(-11 / 50, 12);
    expect(out[100]).toBe(1); // clipped
    expect(out[99]).toBe(-1);
  });

  it('maxabs mode maps the largest magnitude to ±1; none only clips', () => {
    expect([...normalizeAttribution([2, -4, 1], { mode: 'maxabs' }).toTypedArray()]).toEqual([0.5, -1, 0.25]);
    expect([...normalizeAttribution([0.5, -3, 2], { mode: 'none' }).toTypedArray()]).toEqual([0.5, -1, 1]);
  });

  it('a fixed scale makes maps comparable (the same value gives the same output)', () => {
    const a = normalizeAttribution([1, 2], { scale: 4 }).toTypedArray();
    const b = normalizeAttribution([1, 100], { scale: 4 }).toTypedArray();
    expect(a[0]).toBe(0.25);
    expect(b[0]).toBe(0.25);
    expect(attributionScale([3, -8, 1], { mode: 'maxabs' })).toBe(8);
  });

  it('sign selection: positive, negative, absolute', () => {
    const a = [2, -4, 1, 0];
    expect([...normalizeAttribution(a, { sign: 'positive', mode: 'maxabs' }).toTypedArray()]).toEqual([1, 0, 0.5, 0]);
    expect([...normalizeAttribution(a, { sign: 'negative', mode: 'maxabs' }).toTypedArray()]).toEqual([0, -1, 0, 0]);
    expect([...normalizeAttribution(a, { sign: 'absolute', mode: 'maxabs' }).toTypedArray()]).toEqual([0.5, 1, 0.25, 0]);
  });

  it('all-zero maps and maps with nothing of the selected sign give zeros, not NaN (Captum #959)', () => {
    for (const mode of ['percentile', 'maxabs'] as const) {
      expect([...normalizeAttribution(zeros([3, 3]), { mode }).toTypedArray()]).toEqual(new Array(9).fill(0));
      expect([...normalizeAttribution([-1, -2, -3], { sign: 'positive', mode }).toTypedArray()]).toEqual([0, 0, 0]);
    }
  });

  it('a sparse map whose percentile is 0 falls back to max |a|', () => {
    const values = new Array(1000).fill(0);
    values[7] = -3;
    const out = normalizeAttribution(values).toTypedArray();
    expect(out[7]).toBe(-1);
  });

  it('keeps the tensor shape and returns float64', () => {
    const out = normalizeAttribution(t([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(out.shape).toEqual([2, 3]);
    expect(out.dtype).toBe('float64');
  });

  it('property: output finite, in range, sign-consistent and order-preserving', () => {
    fc.assert(
      fc.property(finiteArray, fc.constantFrom('all', 'positive', 'negative', 'absolute' as const), fc.double({ min: 1, max: 100, noNaN: true }), (vals, sign, p) => {
        const out = normalizeAttribution(vals, { sign, percentile: p }).toTypedArray();
        for (let i = 0; i < vals.length; i++) {
          const o = out[i]!;
          expect(Number.isFinite(o)).toBe(true);
          expect(Math.abs(o)).toBeLessThanOrEqual(1);
          if (sign === 'positive' || sign === 'absolute') expect(o).toBeGreaterThanOrEqual(0);
          if (sign === 'negative') expect(o).toBeLessThanOrEqual(0);
          if (sign === 'all') expect(Math.sign(o) === 0 || Math.sign(o) === Math.sign(vals[i]!)).toBe(true);
        }
        if (sign === 'all') {
          for (let i = 0; i < vals.length; i++) for (let j = 0; j < vals.length; j++) if (vals[i]! < vals[j]!) expect(out[i]!).toBeLessThanOrEqual(out[j]!);
        }
      }),
    );
  });

  it('rejects NaN, infinities and bad options with named arguments', () => {
    expect(() => normalizeAttribution([1, NaN])).toThrow(/flat index 1/);
    expect(() => normalizeAttribution([1, Infinity])).toThrow(ArgumentError);
    expect(() => normalizeAttribution([1], { percentile: 0 })).toThrow(/percentile/);
    expect(() => normalizeAttribution([1], { percentile: 101 })).toThrow(/percentile/);
    expect(() => normalizeAttribution([1], { sign: 'both' as never })).toThrow(/sign/);
    expect(() => normalizeAttribution([1], { mode: 'max' as never })).toThrow(/mode/);
    expect(() => normalizeAttribution([1], { scale: -1 })).toThrow(/scale/);
    expect(() => normalizeAttribution('abc' as never)).toThrow(/attribution/);
  });
});

describe('reduceChannels', () => {
  it('sums over channels of [C, H, W] and [1, C, H, W]', () => {
    const m = t([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2]);
    expect([...reduceChannels(m).toTypedArray()]).toEqual([11, 22, 33, 44]);
    expect(reduceChannels(m.reshape([1, 2, 2, 2])).shape).toEqual([2, 2]);
    expect(reduceChannels(t([1, 2], [1, 2])).shape).toEqual([1, 2]);
  });

  it('rejects other ranks and batches', () => {
    expect(() => reduceChannels(t([1, 2, 3], [3]))).toThrow(ShapeError);
    expect(() => reduceChannels(zeros([2, 1, 2, 2]))).toThrow(/one example/);
  });
});

describe('heatmapRGBA', () => {
  it('diverging: positive red, negative blue, zero white, alpha 255', () => {
    const rgba = heatmapRGBA(t([1, -1, 0, 0.5], [2, 2]), { normalize: { mode: 'maxabs' } });
    expect(rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(rgba.length).toBe(16);
    expect([...rgba.slice(0, 4)]).toEqual([...colormapRGB('diverging', 1), 255]);
    expect([...rgba.slice(4, 8)]).toEqual([...colormapRGB('diverging', -1), 255]);
    expect([...rgba.slice(8, 12)]).toEqual([255, 255, 255, 255]);
    const red = rgba[0]!;
    const blue = rgba[6]!;
    expect(red).toBeGreaterThan(rgba[2]!);
    expect(blue).toBeGreaterThan(rgba[4]!);
  });

  it('all-zero map gives a white image (diverging) and black (magma/gray), no NaN-derived zeros in alpha', () => {
    const white = heatmapRGBA(zeros([4, 4]));
    expect([...white].every((b) => b === 255)).toBe(true);
    const gray = heatmapRGBA(zeros([4, 4]), { colormap: 'gray' });
    for (let i = 0; i < 16; i++) expect([...gray.slice(i * 4, i * 4 + 4)]).toEqual([0, 0, 0, 255]);
  });

  it('magma is monotone in brightness and gray is linear in |v|', () => {
    let prev = -1;
    for (let v = 0; v <= 1.0001; v += 0.05) {
      const [r, g, b] = colormapRGB('magma', v);
      const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(lum).toBeGreaterThan(prev);
      prev = lum;
    }
    expect(colormapRGB('gray', -0.5)).toEqual([128, 128, 128]);
  });

  it('overlay blends (1 − alpha) · image + alpha · colour', () => {
    const image = t([1, 0], [1, 2]);
    const rgba = heatmapRGBA(t([0, 0], [1, 2]), { overlay: image, alpha: 0.25 });
    // colour is white (255) for 0; image 1 -> 255, image 0 -> 0.
    expect(rgba[0]).toBe(255);
    expect(rgba[4]).toBe(Math.round(0.25 * 255));
    expect(() => heatmapRGBA(t([0, 0], [1, 2]), { overlay: t([1, 2, 3], [1, 3]) })).toThrow(/overlay/);
  });

  it('sums channels of a [C, H, W] map before colouring', () => {
    const m = t([1, -1, 0, 0], [2, 1, 2]); // channel sums: [1, -1]
    const direct = heatmapRGBA(t([1, -1], [1, 2]));
    expect([...heatmapRGBA(m)]).toEqual([...direct]);
  });

  it('property: any finite map gives valid bytes with opaque alpha', () => {
    fc.assert(
      fc.property(finiteArray, fc.constantFrom('diverging', 'magma', 'gray' as const), (vals, colormap) => {
        const rgba = heatmapRGBA(t(vals, [1, vals.length]), { colormap });
        expect(rgba.length).toBe(vals.length * 4);
        for (let i = 0; i < vals.length; i++) expect(rgba[i * 4 + 3]).toBe(255);
      }),
    );
  });

  it('rejects bad options', () => {
    expect(() => heatmapRGBA(zeros([2, 2]), { colormap: 'jet' as never })).toThrow(/colormap/);
    expect(() => heatmapRGBA(zeros([2, 2]), { alpha: 2 })).toThrow(/alpha/);
  });
});
