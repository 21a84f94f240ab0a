import { Tensor, allocate, type DType, type Rng } from '@pathgrad/tensor';
import { chunkSize, forEachGradientChunk, scalarValues, toFloat64, type ExplainedScalar } from './gradients.js';
import type { Quadrature } from './quadrature.js';

/**
 * `Σ_k w_k ∇F(x' + α_k (x − x'))` per element of every example: the quadrature of the
 * gradient along the straight line from `baseline` to `inputs`. The (steps × examples)
 * points are evaluated in step-major order, in chunks of at most `internalBatchSize`
 * points, so memory is bounded whatever `steps` is; the result does not depend on the
 * chunking beyond float summation order.
 */
export function straightPathGradient(
  spec: ExplainedScalar,
  inputs: Tensor,
  baseline: Tensor,
  quad: Quadrature,
  internalBatchSize: number | undefined,
): Float64Array {
  const n = inputs.shape[0]!;
  const per = n === 0 ? 0 : inputs.size / n;
  const x = toFloat64(inputs);
  const b = toFloat64(baseline);
  const steps = quad.alphas.length;
  const total = new Float64Array(n * per);
  const size = chunkSize(internalBatchSize, n * steps, spec.methodName);
  forEachGradientChunk(
    spec,
    n * steps,
    size,
    (start, end) => {
      const rows = end - start;
      const pts = allocate(inputs.dtype, rows * per);
      const rowExamples = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const i = start + r;
        const k = Math.floor(i / n);
        const e = i - k * n;
        const a = quad.alphas[k]!;
        rowExamples[r] = e;
        const o = e * per;
        for (let d = 0; d < per; d++) pts[r * per + d] = b[o + d]! + a * (x[o + d]! - b[o + d]!);
      }
      return { points: new Tensor(pts, [rows, ...inputs.shape.slice(1)], inputs.dtype), rowExamples };
    },
    (start, end, _values, grads) => {
      for (let r = 0; r < end - start; r++) {
        const i = start + r;
        const k = Math.floor(i / n);
        const e = i - k * n;
        const w = quad.weights[k]!;
        const o = e * per;
        for (let d = 0; d < per; d++) total[o + d]! += w * grads[r * per + d]!;
      }
    },
  );
  return total;
}

/** The explained scalar of every example of `inputs` (one forward pass, no gradient). */
export function exampleScores(spec: ExplainedScalar, inputs: Tensor): Float64Array {
  const n = inputs.shape[0]!;
  return scalarValues(spec, inputs, Int32Array.from({ length: n }, (_, i) => i));
}

/** Per-example sums of a flat `[N * per]` array. */
export function rowSums(values: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  const per = n === 0 ? 0 : values.length / n;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < per; d++) s += values[i * per + d]!;
    out[i] = s;
  }
  return out;
}

/** Standard normal noise of `size` values from `g`, scaled by `std`. */
export function gaussianNoise(size: number, std: number, g: Rng): Float64Array {
  const v = new Float64Array(size);
  for (let i = 0; i < size; i++) v[i] = std * g.normal();
  return v;
}

/**
 * Explained scalars of rows taken from a flat source (`source[rowIndex[i]]`), row i scored
 * with the target of example `exampleOf(i)`, in chunks of `size` (no gradient).
 */
export function rowScores(
  spec: ExplainedScalar,
  source: Float64Array,
  rowIndex: Int32Array,
  exampleOf: (i: number) => number,
  [per, featureShape, dtype]: [number, readonly number[], DType],
  size: number,
): Float64Array {
  const total = rowIndex.length;
  const out = new Float64Array(total);
  for (let start = 0; start < total; start += size) {
    const end = Math.min(total, start + size);
    const rows = end - start;
    const pts = allocate(dtype, rows * per);
    const ex = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      ex[r] = exampleOf(start + r);
      const o = rowIndex[start + r]! * per;
      for (let d = 0; d < per; d++) pts[r * per + d] = source[o + d]!;
    }
    out.set(scalarValues(spec, new Tensor(pts, [rows, ...featureShape], dtype), ex), start);
  }
  return out;
}
