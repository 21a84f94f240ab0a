/**
 * Error bounds of the quadrature rules on [0, 1], for the integrand g(α) = d/dα F(x' + αΔ)
 * of a path method: from bounds on g's derivatives (smooth models) or from g's total
 * variation (piecewise-linear models, where g is a step function of α).
 */
import { quadrature, type QuadratureMethod } from '../src/index.js';

/** Bound on |Σ_k w_k g(α_k) − ∫ g| for the rule, given g's derivative bounds or total variation. */
export function ruleBound(m: QuadratureMethod, n: number, b: { M1: number; M2: number } | { TV: number }): number {
  const smooth = 'M2' in b;
  switch (m) {
    case 'riemannLeft':
    case 'riemannRight':
      return smooth ? b.M1 / (2 * n) : b.TV / n;
    case 'riemannMiddle':
      return smooth ? b.M2 / (24 * n * n) : b.TV / (2 * n);
    case 'riemannTrapezoid':
      return smooth ? b.M2 / (12 * (n - 1) ** 2) : b.TV / (2 * (n - 1));
    // after removing the known bias (see expectedBias): (n − 1)/n times the trapezoid's error
    case 'captumTrapezoid':
    case 'equalWeight':
      return smooth ? b.M2 / (12 * n * (n - 1)) : b.TV / (2 * n);
    case 'gaussLegendre': {
      if (!smooth) {
        // Chebyshev–Markov–Stieltjes separation: a unit step at a is integrated with an error
        // below the gap between the nodes around a (0 and 1 count as ends)
        const { alphas } = quadrature('gaussLegendre', n);
        let gap = Math.max(alphas[0]!, 1 - alphas[n - 1]!);
        for (let k = 1; k < n; k++) gap = Math.max(gap, alphas[k]! - alphas[k - 1]!);
        return b.TV * gap;
      }
      // n = 1 is the midpoint rule; for n ≥ 2, a positive rule exact to degree 2n − 1 errs by at
      // most twice the best approximation, and Jackson's theorem on [0, 1] bounds that by
      // (π/2)² (1/2)² M2 / ((2n − 1)(2n − 2))
      return n === 1 ? b.M2 / 24 : (Math.PI ** 2 * b.M2) / (8 * (2 * n - 1) * (2 * n - 2));
    }
  }
}

/** The part of Q − I that the rule's weights make on purpose: −I/n (Captum) or ((g(0) + g(1))/2 − I)/n (equal weights). */
export function expectedBias(m: QuadratureMethod, n: number, I: number, g0: number, g1: number): number {
  if (m === 'captumTrapezoid') return -I / n;
  if (m === 'equalWeight') return ((g0 + g1) / 2 - I) / n;
  return 0;
}

/**
 * Gauss–Legendre error bound for g(α) = Σ_j v_j c_j tanh'(z_j + α c_j) (the path integrand of
 * a one-hidden-layer tanh network along any straight segment whose pre-activation changes
 * satisfy |c_j| ≤ C_j), summed over segments that split the features (so Σ_segments |c_j| ≤ C_j):
 * g is analytic where |Im(z_j + α c_j)| < π/2, and there |tanh'(u + iy)| = 1/|cosh|² ≤ 1/cos²y.
 * Mapping [0, 1] to [−1, 1], the Bernstein ellipse E_ρ with semi-minor axis b = 2θ/max C keeps
 * |Im| ≤ θ, so |g| ≤ M = Σ_j |v_j| C_j / cos²θ there, and Gauss quadrature errs by at most
 * (64/15) M ρ^{−2n}/(ρ² − 1) (Trefethen, Approximation Theory and Approximation Practice,
 * Thm 19.3), halved by the map; the smallest bound over θ ∈ (0, π/2) is returned.
 */
export function gaussLegendreTanhBound(n: number, v: ArrayLike<number>, C: ArrayLike<number>): number {
  let maxC = 0;
  let mass = 0;
  for (let j = 0; j < C.length; j++) {
    maxC = Math.max(maxC, C[j]!);
    mass += Math.abs(v[j]!) * C[j]!;
  }
  if (maxC === 0) return 0;
  let best = Infinity;
  for (let k = 1; k < 128; k++) {
    const theta = (k / 128) * (Math.PI / 2);
    const b = (2 * theta) / maxC;
    const rho = b + Math.sqrt(b * b + 1);
    const M = mass / Math.cos(theta) ** 2;
    best = Math.min(best, (0.5 * (64 / 15) * M * rho ** (-2 * n)) / (rho * rho - 1));
  }
  return best;
}
