import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, add, cast, expand, matmul, mul, reshape, sum, tanh, type DType } from '@pathgrad/tensor';
import { floatView } from '../src/gradients.js';
import { straightPathGradient } from '../src/path.js';
import { quadrature } from '../src/quadrature.js';
import { integratedGradients } from '../src/index.js';
import { referenceMlp } from './helpers.js';

/** x ↦ Σ_d w_d x_d per row: its gradient is w for every point, an expanded (stride-0) view. */
function linear(w: Float64Array, dtype: DType): (x: Tensor) => Tensor {
  const wt = new Tensor(dtype === 'float64' ? w : Float32Array.from(w), [w.length], dtype);
  return (x) => sum(mul(reshape(x, [x.shape[0]!, w.length]), expand(wt, [x.shape[0]!, w.length])), { axis: 1 });
}

const spec = (model: (x: Tensor) => Tensor) => ({ model, target: { kind: 'none' as const }, outputTransform: 'identity' as const, methodName: 'test' });

describe('straight-path hot path (reused point buffers, gradient views)', () => {
  it('a linear model gets Σ_k w_k · w per element, whatever the chunking, in float32 and float64', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom<DType>('float32', 'float64'),
        fc.integer({ min: 0, max: 1000 }),
        (n, per, steps, chunk, dtype, seed) => {
          const w = Float64Array.from({ length: per }, (_, d) => Math.sin(seed + d) * 2);
          const x = Float64Array.from({ length: n * per }, (_, i) => Math.cos(seed * 3 + i));
          const inputs = cast(new Tensor(x, [n, per], 'float64'), dtype);
          const baseline = cast(new Tensor(new Float64Array(n * per).fill(0.25), [n, per], 'float64'), dtype);
          const q = quadrature('riemannTrapezoid', steps);
          const got = straightPathGradient(spec(linear(w, dtype)), inputs, baseline, q, chunk);
          const wsum = q.weights.reduce((a, b) => a + b, 0);
          const tol = dtype === 'float64' ? 1e-12 : 1e-5;
          for (let i = 0; i < n * per; i++) expect(Math.abs(got[i]! - wsum * w[i % per]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(wsum * w[i % per]!)));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('chunk sizes that do not divide the points (buffer reused, last chunk shorter) give the unchunked result bit for bit', () => {
    const model = (x: Tensor) => sum(tanh(mul(reshape(x, [x.shape[0]!, 6]), reshape(x, [x.shape[0]!, 6]))), { axis: 1 });
    const x = new Tensor(Float64Array.from({ length: 18 }, (_, i) => Math.sin(i) * 1.5), [3, 6], 'float64');
    const b = new Tensor(new Float64Array(18), [3, 6], 'float64');
    const q = quadrature('gaussLegendre', 11);
    const whole = straightPathGradient(spec(model), x, b, q, undefined);
    for (const chunk of [1, 2, 5, 7, 32, 33, 34]) expect(straightPathGradient(spec(model), x, b, q, chunk)).toEqual(whole);
  });

  it('IG on the reference MLP is unchanged by internalBatchSize (float32: reused Float32Array point buffers)', () => {
    const model = referenceMlp('float32');
    const inputs = new Tensor(Float32Array.from({ length: 3 * 784 }, (_, i) => ((i * 7919) % 256) / 255), [3, 1, 28, 28], 'float32');
    const target = Int32Array.from([1, 4, 7]);
    const a = integratedGradients(model, inputs, { target, steps: 16 }).attributions.toTypedArray();
    const b = integratedGradients(model, inputs, { target, steps: 16, internalBatchSize: 5 }).attributions.toTypedArray();
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i]! - b[i]!) ** 2;
      den += a[i]! ** 2;
    }
    expect(den).toBeGreaterThan(0);
    // the same points and the same float64 accumulation order; only the batch size of the float32 matmuls differs
    expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
  });

  it('floatView reads contiguous tensors without copying and strided views correctly', () => {
    const base = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], 'float32');
    const v = floatView(base);
    expect(v.buffer).toBe(base.data.buffer);
    expect([...v]).toEqual([1, 2, 3, 4, 5, 6]);
    const t = new Tensor(base.data, [3, 2], 'float32', [1, 3]);
    expect([...floatView(t)]).toEqual([1, 4, 2, 5, 3, 6]);
    const row = new Tensor(base.data, [3], 'float32', [1], 3);
    expect([...floatView(row)]).toEqual([4, 5, 6]);
    const wide = add(matmul(new Tensor(Float64Array.from([1, 2]), [1, 2], 'float64'), new Tensor(Float64Array.from([1, 0, 0, 1]), [2, 2], 'float64')), 0);
    expect([...floatView(wide)]).toEqual([1, 2]);
  });
});
