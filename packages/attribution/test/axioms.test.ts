/**
 * The IG axioms (Sundararajan et al. 2017; METHODS §1.3) as properties over random small
 * networks in float64: completeness, sensitivity (a) and (b), implementation invariance,
 * linearity, symmetry preservation, and invariance to internal batching.
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
import { integratedGradients, saliency, inputXGradient } from '../src/index.js';

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

function randomCnn(seed: number, activation: Act, pool: 'max' | 'avg'): (x: Tensor) => Tensor {
  const g = rng(seed);
  const w1 = randn([3, 1, 3, 3], g, { std: 0.5, dtype: 'float64' });
  const b1 = randn([3], g, { std: 0.1, dtype: 'float64' });
  const w2 = randn([3 * 3 * 3, 4], g, { std: 0.3, dtype: 'float64' });
  return (x) => {
    const h = act(activation, conv2d(x, w1, b1, { padding: 1 }));
    const p = pool === 'max' ? maxPool2d(h, { kernelSize: 2 }) : avgPool2d(h, { kernelSize: 2 });
    return matmul(reshape(p, [x.shape[0]!, 27]), w2);
  };
}

const inputs = (seed: number, shape: number[]): Tensor => randn(shape, rng(seed), { dtype: 'float64' });
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());
const maxAbs = (a: number[]): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('completeness', () => {
  it('smooth networks: |delta| falls as steps grow and Gauss-Legendre 64 is below 1e-8 relative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<Act>('softplus', 'tanh'), (seed, a) => {
        const f = mlpForward(randomMlp(seed, [5, 8, 6, 3], a));
        const x = inputs(seed + 1, [3, 5]);
        const run = (steps: number) => integratedGradients(f, x, { target: [0, 1, 2], steps });
        const d4 = maxAbs(flat(run(4).delta));
        const r64 = run(64);
        const d64 = maxAbs(flat(r64.delta));
        const scale = 1 + maxAbs(r64.inputScores.map((v, i) => v - r64.baselineScores[i]!) as unknown as number[]);
        expect(d64).toBeLessThanOrEqual(1e-8 * scale);
        expect(d64).toBeLessThanOrEqual(d4 + 1e-15);
      }),
      { numRuns: 15 },
    );
  });

  it('ReLU networks and CNNs with max/avg pooling: |delta| <= 5% of the attribution mass Σ|IG_i| at 512 trapezoid steps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<'max' | 'avg'>('max', 'avg'), (seed, pool) => {
        const f = randomCnn(seed, 'relu', pool);
        const x = inputs(seed + 7, [2, 1, 6, 6]);
        const r = integratedGradients(f, x, { target: [1, 3], steps: 512, method: 'riemannTrapezoid' });
        // kinks make the quadrature error scale with the integrand along the path (the gradients),
        // not with the endpoint difference, which can be near 0 (seed 40080: gap 0.032, |delta|
        // 0.0043): bound it by 5% of the attribution mass Σ|IG_i| (or of the gap, if larger)
        const a = flat(r.attributions);
        const per = a.length / 2;
        flat(r.delta).forEach((d, i) => {
          const mass = a.slice(i * per, (i + 1) * per).reduce((s, v) => s + Math.abs(v), 0);
          const gap = Math.abs(r.inputScores[i]! - r.baselineScores[i]!);
          expect(Math.abs(d)).toBeLessThanOrEqual(0.05 * Math.max(mass, gap) + 1e-9);
        });
      }),
      { numRuns: 10 },
    );
  });
});

describe('sensitivity', () => {
  it("(a) the paper's 1 - relu(1 - x): gradients give 0, IG gives 1", () => {
    const f = (x: Tensor) => sub(1, relu(sub(1, reshape(x, [x.shape[0]!]))));
    const x = tensor([[2]], { dtype: 'float64' });
    expect(Math.abs(flat(integratedGradients(f, x, { steps: 50 }).attributions)[0]! - 1)).toBeLessThan(1e-12);
    expect(flat(saliency(f, x).attributions)[0]).toBe(0);
    expect(flat(inputXGradient(f, x).attributions)[0]).toBe(0);
    for (const method of ['riemannLeft', 'riemannRight', 'riemannMiddle', 'riemannTrapezoid'] as const) {
      const a = flat(integratedGradients(f, x, { steps: 50, method }).attributions)[0]!;
      expect(Math.abs(a - 1)).toBeLessThanOrEqual(2 / 50 + 1e-12);
    }
  });

  it('(a) one differing feature with a changed output gets all of the change (up to quadrature error)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 4 }), (seed, i) => {
        const f = mlpForward(randomMlp(seed, [5, 7, 1], 'softplus'));
        const x = inputs(seed + 3, [1, 5]);
        const xb = x.toTypedArray().slice();
        xb[i] = xb[i]! + 1.5;
        const baseline = new Tensor(Float64Array.from(xb), [1, 5], 'float64');
        const r = integratedGradients(f, x, { baseline, steps: 64 });
        const a = flat(r.attributions);
        const change = r.inputScores[0]! - r.baselineScores[0]!;
        a.forEach((v, j) => (j === i ? expect(Math.abs(v - change)).toBeLessThan(1e-8) : expect(v).toBe(0)));
      }),
      { numRuns: 20 },
    );
  });

  it('(b) dummy: a feature the network ignores gets exactly 0 for every rule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom<Act>('relu', 'tanh'), (seed, i, a) => {
        const m = randomMlp(seed, [4, 6, 2], a);
        const w = m.weights[0]!.toTypedArray().slice();
        for (let j = 0; j < 6; j++) w[i * 6 + j] = 0;
        m.weights[0] = new Tensor(w, [4, 6], 'float64');
        const x = inputs(seed + 5, [3, 4]);
        for (const method of ['gaussLegendre', 'riemannTrapezoid'] as const) {
          const at = integratedGradients(mlpForward(m), x, { target: 1, steps: 16, method, baseline: 0.3 }).attributions;
          for (let r = 0; r < 3; r++) expect(at.get(r, i)).toBe(0);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('implementation invariance', () => {
  it("the paper's f and g (same function, different networks) give identical attributions (2.0073, -1)", () => {
    const col = (x: Tensor, j: number) => reshape(matmul(x, tensor(j === 0 ? [[1], [0]] : [[0], [1]], { dtype: 'float64' })), [x.shape[0]!]);
    const f = (x: Tensor) => sub(relu(sub(relu(col(x, 0)), 1)), relu(relu(col(x, 1))));
    const g = (x: Tensor) => sub(relu(relu(sub(col(x, 0), 1))), relu(relu(col(x, 1))));
    const x = tensor([[3, 1]], { dtype: 'float64' });
    const af = flat(integratedGradients(f, x, { steps: 300 }).attributions);
    const ag = flat(integratedGradients(g, x, { steps: 300 }).attributions);
    expect(af[0]).toBeCloseTo(2.0073, 4);
    expect(af[1]).toBeCloseTo(-1, 12);
    af.forEach((v, i) => expect(Math.abs(v - ag[i]!)).toBeLessThan(1e-12));
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
        const ref = flat(integratedGradients(mlpForward(m), x, { target: [0, 2], steps: 32 }).attributions);
        const got = flat(integratedGradients(mlpForward(wide), x, { target: [0, 2], steps: 32 }).attributions);
        ref.forEach((v, i) => expect(Math.abs(v - got[i]!)).toBeLessThanOrEqual(1e-10 * (1 + maxAbs(ref))));
      }),
      { numRuns: 15 },
    );
  });
});

describe('linearity and symmetry', () => {
  it('IG(a f + b g) = a IG(f) + b IG(g) for a fixed rule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, a, b) => {
        const f = mlpForward(randomMlp(seed, [3, 4, 2], 'relu'));
        const g = mlpForward(randomMlp(seed + 1, [3, 4, 2], 'tanh'));
        const h = (x: Tensor) => add(mul(f(x), a), mul(g(x), b));
        const x = inputs(seed + 2, [2, 3]);
        const o = { target: 1, steps: 20, method: 'riemannMiddle' as const };
        const lhs = flat(integratedGradients(h, x, o).attributions);
        const rf = flat(integratedGradients(f, x, o).attributions);
        const rg = flat(integratedGradients(g, x, o).attributions);
        lhs.forEach((v, i) => expect(Math.abs(v - (a * rf[i]! + b * rg[i]!))).toBeLessThan(1e-10));
      }),
      { numRuns: 20 },
    );
  });

  it("symmetry: relu(x1 + x2 - 1) at (1, 1) gives (0.5, 0.5); symmetric networks give equal attributions to equal inputs", () => {
    const f = (x: Tensor) => relu(sub(sum(x, { axis: 1 }), 1));
    expect(flat(integratedGradients(f, tensor([[1, 1]], { dtype: 'float64' }), { steps: 64 }).attributions).map((v) => Number(v.toFixed(10)))).toEqual([0.5, 0.5]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, v) => {
        const base = mlpForward(randomMlp(seed, [2, 6, 1], 'softplus'));
        const swap = tensor([[0, 1], [1, 0]], { dtype: 'float64' });
        const sym = (x: Tensor) => reshape(add(base(x), base(matmul(x, swap))), [x.shape[0]!]);
        const a = flat(integratedGradients(sym, tensor([[v, v]], { dtype: 'float64' }), { steps: 16 }).attributions);
        expect(Math.abs(a[0]! - a[1]!)).toBeLessThan(1e-12);
      }),
      { numRuns: 15 },
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
      { numRuns: 8 },
    );
  });
});

