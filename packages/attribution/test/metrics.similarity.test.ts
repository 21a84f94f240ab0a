import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { PathgradError, tensor, zeros, ones } from '@pathgrad/tensor';
import {
  averageRanks,
  completenessStats,
  complexity,
  normalizeAbs,
  normalizeSigned,
  pearson,
  quantile,
  sparseness,
  spearman,
  ssim,
} from '../src/index.js';

describe('ranks and correlations', () => {
  it('averages tied ranks as scipy.stats.rankdata', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(Array.from(averageRanks([3, 3, 3]))).toEqual([2, 2, 2]);
  });

  it('Spearman matches hand-computed values (no ties: 1 - 6Σd²/(n(n²-1)))', () => {
    // ranks of b: [1, 2, 4, 3]; Σd² = 2 -> 1 - 12/60
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 25])).toBeCloseTo(0.8, 14);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 14);
  });

  it('Spearman with ties is the Pearson correlation of average ranks', () => {
    // ranks a = [1, 2.5, 2.5, 4], b = [1, 2, 3, 4]: 4.5 / sqrt(4.5 * 5)
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 14);
  });

  it('constant inputs give 0, not NaN', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(pearson([0, 0], [0, 0])).toBe(0);
  });

  it('Spearman is invariant under strictly increasing maps (property; integers so the maps stay strict in floating point)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 2, maxLength: 30 }), fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 30, maxLength: 30 }), (a, b) => {
        const bb = b.slice(0, a.length);
        const r1 = spearman(a, bb);
        const r2 = spearman(a.map((v) => Math.exp(v / 50)), bb.map((v) => v * 3 + 1));
        expect(Math.abs(r1 - r2)).toBeLessThan(1e-12);
        expect(Math.abs(r1)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('rejects mismatched, empty and non-finite maps', () => {
    expect(() => spearman([1, 2], [1])).toThrow(PathgradError);
    expect(() => spearman([], [])).toThrow(/empty/);
    expect(() => pearson([1, NaN], [1, 2])).toThrow(/NaN/);
  });
});

describe('quantile and normalisations', () => {
  it('quantile follows numpy linear interpolation', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0.99)).toBeCloseTo(3.97, 14); // pos 2.97 -> 3 + 0.97
    expect(quantile([7], 0.3)).toBe(7);
  });

  it('abs normalisation: (|m| - min)/(p99 - min) clipped; constant maps give zeros', () => {
    const out = normalizeAbs([0, 1, 2, 100]);
    const p99 = 2 + 0.97 * 98;
    expect(out[1]).toBeCloseTo(1 / p99, 14);
    expect(out[3]).toBe(1);
    expect(Array.from(normalizeAbs([3, 3, 3]))).toEqual([0, 0, 0]);
    expect(Array.from(normalizeAbs([0, 0]))).toEqual([0, 0]);
  });

  it('signed normalisation: (m + span)/(2 span), 0.5 for a zero map', () => {
    const out = normalizeSigned([-1, 0, 1, 2], 100);
    expect(Array.from(out)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(Array.from(normalizeSigned([0, 0, 0]))).toEqual([0.5, 0.5, 0.5]);
  });
});

describe('ssim', () => {
  const rand = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => ((Math.sin(i * 12.9898 + seed) * 43758.5453) % 1 + 1) % 1);

  it('is 1 for identical maps', () => {
    const a = rand(16 * 16, 1);
    expect(ssim(a, a, { height: 16, width: 16 })).toBeCloseTo(1, 12);
    expect(ssim(a, a, { height: 16, width: 16, window: 7 })).toBeCloseTo(1, 12);
  });

  it('matches the closed form on constant maps: (2ab + C1)/(a² + b² + C1)', () => {
    const a = new Array(144).fill(0.5);
    const b = new Array(144).fill(0.25);
    const c1 = 0.01 ** 2; // L = 1
    expect(ssim(a, b, { height: 12, width: 12, dataRange: 1 })).toBeCloseTo((2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1), 12);
    // the default data range of a constant reference (0) falls back to 1
    expect(ssim(a, b, { height: 12, width: 12 })).toBeCloseTo((2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1), 12);
  });

  it('is symmetric, at most 1, and lower for unrelated maps', () => {
    const a = rand(20 * 20, 2);
    const b = rand(20 * 20, 3);
    const s = ssim(a, b, { height: 20, width: 20, dataRange: 1 });
    expect(s).toBeCloseTo(ssim(b, a, { height: 20, width: 20, dataRange: 1 }), 12);
    expect(s).toBeLessThan(0.3);
  });

  it('rejects maps smaller than the window and wrong sizes', () => {
    expect(() => ssim([1, 2, 3, 4], [1, 2, 3, 4], { height: 2, width: 2 })).toThrow(/at least 11x11/);
    expect(() => ssim(new Array(121).fill(0), new Array(121).fill(0), { height: 10, width: 12 })).toThrow(PathgradError);
  });
});

describe('complexity, sparseness, completeness', () => {
  it('entropy of |A|/Σ|A| (hand-computed) and ln d for zero and constant maps', () => {
    const c = complexity(tensor([[1, -1, 2], [0, 0, 0], [5, 5, 5], [0, 0, 3]]));
    expect(c[0]).toBeCloseTo(1.5 * Math.log(2), 14);
    expect(c[1]).toBeCloseTo(Math.log(3), 14);
    expect(c[2]).toBeCloseTo(Math.log(3), 14);
    expect(c[3]).toBe(0);
  });

  it('Gini sparseness: one-hot over d is (d-1)/d, zero and constant maps 0', () => {
    const s = sparseness(tensor([[0, 0, 0, -2], [0, 0, 0, 0], [1, 1, 1, 1]]));
    // sorted a = [1e-7, 1e-7, 1e-7, 1 + 1e-7], weights -3, -1, 1, 3
    expect(s[0]).toBeCloseTo(3 / (4 * (1 + 4e-7)), 12);
    expect(s[1]).toBeCloseTo(0, 12);
    expect(s[2]).toBeCloseTo(0, 12);
    for (const v of s) expect(Number.isFinite(v)).toBe(true);
  });

  it('completeness: delta = ΣA - (F(x) - F(x\')) and relative error', () => {
    const st = completenessStats({ attributions: tensor([[1, 2], [0.5, 0.5], [0, 0]]), inputScores: [4, 2, 1], baselineScores: [0, 1, 1] });
    expect(Array.from(st.delta)).toEqual([-1, 0, 0]);
    expect(Array.from(st.relative)).toEqual([0.25, 0, 0]); // the third has F(x) = F(x'): divided by 1
    expect(st.meanAbsDelta).toBeCloseTo(1 / 3, 14);
    expect(st.maxRelative).toBe(0.25);
  });

  it('bad inputs throw PathgradErrors', () => {
    expect(() => complexity(zeros([0, 3]))).toThrow(/empty/);
    expect(() => sparseness(ones([2, 0]))).toThrow(PathgradError);
    expect(() => completenessStats({ attributions: ones([2, 2]), inputScores: [1, 2], baselineScores: [1] })).toThrow(PathgradError);
  });
});
