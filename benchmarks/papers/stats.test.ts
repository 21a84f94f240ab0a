/**
 * The reproductions' statistics against scipy 1.x (scipy.stats.ttest_rel, wilcoxon, t.ppf),
 * values computed once with Debian's python3-scipy and written here.
 */
import { describe, expect, it } from 'vitest';
import { claimHolds, claimsTable, fmtCI, holm, meanCI, pairedCompare } from './stats.js';

describe('benchmarks/papers/stats', () => {
  it('meanCI: t-interval half widths match scipy (95 % and 99 %, n = 6)', () => {
    const x = [2.1, 2.5, 1.9, 2.8, 2.2, 2.4];
    const c = meanCI(x);
    expect(c.mean).toBeCloseTo(2.316666666666667, 14);
    expect(Math.abs(c.half - 0.33461476581116767)).toBeLessThan(1e-12);
    expect(Math.abs(meanCI(x, 0.99).half - 0.5248673905086919)).toBeLessThan(1e-12);
    expect(meanCI([0.91, 0.93, 0.95, 0.92, 0.94]).half).toBeCloseTo(0.01963243161477552, 12);
    expect(fmtCI(meanCI([1, 2, 3]))).toBe('2.000 ± 2.484');
    expect(meanCI([5]).half).toBe(0);
  });

  it('pairedCompare: paired t, Wilcoxon (exact, no ties) and Cohen d_z match scipy', () => {
    const a = [0.3, 0.1, 0.4, 0.15, 0.9, 0.26, 0.53];
    const b = [0.2, 0.33, 0.1, 0.06, 0.68, 0.21, 0.5];
    const c = pairedCompare(a, b);
    expect(Math.abs(c.t - 1.2649110640673515)).toBeLessThan(1e-9);
    expect(Math.abs(c.pT - 0.2528101133010721)).toBeLessThan(1e-9);
    expect(Math.abs(c.pWilcoxon - 0.21875)).toBeLessThan(1e-9);
    expect(Math.abs(c.cohenD - 0.47809144373375745)).toBeLessThan(1e-9);
    const s = pairedCompare([1, 2, 3, 4, 5.5], [0.5, 1.9, 2.2, 3.1, 5]);
    expect(Math.abs(s.pT - 0.016130089900092532)).toBeLessThan(1e-9);
    expect(s.t).toBeCloseTo(4, 12);
  });

  it('degenerate differences: all zero gives p = 1, constant nonzero gives p = 0 and infinite d', () => {
    const z = pairedCompare([1, 2, 3], [1, 2, 3]);
    expect(z.pT).toBe(1);
    expect(z.cohenD).toBe(0);
    expect(Number.isNaN(z.pWilcoxon)).toBe(true);
    const k = pairedCompare([2, 3, 4], [1, 2, 3]);
    expect(k.pT).toBe(0);
    expect(k.cohenD).toBe(Infinity);
  });

  it('claims: hold only with the claimed sign and p < 0.05', () => {
    const a = [1, 2, 3, 4, 5.5];
    const b = [0.5, 1.9, 2.2, 3.1, 5];
    expect(claimHolds({ text: 'A higher', a, b, better: 'higher' })).toBe(true);
    expect(claimHolds({ text: 'A lower', a, b, better: 'lower' })).toBe(false);
    expect(claimHolds({ text: 'not significant', a: [0.3, 0.1, 0.4, 0.15, 0.9, 0.26, 0.53], b: [0.2, 0.33, 0.1, 0.06, 0.68, 0.21, 0.5], better: 'higher' })).toBe(false);
    const t = claimsTable([{ text: 'A beats B', a, b, better: 'higher' }]);
    expect(t).toContain('**holds**');
    expect(t).toContain('0.0161');
  });

  it('holm: Holm–Bonferroni adjusted p-values (hand computation), monotone and capped at 1', () => {
    // sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.06, 0.04·1) = 0.06
    const a = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(a[i]!).toBeCloseTo(v, 15));
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
    expect(holm([0.2])).toEqual([0.2]);
    const t = claimsTable([
      { text: 'significant alone', a: [1, 2, 3, 4, 5.5], b: [0.5, 1.9, 2.2, 3.1, 5], better: 'higher' },
      { text: 'not significant', a: [0.3, 0.1, 0.4, 0.15, 0.9], b: [0.2, 0.33, 0.1, 0.06, 0.68], better: 'higher' },
    ]);
    // p = 0.0161 stays below 0.05 after doubling (0.0323): holds both ways
    expect(t.split('\n')[2]).toMatch(/\*\*holds\*\* \| \*\*holds\*\* \|$/);
  });

  it('rejects unequal lengths, too few pairs and non-finite values', () => {
    expect(() => pairedCompare([1, 2], [1])).toThrow(/equal lengths/);
    expect(() => pairedCompare([1], [1])).toThrow(/at least 2/);
    expect(() => meanCI([1, NaN])).toThrow(/values\[1\] is NaN/);
    expect(() => meanCI([])).toThrow(/empty/);
  });
});
