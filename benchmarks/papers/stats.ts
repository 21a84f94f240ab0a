/**
 * Statistics of the multi-seed reproductions: mean ± 95 % confidence interval (Student t),
 * paired comparisons (paired t-test, Wilcoxon signed-rank, Cohen's d for paired samples)
 * and the Markdown that states each "A beats B" claim as holding or not at p < 0.05.
 * The tests and quantiles come from @stdlib (maintained, checked against scipy in
 * stats.test.ts); this module only handles the degenerate cases and the wording.
 */
import ttest from '@stdlib/stats-ttest';
import wilcoxon from '@stdlib/stats-wilcoxon';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Significance level of every claim in the reports. */
export const ALPHA = 0.05;

/** Mean with a two-sided confidence interval from the t distribution with n − 1 degrees of freedom. */
export interface MeanCI {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator). */
  sd: number;
  /** Half width of the interval: t_{1−α/2, n−1} · sd / √n (0 for n = 1). */
  half: number;
  lo: number;
  hi: number;
}

function checkValues(v: ArrayLike<number>, what: string): number[] {
  const a = Array.from(v);
  if (a.length === 0) throw new Error(`stats: ${what} is empty`);
  const bad = a.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`stats: ${what}[${bad}] is ${a[bad]}, expected a finite number`);
  return a;
}

function meanSd(a: number[]): { mean: number; sd: number } {
  const m = a.reduce((s, x) => s + x, 0) / a.length;
  const ss = a.reduce((s, x) => s + (x - m) ** 2, 0);
  return { mean: m, sd: a.length > 1 ? Math.sqrt(ss / (a.length - 1)) : 0 };
}

/**
 * Mean ± confidence interval (default 95 %) of per-seed values.
 *
 * @example
 * ```ts
 * meanCI([0.91, 0.93, 0.95, 0.92, 0.94]); // { mean: 0.93, half: 0.0196…, … }
 * ```
 */
export function meanCI(values: ArrayLike<number>, level = 0.95): MeanCI {
  const a = checkValues(values, 'values');
  const { mean, sd } = meanSd(a);
  const half = a.length > 1 ? tQuantile(1 - (1 - level) / 2, a.length - 1) * (sd / Math.sqrt(a.length)) : 0;
  return { n: a.length, mean, sd, half, lo: mean - half, hi: mean + half };
}

/** A paired comparison of A against B over the same seeds (or images). */
export interface PairedComparison {
  n: number;
  /** Mean of a − b, with its 95 % interval. */
  diff: MeanCI;
  /** Paired t statistic (±Infinity when every difference is the same nonzero value). */
  t: number;
  /** Two-sided p of the paired t-test (the test the claims use). */
  pT: number;
  /** Two-sided p of the Wilcoxon signed-rank test (NaN when every difference is 0). */
  pWilcoxon: number;
  /** Cohen's d for paired samples: mean(a − b) / sd(a − b) (d_z); ±Infinity for constant nonzero differences. */
  cohenD: number;
}

/**
 * Paired t-test, Wilcoxon signed-rank test and Cohen's d_z of a against b (same length, paired by index).
 *
 * @example
 * ```ts
 * const c = pairedCompare([0.95, 0.96, 0.94, 0.97, 0.95], [0.92, 0.93, 0.93, 0.95, 0.91]);
 * c.pT < 0.05; // true: A's mean is higher and the difference is significant
 * ```
 */
export function pairedCompare(a: ArrayLike<number>, b: ArrayLike<number>): PairedComparison {
  const x = checkValues(a, 'a');
  const y = checkValues(b, 'b');
  if (x.length !== y.length) throw new Error(`stats: paired samples need equal lengths, got ${x.length} and ${y.length}`);
  if (x.length < 2) throw new Error(`stats: a paired test needs at least 2 pairs, got ${x.length}`);
  const d = x.map((v, i) => v - y[i]!);
  const diff = meanCI(d);
  const allZero = d.every((v) => v === 0);
  let t: number;
  let pT: number;
  if (diff.sd === 0) {
    // the t statistic is undefined (0/0) or infinite: no evidence, or a difference without spread
    t = allZero ? 0 : Math.sign(diff.mean) * Infinity;
    pT = allZero ? 1 : 0;
  } else {
    const r = ttest(x, y);
    t = r.statistic;
    pT = r.pValue;
  }
  const pWilcoxon = allZero ? NaN : wilcoxon(x, y).pValue;
  const cohenD = diff.sd === 0 ? (allZero ? 0 : Math.sign(diff.mean) * Infinity) : diff.mean / diff.sd;
  return { n: x.length, diff, t, pT, pWilcoxon, cohenD };
}

/** Formats a p-value for a table. */
export function fmtP(p: number): string {
  if (Number.isNaN(p)) return 'n/a';
  if (p < 1e-4) return p.toExponential(1);
  return p.toFixed(4);
}

/**
 * "mean ± half" with a fixed number of digits.
 *
 * @example
 * ```ts
 * fmtCI(meanCI([1, 2, 3])); // '2.000 ± 2.484'
 * ```
 */
export function fmtCI(c: MeanCI, digits = 3): string {
  return `${c.mean.toFixed(digits)} ± ${c.half.toFixed(digits)}`;
}

/** One claim "A is better than B on metric M", tested over paired seeds. */
export interface Claim {
  /** What is claimed, in words ("GGIG has a lower deletion AUC than IG"). */
  text: string;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  /** `'higher'` when larger values of the metric are better, `'lower'` otherwise. */
  better: 'higher' | 'lower';
}

/** Whether a claim holds: the difference has the claimed sign and the paired t-test gives p < α. */
export function claimHolds(c: Claim, cmp = pairedCompare(c.a, c.b)): boolean {
  const right = c.better === 'higher' ? cmp.diff.mean > 0 : cmp.diff.mean < 0;
  return right && cmp.pT < ALPHA;
}

/**
 * Holm–Bonferroni adjusted p-values (same order as given): sorted ascending, the i-th smallest
 * (0-based) is multiplied by m − i, then made monotone and capped at 1.
 *
 * @example
 * ```ts
 * holm([0.01, 0.04, 0.03, 0.005]); // [0.03, 0.06, 0.06, 0.02]
 * ```
 */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]! || a - b);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, i) => {
    running = Math.max(running, Math.min(1, (m - i) * p[idx]!));
    out[idx] = running;
  });
  return out;
}

/**
 * A Markdown table of claims: mean difference with its 95 % CI, paired t-test p, its
 * Holm-adjusted value over the table's claims, Wilcoxon p, Cohen's d_z and the verdict at
 * p < 0.05 (unadjusted, and after Holm's correction).
 *
 * @example
 * ```ts
 * claimsTable([{ text: 'A beats B', a: [2, 3, 4, 5, 6], b: [1, 2, 2, 4, 4], better: 'higher' }]);
 * ```
 */
export function claimsTable(claims: readonly Claim[], digits = 4): string {
  const cmps = claims.map((c) => pairedCompare(c.a, c.b));
  const adjusted = holm(cmps.map((c) => c.pT));
  const rows = claims.map((c, i) => {
    const cmp = cmps[i]!;
    const verdict = claimHolds(c, cmp) ? '**holds**' : 'does not hold';
    const holmVerdict = claimHolds(c, { ...cmp, pT: adjusted[i]! }) ? '**holds**' : 'does not hold';
    const d = Number.isFinite(cmp.cohenD) ? cmp.cohenD.toFixed(2) : String(cmp.cohenD);
    return `| ${c.text} | ${cmp.n} | ${cmp.diff.mean.toFixed(digits)} [${cmp.diff.lo.toFixed(digits)}, ${cmp.diff.hi.toFixed(digits)}] | ${Number.isFinite(cmp.t) ? cmp.t.toFixed(2) : String(cmp.t)} | ${fmtP(cmp.pT)} | ${fmtP(adjusted[i]!)} | ${fmtP(cmp.pWilcoxon)} | ${d} | ${verdict} | ${holmVerdict} |`;
  });
  return [
    '| claim (A vs B) | pairs | mean A − B [95 % CI] | t | p (paired t) | p (Holm) | p (Wilcoxon) | Cohen\'s d_z | at p < 0.05 | after Holm |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The sentence every report puts under its claims table. */
export const CLAIMS_NOTE =
  'A claim holds when A − B has the claimed sign and the two-sided paired t-test over the seeds gives p < 0.05. The Wilcoxon signed-rank p is shown beside it as a check that does not assume normal differences; with n pairs its smallest exact two-sided value is 2/2^n (0.0625 for 5 pairs), so with 5 seeds it cannot reach 0.05 and is not used for the verdict. Cohen\'s d_z = mean(A − B) / sd(A − B). A constant nonzero difference has t = ±Infinity and p = 0. The claims of a table are tested together, so "after Holm" repeats the verdict with Holm–Bonferroni adjusted p-values (family = the table\'s claims); the verdict "at p < 0.05" is per claim, unadjusted.';
