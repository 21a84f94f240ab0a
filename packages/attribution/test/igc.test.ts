/**
 * IGC (Lelièvre & Chen 2024): the sum of each map equals the Pearson correlation between
 * predictions and targets (fixed baselines), and streaming/merging gives the one-pass result.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, matmul, randn, reshape, rng, softmax, tanh, tensor } from '@pathgrad/tensor';
import { IGCAccumulator, igcAccumulate, integratedGradientCorrelation, type DataBatch } from '../src/index.js';

function dataset(seed: number, n: number, d: number) {
  const g = rng(seed);
  const x = randn([n, d], g, { dtype: 'float64' });
  const xs = x.toTypedArray();
  const y = Float64Array.from({ length: n }, (_, i) => {
    let m = 0;
    for (let j = 0; j < d; j++) m += xs[i * d + j]! / d;
    return m + 0.3 * g.normal();
  });
  return { inputs: x, targets: new Tensor(y, [n], 'float64') };
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let c = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    c += (a[i]! - ma) * (b[i]! - mb);
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  }
  return c / Math.sqrt(va * vb);
}

const w = randn([5, 1], rng(1), { dtype: 'float64' });
const linear = (x: Tensor) => reshape(matmul(x, w), [x.shape[0]!]);
const w1 = randn([5, 6], rng(2), { dtype: 'float64' });
const w2 = randn([6, 1], rng(3), { dtype: 'float64' });
const smooth = (x: Tensor) => reshape(matmul(tanh(matmul(x, w1)), w2), [x.shape[0]!]);

describe('integratedGradientCorrelation', () => {
  it('sums to corr(ŷ, y) to 1e-9 with a fixed baseline (linear and tanh networks)', () => {
    const data = dataset(5, 300, 5);
    for (const model of [linear, smooth]) {
      const r = integratedGradientCorrelation(model, data, { steps: 64, method: 'gaussLegendre', baseline: 0.2 });
      const corr = pearson(model(data.inputs).toTypedArray(), data.targets.toTypedArray());
      expect(Math.abs(r.correlation[0]! - corr)).toBeLessThan(1e-12);
      expect(Math.abs(r.igcSum[0]! - corr)).toBeLessThan(1e-9);
      expect(r.igc.shape).toEqual([1, 5]);
    }
  });

  it('streaming in any batch size and merging shards equals the one-pass result', () => {
    const data = dataset(6, 120, 5);
    const opts = { steps: 16, method: 'gaussLegendre' as const };
    const onePass = integratedGradientCorrelation(smooth, data, opts);
    const split = (size: number): DataBatch[] => {
      const out: DataBatch[] = [];
      for (let s = 0; s < 120; s += size) {
        const e = Math.min(120, s + size);
        out.push({ inputs: new Tensor(data.inputs.toTypedArray().slice(s * 5, e * 5), [e - s, 5], 'float64'), targets: new Tensor(data.targets.toTypedArray().slice(s, e), [e - s], 'float64') });
      }
      return out;
    };
    for (const size of [1, 7, 50]) {
      const r = integratedGradientCorrelation(smooth, split(size), opts);
      Array.from(r.igc.toTypedArray()).forEach((v, i) => expect(Math.abs(v - onePass.igc.toTypedArray()[i]!)).toBeLessThan(1e-12));
    }
    // shards computed separately, serialised, merged
    const batches = split(30);
    const shards = batches.map((b) => IGCAccumulator.fromState(JSON.parse(JSON.stringify(igcAccumulate(smooth, b, opts).toState()))));
    const merged = shards[0]!;
    for (const s of shards.slice(1)) merged.merge(s);
    const m = merged.result();
    expect(m.count).toBe(120);
    Array.from(m.igc.toTypedArray()).forEach((v, i) => expect(Math.abs(v - onePass.igc.toTypedArray()[i]!)).toBeLessThan(1e-12));
  });

  it('classification: one map per class; each sums to the point-biserial correlation of p_k with 1[label = k]', () => {
    const g = rng(8);
    const x = randn([200, 4], g, { dtype: 'float64' });
    const W = randn([4, 3], g, { dtype: 'float64' });
    const logits = (z: Tensor) => matmul(z, W);
    const labels = Int32Array.from({ length: 200 }, () => g.int(0, 3));
    const r = integratedGradientCorrelation(logits, { inputs: x, targets: new Tensor(labels, [200], 'int32') }, { steps: 48, method: 'gaussLegendre' });
    expect(r.igc.shape).toEqual([3, 4]);
    const p = softmax(logits(x), 1).toTypedArray();
    for (let k = 0; k < 3; k++) {
      const pk = Array.from({ length: 200 }, (_, i) => p[i * 3 + k]!);
      const yk = Array.from(labels, (l) => (l === k ? 1 : 0));
      expect(Math.abs(r.igcSum[k]! - pearson(pk, yk))).toBeLessThan(1e-6);
    }
  });

  it('resampled dataset baselines: the sum is close to, not equal to, the correlation', () => {
    const data = dataset(9, 200, 5);
    const r = integratedGradientCorrelation(smooth, data, { steps: 32, method: 'gaussLegendre', baseline: { samples: 4, data: data.inputs } });
    expect(Math.abs(r.igcSum[0]! - r.correlation[0]!)).toBeLessThan(0.1);
  });

  it('rejects empty data, mismatched targets and out-of-range components', () => {
    const data = dataset(10, 10, 5);
    expect(() => integratedGradientCorrelation(smooth, [])).toThrow(/empty/);
    expect(() => integratedGradientCorrelation(smooth, { inputs: data.inputs, targets: tensor([1, 2], { dtype: 'float64' }) })).toThrow(/targets/);
    expect(() => integratedGradientCorrelation(smooth, data, { components: [3] })).toThrow(/component 3/);
  });
});

describe('integratedGradientCorrelation: [B, J] regression targets with a subset of components', () => {
  const g = rng(21);
  const n = 80;
  const x = randn([n, 4], g, { dtype: 'float64' });
  const w1 = randn([4, 6], rng(22), { dtype: 'float64' });
  const w2 = randn([6, 3], rng(23), { dtype: 'float64' });
  const model = (z: Tensor) => matmul(tanh(matmul(z, w1)), w2); // 3 outputs
  const out = model(x).toTypedArray();
  // three target columns with different relations to the three outputs, so a wrong column shows
  const y = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    y[i * 3] = out[i * 3]! + 0.5 * g.normal();
    y[i * 3 + 1] = -out[i * 3 + 1]! + 0.5 * g.normal();
    y[i * 3 + 2] = g.normal();
  }
  const data = { inputs: x, targets: new Tensor(y, [n, 3], 'float64') };
  const opts = { steps: 32, method: 'gaussLegendre' as const, baseline: 0 };

  it('component j is correlated with target column j (sum = corr(ŷ_j, y_j), a fixed baseline makes it exact up to quadrature)', () => {
    const r = integratedGradientCorrelation(model, data, { ...opts, components: [2, 0] });
    for (const [k, j] of [2, 0].entries()) {
      const yhat = Array.from({ length: n }, (_, i) => out[i * 3 + j]!);
      const yj = Array.from({ length: n }, (_, i) => y[i * 3 + j]!);
      expect(Math.abs(r.correlation[k]! - pearson(yhat, yj)), `component ${j}`).toBeLessThan(1e-12);
    }
  });

  it('a subset gives the same maps as the same components of the full run', () => {
    const full = integratedGradientCorrelation(model, data, opts);
    const sub = integratedGradientCorrelation(model, data, { ...opts, components: [1] });
    const f = full.igc.toTypedArray();
    const s = sub.igc.toTypedArray();
    for (let i = 0; i < 4; i++) expect(Math.abs(s[i]! - f[4 + i]!)).toBeLessThan(1e-12);
  });

  it('rejects [B, J] targets whose J is not the number of outputs', () => {
    const bad = { inputs: x, targets: new Tensor(y.slice(0, n * 2), [n, 2], 'float64') };
    expect(() => integratedGradientCorrelation(model, bad, { ...opts, components: [0, 1] })).toThrow(/targets/);
  });
});
