import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, fit, mnistMlp, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { ArgumentError, PathgradError, Tensor, matmul, rng, tensor, concat, zerosLike, reshape, type DType } from '@pathgrad/tensor';
import {
  evaluateMethods,
  integratedGradients,
  modelPerturbationCheck,
  modelRandomizationCheck,
  parameterisedLayers,
  randomLogitCheck,
  saliency,
  type ModelRandomizationResult,
} from '../src/index.js';

/** Sobel gradient magnitude of each image: an "attribution" that never looks at the model. */
function edgeMap(x: Tensor): Tensor {
  const [n, c, H, W] = x.shape as [number, number, number, number];
  const v = x.toTypedArray();
  const out = new Float64Array(v.length);
  const at = (b: number, r: number, q: number): number => (r < 0 || q < 0 || r >= H || q >= W ? 0 : v[b + r * W + q]!);
  for (let p = 0; p < n * c; p++) {
    const b = p * H * W;
    for (let r = 0; r < H; r++) {
      for (let q = 0; q < W; q++) {
        const gx = at(b, r - 1, q + 1) + 2 * at(b, r, q + 1) + at(b, r + 1, q + 1) - at(b, r - 1, q - 1) - 2 * at(b, r, q - 1) - at(b, r + 1, q - 1);
        const gy = at(b, r + 1, q - 1) + 2 * at(b, r + 1, q) + at(b, r + 1, q + 1) - at(b, r - 1, q - 1) - 2 * at(b, r - 1, q) - at(b, r - 1, q + 1);
        out[b + r * W + q] = Math.hypot(gx, gy);
      }
    }
  }
  return new Tensor(out, x.shape, 'float64').cast(x.dtype as DType);
}

const finalMean = (res: ModelRandomizationResult, metric: string): number => {
  const rows = res.rows.filter((r) => r.metric === metric);
  return rows[rows.length - 1]!.mean;
};

describe('sanity checks on a trained MNIST MLP', () => {
  let model: Module;
  let images: Tensor;
  let labels: Int32Array;
  const snapshot = (): number[][] => model.parameters().map((p) => Array.from(p.value.toTypedArray()));

  beforeAll(() => {
    // seeded: 2,000 training images, 5 epochs of batch 32 (~315 Adam steps)
    const train = mnist({ split: 'train', limit: 2000 });
    model = mnistMlp({ seed: 0 });
    fit(model, train, { epochs: 5, batchSize: 32, optimizer: new Adam(model.parameters(), { lr: 1e-3 }), rng: 0, progress: 'none' });
    model.eval();
    const test = mnist({ split: 'test', limit: 8 });
    images = test.images;
    labels = Int32Array.from(test.labels.toTypedArray());
  }, 120_000);

  const grad = (m: Module, x: Tensor): Tensor => saliency(m, x, { target: labels, abs: false }).attributions;
  const ig = (m: Module, x: Tensor): Tensor => integratedGradients(m, x, { target: labels, steps: 16 }).attributions;
  const edges = (_m: Module, x: Tensor): Tensor => edgeMap(x);

  it('cascading randomisation: gradients and IG lose rank correlation, an edge detector does not', () => {
    const before = snapshot();
    const res = Object.fromEntries(
      ([['grad', grad], ['ig', ig], ['edges', edges]] as const).map(([k, f]) => [k, modelRandomizationCheck(model, f, images, { mode: 'cascading', seed: 1 })]),
    ) as Record<'grad' | 'ig' | 'edges', ModelRandomizationResult>;
    // measured (seed 1): grad ends at spearmanAbs −0.02, signed 0.00, SSIM −0.01; IG at 0.99, −0.05, 0.61
    expect(res.grad.layerOrder).toEqual(['4', '2', '0']);
    expect(res.grad.metrics).toEqual(['spearmanAbs', 'spearmanSigned', 'ssim']);
    expect(res.grad.rows.filter((r) => r.stage === 0).every((r) => Math.abs(r.mean - 1) < 1e-12)).toBe(true);
    for (const metric of ['spearmanAbs', 'spearmanSigned', 'ssim']) {
      expect(finalMean(res.edges, metric)).toBeCloseTo(1, 12);
      expect(finalMean(res.grad, metric)).toBeLessThan(0.2);
    }
    // IG = x·ḡ is zero on the background for every model, so its abs-map ranks stay tied there
    // (Adebayo et al.'s Gradient⊙Input effect); the signed ranks and SSIM separate it from the edge detector
    expect(finalMean(res.ig, 'spearmanSigned')).toBeLessThan(0.2);
    expect(finalMean(res.ig, 'ssim')).toBeLessThan(0.8);
    // similarity falls with depth for the gradient
    const gradAbs = res.grad.rows.filter((r) => r.metric === 'spearmanAbs').map((r) => r.mean);
    for (let i = 1; i < gradAbs.length; i++) expect(gradAbs[i]!).toBeLessThan(gradAbs[i - 1]!);
    expect(snapshot()).toEqual(before); // the caller's model is restored
  }, 120_000);

  it('independent randomisation randomises one layer per stage', () => {
    const res = modelRandomizationCheck(model, grad, images, { mode: 'independent', metrics: ['spearmanAbs'], layerOrder: ['4', '0'] });
    expect(res.rows.map((r) => r.randomized)).toEqual([[], ['4'], ['0']]);
    expect(() => modelRandomizationCheck(model, grad, images, { layerOrder: ['1'] })).toThrow(/has no parameters/);
    expect(() => modelRandomizationCheck(model, (m, x) => reshape(grad(m, x), [8, 784]), images)).toThrow(/inputs' shape/);
    expect(parameterisedLayers(model)).toEqual(['4', '2', '0']);
  }, 60_000);

  it('model perturbation: small noise keeps score and maps, large noise does not; the model is restored', () => {
    const before = snapshot();
    const explain = (m: Module, x: Tensor, t: Int32Array): Tensor => saliency(m, x, { target: t, abs: false }).attributions;
    const res = modelPerturbationCheck(model, explain, images, { scales: [1, 50, 400], seed: 2, metrics: ['spearmanAbs', 'ssim'] });
    const at = (scale: number, metric: string): number => res.rows.find((r) => r.scale === scale && r.metric === metric)!.mean;
    expect(at(1, 'score')).toBeGreaterThan(0.9);
    expect(at(1, 'spearmanAbs')).toBeGreaterThan(0.9);
    expect(at(400, 'spearmanAbs')).toBeLessThan(at(1, 'spearmanAbs'));
    expect(res.summary.spearmanAbs!.auc.length).toBe(8);
    for (const v of res.summary.spearmanAbs!.correlation) expect(Number.isFinite(v)).toBe(true);
    expect(snapshot()).toEqual(before);
    const again = modelPerturbationCheck(model, explain, images, { scales: [1, 50, 400], seed: 2, metrics: ['spearmanAbs', 'ssim'] });
    expect(again.rows.map((r) => r.mean)).toEqual(res.rows.map((r) => r.mean));
  }, 60_000);

  it('random logit: class-sensitive gradients differ between classes, the edge detector does not', () => {
    const gradT = (x: Tensor, t: Int32Array): Tensor => saliency(model, x, { target: t, abs: false }).attributions;
    const g = randomLogitCheck(gradT, images, labels, { numClasses: 10, similarity: 'spearmanSigned' });
    const e = randomLogitCheck((x) => edgeMap(x), images, labels, { numClasses: 10, similarity: 'spearmanSigned' });
    expect(e.mean).toBeCloseTo(1, 12);
    expect(g.mean).toBeLessThan(0.5);
    g.randomTargets.forEach((c, i) => expect(c).not.toBe(labels[i]));
    expect(() => randomLogitCheck(gradT, images, labels.slice(0, 3), { numClasses: 10 })).toThrow(ArgumentError);
  });

  it('evaluateMethods returns a tidy table with timings', async () => {
    const methods = {
      ig: (m: Parameters<typeof integratedGradients>[0], x: Tensor, o: { target: Int32Array }) => integratedGradients(m, x, { ...o, steps: 8 }),
      saliency: (m: Parameters<typeof saliency>[0], x: Tensor, o: { target: Int32Array }) => saliency(m, x, { ...o, abs: false }),
    };
    const x = images.slice([[0, 4]]);
    const res = await evaluateMethods({
      model,
      inputs: x,
      targets: labels.slice(0, 4),
      methods,
      metrics: [
        { metric: 'deletion', options: { step: 49 } },
        { metric: 'insertion', options: { step: 49, blurSigma: 2 } },
        'sparseness',
        'complexity',
        'completeness',
        { metric: 'infidelity', options: { samples: 4, normalize: true } },
        { metric: 'sensitivityMax', options: { samples: 2 } },
        { metric: 'sic', options: { minPredValue: 0.5 } },
        'aic',
        { name: 'meanAbs', compute: (ctx) => Array.from({ length: 4 }, (_, e) => Array.from(ctx.output.attributions.slice([[e, e + 1]]).toTypedArray()).reduce((a, b) => a + Math.abs(b), 0) / 784) },
      ],
    });
    expect(res.rows.length).toBe(4 * 2 * 10);
    expect(res.timings.map((t) => t.method)).toEqual(['ig', 'saliency']);
    for (const r of res.rows) {
      if (r.value === null) expect(r.note).toBeTruthy();
      else expect(Number.isFinite(r.value)).toBe(true);
    }
    const compl = res.rows.filter((r) => r.metric === 'completeness');
    expect(compl.filter((r) => r.method === 'saliency').every((r) => r.value === null)).toBe(true);
    expect(compl.filter((r) => r.method === 'ig').every((r) => r.value !== null)).toBe(true);
    await expect(evaluateMethods({ model, inputs: x, methods, metrics: ['nope' as 'deletion'] })).rejects.toThrow(PathgradError);
    await expect(evaluateMethods({ model, inputs: x, methods: {}, metrics: ['deletion'] })).rejects.toThrow(/at least one method/);
  }, 120_000);
});

describe('sanity-check inputs', () => {
  it('rejects models that are not Modules and empty batches', () => {
    const w = tensor([[1], [2]], { dtype: 'float64' });
    const f = (x: Tensor): Tensor => concat([matmul(x, w), zerosLike(matmul(x, w))], 1);
    expect(() => modelRandomizationCheck(f as unknown as Module, () => tensor([1]), tensor([[1, 2]]))).toThrow(/nn Module/);
    const m = mnistMlp({ seed: 3 });
    expect(() => modelRandomizationCheck(m, (mm, x) => x, new Tensor(new Float32Array(0), [0, 784], 'float32'))).toThrow(/empty batch/);
    expect(() => modelPerturbationCheck(m, (mm, x) => x, new Tensor(new Float32Array(784), [1, 784], 'float32'), { scales: [] })).toThrow(/scales/);
    void rng;
  });
});
