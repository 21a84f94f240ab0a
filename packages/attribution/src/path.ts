import { Tensor, allocate, type DType, type Rng } from '@pathgrad/tensor';
import { allFinite, checkFiniteGradients, chunkSize, forEachGradientChunk, scalarValues, toFloat64, type ExplainedScalar } from './gradients.js';
import { DEFAULT_CHUNK_ELEMENTS } from './options.js';
import type { Quadrature } from './quadrature.js';

/**
 * `Σ_k w_k ∇F(x' + α_k (x − x'))` per element of every example: the quadrature of the
 * gradient along the straight line from `baseline` to `inputs`. The (steps × examples)
 * points are evaluated in step-major order, in chunks of at most `internalBatchSize`
 * points, so memory is bounded whatever `steps` is; the result does not depend on the
 * chunking beyond float summation order.
 *
 * Hot path (profiled in docs/benchmarks.md): `x − x'` is formed once, the point buffer is
 * reused by every chunk and kept for the next call (a chunk's tensor is dead once its
 * gradient has been read; fresh pages cost about as much as filling them), gradients are
 * read through a view of the kernel's output rather than copied, the NaN/Inf check runs on
 * the float64 totals (examples × features) instead of on every gradient (steps × examples ×
 * features), and the loops are specialised per element type so V8 keeps them monomorphic.
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
  const rowsMax = Math.min(size, n * steps);
  const buffer = takePointBuffer(inputs.dtype, rowsMax * per);
  const examples = new Int32Array(rowsMax);
  forEachGradientChunk(
    spec,
    n * steps,
    size,
    (start, end) => {
      const rows = end - start;
      const pts = rows * per === buffer.length ? buffer : buffer.subarray(0, rows * per); // a kept buffer may be longer
      const rowExamples = rows === examples.length ? examples : examples.subarray(0, rows);
      if (pts instanceof Float32Array) fillPoints32(pts, rowExamples, start, n, per, b, diff, quad.alphas);
      else fillPoints64(pts, rowExamples, start, n, per, b, diff, quad.alphas);
      return { points: new Tensor(pts, [rows, ...featureShape], inputs.dtype), rowExamples };
    },
    (start, end, _values, grads, chunk) => {
      if (grads instanceof Float32Array) accumulate32(total, grads, start, end, n, per, quad.weights);
      else accumulate64(total, grads, start, end, n, per, quad.weights);
      // the totals were finite before this chunk; a NaN or ±Infinity gradient makes one of
      // the touched examples' totals non-finite, and the full check then names it
      if (!touchedFinite(total, start, end, n, per)) checkFiniteGradients(grads, chunk.rowExamples, chunk.points.shape, spec.methodName);
    },
    false,
  );
  givePointBuffer(buffer);
  return total;
}

/** True when the totals of the examples that points `start..end` (step-major) touched are finite. */
function touchedFinite(total: Float64Array, start: number, end: number, n: number, per: number): boolean {
  if (end - start >= n) return allFinite(total, 0, n * per);
  // fewer rows than examples: one contiguous run of examples, possibly wrapping past n − 1
  const first = start % n;
  const last = (end - 1) % n;
  if (first <= last) return allFinite(total, first * per, (last + 1) * per);
  return allFinite(total, 0, (last + 1) * per) && allFinite(total, first * per, n * per);
}

/**
 * Float point buffers kept between calls, one per dtype: a fresh buffer of a chunk's size
 * (2 MB at the default chunk) costs a page fault per 4 KB on first write, about as much as
 * filling it. Taken while in use (a nested call, say from inside a model, allocates its
 * own), given back after, and only kept up to DEFAULT_CHUNK_ELEMENTS elements, so at most
 * 2 + 4 MiB stay held.
 */
const spare: { float32?: Float32Array; float64?: Float64Array } = {};

/**
 * A kept buffer of at least `length` elements (possibly longer: use a prefix), or a new one;
 * hand it back with {@link givePointBuffer} once the last chunk's gradient has been read.
 */
export function takePointBuffer(dtype: DType, length: number): Float32Array | Float64Array {
  // the methods take float inputs only (checkInputs refuses int32)
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`internal: point buffers are float32 or float64, got ${dtype}`);
  const kept = spare[dtype];
  if (kept === undefined || kept.length < length) return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  spare[dtype] = undefined;
  return kept;
}

/** Keeps `buffer` (from {@link takePointBuffer}) for a later call, if it is small enough. */
export function givePointBuffer(buffer: Float32Array | Float64Array): void {
  if (buffer.length > DEFAULT_CHUNK_ELEMENTS) return;
  if (buffer instanceof Float32Array && (spare.float32?.length ?? 0) < buffer.length) spare.float32 = buffer;
  else if (buffer instanceof Float64Array && (spare.float64?.length ?? 0) < buffer.length) spare.float64 = buffer;
}

// Point i of the step-major order is example i mod n at step ⌊i / n⌋. Points i, i + n,
// i + 2n, i + 3n are one example at four consecutive steps: the fill reads that example's
// b and x − x' once for all four, and the accumulation adds the four gradients into the
// total with one load and store of it, in step order (((t + w₀g₀) + w₁g₁) + w₂g₂) + w₃g₃,
// which is the one-row-at-a-time sum bit for bit. Rows before the first whole step and
// after the last whole group of four go one at a time. The 32 and 64 copies are the same
// code on different array types (one shape each, so V8 keeps them monomorphic).
function fillPoints32(pts: Float32Array, ex: Int32Array, start: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  const end = start + ex.length;
  const stride = n * per;
  let i = start;
  for (; i < end && i % n !== 0; i++) fillRow32(pts, ex, i - start, i, n, per, b, diff, alphas);
  for (; i + 4 * n <= end; i += 4 * n) {
    const k = i / n;
    const a0 = alphas[k]!;
    const a1 = alphas[k + 1]!;
    const a2 = alphas[k + 2]!;
    const a3 = alphas[k + 3]!;
    for (let e = 0; e < n; e++) {
      const r = i - start + e;
      ex[r] = e;
      ex[r + n] = e;
      ex[r + 2 * n] = e;
      ex[r + 3 * n] = e;
      const o = e * per;
      const q = r * per;
      for (let d = 0; d < per; d++) {
        const bv = b[o + d]!;
        const dv = diff[o + d]!;
        pts[q + d] = bv + a0 * dv;
        pts[q + stride + d] = bv + a1 * dv;
        pts[q + 2 * stride + d] = bv + a2 * dv;
        pts[q + 3 * stride + d] = bv + a3 * dv;
      }
    }
  }
  for (; i < end; i++) fillRow32(pts, ex, i - start, i, n, per, b, diff, alphas);
}

function fillRow32(pts: Float32Array, ex: Int32Array, r: number, i: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  const k = Math.floor(i / n);
  const e = i - k * n;
  const a = alphas[k]!;
  ex[r] = e;
  const o = e * per;
  const q = r * per;
  for (let d = 0; d < per; d++) pts[q + d] = b[o + d]! + a * diff[o + d]!;
}

function fillPoints64(pts: Float64Array, ex: Int32Array, start: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  const end = start + ex.length;
  const stride = n * per;
  let i = start;
  for (; i < end && i % n !== 0; i++) fillRow64(pts, ex, i - start, i, n, per, b, diff, alphas);
  for (; i + 4 * n <= end; i += 4 * n) {
    const k = i / n;
    const a0 = alphas[k]!;
    const a1 = alphas[k + 1]!;
    const a2 = alphas[k + 2]!;
    const a3 = alphas[k + 3]!;
    for (let e = 0; e < n; e++) {
      const r = i - start + e;
      ex[r] = e;
      ex[r + n] = e;
      ex[r + 2 * n] = e;
      ex[r + 3 * n] = e;
      const o = e * per;
      const q = r * per;
      for (let d = 0; d < per; d++) {
        const bv = b[o + d]!;
        const dv = diff[o + d]!;
        pts[q + d] = bv + a0 * dv;
        pts[q + stride + d] = bv + a1 * dv;
        pts[q + 2 * stride + d] = bv + a2 * dv;
        pts[q + 3 * stride + d] = bv + a3 * dv;
      }
    }
  }
  for (; i < end; i++) fillRow64(pts, ex, i - start, i, n, per, b, diff, alphas);
}

function fillRow64(pts: Float64Array, ex: Int32Array, r: number, i: number, n: number, per: number, b: Float64Array, diff: Float64Array, alphas: ArrayLike<number>): void {
  const k = Math.floor(i / n);
  const e = i - k * n;
  const a = alphas[k]!;
  ex[r] = e;
  const o = e * per;
  const q = r * per;
  for (let d = 0; d < per; d++) pts[q + d] = b[o + d]! + a * diff[o + d]!;
}

function accumulate32(total: Float64Array, g: Float32Array, start: number, end: number, n: number, per: number, weights: ArrayLike<number>): void {
  const stride = n * per;
  let i = start;
  for (; i < end && i % n !== 0; i++) accumulateRow32(total, g, i - start, i, n, per, weights);
  for (; i + 4 * n <= end; i += 4 * n) {
    const k = i / n;
    const w0 = weights[k]!;
    const w1 = weights[k + 1]!;
    const w2 = weights[k + 2]!;
    const w3 = weights[k + 3]!;
    for (let e = 0; e < n; e++) {
      const o = e * per;
      const q = (i - start + e) * per;
      for (let d = 0; d < per; d++) {
        total[o + d] = total[o + d]! + w0 * g[q + d]! + w1 * g[q + stride + d]! + w2 * g[q + 2 * stride + d]! + w3 * g[q + 3 * stride + d]!;
      }
    }
  }
  for (; i < end; i++) accumulateRow32(total, g, i - start, i, n, per, weights);
}

function accumulateRow32(total: Float64Array, g: Float32Array, r: number, i: number, n: number, per: number, weights: ArrayLike<number>): void {
  const k = Math.floor(i / n);
  const o = (i - k * n) * per;
  const w = weights[k]!;
  const q = r * per;
  for (let d = 0; d < per; d++) total[o + d] = total[o + d]! + w * g[q + d]!;
}

function accumulate64(total: Float64Array, g: Float64Array, start: number, end: number, n: number, per: number, weights: ArrayLike<number>): void {
  const stride = n * per;
  let i = start;
  for (; i < end && i % n !== 0; i++) accumulateRow64(total, g, i - start, i, n, per, weights);
  for (; i + 4 * n <= end; i += 4 * n) {
    const k = i / n;
    const w0 = weights[k]!;
    const w1 = weights[k + 1]!;
    const w2 = weights[k + 2]!;
    const w3 = weights[k + 3]!;
    for (let e = 0; e < n; e++) {
      const o = e * per;
      const q = (i - start + e) * per;
      for (let d = 0; d < per; d++) {
        total[o + d] = total[o + d]! + w0 * g[q + d]! + w1 * g[q + stride + d]! + w2 * g[q + 2 * stride + d]! + w3 * g[q + 3 * stride + d]!;
      }
    }
  }
  for (; i < end; i++) accumulateRow64(total, g, i - start, i, n, per, weights);
}

function accumulateRow64(total: Float64Array, g: Float64Array, r: number, i: number, n: number, per: number, weights: ArrayLike<number>): void {
  const k = Math.floor(i / n);
  const o = (i - k * n) * per;
  const w = weights[k]!;
  const q = r * per;
  for (let d = 0; d < per; d++) total[o + d] = total[o + d]! + w * g[q + d]!;
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
