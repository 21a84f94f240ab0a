/**
 * pathgrad against Captum 0.7.0 (an external reference) on two models: the PyTorch-trained
 * MNIST MLP (16 test digits) and a small CNN with seeded random weights (conv, ReLU,
 * max-pool, padding, linear; 4 test digits). The reference arrays, the script that
 * re-makes them and how to run it are in fixtures/ (see fixtures/README.md).
 *
 * float64 must agree to 1e-10 relative L2 per example and 1e-10 absolute in delta: both
 * sides compute the same float64 sums in a different order, so agreement is limited by
 * rounding (observed ~1e-15), not by the method. 1e-10 leaves room for summation order and
 * is still ~6 orders of magnitude below any change of rule, weight or step count.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, loadSafetensors, MaxPool2d, ReLU, Sequential } from '@pathgrad/nn';
import { Tensor } from '@pathgrad/tensor';
import {
  inputXGradient,
  integratedGradients,
  layerIntegratedGradients,
  noiseTunnel,
  quadrature,
  saliency,
  type IntegratedGradientsOptions,
  type Model,
  type QuadratureMethod,
} from '../src/index.js';
import { referenceMlp, relL2, rows } from './helpers.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));
const arrays = (name: string): Record<string, Tensor> => loadSafetensors(fixture(name)).tensors;

/** Captum's rule names and pathgrad's. */
const RULES: Record<string, QuadratureMethod> = {
  gausslegendre: 'gaussLegendre',
  riemann_trapezoid: 'captumTrapezoid',
  riemann_middle: 'riemannMiddle',
  riemann_left: 'riemannLeft',
  riemann_right: 'riemannRight',
};
const MLP_IG: [string, number][] = [
  ['gausslegendre', 50],
  ['riemann_trapezoid', 64],
  ['riemann_middle', 64],
  ['riemann_left', 64],
  ['riemann_right', 64],
];
// odd step counts too: Gauss-Legendre's middle node, Captum's trapezoid with n odd
const CNN_IG: [string, number][] = [...MLP_IG, ['gausslegendre', 7], ['riemann_trapezoid', 9]];
const LAYER_RULES: [string, number][] = [
  ['gausslegendre', 50],
  ['riemann_trapezoid', 64],
];
const TOL = 1e-10;

function get(ref: Record<string, Tensor>, key: string): Tensor {
  const t = ref[key];
  if (!t) throw new Error(`fixture has no array ${key} (re-make the fixtures, see fixtures/README.md)`);
  return t;
}

function expectRowsClose(got: Tensor, want: Tensor, tol = TOL): void {
  expect(got.shape).toEqual(want.shape);
  const w = rows(want);
  rows(got).forEach((r, i) => expect(relL2(r, w[i]!), `example ${i}`).toBeLessThan(tol));
}

function expectDeltaClose(got: Tensor, want: Tensor): void {
  const g = got.toTypedArray();
  const w = want.toTypedArray();
  expect(g.length).toBe(w.length);
  for (let i = 0; i < w.length; i++) expect(Math.abs(Number(g[i]!) - Number(w[i]!)), `delta ${i}`).toBeLessThan(TOL);
}

/** Rows `indices` of a `[N, ...]` tensor. */
function pickRows(t: Tensor, indices: number[]): Tensor {
  const flat = Float64Array.from(t.toTypedArray());
  const per = flat.length / t.shape[0]!;
  const out = new Float64Array(indices.length * per);
  indices.forEach((r, i) => out.set(flat.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(out, [indices.length, ...t.shape.slice(1)], 'float64');
}

/** The reference MLP as an nn Sequential (layer IG needs Module names): the same layer
 * names as the PyTorch model in fixtures/generate.py, Flatten first. */
function mlpModule(): Sequential {
  const w = arrays('mlp.safetensors');
  const model = new Sequential(new Flatten(), new Linear(784, 128), new ReLU(), new Linear(128, 64), new ReLU(), new Linear(64, 10));
  const state: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(w)) {
    const [i, p] = k.split('.');
    state[`${Number(i) + 1}.${p}`] = v;
  }
  model.loadStateDict(state);
  return model.to('float64');
}

/** The fixture CNN (architecture as in fixtures/generate.py), float64. */
function cnnModule(): Sequential {
  const model = new Sequential(
    new Conv2d(1, 4, 5),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(288, 10),
  );
  model.loadStateDict(arrays('cnn.safetensors'));
  return model.to('float64');
}

/** IG with each rule against the arrays `<prefix>.<rule>.n<N>.{attr,delta}.f64`. */
function igCases(
  ref: Record<string, Tensor>,
  model: Model,
  inputs: Tensor,
  labels: number[],
  rules: [string, number][],
  prefix: string,
  extra: Pick<IntegratedGradientsOptions, 'baseline' | 'internalBatchSize'>,
): void {
  for (const [captumName, steps] of rules) {
    const method = RULES[captumName]!;
    const what = extra.baseline === undefined ? '' : ' from the fixture baseline tensor';
    it(`IG ${method} n=${steps}${what} matches Captum per example and in delta`, () => {
      const { attributions, delta } = integratedGradients(model, inputs, { target: labels, method, steps, ...extra });
      expect(attributions.dtype).toBe('float64');
      expectRowsClose(attributions, get(ref, `${prefix}.${captumName}.n${steps}.attr.f64`));
      expectDeltaClose(delta, get(ref, `${prefix}.${captumName}.n${steps}.delta.f64`));
    });
  }
}

/** Saliency (abs and signed) and input × gradient against the fixture arrays. */
function gradientCases(ref: Record<string, Tensor>, model: Model, inputs: Tensor, labels: number[]): void {
  it('saliency (abs and signed) and input x gradient match Captum', () => {
    expectRowsClose(saliency(model, inputs, { target: labels }).attributions, get(ref, 'saliency_abs.attr.f64'));
    expectRowsClose(saliency(model, inputs, { target: labels, abs: false }).attributions, get(ref, 'saliency_signed.attr.f64'));
    expectRowsClose(inputXGradient(model, inputs, { target: labels }).attributions, get(ref, 'input_x_gradient.attr.f64'));
  });
}

/**
 * Layer IG cases: Captum `LayerIntegratedGradients(model, model.get_submodule(name))
 * .attribute(x, target, n_steps, method, attribute_to_layer_input)` is pathgrad's
 * `layerIntegratedGradients(model, name, x, { target, steps, method, attributeToLayerInput })`.
 */
function layerIgCases(ref: Record<string, Tensor>, model: Sequential, inputs: Tensor, labels: number[], layers: [string, boolean][]): void {
  for (const [name, toInput] of layers) {
    const side = toInput ? 'input' : 'output';
    for (const [captumName, steps] of LAYER_RULES) {
      const method = RULES[captumName]!;
      const key = `layer_ig.${name}.${side}.${captumName}.n${steps}`;
      it(`layer IG at layer '${name}' ${side}, ${method} n=${steps}, matches Captum`, () => {
        const { attributions, delta } = layerIntegratedGradients(model, name, inputs, { target: labels, method, steps, attributeToLayerInput: toInput });
        expectRowsClose(attributions, get(ref, `${key}.attr.f64`));
        expectDeltaClose(delta, get(ref, `${key}.delta.f64`));
      });
    }
  }
}

describe('Captum reference: MLP (float64)', () => {
  const ref = arrays('mlp-captum.safetensors');
  const labels = Array.from(get(ref, 'labels').toTypedArray(), Number);
  const model = referenceMlp('float64');
  const inputs = get(ref, 'inputs.f64');

  it('the model reproduces the reference logits', () => {
    expect(relL2(Float64Array.from(model(inputs).toTypedArray()), Float64Array.from(get(ref, 'logits.f64').toTypedArray()))).toBeLessThan(1e-12);
  });

  for (const [captumName, steps] of MLP_IG) {
    const method = RULES[captumName]!;
    it(`quadrature ${method} n=${steps} has Captum's nodes and weights`, () => {
      const q = quadrature(method, steps);
      const a = get(ref, `ig.${captumName}.n${steps}.alphas.f64`).toTypedArray();
      const w = get(ref, `ig.${captumName}.n${steps}.weights.f64`).toTypedArray();
      for (let k = 0; k < steps; k++) {
        expect(Math.abs(q.alphas[k]! - Number(a[k]!))).toBeLessThan(1e-14);
        expect(Math.abs(q.weights[k]! - Number(w[k]!))).toBeLessThan(1e-14);
      }
    });

  }
  igCases(ref, model, inputs, labels, MLP_IG, 'ig', { internalBatchSize: 256 });

  gradientCases(ref, model, inputs, labels);

  layerIgCases(ref, mlpModule(), inputs, labels, [['2', false], ['3', true]]);
});

describe('Captum reference: MLP (float32)', () => {
  it('float32 IG agrees with Captum float32 to about 1e-6 relative L2', () => {
    const ref = arrays('mlp-captum.safetensors');
    const labels = Array.from(get(ref, 'labels').toTypedArray(), Number);
    const model = referenceMlp('float32');
    const { attributions } = integratedGradients(model, get(ref, 'inputs.f32'), { target: labels, method: 'riemannMiddle', steps: 64 });
    expect(attributions.dtype).toBe('float32');
    // float32 sums in a different order: ~sqrt(d)·eps32 per gradient, well under 1e-5
    expectRowsClose(attributions, get(ref, 'ig.riemann_middle.n64.attr.f32'), 1e-5);
  });
});

describe('Captum reference: CNN (float64)', () => {
  const ref = arrays('cnn-captum.safetensors');
  const labels = Array.from(get(ref, 'labels').toTypedArray(), Number);
  const model = cnnModule();
  const inputs = get(ref, 'inputs.f64');

  it('the model reproduces the reference logits', () => {
    const logits = model.forward(inputs);
    expect(relL2(Float64Array.from(logits.toTypedArray()), Float64Array.from(get(ref, 'logits.f64').toTypedArray()))).toBeLessThan(1e-12);
  });

  igCases(ref, model, inputs, labels, CNN_IG, 'ig', {});
  igCases(ref, model, inputs, labels, [['gausslegendre', 50], ['riemann_middle', 64]], 'ig_baseline_uniform', { baseline: get(ref, 'baseline_uniform.f64') });

  gradientCases(ref, model, inputs, labels);

  layerIgCases(ref, model, inputs, labels, [['3', false], ['4', false], ['7', true]]);

  // Captum draws its noise with torch; the fixture records the noisy inputs it used (row
  // i·S + s = example i, sample s), and the method given to noiseTunnel evaluates pathgrad's
  // saliency on Captum's sample s instead of on pathgrad's own draw. What is compared is the
  // noise tunnel's definition: mean (smoothgrad), mean of squares (smoothgrad_sq) and
  // E[a²] − E[a]² (vargrad) over the same samples.
  const NT: [string, 'smoothgrad' | 'smoothgradSq' | 'vargrad'][] = [
    ['smoothgrad', 'smoothgrad'],
    ['smoothgrad_sq', 'smoothgradSq'],
    ['vargrad', 'vargrad'],
  ];
  for (const [captumType, type] of NT) {
    it(`noise tunnel ${type} over saliency on Captum's noisy samples matches Captum`, () => {
      const noisy = get(ref, 'noise_tunnel.noisy_inputs.f64');
      const n = 2;
      const samples = noisy.shape[0]! / n;
      let s = 0;
      const onCaptumSample = (m: Model, x: Tensor, o?: { target: number[]; abs: boolean }) => {
        expect(x.shape).toEqual([n, 1, 28, 28]);
        const rowsOfSample = Array.from({ length: n }, (_, i) => i * samples + s);
        s++;
        return saliency(m, pickRows(noisy, rowsOfSample), o);
      };
      const { attributions } = noiseTunnel(onCaptumSample, { type, samples, stdev: 0.2 })(model, pickRows(inputs, [0, 1]), { target: labels.slice(0, n), abs: false });
      expect(s).toBe(samples);
      expectRowsClose(attributions, get(ref, `noise_tunnel.${captumType}.attr.f64`));
    });
  }
});
