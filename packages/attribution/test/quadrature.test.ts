/**
 * Every quadrature rule for every n from its minimum to 200, checked against mathematics, not
 * against itself: weight sums, node ranges, polynomial exactness, and the leading term of each
 * rule's error on f = exp (Euler–Maclaurin for the equally spaced rules, the Gauss–Legendre
 * remainder formula for Gauss–Legendre).
 */
import { describe, expect, it } from 'vitest';
import { QUADRATURE_METHODS, gaussLegendreNodes, quadrature, type QuadratureMethod } from '../src/index.js';
import { gaussLegendreRecurrence } from '../src/quadrature.js';

const EPS = Number.EPSILON;
const minSteps = (m: QuadratureMethod) => (m === 'gaussLegendre' ? 1 : 2);
const integrate = (m: QuadratureMethod, n: number, f: (a: number) => number) => {
  const { alphas, weights } = quadrature(m, n);
  let s = 0;
  for (let k = 0; k < n; k++) s += weights[k]! * f(alphas[k]!);
  return s;
};
/**
 * Collects the failures of many scalar checks and asserts once (one expect per element over
 * 200 × 7 rules costs seconds); a failure lists the first cases that failed.
 */
function checker() {
  const bad: string[] = [];
  return {
    le: (value: number, limit: number, label: string) => {
      if (!(value <= limit) && bad.length < 20) bad.push(`${label}: ${value} > ${limit}`);
    },
    ok: (cond: boolean, label: string) => {
      if (!cond && bad.length < 20) bad.push(label);
    },
    done: () => expect(bad).toEqual([]),
  };
}

const each = (fn: (m: QuadratureMethod, n: number) => void) => {
  for (const m of QUADRATURE_METHODS) for (let n = minSteps(m); n <= 200; n++) fn(m, n);
};

describe('quadrature: structure, every rule, n up to 200', () => {
  it('lists the equal-weight rule of PAIR saliency and path_explain', () => {
    expect(QUADRATURE_METHODS).toContain('equalWeight');
  });

  it('weights sum to 1, except captumTrapezoid whose weights sum to (n − 1)/n (Captum riemann_trapezoid: 1/n, halved at both ends)', () => {
    const c = checker();
    each((m, n) => {
      const { weights } = quadrature(m, n);
      const sum = weights.reduce((s, w) => s + w, 0);
      const expected = m === 'captumTrapezoid' ? (n - 1) / n : 1;
      // n positive terms of size ≤ 1: rounding of the sum is at most n·ε
      c.le(Math.abs(sum - expected), n * EPS, `${m} n=${n} sum`);
      weights.forEach((w, k) => c.ok(w > 0, `${m} n=${n} w[${k}] = ${w}`));
    });
    c.done();
  });

  it('nodes lie in [0, 1], strictly ascending, and the tabulated endpoints are exact', () => {
    const c = checker();
    each((m, n) => {
      const { alphas } = quadrature(m, n);
      c.ok(alphas.length === n, `${m} n=${n} length ${alphas.length}`);
      alphas.forEach((a, k) => {
        c.ok(a >= 0 && a <= 1, `${m} n=${n} α[${k}] = ${a}`);
        if (k > 0) c.ok(a > alphas[k - 1]!, `${m} n=${n} α[${k}] not above α[${k - 1}]`);
      });
      if (m === 'riemannLeft' || m === 'riemannTrapezoid' || m === 'captumTrapezoid' || m === 'equalWeight') c.ok(alphas[0] === 0, `${m} n=${n} α[0] = ${alphas[0]}`);
      if (m === 'riemannRight' || m === 'riemannTrapezoid' || m === 'captumTrapezoid' || m === 'equalWeight') c.ok(alphas[n - 1] === 1, `${m} n=${n} α[n-1] = ${alphas[n - 1]}`);
    });
    c.done();
  });

  it('the tabulated rules: h = 1/(n − 1) spacing and 1/(n − 1) weights for the trapezoid, 1/n for equalWeight', () => {
    const c = checker();
    for (let n = 2; n <= 200; n++) {
      const t = quadrature('riemannTrapezoid', n);
      const e = quadrature('equalWeight', n);
      for (let k = 0; k < n; k++) {
        c.le(Math.abs(t.alphas[k]! - k / (n - 1)), EPS, `n=${n} trapezoid α[${k}]`);
        c.ok(e.alphas[k] === t.alphas[k], `n=${n} equalWeight α[${k}]`);
        c.ok(t.weights[k] === (k === 0 || k === n - 1 ? 0.5 / (n - 1) : 1 / (n - 1)), `n=${n} trapezoid w[${k}] = ${t.weights[k]}`);
        c.ok(e.weights[k] === 1 / n, `n=${n} equalWeight w[${k}] = ${e.weights[k]}`);
      }
    }
    c.done();
  });

  it('Gauss–Legendre nodes are symmetric about 1/2 (the middle one is exactly 1/2 for odd n) with symmetric weights', () => {
    const c = checker();
    for (let n = 1; n <= 200; n++) {
      const { alphas, weights } = quadrature('gaussLegendre', n);
      for (let k = 0; k < n; k++) {
        c.le(Math.abs(alphas[k]! + alphas[n - 1 - k]! - 1), 2 * EPS, `n=${n} α[${k}] + α[n-1-k]`);
        c.ok(weights[k] === weights[n - 1 - k], `n=${n} w[${k}] ≠ w[n-1-k]`);
      }
      if (n % 2 === 1) c.ok(alphas[(n - 1) / 2] === 0.5, `n=${n} middle node ${alphas[(n - 1) / 2]}`);
    }
    c.done();
  });
});

describe('quadrature: exactness', () => {
  it('Gauss–Legendre with n nodes integrates α^d exactly for every d ≤ 2n − 1, and not α^{2n}', () => {
    const c = checker();
    for (let n = 1; n <= 200; n++) {
      const { alphas, weights } = quadrature('gaussLegendre', n);
      const moment = (d: number) => {
        let s = 0;
        for (let k = 0; k < n; k++) s += weights[k]! * alphas[k]! ** d;
        return s;
      };
      // all terms are positive, so the relative rounding error is that of the weights (≤ n·ε
      // from the recurrence) plus d·(node error ≤ ε) from the power, plus n·ε for the sum
      for (let d = 0; d <= 2 * n - 1; d++) c.le(Math.abs(moment(d) * (d + 1) - 1), 4 * (n + d + 1) * EPS, `n=${n} d=${d}`);
      // the GL remainder for α^{2n}: (n!)^4 / ((2n+1) ((2n)!)^3) · (2n)! > 0 (visible while above rounding)
      const rem = momentRemainderGL(n);
      if (rem > 1e-10) c.le(Math.abs(1 / (2 * n + 1) - moment(2 * n) - rem), 1e-12 * rem + 8 * n * EPS, `n=${n} remainder of α^{2n}`);
    }
    c.done();
  });

  it('the trapezoid, midpoint and equal-weight rules are exact on linear functions; Captum’s trapezoid is short by 1/n', () => {
    for (let n = 2; n <= 200; n++) {
      const lin = (a: number) => 3 - 2 * a; // ∫ = 2
      for (const m of ['riemannTrapezoid', 'riemannMiddle', 'equalWeight', 'gaussLegendre'] as const) {
        expect(Math.abs(integrate(m, n, lin) - 2), `${m} n=${n}`).toBeLessThanOrEqual(8 * n * EPS);
      }
      expect(Math.abs(integrate('captumTrapezoid', n, lin) - 2 * (n - 1) / n)).toBeLessThanOrEqual(8 * n * EPS);
      // the Riemann rules miss a linear function by exactly ∓(f(1) − f(0))/(2n)
      expect(Math.abs(integrate('riemannLeft', n, lin) - (2 + 1 / n))).toBeLessThanOrEqual(8 * n * EPS);
      expect(Math.abs(integrate('riemannRight', n, lin) - (2 - 1 / n))).toBeLessThanOrEqual(8 * n * EPS);
    }
  });
});

/** ∫_0^1 α^{2n} − GL_n(α^{2n}) = (n!)^4 / ((2n + 1)((2n)!)^2) = Π_{i≤n} (i/(n + i))² / (2n + 1). */
function momentRemainderGL(n: number): number {
  let r = 1 / (2 * n + 1);
  for (let i = 1; i <= n; i++) r *= (i / (n + i)) ** 2;
  return r;
}

/** (n!)^4 / ((2n + 1)((2n)!)^3): ∫_0^1 f − GL_n(f) = this · f^(2n)(ξ) for some ξ in (0, 1). */
function remainderGL(n: number): number {
  let logFact2n = 0;
  for (let i = 2; i <= 2 * n; i++) logFact2n += Math.log(i);
  return momentRemainderGL(n) / Math.exp(logFact2n);
}

describe('quadrature: leading error terms on f = exp (∫_0^1 e^α dα = e − 1)', () => {
  const I = Math.E - 1;
  // Euler–Maclaurin with Δ = f^(j)(1) − f^(j)(0) = e − 1 for every derivative of exp:
  //   left      Q − I = −hΔ/2 + h²Δ/12 − h⁴Δ/720 + …     (h = 1/n)
  //   right     Q − I = +hΔ/2 + h²Δ/12 − h⁴Δ/720 + …     (h = 1/n)
  //   trapezoid Q − I = h²Δ/12 − h⁴Δ/720 + h⁶Δ/30240 …  (h = 1/(n − 1))
  //   midpoint  Q − I = −h²Δ/24 + 7h⁴Δ/5760 − …         (h = 1/n)
  // The remainder after the last written term is below twice the next term (B_2k/(2k)! falls
  // like 2/(2π)^2k, so the series is geometric with ratio h²/(4π²)), plus n·ε of rounding.
  const D = Math.E - 1;
  const roundoff = (n: number) => 8 * n * EPS * Math.E;
  const leading: Record<Exclude<QuadratureMethod, 'gaussLegendre'>, (n: number) => [number, number]> = {
    riemannLeft: (n) => { const h = 1 / n; return [-h * D / 2 + h * h * D / 12 - h ** 4 * D / 720, 2 * h ** 6 * D / 30240]; },
    riemannRight: (n) => { const h = 1 / n; return [h * D / 2 + h * h * D / 12 - h ** 4 * D / 720, 2 * h ** 6 * D / 30240]; },
    riemannTrapezoid: (n) => { const h = 1 / (n - 1); return [h * h * D / 12 - h ** 4 * D / 720, 2 * h ** 6 * D / 30240]; },
    riemannMiddle: (n) => { const h = 1 / n; return [-h * h * D / 24 + 7 * h ** 4 * D / 5760, 2 * 31 * h ** 6 * D / 967680]; },
    // (n − 1)/n times the textbook trapezoid
    captumTrapezoid: (n) => { const h = 1 / (n - 1); const t = h * h * D / 12 - h ** 4 * D / 720; return [((n - 1) / n) * (I + t) - I, 2 * h ** 6 * D / 30240]; },
    // (1/n) Σ_{k<n} f(k h) = ((n − 1)/n) (T + h (f(0) + f(1))/2), T the trapezoid sum
    equalWeight: (n) => { const h = 1 / (n - 1); const t = h * h * D / 12 - h ** 4 * D / 720; return [((n - 1) / n) * (I + t + (h * (1 + Math.E)) / 2) - I, 2 * h ** 6 * D / 30240]; },
  };

  it('every equally spaced rule matches its Euler–Maclaurin terms for every n', () => {
    for (const m of QUADRATURE_METHODS) {
      if (m === 'gaussLegendre') continue;
      for (let n = 2; n <= 200; n++) {
        const [expected, next] = leading[m](n);
        expect(Math.abs(integrate(m, n, Math.exp) - I - expected), `${m} n=${n}`).toBeLessThanOrEqual(next + roundoff(n));
      }
    }
  });

  it('the Riemann left/right rules are first order with constant ∓(f(1) − f(0))/2, the others second order or better', () => {
    for (const n of [50, 100, 200]) {
      expect(Math.abs(n * (integrate('riemannLeft', n, Math.exp) - I) + D / 2)).toBeLessThan(D / n);
      expect(Math.abs(n * (integrate('riemannRight', n, Math.exp) - I) - D / 2)).toBeLessThan(D / n);
      expect(Math.abs(integrate('riemannMiddle', n, Math.exp) - I)).toBeLessThan(D / (24 * n * n) * 1.01);
    }
  });

  it('Gauss–Legendre: I − Q lies in [1, e]·(n!)^4 (2n)! / ((2n+1)((2n)!)^3) (f^(2n) = exp ∈ [1, e])', () => {
    for (let n = 1; n <= 200; n++) {
      const c = remainderGL(n);
      const err = I - integrate('gaussLegendre', n, Math.exp);
      const floor = roundoff(n);
      expect(err, `n=${n}`).toBeGreaterThanOrEqual(c - floor);
      expect(err, `n=${n}`).toBeLessThanOrEqual(Math.E * c + floor);
    }
  });
});

describe('Gauss–Legendre nodes in O(n): the asymptotic expansion against Newton on the recurrence', () => {
  it('nodes agree to 1e-14 and weights to 8·n·ε relative (the recurrence’s own error grows like n·ε)', () => {
    const c = checker();
    for (const n of [101, 128, 199, 257, 500, 1000, 2001]) {
      const fast = gaussLegendreNodes(n);
      const ref = gaussLegendreRecurrence(n);
      for (let k = 0; k < n; k++) {
        c.le(Math.abs(fast.nodes[k]! - ref.nodes[k]!), 1e-14, `n=${n} node ${k}`);
        c.le(Math.abs(fast.weights[k]! - ref.weights[k]!) / ref.weights[k]!, 8 * n * EPS, `n=${n} weight ${k}`);
      }
    }
    c.done();
  });

  it('65,536 nodes: ascending in (−1, 1), weights sum to 2, low moments exact', () => {
    const n = 65536;
    const { nodes, weights } = gaussLegendreNodes(n);
    let sum = 0;
    let ascending = true;
    for (let k = 0; k < n; k++) {
      sum += weights[k]!;
      if (k > 0 && !(nodes[k]! > nodes[k - 1]!)) ascending = false;
    }
    expect(ascending).toBe(true);
    expect(nodes[0]).toBeGreaterThan(-1);
    expect(nodes[n - 1]).toBeLessThan(1);
    expect(Math.abs(sum - 2)).toBeLessThanOrEqual(n * EPS);
    const q = quadrature('gaussLegendre', n);
    for (let d = 0; d <= 12; d++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q.weights[k]! * q.alphas[k]! ** d;
      expect(Math.abs(s * (d + 1) - 1)).toBeLessThanOrEqual(4 * (n + d) * EPS);
    }
  });
});
