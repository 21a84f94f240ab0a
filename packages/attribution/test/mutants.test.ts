/**
 * Tests written for mutants that survived `pnpm mutation` (scripts/mutation/mutants.ts):
 * each pins a value the mutant changes, from a hand computation or a closed form. The
 * mutant each one kills is named in its title.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, logSoftmax, matmul, mul, rng, softmax, sum, tensor } from '@pathgrad/tensor';
import {
  IGCAccumulator,
  aggregatePic,
  gaussianKernel1d,
  geometricallyGuidedIG,
  infidelity,
  integratedGradients,
  meanBaseline,
  sanityMaps,
  sensitivityMax,
  uniformNoiseBaseline,
  type PicCurve,
  type Perturbation,
} from '../src/index.js';

describe('baseline builders', () => {
  it('meanBaseline is the per-feature mean over the samples (mean-baseline-divisor)', () => {
    // three samples of two features: means (1 + 3 + 5)/3 = 3 and (2 + 6 + 10)/3 = 6
    const data = tensor([[1, 2], [3, 6], [5, 10]], { dtype: 'float64' });
    const [b] = meanBaseline(data).build(tensor([[0, 0]], { dtype: 'float64' }), rng(0));
    expect(Array.from(b!.toTypedArray())).toEqual([3, 6]);
  });

  it('uniformNoiseBaseline draws in [low, high), mean within Hoeffding of (low + high)/2 (uniform-baseline-range)', () => {
    const inputs = new Tensor(new Float64Array(20_000), [1, 20_000], 'float64');
    const [b] = uniformNoiseBaseline({ low: 2, high: 3 }).build(inputs, rng(1));
    const v = Array.from(b!.toTypedArray(), Number);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...v)).toBeLessThan(3);
    // Hoeffding: P(|mean − 2.5| ≥ t) ≤ 2 exp(−2 n t²) = 1e-9 at t = √(ln(2e9) / (2n))
    const t = Math.sqrt(Math.log(2e9) / (2 * v.length));
    expect(Math.abs(v.reduce((a, c) => a + c, 0) / v.length - 2.5)).toBeLessThan(t);
  });
});

describe('gaussianKernel1d', () => {
  it('has variance σ² (blur-kernel-sigma)', () => {
    // the sampled Gaussian's variance equals σ² up to the mass cut at 4σ (~6e-5) and an
    // aliasing term ~exp(−2π²σ²): 1e-3 relative is far above both and far below a σ/√2 kernel's ½
    for (const sigma of [1.5, 2, 3.5]) {
      const k = gaussianKernel1d(sigma);
      const r = (k.length - 1) / 2;
      let mass = 0;
      let variance = 0;
      k.forEach((w, i) => {
        mass += w;
        variance += w * (i - r) ** 2;
      });
      expect(mass).toBeCloseTo(1, 12);
      expect(Math.abs(variance / sigma ** 2 - 1)).toBeLessThan(1e-3);
    }
  });
});

describe('infidelity', () => {
  it('is the mean over samples, not the sum: a fixed perturbation gives (uᵀΦ − (F(x) − F(x − u)))² (infidelity-sum)', () => {
    // F(x) = x1 + 2 x2, u = (1, 1), Φ = 0: every sample gives (0 − 3)² = 9, so the mean is 9
    const w = tensor([[1], [2]], { dtype: 'float64' });
    const model = (x: Tensor): Tensor => matmul(x, w);
    const u = tensor([[1, 1]], { dtype: 'float64' });
    const fixed: Perturbation = { kind: 'fixed u', perturb: (inputs) => ({ perturbations: u, perturbed: tensor([[inputs.get(0, 0) - 1, inputs.get(0, 1) - 1]], { dtype: 'float64' }) }) };
    const x = tensor([[0.5, -0.25]], { dtype: 'float64' });
    const zero = tensor([[0, 0]], { dtype: 'float64' });
    const { infidelity: infid } = infidelity(model, x, zero, { target: 0, perturbation: fixed, samples: 5 });
    expect(infid.get(0)).toBeCloseTo(9, 12);
  });
});

describe('sanityMaps', () => {
  it('the absolute map sums |A| over channels, not A (sanity-abs-sum)', () => {
    // pixel 0: channels (+1, −1), |·| sum 2; pixel 1: (1, 0), sum 1; pixel 2: 0. Normalised by
    // min 0 and the 99th percentile 1.98 (linear between 1 and 2), clipped to [0, 1].
    const a = new Tensor(Float64Array.from([1, 1, 0, -1, 0, 0]), [1, 2, 1, 3], 'float64');
    const { abs, signed } = sanityMaps(a);
    expect(abs[0]![0]).toBe(1);
    expect(abs[0]![1]).toBeCloseTo(1 / 1.98, 12);
    expect(abs[0]![2]).toBe(0);
    // the signed map does cancel: pixel 0 sums to 0, the centre value 0.5
    expect(signed[0]![0]).toBeCloseTo(0.5, 12);
  });
});

describe('geometricallyGuidedIG', () => {
  it("reduce 'integral' is the trapezoid mean over the scales (ggig-trapezoid)", () => {
    // F(x) = ½‖x‖², ∇F(X_k) = α_k x at X_k = α_k x (baseline 0, α_k = k/m). With one
    // iteration the kept gradient is α_k x, and the trapezoid mean of a linear function of
    // α over [0, 1] is exact: x/2 (the left rule would give (m − 1)/(2m) x).
    const model = (x: Tensor): Tensor => mul(sum(mul(x, x), { axis: 1, keepDims: true }), 0.5);
    const x = tensor([[0.8, -1.2, 2]], { dtype: 'float64' });
    const { attributions } = geometricallyGuidedIG(model, x, { target: 0, reduce: 'integral', scales: 4, iterations: 1 });
    const got = Array.from(attributions.toTypedArray(), Number);
    [0.4, -0.6, 1].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 12));
  });
});

describe('outputTransform', () => {
  it("'softmax' and 'logSoftmax' explain the transformed output: the same as a model ending in that transform (softmax-transform-ignored, log-softmax-transform-is-softmax)", () => {
    const w = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { dtype: 'float64' });
    const logits = (x: Tensor): Tensor => matmul(x, w);
    const x = tensor([[0.3, -0.8], [1.1, 0.4]], { dtype: 'float64' });
    for (const [transform, fn] of [['softmax', softmax], ['logSoftmax', logSoftmax]] as const) {
      const viaOption = integratedGradients(logits, x, { target: [2, 0], outputTransform: transform, steps: 16 }).attributions;
      const viaModel = integratedGradients((z: Tensor) => fn(logits(z), 1), x, { target: [2, 0], steps: 16 }).attributions;
      const a = Array.from(viaOption.toTypedArray(), Number);
      const b = Array.from(viaModel.toTypedArray(), Number);
      // the same float64 operations in the same order: equal up to rounding
      a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-14));
      // and not the logits' attributions (linear: IG = x ⊙ w[:, target])
      expect(Math.abs(a[0]! - 0.3 * 2)).toBeGreaterThan(1e-3);
    }
  });
});

describe('aggregatePic', () => {
  it('the median of an even number of curves averages the two middle ones (pic-median-even)', () => {
    const curve = (example: number, curveY: number[]): PicCurve =>
      ({ example, ok: true, auc: 0, curveY: Float64Array.from(curveY), normalizedInformation: new Float64Array(0), normalizedPrediction: new Float64Array(0) }) as unknown as PicCurve;
    const { curveY, auc } = aggregatePic([curve(0, [0, 0.2, 1]), curve(1, [0, 0.6, 1])], 'median');
    expect(Array.from(curveY)).toEqual([0, (0.2 + 0.6) / 2, 1]);
    // trapezoid on x = 0, ½, 1: ½(0 + 0.4)/2 + ½(0.4 + 1)/2 = 0.45
    expect(auc).toBeCloseTo(0.45, 14);
  });
});

describe('IGCAccumulator', () => {
  it('merged shards give the one-pass correlation of ŷ with y, the Pearson correlation by hand (igc-merge-covariance)', () => {
    const y = [0.5, 1.5, -1, 2, 0, 4];
    const yhat = [0.7, 1.1, -0.4, 2.5, 0.2, 1.9];
    const ig = y.flatMap((v, i) => [v * 0.1, yhat[i]! - v]);
    const add = (acc: IGCAccumulator, from: number, to: number): IGCAccumulator => {
      acc.addBatch([Float64Array.from(ig.slice(2 * from, 2 * to))], [Float64Array.from(yhat.slice(from, to))], [Float64Array.from(y.slice(from, to))]);
      return acc;
    };
    // shards with different means of y (1 and 1.25) and of ŷ, so the between-shard terms matter
    const merged = add(new IGCAccumulator([2], [0]), 0, 2).merge(add(new IGCAccumulator([2], [0]), 2, 6));
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const [my, mh] = [mean(y), mean(yhat)];
    const cov = mean(y.map((v, i) => (v - my) * (yhat[i]! - mh)));
    const pearson = cov / Math.sqrt(mean(y.map((v) => (v - my) ** 2)) * mean(yhat.map((v) => (v - mh) ** 2)));
    expect(merged.result().correlation[0]).toBeCloseTo(pearson, 12);
  });
});

describe('sensitivityMax', () => {
  it('samples the whole L∞ ball of radius r: with Φ(x) = x in one dimension the max |u|/|x| comes within 10 % of r/|x| (sensitivity-radius-half)', () => {
    // u ~ U[−r, r]: P(max of 200 draws of |u| < 0.9 r) = 0.9^200 ≈ 7e-10
    const r = 0.05;
    const x = tensor([[2]], { dtype: 'float64' });
    const [s] = Array.from(sensitivityMax((inp: Tensor) => inp, x, { radius: r, samples: 200 }).sensitivity.toTypedArray(), Number);
    expect(s!).toBeGreaterThan((0.9 * r) / 2);
    expect(s!).toBeLessThanOrEqual(r / 2);
  });
});
