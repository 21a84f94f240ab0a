import { ArgumentError, describe } from '@pathgrad/tensor';

/**
 * Quadrature rules on [0, 1] for path integrals. `gaussLegendre` is the default (as in
 * Captum). `riemannTrapezoid` is the textbook trapezoid rule; `captumTrapezoid` reproduces
 * Captum's `riemann_trapezoid`, whose weights are 1/n (halved at the ends) on nodes spaced
 * 1/(n-1), so they sum to (n-1)/n: offered only to reproduce Captum's numbers exactly.
 *
 * @example
 * ```ts
 * const method: QuadratureMethod = 'captumTrapezoid'; // reproduces Captum's 'riemann_trapezoid' exactly
 * integratedGradients(model, images, { target: labels, method, steps: 50 });
 * ```
 */
export type QuadratureMethod =
  | 'gaussLegendre'
  | 'riemannLeft'
  | 'riemannRight'
  | 'riemannMiddle'
  | 'riemannTrapezoid'
  | 'captumTrapezoid';

/**
 * Every quadrature rule, in a stable order.
 *
 * @example
 * ```ts
 * QUADRATURE_METHODS.includes('gaussLegendre'); // true
 * ```
 */
export const QUADRATURE_METHODS: readonly QuadratureMethod[] = [
  'gaussLegendre',
  'riemannLeft',
  'riemannRight',
  'riemannMiddle',
  'riemannTrapezoid',
  'captumTrapezoid',
];

/**
 * Nodes and weights of a rule: `∫_0^1 g(a) da ≈ Σ_k weights[k] g(alphas[k])`.
 *
 * @example
 * ```ts
 * const { alphas, weights }: Quadrature = quadrature('riemannMiddle', 4);
 * alphas; // [0.125, 0.375, 0.625, 0.875]
 * weights; // [0.25, 0.25, 0.25, 0.25]
 * ```
 */
export interface Quadrature {
  method: QuadratureMethod;
  alphas: Float64Array;
  weights: Float64Array;
}

const glCache = new Map<number, { nodes: Float64Array; weights: Float64Array }>();

/**
 * Gauss-Legendre nodes and weights on [-1, 1], ascending, by Newton's method on the
 * Legendre polynomial P_n (three-term recurrence), converged to machine precision.
 *
 * @example
 * ```ts
 * const { nodes, weights } = gaussLegendreNodes(2); // on [-1, 1]
 * nodes; // [-0.5773..., 0.5773...]
 * weights; // [1, 1]
 * ```
 */
export function gaussLegendreNodes(n: number): { nodes: Float64Array; weights: Float64Array } {
  const cached = glCache.get(n);
  if (cached) return cached;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const m = Math.floor((n + 1) / 2);
  for (let i = 0; i < m; i++) {
    // Tricomi's initial guess for the i-th largest root
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-16) break;
    }
    // final derivative at the converged root for the weight
    let p1 = 1;
    let p2 = 0;
    for (let j = 1; j <= n; j++) {
      const p3 = p2;
      p2 = p1;
      p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
    }
    pp = (n * (z * p1 - p2)) / (z * z - 1);
    const w = 2 / ((1 - z * z) * pp * pp);
    nodes[i] = -z;
    nodes[n - 1 - i] = z;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  const out = { nodes, weights };
  glCache.set(n, out);
  return out;
}

/**
 * The nodes (`alphas`) and weights of a quadrature rule with `n` points, in float64.
 *
 * | method | alpha_k | w_k |
 * | --- | --- | --- |
 * | gaussLegendre | (1 + x_k)/2, x_k Legendre roots | v_k / 2 |
 * | riemannLeft | k/n | 1/n |
 * | riemannRight | (k+1)/n | 1/n |
 * | riemannMiddle | (k+1/2)/n | 1/n |
 * | riemannTrapezoid | k/(n-1) | 1/(n-1), halved at both ends (sum 1) |
 * | captumTrapezoid | k/(n-1) | 1/n, halved at both ends (sum (n-1)/n) |
 *
 * @example
 * ```ts
 * const { alphas, weights } = quadrature('gaussLegendre', 5);
 * // alphas ≈ [0.04691, 0.23077, 0.5, 0.76923, 0.95309]
 * ```
 */
export function quadrature(method: QuadratureMethod, n: number): Quadrature {
  if (!QUADRATURE_METHODS.includes(method)) {
    throw new ArgumentError(
      `quadrature: method must be one of ${QUADRATURE_METHODS.map((m) => `'${m}'`).join(', ')}, got ${describe(method)}`,
    );
  }
  const minSteps = method === 'gaussLegendre' ? 1 : 2;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < minSteps) {
    throw new ArgumentError(`quadrature: steps must be an integer >= ${minSteps} for '${method}', got ${describe(n)}`);
  }
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n);
  switch (method) {
    case 'gaussLegendre': {
      const gl = gaussLegendreNodes(n);
      for (let k = 0; k < n; k++) {
        alphas[k] = 0.5 * (1 + gl.nodes[k]!);
        weights[k] = 0.5 * gl.weights[k]!;
      }
      break;
    }
    case 'riemannLeft':
      for (let k = 0; k < n; k++) {
        alphas[k] = k / n;
        weights[k] = 1 / n;
      }
      break;
    case 'riemannRight':
      for (let k = 0; k < n; k++) {
        alphas[k] = (k + 1) / n;
        weights[k] = 1 / n;
      }
      break;
    case 'riemannMiddle':
      for (let k = 0; k < n; k++) {
        alphas[k] = (k + 0.5) / n;
        weights[k] = 1 / n;
      }
      break;
    case 'riemannTrapezoid':
    case 'captumTrapezoid': {
      const w = method === 'riemannTrapezoid' ? 1 / (n - 1) : 1 / n;
      for (let k = 0; k < n; k++) {
        alphas[k] = k / (n - 1);
        weights[k] = w;
      }
      alphas[n - 1] = 1;
      weights[0] = w / 2;
      weights[n - 1] = w / 2;
      break;
    }
  }
  return { method, alphas, weights };
}
