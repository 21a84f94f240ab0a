import { ArgumentError, describe } from '@pathgrad/tensor';

/**
 * Quadrature rules on [0, 1] for path integrals. `gaussLegendre` is the default (as in
 * Captum). `riemannTrapezoid` is the textbook trapezoid rule; `captumTrapezoid` reproduces
 * Captum's `riemann_trapezoid`, whose weights are 1/n (halved at the ends) on nodes spaced
 * 1/(n-1), so they sum to (n-1)/n: offered only to reproduce Captum's numbers exactly.
 * `equalWeight` (nodes linspace(0, 1, n), every weight 1/n) is the rule of PAIR saliency's
 * `IntegratedGradients` and path_explain's integrated gradients and Hessians: offered to
 * reproduce them exactly (its error is O(1/n), like the Riemann rules).
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
  | 'captumTrapezoid'
  | 'equalWeight';

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
  'equalWeight',
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

/** Above this many nodes the interior nodes come from the asymptotic expansion (O(1) each). */
const GL_ASYMPTOTIC_FROM = 101;

/**
 * Gauss-Legendre nodes and weights on [-1, 1], ascending, in O(n) time. Up to 100 nodes:
 * Newton's method on P_n evaluated by the three-term recurrence. Above: Newton in θ
 * (x = cos θ) on Stieltjes' asymptotic expansion of P_n(cos θ), as in Hale & Townsend
 * (SIAM J. Sci. Comput. 2013), O(1) per node, with the number of terms chosen from the
 * expansion's error bound; the few nodes next to ±1 where that bound cannot reach machine
 * precision within 30 terms (5 or 6 at each end, whatever n) fall back to the recurrence.
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
  const out = n < GL_ASYMPTOTIC_FROM ? gaussLegendreRecurrence(n) : gaussLegendreAsymptotic(n);
  glCache.set(n, out);
  return out;
}

/** P_n(z) and P_{n-1}(z) by the three-term recurrence (O(n)). */
function legendre(n: number, z: number): [number, number] {
  let p1 = 1;
  let p2 = 0;
  for (let j = 1; j <= n; j++) {
    const p3 = p2;
    p2 = p1;
    p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
  }
  return [p1, p2];
}

/** The i-th largest root (i < ⌈n/2⌉) and its weight by Newton on the recurrence, from Tricomi's guess. */
function newtonRoot(n: number, i: number): [number, number] {
  let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
  for (let iter = 0; iter < 100; iter++) {
    const [p1, p2] = legendre(n, z);
    const pp = (n * (z * p1 - p2)) / (z * z - 1);
    const z1 = z;
    z = z1 - p1 / pp;
    if (Math.abs(z - z1) <= 1e-16) break;
  }
  // final derivative at the converged root for the weight
  const [p1, p2] = legendre(n, z);
  const pp = (n * (z * p1 - p2)) / (z * z - 1);
  return [z, 2 / ((1 - z * z) * pp * pp)];
}

/** O(n²): every root by Newton on the recurrence. Exported for the tests that check the fast path. */
export function gaussLegendreRecurrence(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.floor((n + 1) / 2); i++) setPair(nodes, weights, n, i, ...newtonRoot(n, i));
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}

function setPair(nodes: Float64Array, weights: Float64Array, n: number, i: number, z: number, w: number): void {
  nodes[i] = -z;
  nodes[n - 1 - i] = z;
  weights[i] = w;
  weights[n - 1 - i] = w;
}

const MAX_TERMS = 30;

/**
 * Stieltjes' expansion without its constant C_n: P_n(cos θ) = C_n Σ_{m<M} h_m cos α_m /
 * (2 sin θ)^{m+1/2}, α_m = (n + m + 1/2)θ − (m + 1/2)π/2, h_0 = 1,
 * h_{m+1} = h_m (m + 1/2)² / ((m + 1)(n + m + 3/2)). Returns the sum and its θ-derivative.
 */
function stieltjes(n: number, theta: number, terms: number): [number, number] {
  const s = Math.sin(theta);
  const c = Math.cos(theta);
  const twoS = 2 * s;
  const a0 = (n + 0.5) * theta - Math.PI / 4;
  let ca = Math.cos(a0);
  let sa = Math.sin(a0);
  let h = 1;
  let scale = 1 / Math.sqrt(twoS); // (2 sin θ)^-(m+1/2)
  let p = 0;
  let dp = 0;
  for (let m = 0; m < terms; m++) {
    p += h * ca * scale;
    dp += h * (-(n + m + 0.5) * sa * scale - ((m + 0.5) * ca * 2 * c * scale) / twoS);
    // α_{m+1} = α_m + θ − π/2
    const cn = ca * s + sa * c;
    sa = sa * s - ca * c;
    ca = cn;
    h *= ((m + 0.5) * (m + 0.5)) / ((m + 1) * (n + m + 1.5));
    scale /= twoS;
  }
  return [p, dp];
}

/**
 * Terms needed so that the bound on the remainder, 2 h_M / (2 sin θ)^{M+1/2}, is below
 * 1e-17 of the leading term's amplitude (2 sin θ)^{-1/2}; 0 if more than MAX_TERMS.
 */
function termsNeeded(n: number, theta: number): number {
  const twoS = 2 * Math.sin(theta);
  let h = 1;
  let r = 2;
  for (let m = 0; m <= MAX_TERMS; m++) {
    if (r * h < 1e-17) return Math.max(m, 1);
    h *= ((m + 0.5) * (m + 0.5)) / ((m + 1) * (n + m + 1.5));
    r /= twoS;
  }
  return 0;
}

function gaussLegendreAsymptotic(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  // C_n = (4/π) Π_{j<=n} j/(j + 1/2), through a compensated sum of logs (a plain product
  // would accumulate √n rounding errors)
  let logC = 0;
  let comp = 0;
  for (let j = 1; j <= n; j++) {
    const y = -Math.log1p(0.5 / j) - comp;
    const t = logC + y;
    comp = t - logC - y;
    logC = t;
  }
  const cn = (4 / Math.PI) * Math.exp(logC);
  for (let i = 0; i < Math.floor((n + 1) / 2); i++) {
    let theta = (Math.PI * (i + 0.75)) / (n + 0.5);
    const terms = termsNeeded(n, theta);
    if (terms === 0) {
      setPair(nodes, weights, n, i, ...newtonRoot(n, i));
      continue;
    }
    let dp = 0;
    for (let iter = 0; iter < 10; iter++) {
      const [p, d] = stieltjes(n, theta, terms);
      const step = p / d;
      theta -= step;
      dp = d;
      if (Math.abs(step) <= 1e-16 * theta) break;
    }
    dp = stieltjes(n, theta, terms)[1];
    // (1 − x²) P_n'(x)² = (dP_n/dθ)²
    setPair(nodes, weights, n, i, Math.cos(theta), 2 / (cn * cn * dp * dp));
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
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
 * | equalWeight | k/(n-1) | 1/n (PAIR saliency, path_explain) |
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
    case 'equalWeight':
      for (let k = 0; k < n; k++) {
        alphas[k] = k / (n - 1);
        weights[k] = 1 / n;
      }
      alphas[n - 1] = 1;
      break;
  }
  return { method, alphas, weights };
}
