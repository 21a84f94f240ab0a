/**
 * pathgrad against Captum 0.7.0 on a PyTorch-trained MNIST MLP (16 test digits; the
 * reference arrays and their README are in fixtures/). float64 must agree to 1e-10
 * relative L2 per image and 1e-10 absolute in delta.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '@pathgrad/tensor';
import { inputXGradient, integratedGradients, quadrature, saliency, type QuadratureMethod } from '../src/index.js';
import { captumReference, referenceMlp, relL2, rows } from './helpers.js';

const ref = captumReference();
const labels = Array.from(ref['labels']!.toTypedArray(), Number);
const cases: [string, QuadratureMethod, number][] = [
  ['gausslegendre', 'gaussLegendre', 50],
  ['riemann_trapezoid', 'captumTrapezoid', 64],
  ['riemann_middle', 'riemannMiddle', 64],
  ['riemann_left', 'riemannLeft', 64],
  ['riemann_right', 'riemannRight', 64],
];

describe('Captum reference (float64)', () => {
  const model = referenceMlp('float64');
  const inputs = ref['inputs.f64']!;

  it('the model reproduces the reference logits', () => {
    const logits = model(inputs);
    expect(relL2(Float64Array.from(logits.toTypedArray()), Float64Array.from(ref['logits.f64']!.toTypedArray()))).toBeLessThan(1e-12);
  });

  for (const [captumName, method, steps] of cases) {
    it(`quadrature ${method} n=${steps} has Captum's nodes and weights`, () => {
      const q = quadrature(method, steps);
      const a = ref[`ig.${captumName}.n${steps}.alphas.f64`]!.toTypedArray();
      const w = ref[`ig.${captumName}.n${steps}.weights.f64`]!.toTypedArray();
      for (let k = 0; k < steps; k++) {
        expect(Math.abs(q.alphas[k]! - a[k]!)).toBeLessThan(1e-14);
        expect(Math.abs(q.weights[k]! - w[k]!)).toBeLessThan(1e-14);
      }
    });

    it(`IG ${method} n=${steps} matches Captum to 1e-10 per image, deltas to 1e-10`, () => {
      const { attributions, delta } = integratedGradients(model, inputs, { target: labels, method, steps, internalBatchSize: 256 });
      expect(attributions.dtype).toBe('float64');
      expect(attributions.shape).toEqual([16, 1, 28, 28]);
      const want = rows(ref[`ig.${captumName}.n${steps}.attr.f64`]!);
      rows(attributions).forEach((r, i) => expect(relL2(r, want[i]!)).toBeLessThan(1e-10));
      const wantDelta = ref[`ig.${captumName}.n${steps}.delta.f64`]!.toTypedArray();
      const d = delta.toTypedArray();
      for (let i = 0; i < 16; i++) expect(Math.abs(d[i]! - wantDelta[i]!)).toBeLessThan(1e-10);
    });
  }

  it('saliency (abs and signed) and input x gradient match Captum', () => {
    const checks: [Tensor, string][] = [
      [saliency(model, inputs, { target: labels }).attributions, 'saliency_abs.attr.f64'],
      [saliency(model, inputs, { target: labels, abs: false }).attributions, 'saliency_signed.attr.f64'],
      [inputXGradient(model, inputs, { target: labels }).attributions, 'input_x_gradient.attr.f64'],
    ];
    for (const [got, key] of checks) {
      const want = rows(ref[key]!);
      rows(got).forEach((r, i) => expect(relL2(r, want[i]!)).toBeLessThan(1e-10));
    }
  });
});

describe('Captum reference (float32)', () => {
  it('float32 IG agrees with Captum float32 to about 1e-6 relative L2', () => {
    const model = referenceMlp('float32');
    const inputs = ref['inputs.f32']!;
    const { attributions } = integratedGradients(model, inputs, { target: labels, method: 'riemannMiddle', steps: 64 });
    expect(attributions.dtype).toBe('float32');
    const want = rows(ref['ig.riemann_middle.n64.attr.f32']!);
    rows(attributions).forEach((r, i) => expect(relL2(r, want[i]!)).toBeLessThan(1e-5));
  });
});
