import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, cast, mul, reshape, sqrt, sum, tanh, type DType } from '@pathgrad/tensor';
import { checkFiniteGradients } from '../src/gradients.js';
import { straightPathGradient } from '../src/path.js';
import { quadrature } from '../src/quadrature.js';
import { integratedGradients } from '../src/index.js';
import { kthSmallest } from '../src/methods/guidedIG.js';

// The straight-path loops (packages/attribution/src/path.ts) fill and accumulate four steps of
// an example at a time, check NaN/Inf on the float64 totals rather than on every gradient, and
// keep their point buffer between calls; these tests hold them to the plain row-by-row
// definition, bit for bit, and to the same errors.

const spec = (model: (x: Tensor) => Tensor, methodName = 'test') => ({ model, target: { kind: 'none' as const }, outputTransform: 'identity' as const, methodName });

/** Row-independent and elementwise (so a row's gradient does not depend on the batch): Σ_d tanh(x_d · x_d · c_d). */
function elementwise(per: number, dtype: DType): (x: Tensor) => Tensor {
  const c = cast(new Tensor(Float64Array.from({ length: per }, (_, d) => 0.5 + Math.cos(d)), [per], 'float64'), dtype);
  return (x) => {
    const flat = reshape(x, [x.shape[0]!, per]);
    return sum(tanh(mul(mul(flat, flat), c)), { axis: 1 });
  };
}

/**
 * The definition, one point at a time: point i (step-major) is example i mod n at step
 * ⌊i / n⌋, its float64 value rounded to the input dtype, and its gradient (the model's, in
 * that dtype) weighted into a float64 total in step order.
 */
function reference(model: (x: Tensor) => Tensor, x: Float64Array, b: Float64Array, n: number, per: number, dtype: DType, alphas: Float64Array, weights: Float64Array): Float64Array {
  const total = new Float64Array(n * per);
  for (let i = 0; i < n * alphas.length; i++) {
    const k = Math.floor(i / n);
    const e = i % n;
    const p = new Float64Array(per);
    for (let d = 0; d < per; d++) p[d] = b[e * per + d]! + alphas[k]! * (x[e * per + d]! - b[e * per + d]!);
    const point = cast(new Tensor(p, [1, per], 'float64'), dtype);
    const g = straightPathGradient(spec(model), point, point, { alphas: Float64Array.of(0), weights: Float64Array.of(1) } as never, undefined);
    for (let d = 0; d < per; d++) total[e * per + d] = total[e * per + d]! + weights[k]! * g[d]!;
  }
  return total;
}

describe('straight-path loops: four steps at a time, checks on the totals, kept buffers', () => {
  it('equal the row-by-row definition bit for bit, for every chunking, in float32 and float64', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom<DType>('float32', 'float64'),
        fc.integer({ min: 0, max: 1000 }),
        (n, per, steps, chunk, dtype, seed) => {
          const x = Float64Array.from({ length: n * per }, (_, i) => Math.sin(seed + 3 * i) * 1.7);
          const b = Float64Array.from({ length: n * per }, (_, i) => Math.cos(seed * 7 + i) * 0.3);
          // rounded to the dtype first, as the tensors hold them
          const xt = cast(new Tensor(x, [n, per], 'float64'), dtype);
          const bt = cast(new Tensor(b, [n, per], 'float64'), dtype);
          const q = quadrature('gaussLegendre', steps);
          const model = elementwise(per, dtype);
          const want = reference(model, Float64Array.from(xt.toTypedArray()), Float64Array.from(bt.toTypedArray()), n, per, dtype, q.alphas, q.weights);
          expect(straightPathGradient(spec(model), xt, bt, q, chunk)).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a gradient that is NaN at one step only is found in the chunk that holds it, naming the same row and element as a check of every gradient', () => {
    // √(x·x) has gradient x / |x|: 0 · ∞ = NaN where the point is exactly 0. With the baseline
    // −x and riemannMiddle over 3 steps (α = 1/6, 1/2, 5/6) every element is 0 at step 1 only.
    const n = 3;
    const per = 4;
    const x = new Tensor(Float64Array.from({ length: n * per }, (_, i) => 0.25 + i / 8), [n, 1, per], 'float64');
    const baseline = new Tensor(x.toTypedArray().map((v) => -v), [n, 1, per], 'float64');
    const model = (t: Tensor) => sum(sqrt(mul(reshape(t, [t.shape[0]!, per]), reshape(t, [t.shape[0]!, per]))), { axis: 1 });
    for (const dtype of ['float64', 'float32'] as const) {
      for (const chunk of [1, 2, 3, 4, 5, 7, 9]) {
        // the first point of step 1 is point n; its chunk starts at ⌊n / chunk⌋ · chunk
        const row = n - Math.floor(n / chunk) * chunk;
        expect(() => integratedGradients(model, cast(x, dtype), { baseline: cast(baseline, dtype), steps: 3, method: 'riemannMiddle', internalBatchSize: chunk })).toThrow(
          `integratedGradients: the gradient of the explained output is NaN for example 0 at element 0 (index [0, 0] of [1, 4]; point row ${row})`,
        );
      }
    }
  });

  it('checkFiniteGradients finds the first NaN or ±Infinity wherever it falls in the 1024-element blocks, and nothing else', () => {
    const len = 2500;
    for (const make of [(m: number) => new Float32Array(m), (m: number) => new Float64Array(m)]) {
      const ok = make(len);
      for (let i = 0; i < len; i++) ok[i] = i % 3 === 0 ? -0 : i % 3 === 1 ? (ok instanceof Float32Array ? 3.4e38 : 1.7e308) : -1e-40;
      expect(() => checkFiniteGradients(ok, Int32Array.from([0]), [1, len], 'm')).not.toThrow();
      for (const at of [0, 3, 4, 1022, 1023, 1024, 1027, 2047, 2048, 2496, 2499]) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const g = ok.slice();
          g[at] = bad;
          if (at + 700 < len) g[at + 700] = NaN; // a later one, in the same block or the next, is not the one named
          expect(() => checkFiniteGradients(g, Int32Array.from([0]), [1, len], 'm')).toThrow(`m: the gradient of the explained output is ${bad} for example 0 at element ${at} (`);
        }
      }
    }
  });

  it('the point buffer kept between calls gives the same results for calls of any size, in any order', () => {
    const q = quadrature('gaussLegendre', 9);
    const run = (n: number, per: number, dtype: DType, chunk: number | undefined) => {
      const x = cast(new Tensor(Float64Array.from({ length: n * per }, (_, i) => Math.sin(i) * 2), [n, per], 'float64'), dtype);
      const b = cast(new Tensor(new Float64Array(n * per).fill(0.1), [n, per], 'float64'), dtype);
      return straightPathGradient(spec(elementwise(per, dtype)), x, b, q, chunk);
    };
    const cases: [number, number, DType, number | undefined][] = [
      [2, 5, 'float32', undefined],
      [7, 11, 'float32', undefined],
      [1, 3, 'float32', 4],
      [7, 11, 'float64', 10],
      [2, 5, 'float64', undefined],
    ];
    const first = cases.map((c) => run(...c));
    const again = [...cases].reverse().map((c) => run(...c)).reverse();
    expect(again).toEqual(first);
  });

  it('a model that itself runs IG while the outer call holds the buffer does not see its points change', () => {
    const per = 6;
    const inner = elementwise(per, 'float32');
    const y = new Tensor(Float32Array.from({ length: 2 * per }, (_, i) => Math.cos(i)), [2, per], 'float32');
    const plain = elementwise(per, 'float32');
    const nested = (t: Tensor) => {
      // fills a point buffer of its own before the outer points are read
      if (t.shape[0]! > 2) integratedGradients(inner, y, { steps: 5 });
      return plain(t);
    };
    const x = new Tensor(Float32Array.from({ length: 3 * per }, (_, i) => Math.sin(i) + 0.5), [3, per], 'float32');
    const want = integratedGradients(plain, x, { steps: 8 }).attributions.toTypedArray();
    expect(integratedGradients(nested, x, { steps: 8 }).attributions.toTypedArray()).toEqual(want);
  });

  it("guidedIG's quantile: kthSmallest is the sorted array's k-th element, with many ties, zeros and Infinity", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.constant(Infinity), fc.integer({ min: 0, max: 5 }).map((v) => v / 3), fc.double({ min: 0, max: 1e6, noNaN: true }).map(Math.abs)), { minLength: 1, maxLength: 300 }),
        fc.nat(),
        (values, pick) => {
          const a = Float64Array.from(values);
          const k = pick % a.length;
          expect(kthSmallest(Float64Array.from(a), k)).toBe(Float64Array.from(a).sort()[k]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
