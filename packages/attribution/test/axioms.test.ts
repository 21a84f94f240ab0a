/**
 * The IG axioms (Sundararajan et al. 2017) as properties over random small networks in
 * float64: completeness, sensitivity (a) and (b), implementation invariance, linearity,
 * symmetry preservation, and invariance to internal batching. Each is checked against a
 * computation outside IG: a straightforward path integral written here from closed-form
 * gradients, exact values, or an error bound derived from the rule.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  add,
  avgPool2d,
  conv2d,
  matmul,
  maxPool2d,
  mul,
  randn,
  relu,
  reshape,
  rng,
  softplus,
  sub,
  sum,
  tanh,
  tensor,
} from '@pathgrad/tensor';
import { QUADRATURE_METHODS, integratedGradients, quadrature, saliency, inputXGradient, type QuadratureMethod } from '../src/index.js';
import { expectedBias, ruleBound } from './bounds.js';
import { runs } from './fc.js';

type Act = 'relu' | 'softplus' | 'tanh';
const act = (a: Act, x: Tensor): Tensor => (a === 'relu' ? relu(x) : a === 'softplus' ? softplus(x) : tanh(x));

interface Mlp {
  weights: Tensor[];
  biases: Tensor[];
  activation: Act;
}

function randomMlp(seed: number, sizes: number[], activation: Act): Mlp {
  const g = rng(seed);
  const weights: Tensor[] = [];
  const biases: Tensor[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    weights.push(randn([sizes[i]!, sizes[i + 1]!], g, { std: 1 / Math.sqrt(sizes[i]!), dtype: 'float64' }));
    biases.push(randn([sizes[i + 1]!], g, { std: 0.1, dtype: 'float64' }));
  }
  return { weights, biases, activation };
}

function mlpForward(m: Mlp): (x: Tensor) => Tensor {
  return (x) => {
    let h = x;
    m.weights.forEach((w, i) => {
      h = add(matmul(h, w), m.biases[i]!);
      if (i + 1 < m.weights.length) h = act(m.activation, h);
    });
    return h;
  };
}

function cnnParts(seed: number, activation: Act, pool: 'max' | 'avg') {
  const g = rng(seed);
  const w1 = randn([3, 1, 3, 3], g, { std: 0.5, dtype: 'float64' });
  const b1 = randn([3], g, { std: 0.1, dtype: 'float64' });
  const w2 = randn([3 * 3 * 3, 4], g, { std: 0.3, dtype: 'float64' });
  const pre = (x: Tensor) => conv2d(x, w1, b1, { padding: 1 });
  const forward = (x: Tensor) => {
    const h = act(activation, pre(x));
    const p = pool === 'max' ? maxPool2d(h, { kernelSize: 2 }) : avgPool2d(h, { kernelSize: 2 });
    return matmul(reshape(p, [x.shape[0]!, 27]), w2);
  };
  return { pre, forward, w2: Array.from(w2.toTypedArray()) };
}

function randomCnn(seed: number, activation: Act, pool: 'max' | 'avg'): (x: Tensor) => Tensor {
  return cnnParts(seed, activation, pool).forward;
}

const inputs = (seed: number, shape: number[]): Tensor => randn(shape, rng(seed), { dtype: 'float64' });
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());
const maxAbs = (a: number[]): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

const actGrad = (a: Act, z: number) => (a === 'relu' ? (z > 0 ? 1 : 0) : a === 'softplus' ? 1 / (1 + Math.exp(-z)) : 1 - Math.tanh(z) ** 2);

/** ∇_x of output k of the MLP at one point, by hand-written backpropagation in float64. */
function mlpGradient(m: Mlp, point: ArrayLike<number>, k: number): Float64Array {
  const Ws = m.weights.map((w) => Array.from(w.toTypedArray()));
  const bs = m.biases.map((b) => Array.from(b.toTypedArray()));
  const pre: number[][] = [];
  let h = Array.from(point);
  Ws.forEach((w, l) => {
    const out = bs[l]!.length;
    const z = Array.from({ length: out }, (_, o) => h.reduce((s, v, i) => s + v * w[i * out + o]!, bs[l]![o]!));
    pre.push(z);
    h = l + 1 < Ws.length ? z.map((v) => act1(m.activation, v)) : z;
  });
  // back from e_k through the layers
  let gOut: number[] = Array.from({ length: bs[Ws.length - 1]!.length }, (_, o) => (o === k ? 1 : 0));
  for (let l = Ws.length - 1; l >= 0; l--) {
    if (l + 1 < Ws.length) gOut = gOut.map((g, o) => g * actGrad(m.activation, pre[l]![o]!));
    const w = Ws[l]!;
    const out = gOut.length;
    const inDim = w.length / out;
    gOut = Array.from({ length: inDim }, (_, i) => gOut.reduce((s, g, o) => s + g * w[i * out + o]!, 0));
  }
  return Float64Array.from(gOut);
}

function act1(a: Act, z: number): number {
  return a === 'relu' ? Math.max(z, 0) : a === 'softplus' ? Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) : Math.tanh(z);
}

/**
 * IG written out straight from its definition: (x − x') ⊙ Σ_k w_k ∇F(x' + α_k (x − x')), with
 * the rule's nodes and weights (checked in quadrature.test.ts) and a gradient from `grad`.
 */
function straightIG(grad: (p: number[]) => ArrayLike<number>, x: ArrayLike<number>, xb: ArrayLike<number>, method: QuadratureMethod, steps: number): number[] {
  const { alphas, weights } = quadrature(method, steps);
  const d = Array.from(x, (v, i) => v - xb[i]!);
  const out = new Array<number>(d.length).fill(0);
  for (let k = 0; k < steps; k++) {
    const g = grad(d.map((di, i) => xb[i]! + alphas[k]! * di));
    for (let i = 0; i < d.length; i++) out[i]! += weights[k]! * g[i]! * d[i]!;
  }
  return out;
}

/** Row `e` of a flat `[N, D]` array. */
const row = (a: ArrayLike<number>, e: number, D: number) => Array.from(a).slice(e * D, (e + 1) * D);
/** |got − want| ≤ 1e-12 · (1 + max |want|): the two sides sum the same terms in different orders. */
const agree = (got: number[], want: number[], label = '') => {
  const tol = 1e-12 * (1 + maxAbs(want));
  got.forEach((v, i) => expect(Math.abs(v - want[i]!), `${label}[${i}]`).toBeLessThanOrEqual(tol));
};

describe('completeness', () => {
  it('two-hidden-layer networks: IG equals the path integral written out from a hand-derived gradient, for every rule, steps and baseline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom<Act>('relu', 'softplus', 'tanh'),
        fc.constantFrom(...QUADRATURE_METHODS),
        fc.integer({ min: 2, max: 33 }),
        (seed, a, method, steps) => {
          const m = randomMlp(seed, [5, 8, 6, 3], a);
          const x = inputs(seed + 1, [3, 5]);
          const baseline = inputs(seed + 2, [3, 5]);
          const target = [0, 1, 2];
          const r = integratedGradients(mlpForward(m), x, { target, steps, method, baseline });
          for (let e = 0; e < 3; e++) {
            const want = straightIG((p) => mlpGradient(m, p, target[e]!), row(x.toTypedArray(), e, 5), row(baseline.toTypedArray(), e, 5), method, steps);
            agree(row(r.attributions.toTypedArray(), e, 5), want, `${method} ${steps} example ${e}`);
          }
        },
      ),
      { numRuns: runs(30) },
    );
  });

  it('ReLU CNNs with max/avg pooling: |delta| within the rule’s bound from the exact total variation of the path gradient', () => {
    // Along the path, every pooled unit is a max (or mean) of relu(z_j(α)) with z_j affine in α:
    // max(0, z_1, …, z_4) is convex and piecewise linear, so its slope only rises, and the
    // total variation of its slope over (0, 1) is slope(1⁻) − slope(0⁺). With a zero baseline
    // the four units of a window tie at α = 0 (all equal the bias), so the gradient there
    // may be any tied slope: that spread is added for the rules with a node at 0 or 1. The path gradient
    // g(α) = dF/dα is a step function with TV(g) ≤ Σ_p |w_pk| TV(slope_p); each rule's error on
    // a step function is bounded by TV times its cell size (see bounds.ts).
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom<'max' | 'avg'>('max', 'avg'),
        fc.constantFrom(...QUADRATURE_METHODS),
        fc.integer({ min: 2, max: 300 }),
        fc.boolean(),
        (seed, pool, method, steps, zeroBaseline) => {
          const cnn = cnnParts(seed, 'relu', pool);
          const x = inputs(seed + 7, [2, 1, 6, 6]);
          const baseline = zeroBaseline ? 0 : inputs(seed + 8, [2, 1, 6, 6]);
          const target = [1, 3];
          const r = integratedGradients(cnn.forward, x, { target, steps, method, baseline });
          const xb = zeroBaseline ? new Tensor(new Float64Array(72), [2, 1, 6, 6], 'float64') : (baseline as Tensor);
          const z0 = flat(cnn.pre(xb));
          const dz = flat(cnn.pre(x)).map((v, i) => v - z0[i]!);
          const fx = flat(cnn.forward(x));
          const fb = flat(cnn.forward(xb));
          for (let e = 0; e < 2; e++) {
            const k = target[e]!;
            let TV = 0;
            let ends = 0; // how far the gradient at α = 0 or 1 may be from the one-sided limits
            let g0 = 0;
            let g1 = 0;
            let scale = Math.abs(fx[e * 4 + k]!) + Math.abs(fb[e * 4 + k]!);
            for (let p = 0; p < 27; p++) {
              const c = Math.floor(p / 9);
              const [pi, pj] = [Math.floor((p % 9) / 3), p % 3];
              const units = [0, 1, 2, 3].map((q) => e * 108 + c * 36 + (2 * pi + (q >> 1)) * 6 + 2 * pj + (q & 1));
              const w = cnn.w2[p * 4 + k]!;
              const lines = units.map((u) => [z0[u]!, dz[u]!] as [number, number]);
              // max pooling: one envelope of the window's four units; average: four, each weighing 1/4
              const [groups, weight] = pool === 'max' ? [[lines], w] : [lines.map((l) => [l]), w / 4];
              for (const group of groups) {
                const { s0, s1, spread } = envelopeSlopes([[0, 0], ...group]);
                TV += Math.abs(weight) * (s1 - s0);
                ends += Math.abs(weight) * spread;
                g0 += weight * s0;
                g1 += weight * s1;
              }
              for (const [, d] of lines) scale += Math.abs(w * d);
            }
            const I = fx[e * 4 + k]! - fb[e * 4 + k]!;
            // a node at 0 or 1 weighs at most 1/(n − 1) (Gauss–Legendre and midpoint nodes are inside)
            const endNodes = method === 'gaussLegendre' || method === 'riemannMiddle' ? 0 : ends / (steps - 1);
            const bound = ruleBound(method, steps, { TV }) + endNodes + 64 * (steps + 108) * Number.EPSILON * scale;
            expect(Math.abs(r.delta.get(e) - expectedBias(method, steps, I, g0, g1)), `${method} ${steps}: TV ${TV}`).toBeLessThanOrEqual(bound);
          }
        },
      ),
      { numRuns: runs(30) },
    );
  });
});

/**
 * max_i (a_i + α b_i) at α = 0 and α = 1: the right slope at 0 (the steepest of the lines
 * attaining the max there), the left slope at 1 (the flattest), and the spread of the slopes
 * of the tied lines at each end: where lines tie at an end point, the gradient autograd takes
 * there is any one of their slopes, not necessarily the one-sided limit.
 */
function envelopeSlopes(lines: [number, number][]): { s0: number; s1: number; spread: number } {
  const tied = (alpha: number) => {
    const top = Math.max(...lines.map(([a, b]) => a + alpha * b));
    return lines.filter(([a, b]) => a + alpha * b === top).map(([, b]) => b);
  };
  const [t0, t1] = [tied(0), tied(1)];
  const s0 = Math.max(...t0);
  const s1 = Math.min(...t1);
  return { s0, s1, spread: s0 - Math.min(...t0) + Math.max(...t1) - s1 };
}

describe('sensitivity', () => {
  it("(a) the paper's 1 - relu(1 - x): gradients give 0, IG gives 1", () => {
    const f = (x: Tensor) => sub(1, relu(sub(1, reshape(x, [x.shape[0]!]))));
    const x = tensor([[2]], { dtype: 'float64' });
    expect(Math.abs(flat(integratedGradients(f, x, { steps: 50 }).attributions)[0]! - 1)).toBeLessThan(1e-12);
    // ±0: the gradient is zero (its sign bit depends on the backward pass)
    expect(Math.abs(flat(saliency(f, x).attributions)[0]!)).toBe(0);
    expect(Math.abs(flat(inputXGradient(f, x).attributions)[0]!)).toBe(0);
    for (const method of ['riemannLeft', 'riemannRight', 'riemannMiddle', 'riemannTrapezoid'] as const) {
      const a = flat(integratedGradients(f, x, { steps: 50, method }).attributions)[0]!;
      expect(Math.abs(a - 1)).toBeLessThanOrEqual(2 / 50 + 1e-12);
    }
  });

  it('(a) one differing feature with a changed output: all other features get exactly 0, and it gets the path integral of its partial derivative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom(...QUADRATURE_METHODS), (seed, i, method) => {
        const m = randomMlp(seed, [5, 7, 1], 'softplus');
        const x = inputs(seed + 3, [1, 5]);
        const xb = x.toTypedArray().slice();
        xb[i] = xb[i]! + 1.5;
        const baseline = new Tensor(Float64Array.from(xb), [1, 5], 'float64');
        const a = flat(integratedGradients(mlpForward(m), x, { baseline, steps: 24, method }).attributions);
        const want = straightIG((p) => mlpGradient(m, p, 0), x.toTypedArray(), xb, method, 24);
        a.forEach((v, j) => (j === i ? expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want[i]!))) : expect(v).toBe(0)));
      }),
      { numRuns: runs(20) },
    );
  });

  it('(b) dummy: a feature the network ignores gets exactly 0 for every rule, the others their path integrals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom<Act>('relu', 'tanh'), (seed, i, a) => {
        const m = randomMlp(seed, [4, 6, 2], a);
        const w = m.weights[0]!.toTypedArray().slice();
        for (let j = 0; j < 6; j++) w[i * 6 + j] = 0;
        m.weights[0] = new Tensor(w, [4, 6], 'float64');
        const x = inputs(seed + 5, [3, 4]);
        for (const method of QUADRATURE_METHODS) {
          const at = integratedGradients(mlpForward(m), x, { target: 1, steps: 16, method, baseline: 0.3 }).attributions;
          for (let r = 0; r < 3; r++) {
            expect(at.get(r, i)).toBe(0);
            agree(row(at.toTypedArray(), r, 4), straightIG((p) => mlpGradient(m, p, 1), row(x.toTypedArray(), r, 4), [0.3, 0.3, 0.3, 0.3], method, 16), method);
          }
        }
      }),
      { numRuns: runs(15) },
    );
  });
});

describe('implementation invariance', () => {
  it("the paper's f and g (same function, different networks): IG_2 = −1 exactly, IG_1 = 3·(weight of the nodes past the kink at α = 1/3), within 3·(node gap) of 2", () => {
    // along x = α(3, 1): ∂f/∂x1 = 1[3α > 1], ∂f/∂x2 = −1, so with n Gauss–Legendre nodes
    // IG_1 = 3 Σ_{α_k > 1/3} w_k (2.00729689… for n = 300; exactly 2 needs the kink resolved)
    // and, by the Chebyshev–Markov–Stieltjes separation theorem, |IG_1 − 2| < 3 · (the gap
    // between the two nodes around 1/3)
    const col = (x: Tensor, j: number) => reshape(matmul(x, tensor(j === 0 ? [[1], [0]] : [[0], [1]], { dtype: 'float64' })), [x.shape[0]!]);
    const f = (x: Tensor) => sub(relu(sub(relu(col(x, 0)), 1)), relu(relu(col(x, 1))));
    const g = (x: Tensor) => sub(relu(relu(sub(col(x, 0), 1))), relu(relu(col(x, 1))));
    const x = tensor([[3, 1]], { dtype: 'float64' });
    for (const steps of [300, 301, 64, 7]) {
      const af = flat(integratedGradients(f, x, { steps }).attributions);
      const ag = flat(integratedGradients(g, x, { steps }).attributions);
      const { alphas, weights } = quadrature('gaussLegendre', steps);
      let past = 0;
      let k = 0;
      while (alphas[k]! <= 1 / 3) k++;
      for (let j = k; j < steps; j++) past += weights[j]!;
      expect(Math.abs(af[0]! - 3 * past)).toBeLessThanOrEqual(4 * steps * Number.EPSILON);
      expect(Math.abs(af[0]! - 2)).toBeLessThan(3 * (alphas[k]! - alphas[k - 1]!));
      expect(Math.abs(af[1]! + 1)).toBeLessThanOrEqual(4 * steps * Number.EPSILON);
      af.forEach((v, i) => expect(v).toBe(ag[i]));
    }
    expect(flat(integratedGradients(f, x, { steps: 300 }).attributions)[0]).toBeCloseTo(2.00729689, 8);
  });

  it('duplicating every hidden unit and halving its outgoing weights changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<Act>('relu', 'softplus', 'tanh'), (seed, a) => {
        const m = randomMlp(seed, [4, 5, 3], a);
        const w0 = m.weights[0]!.toTypedArray();
        const w1 = m.weights[1]!.toTypedArray();
        const b0 = m.biases[0]!.toTypedArray();
        const W0 = new Float64Array(4 * 10);
        const W1 = new Float64Array(10 * 3);
        const B0 = new Float64Array(10);
        for (let h = 0; h < 5; h++) {
          for (let i = 0; i < 4; i++) W0[i * 10 + 2 * h] = W0[i * 10 + 2 * h + 1] = w0[i * 5 + h]!;
          B0[2 * h] = B0[2 * h + 1] = b0[h]!;
          for (let o = 0; o < 3; o++) W1[2 * h * 3 + o] = W1[(2 * h + 1) * 3 + o] = w1[h * 3 + o]! / 2;
        }
        const wide: Mlp = { activation: a, weights: [new Tensor(W0, [4, 10], 'float64'), m.weights[1]!], biases: [new Tensor(B0, [10], 'float64'), m.biases[1]!] };
        wide.weights[1] = new Tensor(W1, [10, 3], 'float64');
        const x = inputs(seed + 11, [2, 4]);
        const got = integratedGradients(mlpForward(wide), x, { target: [0, 2], steps: 33, method: 'riemannTrapezoid' }).attributions;
        const xb = new Array<number>(4).fill(0);
        // the narrow network's IG, written out from its own hand-derived gradient
        [0, 2].forEach((k, e) => agree(row(got.toTypedArray(), e, 4), straightIG((p) => mlpGradient(m, p, k), row(x.toTypedArray(), e, 4), xb, 'riemannTrapezoid', 33)));
      }),
      { numRuns: runs(15) },
    );
  });
});

describe('linearity and symmetry', () => {
  it('IG(a f + b g) = a IG(f) + b IG(g), each IG written out from hand-derived gradients', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, a, b) => {
        const mf = randomMlp(seed, [3, 4, 2], 'relu');
        const mg = randomMlp(seed + 1, [3, 4, 2], 'tanh');
        const [f, g] = [mlpForward(mf), mlpForward(mg)];
        const h = (x: Tensor) => add(mul(f(x), a), mul(g(x), b));
        const x = inputs(seed + 2, [2, 3]);
        const o = { target: 1, steps: 20, method: 'riemannMiddle' as const };
        const lhs = integratedGradients(h, x, o).attributions;
        const zero = [0, 0, 0];
        for (let e = 0; e < 2; e++) {
          const xe = row(x.toTypedArray(), e, 3);
          const rf = straightIG((p) => mlpGradient(mf, p, 1), xe, zero, o.method, o.steps);
          const rg = straightIG((p) => mlpGradient(mg, p, 1), xe, zero, o.method, o.steps);
          agree(row(lhs.toTypedArray(), e, 3), rf.map((v, i) => a * v + b * rg[i]!));
        }
      }),
      { numRuns: runs(20) },
    );
  });

  it("symmetry: relu(x1 + x2 - 1) at (1, 1) gives (0.5, 0.5); symmetric networks give equal attributions to equal inputs", () => {
    const f = (x: Tensor) => relu(sub(sum(x, { axis: 1 }), 1));
    // along α(1, 1) the gradient is 1[2α > 1] for both features: exactly the weight past the kink
    // at α = 1/2, which is 1/2 for every even Gauss–Legendre count (symmetric nodes, none at 1/2)
    flat(integratedGradients(f, tensor([[1, 1]], { dtype: 'float64' }), { steps: 64 }).attributions).forEach((v) => expect(Math.abs(v - 0.5)).toBeLessThanOrEqual(64 * Number.EPSILON));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, v) => {
        const m = randomMlp(seed, [2, 6, 1], 'softplus');
        const base = mlpForward(m);
        const swap = tensor([[0, 1], [1, 0]], { dtype: 'float64' });
        const sym = (x: Tensor) => reshape(add(base(x), base(matmul(x, swap))), [x.shape[0]!]);
        const a = flat(integratedGradients(sym, tensor([[v, v]], { dtype: 'float64' }), { steps: 16 }).attributions);
        expect(Math.abs(a[0]! - a[1]!)).toBeLessThan(1e-12);
        // ∇sym(p) = ∇base(p) + swap ∇base(swap p)
        const gradSym = (p: number[]) => {
          const g1 = mlpGradient(m, p, 0);
          const g2 = mlpGradient(m, [p[1]!, p[0]!], 0);
          return [g1[0]! + g2[1]!, g1[1]! + g2[0]!];
        };
        agree(a, straightIG(gradSym, [v, v], [0, 0], 'gaussLegendre', 16));
      }),
      { numRuns: runs(15) },
    );
  });
});

describe('batching invariance', () => {
  it('internalBatchSize of 1, 7, N and none give the same attributions and deltas', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const f = randomCnn(seed, 'softplus', 'max');
        const x = inputs(seed + 9, [3, 1, 6, 6]);
        const o = { target: [0, 1, 2], steps: 9, method: 'gaussLegendre' as const };
        const ref = integratedGradients(f, x, o);
        for (const internalBatchSize of [1, 7, 3]) {
          const r = integratedGradients(f, x, { ...o, internalBatchSize });
          const a = flat(r.attributions);
          flat(ref.attributions).forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(v))));
          flat(ref.delta).forEach((v, i) => expect(Math.abs(v - flat(r.delta)[i]!)).toBeLessThan(1e-12));
        }
      }),
      { numRuns: runs(8) },
    );
  });
});

