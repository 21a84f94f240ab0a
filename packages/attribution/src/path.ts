import { Tensor, allocate, type DType, type Rng } from '@pathgrad/tensor';
import { chunkSize, forEachGradientChunk, scalarValues, toFloat64, type ExplainedScalar } from './gradients.js';
import type { Quadrature } from './quadrature.js';

/**
 * `Σ_k w_k ∇F(x' + α_k (x − x'))` per element of every example: the quadrature of the
 * gradient along the straight line from `baseline` to `inputs`. The (steps × examples)
 * points are evaluated in step-major order, in chunks of at most `internalBatchSize`
 * points, so memory is bounded whatever `steps` is; the result does not depend on the
 * chunking beyond float summation order.
 *
 * Hot path (profiled in docs/benchmarks.md): `x − x'` is formed once, the point buffer and
 * row-example map are allocated once and reused by every chunk (a chunk's tensor is dead
 * once its gradient has been read), gradients are read through a view of the kernel's
 * output rather than copied, and the loops are specialised per element type so V8 keeps
 * them monomorphic.
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
  const b = toFloat64(baseline);
  const diff = toFloat64(inputs);
  for (let i = 0; i < diff.length; i++) diff[i] = diff[i]! - b[i]!;
  const steps = quad.alphas.length;
  const total = new Float64Array(n * per);
  const size = chunkSize(internalBatchSize, n * steps, spec.methodName, per);
  const featureShape = inputs.shape.slice(1);
  const buffer = allocate(inputs.dtype, Math.min(size, n * steps) * per);
  const examples = new Int32Array(Math.min(size, n * steps));
  forEachGradientChunk(
    spec,
    n * steps,
    size,
    (start, end) => {
      const rows = end - start;
      const pts = rows * per === buffer.length ? buffer : buffer.subarray(0, rows * per);
      const rowExamples = rows === examples.length ? examples : examples.subarray(0, rows);
      if (pts instanceof Float32Array) fillPoints32(pts, rowExamples, start, n, per, b, diff, quad.alphas);
      else if (pts instanceof Float64Array) fillPoints64(pts, rowExamples, start, n, per, b, diff, quad.alphas);
      else fillPointsAny(pts, rowExamples, start, n, per, b, diff, quad.alphas);
      return { points: new Tensor(pts, [rows, ...featureShape], inputs.dtype), rowExamples };
    },
    (start, end, _values, grads) => {
      if (grads instanceof Float32Array) accumulate32(total, grads, start, end, n, per, quad.weights);
      else accumulate64(total, grads, start, end, n, per, quad.weights);
    },
  );
  return total;
}

// Point i of the step-major order is example i mod n at step ⌊i / n⌋. The three fill and
// two accumulate loops are the same code on different array types (one shape each for V8).
function fillPoints32(pts: Float32Array, ex: Int32Array, start: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  for (let r = 0; r < ex.length; r++) {
    const i = start + r;
    const k = Math.floor(i / n);
    const e = i - k * n;
    const a = alphas[k]!;
    ex[r] = e;
    const o = e * per;
    const q = r * per;
    for (let d = 0; d < per; d++) pts[q + d] = b[o + d]! + a * diff[o + d]!;
  }
}

function fillPoints64(pts: Float64Array, ex: Int32Array, start: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  for (let r = 0; r < ex.length; r++) {
    const i = start + r;
    const k = Math.floor(i / n);
    const e = i - k * n;
    const a = alphas[k]!;
    ex[r] = e;
    const o = e * per;
    const q = r * per;
    for (let d = 0; d < per; d++) pts[q + d] = b[o + d]! + a * diff[o + d]!;
  }
}

function fillPointsAny(pts: { [i: number]: number }, ex: Int32Array, start: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  for (let r = 0; r < ex.length; r++) {
    const i = start + r;
    const k = Math.floor(i / n);
    const e = i - k * n;
    const a = alphas[k]!;
    ex[r] = e;
    for (let d = 0; d < per; d++) pts[r * per + d] = b[e * per + d]! + a * diff[e * per + d]!;
  }
}

function accumulate32(total: Float64Array, g: Float32Array, start: number, end: number, n: number, per: number, weights: ArrayLike<number>): void {
  for (let r = 0; r < end - start; r++) {
    const i = start + r;
    const k = Math.floor(i / n);
    const o = (i - k * n) * per;
    const w = weights[k]!;
    const q = r * per;
    for (let d = 0; d < per; d++) total[o + d] = total[o + d]! + w * g[q + d]!;
  }
}

function accumulate64(total: Float64Array, g: Float64Array, start: number, end: number, n: number, per: number, weights: ArrayLike<number>): void {
  for (let r = 0; r < end - start; r++) {
    const i = start + r;
    const k = Math.floor(i / n);
    const o = (i - k * n) * per;
    const w = weights[k]!;
    const q = r * per;
    for (let d = 0; d < per; d++) total[o + d] = total[o + d]! + w * g[q + d]!;
  }
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
