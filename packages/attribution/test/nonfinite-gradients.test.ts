import { ArgumentError, matmul, reshape, sqrt, tensor, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { checkFiniteGradients } from '../src/gradients.js';
import { blurIG, expectedGradients, integratedGradients, integratedHessians, saliency } from '../src/index.js';

// sqrt has derivative 1 / (2 sqrt(x)) = +Infinity at 0: the case (1568/1568 NaN maps, no error).
const W = tensor([[1, -1], [2, 0.5], [-1, 1], [0.5, 2]], { dtype: 'float64' });
const sqrtModel = (x: Tensor) => matmul(reshape(sqrt(x), [x.shape[0]!, 4]), W);
// example 0 is positive everywhere; example 1 has a 0 at element 2 = index [0, 1, 0] of [1, 2, 2]
const x = tensor([[[[0.2, 0.4], [0.6, 0.8]]], [[[0.5, 0.3], [0, 0.9]]]], { dtype: 'float64' });

describe('non-finite gradients are refused, naming the example and element', () => {
  it('integratedGradients on a sqrt model with a zero pixel throws instead of returning NaN maps', () => {
    expect(() => integratedGradients(sqrtModel, x, { target: 0, steps: 8 })).toThrow(ArgumentError);
    expect(() => integratedGradients(sqrtModel, x, { target: 0, steps: 8 })).toThrow(
      /^integratedGradients: the gradient of the explained output is (Infinity|-Infinity|NaN) for example 1 at element 2 \(index \[0, 1, 0\] of \[1, 2, 2\]; point row \d+\); expected finite gradients/,
    );
  });
  it('the same in float32, with chunking, and for saliency and other gradient methods', () => {
    const x32 = tensor(x.toTypedArray(), { shape: x.shape, dtype: 'float32' });
    const m32 = (t: Tensor) => matmul(reshape(sqrt(t), [t.shape[0]!, 4]), tensor(W.toTypedArray(), { shape: [4, 2], dtype: 'float32' }));
    expect(() => integratedGradients(m32, x32, { target: 1, steps: 8, internalBatchSize: 3 })).toThrow(/for example 1 at element 2 \(index \[0, 1, 0\]/);
    expect(() => saliency(sqrtModel, x, { target: 0 })).toThrow(/^saliency: the gradient .* for example 1 at element 2/);
    expect(() => expectedGradients(sqrtModel, x, { target: 0, data: x, samples: 4 })).toThrow(/^expectedGradients: the gradient .* for example \d/);
    expect(() => blurIG(sqrtModel, x, { target: 0, steps: 4 })).toThrow(/^blurIG: the gradient of the explained output is/);
    expect(() => integratedHessians(sqrtModel, x, { target: 0, steps: 2 })).toThrow(/^integratedHessians: the gradient .* for example 1 at element 2/);
  });
  it('a model with finite gradients everywhere still runs (no false alarm)', () => {
    const shifted = tensor(x.toTypedArray().map((v) => v + 0.1), { shape: x.shape, dtype: 'float64' });
    const { attributions, delta } = integratedGradients(sqrtModel, shifted, { target: 0, steps: 64, baseline: 0.05 });
    expect(Array.from(attributions.toTypedArray()).every(Number.isFinite)).toBe(true);
    // completeness: Gauss–Legendre with 64 nodes on a smooth sqrt path is exact to ~1e-12
    for (const d of delta.toTypedArray()) expect(Math.abs(d)).toBeLessThan(1e-9);
  });
  it('the multi-index is row-major within the example, as the flat element index', () => {
    const g = new Float64Array(2 * 24);
    g[24 + 17] = NaN; // row 1, element 17 of [2, 3, 4] = [1, 1, 1]
    expect(() => checkFiniteGradients(g, Int32Array.from([5, 9]), [2, 2, 3, 4], 'm')).toThrow(
      'm: the gradient of the explained output is NaN for example 9 at element 17 (index [1, 1, 1] of [2, 3, 4]; point row 1)',
    );
    const f = new Float32Array(4);
    f[3] = -Infinity;
    expect(() => checkFiniteGradients(f, Int32Array.from([0, 1, 2, 3]), [4], 'm')).toThrow(/is -Infinity for example 3 at element 0 \(index \[\] of \[\]; point row 3\)/);
    expect(() => checkFiniteGradients(new Float64Array([1e308, -1e-308, 0]), Int32Array.from([0]), [1, 3], 'm')).not.toThrow();
  });
});
