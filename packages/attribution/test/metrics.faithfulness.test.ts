import { describe, expect, it } from 'vitest';
import { mnistMlp } from '@pathgrad/nn';
import {
  ArgumentError,
  PathgradError,
  ShapeError,
  Tensor,
  concat,
  matmul,
  mul,
  reshape,
  rng,
  sum,
  tensor,
  zeros,
  zerosLike,
} from '@pathgrad/tensor';
import {
  auc,
  deletionCurve,
  gaussianBlur2d,
  gaussianPerturbation,
  infidelity,
  insertionCurve,
  integratedGradients,
  saliency,
  sensitivityMax,
  squarePerturbation,
} from '../src/index.js';

const sigmoid = (s: number): number => 1 / (1 + Math.exp(-s));

/** Two-class linear model: logits [w·x, 0], so softmax class 0 = sigmoid(w·x). */
function linear2(w: number[]): (x: Tensor) => Tensor {
  const W = tensor(w, { dtype: 'float64', shape: [w.length, 1] });
  return (x: Tensor) => {
    const s = matmul(reshape(x, [x.shape[0]!, w.length]), W);
    return concat([s, zerosLike(s)], 1);
  };
}

function randomMatrix(n: number, d: number, seed: number, f: (g: ReturnType<typeof rng>) => number): number[][] {
  const g = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => f(g)));
}

describe('deletion / insertion (RISE)', () => {
  it('auc is RISE\'s (sum - first/2 - last/2)/(len - 1)', () => {
    expect(auc([1, 0.5, 0])).toBe(0.5);
    expect(auc([0.2, 0.4, 0.9, 1])).toBeCloseTo((2.5 - 0.1 - 0.5) / 3, 15);
    expect(() => auc([1])).toThrow(ArgumentError);
  });

  it('matches hand-computed curves on a linear model', () => {
    const model = linear2([1, 2, 3]);
    const x = tensor([[1, 1, 1]], { dtype: 'float64' });
    const attr = tensor([[1, 2, 3]], { dtype: 'float64' }); // w ⊙ x
    const del = deletionCurve(model, x, attr);
    // remove feature 2 (s 6 -> 3), then 1 (-> 1), then 0 (-> 0)
    const expDel = [sigmoid(6), sigmoid(3), sigmoid(1), sigmoid(0)];
    Array.from(del.curves.toTypedArray()).forEach((v, i) => expect(v).toBeCloseTo(expDel[i]!, 14));
    expect(del.auc.toTypedArray()[0]).toBeCloseTo(auc(expDel), 14);
    expect(Array.from(del.fractions)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(Array.from(del.targets)).toEqual([0]);
    const ins = insertionCurve(model, x, attr, { substrate: 'zeros' });
    const expIns = [sigmoid(0), sigmoid(3), sigmoid(5), sigmoid(6)];
    Array.from(ins.curves.toTypedArray()).forEach((v, i) => expect(v).toBeCloseTo(expIns[i]!, 14));
  });

  it('a perfect attribution of a linear model gets the best deletion and insertion AUC, a random one is worse (seeded)', () => {
    const d = 16;
    const w = randomMatrix(1, d, 1, (g) => g.normal())[0]!;
    const model = linear2(w);
    const xs = randomMatrix(8, d, 2, (g) => g.uniform());
    const x = tensor(xs, { dtype: 'float64' });
    const perfect = tensor(xs.map((r) => r.map((v, i) => v * w[i]!)), { dtype: 'float64' });
    const delP = Array.from(deletionCurve(model, x, perfect, { target: 0 }).auc.toTypedArray());
    const insP = Array.from(insertionCurve(model, x, perfect, { target: 0, substrate: 'zeros' }).auc.toTypedArray());
    let gapDel = 0;
    let gapIns = 0;
    const trials = 10;
    for (let t = 0; t < trials; t++) {
      const random = tensor(randomMatrix(8, d, 100 + t, (g) => g.normal()), { dtype: 'float64' });
      const delR = deletionCurve(model, x, random, { target: 0 }).auc.toTypedArray();
      const insR = insertionCurve(model, x, random, { target: 0, substrate: 'zeros' }).auc.toTypedArray();
      for (let e = 0; e < 8; e++) {
        // removing the k largest contributions minimises w·x after every k: a pointwise bound
        expect(delP[e]!).toBeLessThanOrEqual(delR[e]! + 1e-12);
        expect(insP[e]!).toBeGreaterThanOrEqual(insR[e]! - 1e-12);
        gapDel += (delR[e]! - delP[e]!) / (8 * trials);
        gapIns += (insP[e]! - insR[e]!) / (8 * trials);
      }
    }
    // on this seeded data random orderings are worse on average by at least 0.1 AUC (probability units)
    expect(gapDel).toBeGreaterThan(0.1);
    expect(gapIns).toBeGreaterThan(0.1);
  });

  it('groups pixels over channels for [N, C, H, W] and honours featureMask and step', () => {
    const model = (x: Tensor): Tensor => {
      const s = reshape(sum(x, { axis: [1, 2, 3] }), [x.shape[0]!, 1]);
      return concat([s, zerosLike(s)], 1);
    };
    const x = tensor(Array.from({ length: 2 * 2 * 2 }, () => 1), { dtype: 'float64', shape: [1, 2, 2, 2] });
    const attr = tensor([[[[4, 3], [2, 1]], [[0, 0], [0, 0]]]], { dtype: 'float64' });
    const r = deletionCurve(model, x, attr, { step: 2 }); // 4 pixels (2 channels each), 2 per step
    expect(r.steps).toBe(2);
    const c = Array.from(r.curves.toTypedArray());
    [8, 4, 0].forEach((s, i) => expect(c[i]).toBeCloseTo(sigmoid(s), 14));
    const mask = tensor([[[0, 0], [1, 1]], [[0, 0], [1, 1]]], { dtype: 'int32' }); // two rows as features
    const m = deletionCurve(model, x, attr, { featureMask: mask });
    expect(m.steps).toBe(2);
    expect(Array.from(m.curves.toTypedArray())[1]).toBeCloseTo(sigmoid(4), 14);
  });

  it('substrates: mean is the per-example channel mean, blur is gaussianBlur2d, tensors broadcast', () => {
    const model = (x: Tensor): Tensor => {
      const s = reshape(sum(mul(x, x), { axis: [1, 2, 3] }), [x.shape[0]!, 1]);
      return concat([s, zerosLike(s)], 1);
    };
    const g = rng(3);
    const x = tensor(Array.from({ length: 16 }, () => g.uniform()), { dtype: 'float64', shape: [1, 1, 4, 4] });
    const attr = tensor(Array.from({ length: 16 }, (_, i) => i), { dtype: 'float64', shape: [1, 1, 4, 4] });
    const last = (r: { curves: Tensor }): number => r.curves.toTypedArray()[r.curves.size - 1]!;
    const xv = Array.from(x.toTypedArray());
    const m = xv.reduce((a, b) => a + b, 0) / 16;
    expect(last(deletionCurve(model, x, attr, { substrate: 'mean', step: 16 }))).toBeCloseTo(sigmoid(16 * m * m), 12);
    const blurred = Array.from(gaussianBlur2d(x, 1).toTypedArray());
    expect(last(deletionCurve(model, x, attr, { substrate: 'blur', blurSigma: 1, step: 16 }))).toBeCloseTo(sigmoid(blurred.reduce((a, b) => a + b * b, 0)), 12);
    expect(last(deletionCurve(model, x, attr, { substrate: tensor([[[0.5]]], { dtype: 'float64' }), step: 16 }))).toBeCloseTo(sigmoid(16 * 0.25), 12);
  });

  it('batched equals per-example (and any batchSize)', () => {
    const model = mnistMlp({ seed: 1 });
    const g = rng(5);
    const x = tensor(Array.from({ length: 3 * 784 }, () => g.uniform()), { shape: [3, 1, 28, 28] });
    const attr = tensor(Array.from({ length: 3 * 784 }, () => g.normal()), { shape: [3, 1, 28, 28] });
    const all = deletionCurve(model, x, attr, { step: 49, batchSize: 7 });
    const allIns = insertionCurve(model, x, attr, { step: 49, blurSigma: 2 });
    for (let e = 0; e < 3; e++) {
      const one = deletionCurve(model, x.slice([[e, e + 1]]), attr.slice([[e, e + 1]]), { step: 49 });
      const oneIns = insertionCurve(model, x.slice([[e, e + 1]]), attr.slice([[e, e + 1]]), { step: 49, blurSigma: 2 });
      const a = Array.from(all.curves.toTypedArray()).slice(e * 17, (e + 1) * 17);
      Array.from(one.curves.toTypedArray()).forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 6));
      expect(oneIns.auc.toTypedArray()[0]).toBeCloseTo(allIns.auc.toTypedArray()[e]!, 6);
    }
  });

  it('all-zero and constant attribution maps give defined curves', () => {
    const model = linear2([1, -2, 3, 0.5]);
    const x = tensor([[1, 2, 3, 4]], { dtype: 'float64' });
    for (const attr of [zeros([1, 4], 'float64'), tensor([[2, 2, 2, 2]], { dtype: 'float64' })]) {
      const r = deletionCurve(model, x, attr);
      for (const v of r.curves.toTypedArray()) expect(Number.isFinite(v)).toBe(true);
      expect(Number.isFinite(r.auc.toTypedArray()[0]!)).toBe(true);
    }
  });

  it('bad inputs throw clear PathgradErrors', () => {
    const model = linear2([1, 2, 3, 4]);
    const x = tensor([[1, 2, 3, 4]], { dtype: 'float64' });
    expect(() => deletionCurve(model, x, tensor([[1, 2, 3]], { dtype: 'float64' }))).toThrow(ShapeError);
    expect(() => deletionCurve(model, x, x, { step: 3 })).toThrow(/step must divide the number of features \(4\), got 3/);
    expect(() => deletionCurve(model, zeros([0, 4]), zeros([0, 4]))).toThrow(/empty batch/);
    expect(() => insertionCurve(model, x, x)).toThrow(/'blur' substrate needs image inputs/);
    expect(() => deletionCurve(model, x, x, { substrate: tensor([1, 2]) })).toThrow(ShapeError);
    expect(() => deletionCurve(model, x, x, { step: 0 })).toThrow(PathgradError);
  });
});

describe('infidelity (Captum semantics)', () => {
  const w = [0.5, -1, 2, 1.5];
  const Wt = tensor(w, { dtype: 'float64', shape: [4, 1] });
  const scalarModel = (x: Tensor): Tensor => reshape(matmul(x, Wt), [x.shape[0]!]);
  const g = rng(9);
  const x = tensor(Array.from({ length: 12 }, () => g.uniform()), { dtype: 'float64', shape: [3, 4] });
  const scaledW = (k: number): Tensor => tensor(Array.from({ length: 3 }, () => w.map((v) => k * v)), { dtype: 'float64' });

  it('the exact local attribution (the gradient) of a linear model has infidelity 0', () => {
    const r = infidelity(scalarModel, x, scaledW(1), { samples: 20 });
    for (const v of r.infidelity.toTypedArray()) expect(v).toBeLessThan(1e-24);
  });

  it('normalize makes it scale invariant: k·w gives 0 with β = 1/k, and (k-1)²E[b²] without', () => {
    const r3 = infidelity(scalarModel, x, scaledW(3), { samples: 20, normalize: true });
    for (const v of r3.infidelity.toTypedArray()) expect(v).toBeLessThan(1e-24);
    r3.beta.forEach((b) => expect(b).toBeCloseTo(1 / 3, 12));
    const u2 = infidelity(scalarModel, x, scaledW(2), { samples: 20 }).infidelity.toTypedArray();
    const u3 = infidelity(scalarModel, x, scaledW(3), { samples: 20 }).infidelity.toTypedArray();
    for (let e = 0; e < 3; e++) {
      expect(u2[e]!).toBeGreaterThan(0);
      expect(u3[e]! / u2[e]!).toBeCloseTo(4, 10);
    }
  });

  it('square removal with the exact global attribution (IG, zero baseline) of a linear model is 0', () => {
    const img = tensor(Array.from({ length: 2 * 36 }, () => g.uniform()), { dtype: 'float64', shape: [2, 1, 6, 6] });
    const wImg = tensor(Array.from({ length: 36 }, () => g.normal()), { dtype: 'float64', shape: [36, 1] });
    const m = (t: Tensor): Tensor => reshape(matmul(reshape(t, [t.shape[0]!, 36]), wImg), [t.shape[0]!]);
    const ig = integratedGradients(m, img, { steps: 4 }).attributions;
    const r = infidelity(m, img, ig, { perturbation: squarePerturbation({ maxSide: 3 }), samples: 30 });
    for (const v of r.infidelity.toTypedArray()) expect(v).toBeLessThan(1e-20);
    const wrong = infidelity(m, img, zerosLike(ig), { perturbation: squarePerturbation({ maxSide: 3 }), samples: 30 });
    for (const v of wrong.infidelity.toTypedArray()) expect(v).toBeGreaterThan(0);
  });

  it('the Gaussian perturbation keeps x̃ = x − I inside [0, 1]', () => {
    const { perturbations, perturbed } = gaussianPerturbation().perturb(x, rng(1));
    const xv = x.toTypedArray();
    const iv = perturbations.toTypedArray();
    const pv = perturbed.toTypedArray();
    for (let i = 0; i < xv.length; i++) {
      expect(pv[i]).toBeCloseTo(xv[i]! - iv[i]!, 15);
      expect(pv[i]).toBeGreaterThanOrEqual(0);
      expect(pv[i]).toBeLessThanOrEqual(1);
    }
  });

  it('is seeded and does not depend on batchSize', () => {
    const attr = tensor(Array.from({ length: 12 }, () => g.normal()), { dtype: 'float64', shape: [3, 4] });
    const a = infidelity(scalarModel, x, attr, { samples: 7, batchSize: 2, seed: 4 }).infidelity.toTypedArray();
    const b = infidelity(scalarModel, x, attr, { samples: 7, seed: 4 }).infidelity.toTypedArray();
    const c = infidelity(scalarModel, x, attr, { samples: 7, seed: 5 }).infidelity.toTypedArray();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('bad inputs throw', () => {
    expect(() => infidelity(scalarModel, x, zeros([3, 5]))).toThrow(ShapeError);
    expect(() => infidelity(scalarModel, x, scaledW(1), { samples: 0 })).toThrow(PathgradError);
    expect(() => infidelity(scalarModel, zeros([0, 4]), zeros([0, 4]))).toThrow(/empty batch/);
  });
});

describe('sensitivityMax (Captum semantics)', () => {
  const w = tensor([[1, -2, 0.5]], { dtype: 'float64' });
  const model = (x: Tensor): Tensor => concat([matmul(x, w.reshape([3, 1])), zeros([x.shape[0]!, 1], 'float64')], 1);
  const x = tensor([[0.1, 0.2, 0.3], [1, 1, 1]], { dtype: 'float64' });

  it('a constant-gradient model has sensitivity 0', () => {
    const explain = (inp: Tensor): Tensor => saliency(model, inp, { target: 0, abs: false }).attributions;
    for (const v of sensitivityMax(explain, x).sensitivity.toTypedArray()) expect(v).toBe(0);
  });

  it('Φ(x) = x gives max ||u||/||x|| within (0, r√d/||x||]; a zero explanation is not divided', () => {
    const r = 0.02;
    const s = sensitivityMax((inp) => inp, x, { radius: r, samples: 25 }).sensitivity.toTypedArray();
    const norms = [Math.hypot(0.1, 0.2, 0.3), Math.sqrt(3)];
    s.forEach((v, e) => {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual((r * Math.sqrt(3)) / norms[e]!);
    });
    const z = sensitivityMax((inp) => inp, zeros([1, 3], 'float64'), { radius: r }).sensitivity.toTypedArray()[0]!;
    expect(z).toBeGreaterThan(0);
    expect(z).toBeLessThanOrEqual(r * Math.sqrt(3));
  });

  it('explain sees which example each perturbed row comes from, and batchSize does not change results', () => {
    const seen = new Set<number>();
    const explain = (inp: Tensor, ex: Int32Array): Tensor => {
      ex.forEach((e) => seen.add(e));
      return mul(inp, inp);
    };
    const a = sensitivityMax(explain, x, { samples: 5, batchSize: 3 }).sensitivity.toTypedArray();
    const b = sensitivityMax(explain, x, { samples: 5 }).sensitivity.toTypedArray();
    expect([...seen].sort()).toEqual([0, 1]);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('bad inputs throw', () => {
    expect(() => sensitivityMax((inp) => inp.reshape([inp.size]), x)).toThrow(ShapeError);
    expect(() => sensitivityMax((inp) => inp, x, { radius: -1 })).toThrow(PathgradError);
  });
});
