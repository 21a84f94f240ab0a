/**
 * Every count of random draws, rounds or materialised baselines has a documented maximum
 * (MAX_SAMPLES, MAX_BASELINES, MAX_STEPS for GGIG's iterations): `1e9` is refused at once,
 * naming the option, before any gradient is taken; the maximum itself is accepted.
 */
import { ArgumentError, matmul, rand, reshape, rng, tensor, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import {
  MAX_BASELINES,
  MAX_SAMPLES,
  MAX_STEPS,
  datasetSamplesBaseline,
  expectedGradients,
  geometricallyGuidedIG,
  greedyPIG,
  igcAccumulate,
  infidelity,
  integratedGradients,
  noiseTunnel,
  pic,
  saliency,
  sensitivityMax,
  shapleyIG,
  uniformNoiseBaseline,
} from '../src/index.js';
import { countOption } from '../src/options.js';

// a linear model on [N, 1, 2, 2] inputs with 2 outputs; every call counts its forward passes
const W = tensor([[1, -1], [2, 0.5], [-1, 1], [0.5, 2]], { dtype: 'float64' });
let calls = 0;
const model = (t: Tensor): Tensor => {
  calls++;
  return matmul(reshape(t, [t.shape[0]!, 4]), W);
};
const x = rand([2, 1, 2, 2], rng(0), { dtype: 'float64' });
const attr = rand([2, 1, 2, 2], rng(1), { dtype: 'float64' });
const labels = tensor([0, 1], { dtype: 'int32' });
const images = rand([1, 1, 8, 8], rng(2), { dtype: 'float64' });
const maps = rand([1, 8, 8], rng(3), { dtype: 'float64' });

/** [message prefix, option as named in the message, its maximum, the call with that value]. */
const CAPPED: [string, string, number, (v: number) => unknown][] = [
  ['expectedGradients', 'samples', MAX_SAMPLES, (v) => expectedGradients(model, x, { target: 0, data: x, samples: v })],
  ['noiseTunnel', 'samples', MAX_SAMPLES, (v) => noiseTunnel(saliency, { samples: v })(model, x, { target: 0 })],
  ['noiseTunnel', 'samples', MAX_SAMPLES, (v) => noiseTunnel(integratedGradients, { samples: v })],
  ['infidelity', 'samples', MAX_SAMPLES, (v) => infidelity(model, x, attr, { target: 0, samples: v })],
  ['sensitivityMax', 'samples', MAX_SAMPLES, (v) => sensitivityMax((xs) => xs, x, { samples: v })],
  ['shapleyIG', 'coalitions', MAX_SAMPLES, (v) => shapleyIG(model, x, { target: 0, coalitions: v })],
  ['greedyPIG', 'rounds', MAX_SAMPLES, (v) => greedyPIG(model, x, { target: 0, rounds: v })],
  ['pic', 'numDataPoints', MAX_SAMPLES, (v) => pic(model, images, maps, { target: 0, numDataPoints: v })],
  ['geometricallyGuidedIG', 'scales', MAX_BASELINES, (v) => geometricallyGuidedIG(model, x, { target: 0, scales: v })],
  ['geometricallyGuidedIG', 'iterations', MAX_STEPS, (v) => geometricallyGuidedIG(model, x, { target: 0, iterations: v })],
  ['uniformNoiseBaseline', 'samples', MAX_BASELINES, (v) => uniformNoiseBaseline({ samples: v })],
  ['datasetSamplesBaseline', 'k', MAX_BASELINES, (v) => datasetSamplesBaseline(x, v)],
  ['integratedGradientCorrelation', 'baseline.samples', MAX_BASELINES, (v) => igcAccumulate(model, { inputs: x, targets: labels }, { baseline: { samples: v, data: x } })],
];

async function refusal(call: () => unknown): Promise<Error> {
  try {
    await call(); // pic is async: its refusal is a rejection
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a refusal');
}

describe('counts have documented maxima', () => {
  it('the maxima: 2^16 draws, 2^10 materialised baselines', () => {
    expect(MAX_SAMPLES).toBe(65536);
    expect(MAX_BASELINES).toBe(1024);
    expect(countOption(MAX_SAMPLES, 1, 'samples', 'f', MAX_SAMPLES)).toBe(MAX_SAMPLES);
    expect(countOption(undefined, 7, 'samples', 'f', MAX_SAMPLES)).toBe(7);
    expect(() => countOption(0, 1, 'samples', 'f', MAX_SAMPLES)).toThrow(/f: samples must be an integer >= 1, got 0/);
  });

  for (const [name, option, max, call] of CAPPED) {
    for (const value of [max + 1, 1e9]) {
      it(`${name} refuses ${option} = ${value} at once, naming it and the maximum ${max}`, async () => {
        calls = 0;
        const t0 = performance.now();
        const e = await refusal(() => call(value));
        expect(performance.now() - t0).toBeLessThan(2000); // refused, not started
        expect(e).toBeInstanceOf(ArgumentError);
        expect(e.message).toMatch(new RegExp(`^${name}: ${option.replace('.', '\\.')} must be at most ${max} \\(MAX_\\w+: .*\\), got ${value}$`));
        expect(calls).toBeLessThanOrEqual(1); // at most the forward pass that resolves the target
      });
    }
  }

  it('the maxima themselves are accepted', () => {
    expect(uniformNoiseBaseline({ samples: MAX_BASELINES }).kind).toContain(`x${MAX_BASELINES}`);
    expect(datasetSamplesBaseline(x, MAX_BASELINES).kind).toBe(`datasetSamples(${MAX_BASELINES})`);
    // 2 examples x 2^16 references: one pass over 131,072 rows of 4 features
    const eg = expectedGradients(model, x, { target: 0, data: x, samples: MAX_SAMPLES });
    expect(eg.gradientEvaluations).toBe(MAX_SAMPLES);
    const gg = geometricallyGuidedIG(model, x, { target: 0, scales: MAX_BASELINES, iterations: 1 });
    expect(gg.attributions.shape).toEqual(x.shape);
  });

  it('a missing datasetSamplesBaseline k is refused, not taken as 1', () => {
    expect(() => datasetSamplesBaseline(x, undefined as never)).toThrow(/datasetSamplesBaseline: k .*required, got undefined/);
  });
});
