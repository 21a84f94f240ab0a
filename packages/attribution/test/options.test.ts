import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Flatten, Linear, Sequential } from '@pathgrad/nn';
import { ArgumentError, matmul, rand, reshape, rng, tensor, zeros, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import {
  MAX_STEPS,
  attributionPicture,
  attributionScale,
  colorBar,
  blurIG,
  deletionCurve,
  evaluateMethods,
  exactShapley,
  expectedGradients,
  gaussianBlur2d,
  gaussianBlurBaseline,
  gaussianPerturbation,
  geometricallyGuidedIG,
  greedyPIG,
  guidedIG,
  heatmapRGBA,
  idgi,
  igcAccumulate,
  infidelity,
  inputXGradient,
  insertionCurve,
  integratedGradientCorrelation,
  integratedGradients,
  integratedHessians,
  layerIntegratedGradients,
  modelPerturbationCheck,
  modelRandomizationCheck,
  noiseTunnel,
  normalizeAttribution,
  pic,
  pictureGrid,
  randomLogitCheck,
  saliency,
  sensitivityMax,
  shapleyIG,
  squarePerturbation,
  ssim,
  truncatedNormalInit,
  uniformNoiseBaseline,
} from '../src/index.js';
import * as api from '../src/index.js';

// A linear model on [N, 1, 2, 2] inputs with 2 outputs: every call below is valid but for the typo.
const W = tensor([[1, -1], [2, 0.5], [-1, 1], [0.5, 2]], { dtype: 'float64' });
const model = (x: Tensor) => matmul(reshape(x, [x.shape[0]!, 4]), W);
const x = rand([2, 1, 2, 2], rng(0), { dtype: 'float64' });
const attr = rand([2, 1, 2, 2], rng(1), { dtype: 'float64' });
const labels = tensor([0, 1], { dtype: 'int32' });
const net = () => new Sequential(new Flatten(), new Linear(4, 2, { dtype: 'float64' }));
const map = Array.from({ length: 64 }, (_, i) => i / 64);

type Call = (opts: never) => unknown;
/**
 * Every public attribution function taking an options object: [export name, name in the
 * message, the call, options whose LAST key is misspelled, the key it must suggest]. A new
 * options-taking export must be added (the source scan below fails otherwise).
 */
const MISSPELLED: [string, string, Call, Record<string, unknown>, string][] = [
  ['integratedGradients', 'integratedGradients', (o) => integratedGradients(model, x, o), { target: 0, internalBatchsize: 4 }, 'internalBatchSize'],
  ['saliency', 'saliency', (o) => saliency(model, x, o), { target: 0, ab: true }, 'abs'],
  ['inputXGradient', 'inputXGradient', (o) => inputXGradient(model, x, o), { targt: 0 }, 'target'],
  ['expectedGradients', 'expectedGradients', (o) => expectedGradients(model, x, o), { target: 0, data: x, sample: 2 }, 'samples'],
  ['blurIG', 'blurIG', (o) => blurIG(model, x, o), { target: 0, maxsigma: 2 }, 'maxSigma'],
  ['guidedIG', 'guidedIG', (o) => guidedIG(model, x, o), { target: 0, fracton: 0.1 }, 'fraction'],
  ['idgi', 'idgi', (o) => idgi(model, x, o), { target: 0, stpes: 8 }, 'steps'],
  ['geometricallyGuidedIG', 'geometricallyGuidedIG', (o) => geometricallyGuidedIG(model, x, o), { target: 0, scale: 4 }, 'scales'],
  ['greedyPIG', 'greedyPIG', (o) => greedyPIG(model, x, o), { target: 0, round: 2 }, 'rounds'],
  ['shapleyIG', 'shapleyIG', (o) => shapleyIG(model, x, o), { target: 0, coalition: 4 }, 'coalitions'],
  ['exactShapley', 'exactShapley', (o) => exactShapley(model, x, o), { target: 0, refrence: 0 }, 'reference'],
  ['integratedHessians', 'integratedHessians', (o) => integratedHessians(model, x, o), { target: 0, step: 4 }, 'steps'],
  ['layerIntegratedGradients', 'layerIntegratedGradients', (o) => layerIntegratedGradients(net(), '1', x, o), { target: 0, attributeToLayerinput: true }, 'attributeToLayerInput'],
  ['noiseTunnel', 'noiseTunnel', (o) => noiseTunnel(integratedGradients, o), { sample: 3 }, 'samples'],
  ['integratedGradientCorrelation', 'integratedGradientCorrelation', (o) => integratedGradientCorrelation(model, { inputs: x, targets: labels }, o), { componets: [0] }, 'components'],
  ['igcAccumulate', 'integratedGradientCorrelation', (o) => igcAccumulate(model, { inputs: x, targets: labels }, o), { step: 8 }, 'steps'],
  ['deletionCurve', 'deletionCurve', (o) => deletionCurve(model, x, attr, o), { stpe: 1 }, 'step'],
  ['insertionCurve', 'insertionCurve', (o) => insertionCurve(model, x, attr, o), { featuremask: undefined }, 'featureMask'],
  ['infidelity', 'infidelity', (o) => infidelity(model, x, attr, o), { target: 0, sample: 4 }, 'samples'],
  ['sensitivityMax', 'sensitivityMax', (o) => sensitivityMax((xs) => xs, x, o), { radious: 0.1 }, 'radius'],
  ['modelPerturbationCheck', 'modelPerturbationCheck', (o) => modelPerturbationCheck(net(), (m, xs) => xs, x, o), { scale: [1] }, 'scales'],
  ['modelRandomizationCheck', 'modelRandomizationCheck', (o) => modelRandomizationCheck(net(), (m, xs) => xs, x, o), { layer_order: 'topDown' }, 'layerOrder'],
  ['randomLogitCheck', 'randomLogitCheck', (o) => randomLogitCheck((xs) => xs, x, [0, 1], o), { numclasses: 2 }, 'numClasses'],
  ['pic', 'pic', (o) => pic(model, x, attr, o), { threshold: [0.5] }, 'thresholds'],
  ['evaluateMethods', 'evaluateMethods', (o) => evaluateMethods(o), { model, inputs: x, methods: { s: saliency }, metrics: ['sparseness'], target: [0, 1] }, 'targets'],
  ['ssim', 'ssim', (o) => ssim(map, map, o), { width: 8, hieght: 8 }, 'height'],
  ['heatmapRGBA', 'heatmapRGBA', (o) => heatmapRGBA(zeros([2, 2]), o), { colourmap: 'gray' }, 'colormap'],
  ['normalizeAttribution', 'normalizeAttribution', (o) => normalizeAttribution(attr, o), { percentil: 99 }, 'percentile'],
  ['attributionScale', 'attributionScale', (o) => attributionScale(attr, o), { Sign: 'all' }, 'sign'],
  ['attributionPicture', 'attributionPicture', (o) => attributionPicture(zeros([2, 2]), undefined, o), { upscal: 2 }, 'upscale'],
  ['colorBar', 'colorBar', (o) => colorBar({ colormap: 'magma', sign: 'absolute' }, o), { thicknes: 4 }, 'thickness'],
  ['pictureGrid', 'pictureGrid', (o) => pictureGrid([], o), { column: 2 }, 'columns'],
  ['uniformNoiseBaseline', 'uniformNoiseBaseline', (o) => uniformNoiseBaseline(o), { sample: 2 }, 'samples'],
  ['gaussianBlurBaseline', 'gaussianBlurBaseline', (o) => gaussianBlurBaseline(1, o), { mdoe: 'reflect' }, 'mode'],
  ['gaussianBlur2d', 'gaussianBlur2d', (o) => gaussianBlur2d(x, 1, o), { truncat: 3 }, 'truncate'],
  ['gaussianPerturbation', 'gaussianPerturbation', (o) => gaussianPerturbation(o), { sd: 0.1 }, 'std'],
  ['squarePerturbation', 'squarePerturbation', (o) => squarePerturbation(o), { maxside: 4 }, 'maxSide'],
  ['truncatedNormalInit', 'truncatedNormalInit', (o) => truncatedNormalInit(o), { stdev: 0.1 }, 'std'],
];

async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call(); // pic and evaluateMethods are async: their refusal is a rejection
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('attribution options objects refuse unknown keys', () => {
  for (const [exported, name, call, opts, suggestion] of MISSPELLED) {
    const typo = Object.keys(opts).at(-1)!;
    it(`${exported} names '${typo}' and suggests '${suggestion}'`, async () => {
      const e = await thrown(() => call(opts as never));
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as Error).message).toBe(`${name}: unknown option '${typo}' (did you mean '${suggestion}'?)`);
    });
    it(`${exported} refuses an array where its options object belongs`, async () => {
      const e = await thrown(() => call([opts] as never));
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as Error).message).toMatch(new RegExp(`^${name}: options must be an object .*got an array`));
    });
  }

  it('the issue case: internalBatchsize is refused with the exact suggestion', () => {
    expect(() => integratedGradients(model, x, { target: 0, internalBatchsize: 4 } as never)).toThrow(
      "integratedGradients: unknown option 'internalBatchsize' (did you mean 'internalBatchSize'?)",
    );
  });

  it('a noise-tunnelled method still checks the wrapped method options', () => {
    expect(() => noiseTunnel(integratedGradients, { samples: 2 })(model, x, { target: 0, stesp: 4 } as never)).toThrow(
      "integratedGradients: unknown option 'stesp' (did you mean 'steps'?)",
    );
  });

  it('IGC data batches and dataset baselines refuse unknown keys too', () => {
    expect(() => integratedGradientCorrelation(model, { inputs: x, target: labels } as never)).toThrow(
      "integratedGradientCorrelation: data: unknown option 'target' (did you mean 'targets'?)",
    );
    expect(() => integratedGradientCorrelation(model, [{ input: x, targets: labels }] as never)).toThrow(
      "integratedGradientCorrelation: batch: unknown option 'input' (did you mean 'inputs'?)",
    );
    expect(() => integratedGradientCorrelation(model, { inputs: x, targets: labels }, { baseline: { samples: 2, dat: x } as never })).toThrow(
      "integratedGradientCorrelation: baseline: unknown option 'dat' (did you mean 'data'?)",
    );
    expect(() => integratedGradientCorrelation(model, { inputs: x, targets: labels }, { baseline: { samples: 2 } as never })).toThrow(
      /a dataset baseline needs both samples and data/,
    );
  });

  it('metric specs in evaluateMethods refuse unknown keys too', async () => {
    const base = { model, inputs: x, methods: { s: saliency } };
    await expect(evaluateMethods({ ...base, metrics: [{ metric: 'deletion', option: { step: 1 } } as never] })).rejects.toThrow(
      "evaluateMethods: metric 'deletion': unknown option 'option' (did you mean 'options'?)",
    );
    await expect(evaluateMethods({ ...base, metrics: [{ metric: 'sparseness', options: {} } as never] })).rejects.toThrow(
      "evaluateMethods: metric 'sparseness': unknown option 'options'",
    );
  });

  it('every exported function with an options parameter is in the table', () => {
    // Scan the sources for public functions whose parameters include `opts`/`options`.
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    const withOptions = new Set<string>();
    for (const f of files) {
      const text = readFileSync(src + f, 'utf8');
      for (const m of text.matchAll(/^export (?:async )?function (\w+)(?:<[^>]*>)?\(([^)]*(?:\([^)]*\)[^)]*)*)\)/gm)) {
        if (/\b(opts|options)\??:/.test(m[2]!) && m[1]! in api) withOptions.add(m[1]!);
      }
    }
    const tested = new Set(MISSPELLED.map(([e]) => e));
    const missing = [...withOptions].filter((f) => !tested.has(f));
    // each needs checkOptions(opts, optionKeys<TheOptions>({...}), name) and a row in MISSPELLED
    expect(missing, 'public functions taking options without a MISSPELLED row').toEqual([]);
    expect(withOptions.size).toBeGreaterThan(25);
  });
});

describe('steps has a documented maximum', () => {
  it(`steps above MAX_STEPS (${MAX_STEPS}) is refused at once, before any gradient is taken`, () => {
    let calls = 0;
    const counted = (t: Tensor) => {
      calls++;
      return model(t);
    };
    const t0 = performance.now();
    expect(() => integratedGradients(counted, x, { target: 0, steps: 1e9 })).toThrow(/integratedGradients: steps must be at most 1048576 .*got 1000000000/);
    expect(performance.now() - t0).toBeLessThan(5000); // the run is refused, not started
    expect(calls).toBeLessThanOrEqual(1); // at most the one forward pass that resolves the target
    for (const [name, call] of [
      ['integratedHessians', () => integratedHessians(model, x, { target: 0, steps: MAX_STEPS + 1 })],
      ['idgi', () => idgi(model, x, { target: 0, steps: MAX_STEPS + 1 })],
      ['blurIG', () => blurIG(model, x, { target: 0, steps: MAX_STEPS + 1 })],
      ['guidedIG', () => guidedIG(model, x, { target: 0, steps: MAX_STEPS + 1 })],
      ['shapleyIG', () => shapleyIG(model, x, { target: 0, steps: MAX_STEPS + 1 })],
      ['greedyPIG', () => greedyPIG(model, x, { target: 0, steps: MAX_STEPS + 1 })],
      ['integratedGradientCorrelation', () => integratedGradientCorrelation(model, { inputs: x, targets: labels }, { steps: MAX_STEPS + 1 })],
    ] as const) {
      expect(call, name).toThrow(new RegExp(`^${name}: steps must be at most ${MAX_STEPS}`));
    }
  });
});
