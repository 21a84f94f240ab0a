/**
 * IGC with `[B, J]` regression targets and a subset of `components`: column j of the
 * targets belongs to output j, whichever components are explained and in whatever order.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, matmul, randn, rng, tanh } from '@pathgrad/tensor';
import { integratedGradientCorrelation } from '../src/index.js';

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
