/**
 * Every method against an independent, straightforward implementation written here (from the
 * paper's or the reference code's definition, with closed-form gradients of small models, and
 * the same seeded draws where the method samples), or against a closed form:
 * expected gradients (GradientSHAP), noise tunnel, layer IG, Blur IG, IDGI and integrated
 * Hessians.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Linear, Module, Sequential, Tanh } from '@pathgrad/nn';
import { Tensor, add, cast, matmul, mul, randn, reshape, rng, sum, tanh } from '@pathgrad/tensor';
import {
  blurIG,
  expectedGradients,
  gaussianBlur2d,
  guidedIG,
  idgi,
  integratedGradients,
  integratedHessians,
  layerIntegratedGradients,
  noiseTunnel,
  quadrature,
  saliency,
  QUADRATURE_METHODS,
  type QuadratureMethod,
} from '../src/index.js';
import { runs } from './fc.js';

const EPS = 2 ** -52;
const toF64 = (t: Tensor) => Float64Array.from(t.toTypedArray());

/**
 * F(x) = b·x + ½ xᵀAx + c on flattened inputs of D features, one output (A symmetric), with
 * its gradient and Hessian in closed form.
 */
function quadratic(seed: number, D: number) {
  const g = rng(seed);
  const M = toF64(randn([D, D], g, { dtype: 'float64', std: 0.6 }));
  const A = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) A[i * D + j] = (M[i * D + j]! + M[j * D + i]!) / 2;
  const b = toF64(randn([D], g, { dtype: 'float64' }));
  const c = g.normal();
  const At = new Tensor(A, [D, D], 'float64');
  const bt = new Tensor(b, [D, 1], 'float64');
  const forward = (x: Tensor): Tensor => {
    const z = reshape(x, [x.shape[0]!, D]);
    const quad = sum(mul(matmul(z, cast(At, x.dtype)), z), { axis: 1 });
    return add(add(reshape(matmul(z, cast(bt, x.dtype)), [x.shape[0]!]), mul(quad, 0.5)), c);
  };
  const value = (p: ArrayLike<number>) => {
    let v = c;
    for (let i = 0; i < D; i++) {
      v += b[i]! * p[i]!;
      for (let j = 0; j < D; j++) v += 0.5 * p[i]! * A[i * D + j]! * p[j]!;
    }
    return v;
  };
  const gradient = (p: ArrayLike<number>) => {
    const out = Float64Array.from(b);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) out[i]! += A[i * D + j]! * p[j]!;
    return out;
  };
  return { A, b, c, forward, value, gradient };
}

/** |got − want| ≤ rel · max(1, |want|, extraScale) elementwise. */
const close = (got: ArrayLike<number>, want: ArrayLike<number>, rel: number, label = '', extraScale = 0) => {
  let scale = Math.max(1, extraScale);
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${label}[${i}]`).toBeLessThanOrEqual(rel * scale);
};

describe('expectedGradients (GradientSHAP semantics)', () => {
  const D = 4;
  const model = quadratic(3, D);
  const x = randn([2, D], rng(4), { dtype: 'float64' });
  const data = randn([5, D], rng(5), { dtype: 'float64' });

  /** The definition with the method's own draw order: per sample i (example i mod N), ref ~ U{data}, α ~ U(0,1); then the noise. */
  function reference(samples: number, stdev: number, seed: number, multiply: boolean) {
    const g = rng(seed);
    const n = 2;
    const total = n * samples;
    const ref: number[] = [];
    const alpha: number[] = [];
    for (let i = 0; i < total; i++) {
      ref.push(g.int(0, 5));
      alpha.push(g.uniform());
    }
    const noise = Array.from({ length: total }, () => (stdev > 0 ? Array.from({ length: D }, () => stdev * g.normal()) : new Array<number>(D).fill(0)));
    const xs = toF64(x);
    const ds = toF64(data);
    const attr = new Float64Array(n * D);
    const terms: Float64Array[] = []; // per-sample terms, for the sampling error
    for (let i = 0; i < total; i++) {
      const e = i % n;
      const r = ds.subarray(ref[i]! * D, ref[i]! * D + D);
      const z = Array.from({ length: D }, (_, d) => xs[e * D + d]! + noise[i]![d]! - r[d]!);
      const grad = model.gradient(z.map((zd, d) => r[d]! + alpha[i]! * zd));
      const t = Float64Array.from({ length: D }, (_, d) => (multiply ? z[d]! : 1) * grad[d]!);
      terms.push(t);
      for (let d = 0; d < D; d++) attr[e * D + d]! += t[d]! / samples;
    }
    return { attr, terms };
  }

  it('equals its definition, sample by sample, with and without noise and multiplier', () => {
    for (const stdev of [0, 0.7]) {
      for (const multiplyByInputs of [true, false]) {
        const r = expectedGradients(model.forward, x, { data, samples: 9, stdev, seed: 11, multiplyByInputs });
        close(toF64(r.attributions), reference(9, stdev, 11, multiplyByInputs).attr, 64 * EPS, `stdev ${stdev} multiply ${multiplyByInputs}`);
      }
    }
  });

  it('one reference and a linear model: exactly (x − x′) ⊙ w, whatever the samples', () => {
    const w = [0.5, -1, 2, 0.25];
    const lin = (z: Tensor) => reshape(matmul(z, new Tensor(Float64Array.from(w), [D, 1], 'float64')), [z.shape[0]!]);
    const ref = randn([1, D], rng(9), { dtype: 'float64' });
    const r = expectedGradients(lin, x, { data: ref, samples: 7, seed: 2 });
    const xs = toF64(x);
    const rs = toF64(ref);
    close(toF64(r.attributions), Array.from(xs, (v, i) => (v - rs[i % D]!) * w[i % D]!), 16 * EPS);
  });

  it('converges in samples to Captum GradientShap’s closed form on a quadratic: mean_j [u⊙∇F(x′_j) + ½ u⊙Au] + ½σ² diag(A), u = x − x′_j', () => {
    // E over α ~ U(0,1), ε ~ N(0, σ²I) of (u + ε) ⊙ (∇F(x′) + α A(u + ε)); the ½σ² A_ii term
    // comes from multiplying by the noisy difference x + ε − x′ (Captum's InputBaselineXGradient
    // on the noised inputs); multiplying by x − x′ instead would drop it
    const sigma = 1;
    const samples = 3000;
    const r = expectedGradients(model.forward, x, { data, samples, stdev: sigma, seed: 7 });
    const got = toF64(r.attributions);
    const { terms } = reference(samples, sigma, 7, true);
    const xs = toF64(x);
    const ds = toF64(data);
    for (let e = 0; e < 2; e++) {
      const expected = new Float64Array(D);
      for (let j = 0; j < 5; j++) {
        const xr = ds.subarray(j * D, j * D + D);
        const u = Array.from({ length: D }, (_, d) => xs[e * D + d]! - xr[d]!);
        const g0 = model.gradient(xr);
        for (let i = 0; i < D; i++) {
          let au = 0;
          for (let k = 0; k < D; k++) au += model.A[i * D + k]! * u[k]!;
          expected[i]! += (u[i]! * g0[i]! + 0.5 * u[i]! * au) / 5;
        }
      }
      for (let i = 0; i < D; i++) {
        expected[i]! += 0.5 * sigma * sigma * model.A[i * D + i]!;
        // 5 standard errors of the sample mean (the spread of the defining terms)
        const mine = terms.filter((_, k) => k % 2 === e).map((t) => t[i]!);
        const mean = mine.reduce((s, v) => s + v, 0) / mine.length;
        const sd = Math.sqrt(mine.reduce((s, v) => s + (v - mean) ** 2, 0) / (mine.length - 1));
        expect(Math.abs(got[e * D + i]! - expected[i]!), `example ${e} feature ${i}`).toBeLessThanOrEqual((5 * sd) / Math.sqrt(samples));
      }
    }
  });

  it('delta: Σ attributions − (F(x) − mean F(x′_j)) over the drawn references', () => {
    const r = expectedGradients(model.forward, x, { data, samples: 6, seed: 1 });
    const g = rng(1);
    const refs: number[] = [];
    for (let i = 0; i < 12; i++) {
      refs.push(g.int(0, 5));
      g.uniform();
    }
    const xs = toF64(x);
    const ds = toF64(data);
    const attr = toF64(r.attributions);
    for (let e = 0; e < 2; e++) {
      let fRef = 0;
      for (let i = e; i < 12; i += 2) fRef += model.value(ds.subarray(refs[i]! * D, refs[i]! * D + D)) / 6;
      const s = attr.slice(e * D, e * D + D).reduce((a, v) => a + v, 0);
      expect(Math.abs(r.delta.get(e) - (s - (model.value(xs.subarray(e * D, e * D + D)) - fRef)))).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('noiseTunnel', () => {
  const D = 5;
  const model = quadratic(21, D);
  const x = randn([2, D], rng(22), { dtype: 'float64' });

  /** The definition: per sample, per example, ε = stdev_e · N(0, I) from one generator; the map is the gradient (saliency without abs). */
  function reference(type: 'smoothgrad' | 'smoothgradSq' | 'vargrad', samples: number, stdevs: number[], seed: number) {
    const g = rng(seed);
    const xs = toF64(x);
    const s1 = new Float64Array(2 * D);
    const s2 = new Float64Array(2 * D);
    for (let s = 0; s < samples; s++) {
      for (let e = 0; e < 2; e++) {
        const p = Array.from({ length: D }, (_, d) => xs[e * D + d]! + stdevs[e]! * g.normal());
        model.gradient(p).forEach((v, d) => {
          s1[e * D + d]! += v / samples;
          s2[e * D + d]! += (v * v) / samples;
        });
      }
    }
    return type === 'smoothgrad' ? s1 : type === 'smoothgradSq' ? s2 : s2.map((v, i) => v - s1[i]! ** 2);
  }

  it('smoothgrad, smoothgradSq and vargrad equal their definitions with the same seeded noise (absolute stdev and noiseLevel)', () => {
    const xs = toF64(x);
    const range = [0, 1].map((e) => Math.max(...xs.slice(e * D, e * D + D)) - Math.min(...xs.slice(e * D, e * D + D)));
    // vargrad = mean(g²) − mean(g)² cancels: its rounding is relative to mean(g²)
    const squares = (stdevs: number[], seed: number) => Math.max(...reference('smoothgradSq', 12, stdevs, seed));
    const levels = range.map((v) => 0.2 * v);
    for (const type of ['smoothgrad', 'smoothgradSq', 'vargrad'] as const) {
      const abs = noiseTunnel(saliency, { type, samples: 12, stdev: 0.4, seed: 3 })(model.forward, x, { abs: false });
      close(toF64(abs.attributions), reference(type, 12, [0.4, 0.4], 3), 64 * EPS, `${type} stdev`, squares([0.4, 0.4], 3));
      const rel = noiseTunnel(saliency, { type, samples: 12, noiseLevel: 0.2, seed: 4 })(model.forward, x, { abs: false });
      expect(Array.from(rel.stdevs)).toEqual(levels);
      close(toF64(rel.attributions), reference(type, 12, levels, 4), 64 * EPS, `${type} noiseLevel`, squares(levels, 4));
    }
  });

  it('on a quadratic, smoothgrad → ∇F(x) and vargrad → σ² diag(A²) (the gradient is affine: ∇F(x + ε) = ∇F(x) + Aε)', () => {
    const sigma = 0.5;
    const samples = 4000;
    const sg = toF64(noiseTunnel(saliency, { samples, stdev: sigma, seed: 8 })(model.forward, x, { abs: false }).attributions);
    const vg = toF64(noiseTunnel(saliency, { type: 'vargrad', samples, stdev: sigma, seed: 8 })(model.forward, x, { abs: false }).attributions);
    const xs = toF64(x);
    for (let e = 0; e < 2; e++) {
      const g0 = model.gradient(xs.subarray(e * D, e * D + D));
      for (let i = 0; i < D; i++) {
        let a2 = 0;
        for (let k = 0; k < D; k++) a2 += model.A[i * D + k]! ** 2;
        const v = sigma * sigma * a2; // Var[(Aε)_i]
        // the sample mean has standard error √(v/S); the sample variance of a Gaussian has
        // relative standard error √(2/S): 5 standard errors each
        expect(Math.abs(sg[e * D + i]! - g0[i]!)).toBeLessThanOrEqual(5 * Math.sqrt(v / samples));
        expect(Math.abs(vg[e * D + i]! - v)).toBeLessThanOrEqual(5 * Math.sqrt(2 / samples) * v);
      }
    }
  });
});

class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('layerIntegratedGradients', () => {
  const net = () =>
    new Sequential(new Identity(), new Linear(4, 6, { rng: 1, dtype: 'float64' }), new Tanh(), new Linear(6, 3, { rng: 2, dtype: 'float64' }));

  it('at an identity first layer (and at the first Linear layer’s input) it is input IG, for every rule', () => {
    const model = net();
    const x = randn([3, 4], rng(31), { dtype: 'float64' });
    const baseline = randn([1, 4], rng(32), { dtype: 'float64' });
    for (const method of QUADRATURE_METHODS) {
      const o = { target: [0, 1, 2], steps: 12, method, baseline };
      const ig = toF64(integratedGradients((z: Tensor) => model.forward(z), x, o).attributions);
      close(toF64(layerIntegratedGradients(model, '0', x, o).attributions), ig, 1e-13, `${method} identity`);
      close(toF64(layerIntegratedGradients(model, '1', x, { ...o, attributeToLayerInput: true }).attributions), ig, 1e-13, `${method} layer input`);
    }
  });

  it('at the tanh layer, whose rest is linear: (h(x) − h(x′)) ⊙ W2[k] · Σ w_k exactly', () => {
    const model = net();
    const x = randn([2, 4], rng(33), { dtype: 'float64' });
    const W2 = toF64((model.getSubmodule('3') as Linear).weight.value); // [3, 6]
    const hidden = (z: Tensor) => toF64((model.getSubmodule('2') as Tanh).forward((model.getSubmodule('1') as Linear).forward(z)));
    const hx = hidden(x);
    const hb = hidden(new Tensor(new Float64Array(8), [2, 4], 'float64'));
    for (const method of ['gaussLegendre', 'riemannLeft', 'captumTrapezoid'] as QuadratureMethod[]) {
      const steps = 7;
      const S0 = quadrature(method, steps).weights.reduce((s, w) => s + w, 0);
      const r = layerIntegratedGradients(model, '2', x, { target: [2, 0], steps, method });
      const want = Array.from(hx, (v, i) => (v - hb[i]!) * W2[[2, 0][Math.floor(i / 6)]! * 6 + (i % 6)]! * S0);
      close(toF64(r.attributions), want, 1e-14, method);
    }
  });
});

describe('blurIG', () => {
  const H = 6;
  const D = H * H;
  const model = quadratic(41, D);
  const x = randn([2, 1, H, H], rng(42), { dtype: 'float64' });

  /** PAIR saliency's BlurIG.GetMask at batch_size 1, per example. */
  function reference(maxSigma: number, steps: number, gradStep: number, sqrt: boolean) {
    const sigmas = Array.from({ length: steps + 1 }, (_, i) => (sqrt ? Math.sqrt((i * maxSigma) / steps) : (i * maxSigma) / steps));
    const attr = new Float64Array(2 * D);
    for (let i = 0; i < steps; i++) {
      const xi = toF64(gaussianBlur2d(x, sigmas[i]!));
      const xh = toF64(gaussianBlur2d(x, sigmas[i]! + gradStep));
      for (let e = 0; e < 2; e++) {
        const grad = model.gradient(xi.subarray(e * D, e * D + D));
        for (let d = 0; d < D; d++) attr[e * D + d]! -= (sigmas[i + 1]! - sigmas[i]!) * ((xh[e * D + d]! - xi[e * D + d]!) / gradStep) * grad[d]!;
      }
    }
    return { attr, start: toF64(gaussianBlur2d(x, sigmas[steps]!)) };
  }

  for (const sqrt of [false, true]) {
    it(`attributions equal PAIR's definition and delta compares with F(blur(x, σ_0)), σ_0 the path's start (sqrt: ${sqrt})`, () => {
      const r = blurIG(model.forward, x, { maxSigma: 4, steps: 30, gradStep: 0.01, sqrt });
      const { attr, start } = reference(4, 30, 0.01, sqrt);
      close(toF64(r.attributions), attr, 1e-12);
      for (let e = 0; e < 2; e++) {
        const s = attr.slice(e * D, e * D + D).reduce((a, v) => a + v, 0);
        const gap = model.value(toF64(x).subarray(e * D, e * D + D)) - model.value(start.subarray(e * D, e * D + D));
        expect(Math.abs(r.delta.get(e) - (s - gap)), `example ${e}`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(gap)));
      }
    });
  }
});

describe('idgi', () => {
  const D = 5;
  const model = quadratic(51, D);
  const x = randn([2, D], rng(52), { dtype: 'float64' });
  const xb = randn([2, D], rng(53), { dtype: 'float64' });

  /** The authors' IDGI(Gradients, Predictions) over the given path points. */
  function reference(points: Float64Array[][]): Float64Array {
    const out = new Float64Array(2 * D);
    points.forEach((pts, e) => {
      for (let j = 0; j + 1 < pts.length; j++) {
        const g = model.gradient(pts[j]!);
        const d = model.value(pts[j + 1]!) - model.value(pts[j]!);
        const norm = g.reduce((s, v) => s + v * v, 0);
        for (let i = 0; i < D; i++) out[e * D + i]! += (g[i]! ** 2 * d) / norm;
      }
    });
    return out;
  }

  it('straight path: equals the authors’ formula on the points x′ + (j/N)(x − x′), j = 0..N', () => {
    for (const steps of [1, 3, 17]) {
      const r = idgi(model.forward, x, { baseline: xb, steps });
      const xs = toF64(x);
      const bs = toF64(xb);
      const pts = [0, 1].map((e) => Array.from({ length: steps + 1 }, (_, j) => Float64Array.from({ length: D }, (_, i) => bs[e * D + i]! + (j / steps) * (xs[e * D + i]! - bs[e * D + i]!))));
      close(toF64(r.attributions), reference(pts), 1e-12, `steps ${steps}`);
    }
  });

  it('blur path: equals the authors’ formula on the points blur(x, (N − j)·maxSigma/N)', () => {
    const img = randn([2, 1, 3, 3], rng(54), { dtype: 'float64' });
    const m9 = quadratic(55, 9);
    const steps = 6;
    const r = idgi(m9.forward, img, { path: 'blur', steps, maxSigma: 2 });
    const blurred = Array.from({ length: steps + 1 }, (_, j) => toF64(gaussianBlur2d(img, ((steps - j) * 2) / steps)));
    const want = new Float64Array(18);
    for (let e = 0; e < 2; e++) {
      for (let j = 0; j < steps; j++) {
        const p = blurred[j]!.subarray(e * 9, e * 9 + 9);
        const g = m9.gradient(p);
        const d = m9.value(blurred[j + 1]!.subarray(e * 9, e * 9 + 9)) - m9.value(p);
        const norm = g.reduce((s, v) => s + v * v, 0);
        for (let i = 0; i < 9; i++) want[e * 9 + i]! += (g[i]! ** 2 * d) / norm;
      }
    }
    close(toF64(r.attributions), want, 1e-12);
  });

  it('guided path: with maxDist 0 the guided walk is the straight line, so IDGI equals the straight-path IDGI', () => {
    const a = toF64(idgi(model.forward, x, { path: 'guided', baseline: xb, steps: 20, maxDist: 0 }).attributions);
    const b = toF64(idgi(model.forward, x, { baseline: xb, steps: 20 }).attributions);
    close(a, b, 1e-10);
  });

  it('any path, a linear model: the gradient is w everywhere, so IDGI = (F(x) − F(x′)) w²/‖w‖² (unlike IG’s (x − x′) ⊙ w)', () => {
    const w = [1, -2, 0.5, 3, -1];
    const lin = (z: Tensor) => reshape(matmul(z, new Tensor(Float64Array.from(w), [D, 1], 'float64')), [z.shape[0]!]);
    const norm = w.reduce((s, v) => s + v * v, 0);
    const xs = toF64(x);
    const bs = toF64(xb);
    for (const path of ['straight', 'guided'] as const) {
      for (const maxDist of [0.02, 0.3, 1]) {
        const r = idgi(lin, x, { path, baseline: xb, steps: 15, maxDist });
        const want = Array.from({ length: 2 * D }, (_, k) => {
          const e = Math.floor(k / D);
          const change = w.reduce((s, wi, i) => s + wi * (xs[e * D + i]! - bs[e * D + i]!), 0);
          return (change * w[k % D]! ** 2) / norm;
        });
        close(toF64(r.attributions), want, 1e-12, `${path} ${maxDist}`);
      }
    }
  });

  it('guided path: each step’s weights follow the guided walk, not the straight line (differs from straight IDGI when maxDist > 0)', () => {
    const a = toF64(idgi(model.forward, x, { path: 'guided', baseline: xb, steps: 20, maxDist: 0.5 }).attributions);
    const b = toF64(idgi(model.forward, x, { baseline: xb, steps: 20 }).attributions);
    const gi = guidedIG(model.forward, x, { baseline: xb, steps: 20, maxDist: 0.5 });
    expect(gi.attributions.shape).toEqual(x.shape);
    expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-6)).toBe(true);
    // and it is complete: Σ = F(x) − F(x′) up to float error
    const r = idgi(model.forward, x, { path: 'guided', baseline: xb, steps: 20, maxDist: 0.5 });
    toF64(r.delta).forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-10));
  });
});

describe('integratedHessians', () => {
  /** F(x) = Σ_j v_j tanh(w_jᵀx + c_j): ∇F = Σ v_j tanh'(z_j) w_j, ∇²F = Σ v_j tanh''(z_j) w_j w_jᵀ. */
  function tanhNet(seed: number, D: number, Hn: number) {
    const g = rng(seed);
    const W = toF64(randn([D, Hn], g, { dtype: 'float64' }));
    const c = toF64(randn([Hn], g, { dtype: 'float64' }));
    const v = toF64(randn([Hn], g, { dtype: 'float64' }));
    const forward = (x: Tensor) =>
      reshape(matmul(tanh(add(matmul(x, new Tensor(W, [D, Hn], 'float64')), new Tensor(c, [Hn], 'float64'))), new Tensor(v, [Hn, 1], 'float64')), [x.shape[0]!]);
    const derivs = (p: ArrayLike<number>) => {
      const grad = new Float64Array(D);
      const hess = new Float64Array(D * D);
      for (let j = 0; j < Hn; j++) {
        let z = c[j]!;
        for (let i = 0; i < D; i++) z += W[i * Hn + j]! * p[i]!;
        const t = Math.tanh(z);
        const d1 = 1 - t * t;
        const d2 = -2 * t * d1;
        for (let i = 0; i < D; i++) {
          grad[i]! += v[j]! * d1 * W[i * Hn + j]!;
          for (let k = 0; k < D; k++) hess[i * D + k]! += v[j]! * d2 * W[i * Hn + j]! * W[k * Hn + j]!;
        }
      }
      return { grad, hess };
    };
    return { forward, derivs };
  }

  /** Γ_ij = Δ_iΔ_j Σ_kl w_k w_l α_k α_l H_ij(x′ + α_kα_lΔ) + δ_ij Δ_i Σ_kl w_k w_l ∂_iF(x′ + α_kα_lΔ). */
  function reference(derivs: (p: ArrayLike<number>) => { grad: Float64Array; hess: Float64Array }, xs: ArrayLike<number>, bs: ArrayLike<number>, method: QuadratureMethod, steps: number) {
    const D = xs.length;
    const q = quadrature(method, steps);
    const out = new Float64Array(D * D);
    const delta = Array.from({ length: D }, (_, i) => xs[i]! - bs[i]!);
    for (let k = 0; k < steps; k++) {
      for (let l = 0; l < steps; l++) {
        const t = q.alphas[k]! * q.alphas[l]!;
        const w = q.weights[k]! * q.weights[l]!;
        const { grad, hess } = derivs(delta.map((d, i) => bs[i]! + t * d));
        for (let i = 0; i < D; i++) {
          for (let j = 0; j < D; j++) out[i * D + j]! += w * t * hess[i * D + j]! * delta[i]! * delta[j]!;
          out[i * D + i]! += w * grad[i]! * delta[i]!;
        }
      }
    }
    return out;
  }

  it('equals the double-quadrature definition for every rule on tanh networks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...QUADRATURE_METHODS), fc.integer({ min: 2, max: 6 }), (seed, method, steps) => {
        const D = 3;
        const net = tanhNet(seed, D, 4);
        const x = randn([2, D], rng(seed + 1), { dtype: 'float64' });
        const baseline = randn([2, D], rng(seed + 2), { dtype: 'float64' });
        const r = integratedHessians(net.forward, x, { baseline, method, steps });
        const xs = toF64(x);
        const bs = toF64(baseline);
        const got = toF64(r.interactions);
        for (let e = 0; e < 2; e++) {
          const want = reference(net.derivs, xs.subarray(e * D, e * D + D), bs.subarray(e * D, e * D + D), method, steps);
          close(got.subarray(e * D * D, (e + 1) * D * D), want, 1e-12, `example ${e}`);
        }
      }),
      { numRuns: runs(20) },
    );
  });

  it('equalWeight reproduces PAIR saliency’s IntegratedGradients and path_explain’s interactions (linspace nodes, mean of the points)', () => {
    // PAIR: (x − x′) ⊙ (1/k) Σ_{α ∈ linspace(0, 1, k)} ∇F(x′ + α(x − x′)).
    // path_explain: Γ_ji = mean_β Δ_i ∂/∂z_i [ (z_j − x′_j) mean_α ∂_jF(x′ + α(z − x′)) ] at
    // z = x′ + βΔ, both α and β on linspace(0, 1, k): the double-quadrature definition above
    // with the equal-weight rule (H symmetric, so Γ_ji = Γ_ij).
    const D = 3;
    const k = 7;
    const net = tanhNet(81, D, 5);
    const x = randn([1, D], rng(82), { dtype: 'float64' });
    const baseline = randn([1, D], rng(83), { dtype: 'float64' });
    const xs = toF64(x);
    const bs = toF64(baseline);
    const pair = new Float64Array(D);
    const pe = new Float64Array(D * D);
    for (let a = 0; a < k; a++) {
      const alpha = a / (k - 1);
      const g = net.derivs(Array.from(xs, (v, i) => bs[i]! + alpha * (v - bs[i]!))).grad;
      for (let i = 0; i < D; i++) pair[i]! += ((xs[i]! - bs[i]!) * g[i]!) / k;
    }
    for (let b = 0; b < k; b++) {
      const beta = b / (k - 1);
      for (let a = 0; a < k; a++) {
        const t = (a / (k - 1)) * beta;
        const { grad, hess } = net.derivs(Array.from(xs, (v, i) => bs[i]! + t * (v - bs[i]!)));
        for (let j = 0; j < D; j++) {
          for (let i = 0; i < D; i++) {
            // ∂/∂z_i of (z_j − x′_j) ∂_jF(x′ + α(z − x′)) = δ_ij ∂_jF + (z_j − x′_j) α H_ji
            const dj = beta * (xs[j]! - bs[j]!);
            const d = (i === j ? grad[j]! : 0) + dj * (a / (k - 1)) * hess[j * D + i]!;
            pe[j * D + i]! += ((xs[i]! - bs[i]!) * d) / (k * k);
          }
        }
      }
    }
    close(toF64(integratedGradients(net.forward, x, { baseline, method: 'equalWeight', steps: k }).attributions), pair, 1e-13, 'PAIR IG');
    close(toF64(integratedHessians(net.forward, x, { baseline, method: 'equalWeight', steps: k }).interactions), pe, 1e-13, 'path_explain');
  });

  it('a quadratic: Γ = Δ_iΔ_j A_ij/4 + δ_ij Δ_i (∇F(x′) + AΔ/4)_i exactly for the midpoint-symmetric rules; rows sum to IG', () => {
    const D = 4;
    const m = quadratic(61, D);
    const x = randn([1, D], rng(62), { dtype: 'float64' });
    const baseline = randn([1, D], rng(63), { dtype: 'float64' });
    const xs = toF64(x);
    const bs = toF64(baseline);
    const delta = Array.from({ length: D }, (_, i) => xs[i]! - bs[i]!);
    const g0 = m.gradient(bs);
    const want = new Float64Array(D * D);
    for (let i = 0; i < D; i++) {
      let ad = 0;
      for (let j = 0; j < D; j++) {
        want[i * D + j]! += (delta[i]! * delta[j]! * m.A[i * D + j]!) / 4;
        ad += m.A[i * D + j]! * delta[j]!;
      }
      want[i * D + i]! += delta[i]! * (g0[i]! + ad / 4);
    }
    for (const method of ['gaussLegendre', 'riemannMiddle', 'riemannTrapezoid', 'equalWeight'] as const) {
      const r = integratedHessians(m.forward, x, { baseline, method, steps: 5 });
      close(toF64(r.interactions), want, 1e-13, method);
      const ig = toF64(integratedGradients(m.forward, x, { baseline, method: 'gaussLegendre', steps: 2 }).attributions);
      close(toF64(r.rowSums), ig, 1e-13, `${method} rows`);
    }
  });
});

