import { noGrad, vjp } from '@pathgrad/autograd';
import { ArgumentError, Tensor, allocate, describe, ones, wasmScope, type DType } from '@pathgrad/tensor';
import { callModel, type Model } from './model.js';
import { DEFAULT_CHUNK_ELEMENTS } from './options.js';
import { selectTarget, transformOutput, type OutputTransform, type ResolvedTarget } from './target.js';

/** What the shared gradient engine needs to know about the explained scalar. */
export interface ExplainedScalar {
  model: Model;
  target: ResolvedTarget;
  outputTransform: OutputTransform;
  methodName: string;
}

/** One chunk of evaluation points: the points and the example each row belongs to. */
export interface PointChunk {
  points: Tensor;
  rowExamples: Int32Array;
}

/**
 * Explained scalar per row and its gradient with respect to the rows, for one batch of
 * points: one forward and one backward pass. Rows are independent (the model must not mix
 * examples, as in eval mode), so the gradient of the sum is the per-row gradient.
 * `checkGradients: false` leaves the NaN/Inf check of the gradient to the caller, which
 * must then call {@link checkFiniteGradients} itself when it finds one (see
 * {@link forEachGradientChunk}).
 */
export function scalarAndGradient(spec: ExplainedScalar, chunk: PointChunk, checkGradients = true): { values: Float64Array; grads: Tensor } {
  const { value, pullback } = vjp((p: Tensor) => explainedScalar(spec, p, chunk.rowExamples), chunk.points);
  const values = Float64Array.from(floatView(value));
  checkFiniteValues(values, chunk.rowExamples, spec.methodName);
  const [grads] = pullback(ones(value.shape, value.dtype));
  if (checkGradients) checkFiniteGradients(floatView(grads!), chunk.rowExamples, chunk.points.shape, spec.methodName);
  return { values, grads: grads! };
}

/** The explained scalar per row of `points` (no gradient). */
export function scalarValues(spec: ExplainedScalar, points: Tensor, rowExamples: Int32Array): Float64Array {
  const values = noGrad(() => Float64Array.from(floatView(explainedScalar(spec, points, rowExamples))));
  checkFiniteValues(values, rowExamples, spec.methodName);
  return values;
}

/** The explained scalar per row: transformed model output at each row's target. */
export function explainedScalar(spec: ExplainedScalar, points: Tensor, rowExamples: Int32Array): Tensor {
  const out = callModel(spec.model, points, spec.methodName);
  return selectTarget(transformOutput(out, spec.outputTransform, spec.methodName), spec.target, rowExamples, spec.methodName);
}

function checkFiniteValues(values: Float64Array, rowExamples: Int32Array, methodName: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new ArgumentError(
        `${methodName}: the model produced ${values[i]} for example ${rowExamples[i]} (row ${i}); expected a finite output`,
      );
    }
  }
}

/**
 * Throws unless every gradient element is finite, naming the example, the element (flat and
 * multi-index within the example) and the value: a NaN or infinite gradient (sqrt or log at
 * 0 in the model, an overflow) would otherwise turn every attribution it touches into NaN
 * without a word. `grads` holds one row per point, shaped `pointShape` (`[rows, ...feature]`).
 * Hot path: one pass over the buffer with no allocation until something is found.
 */
export function checkFiniteGradients(grads: Float64Array | Float32Array, rowExamples: Int32Array, pointShape: readonly number[], methodName: string): void {
  const bad = grads instanceof Float32Array ? firstNonFinite32(grads, 0, grads.length) : firstNonFinite64(grads, 0, grads.length);
  if (bad < 0) return;
  const rows = pointShape[0]!;
  const per = rows === 0 ? 0 : grads.length / rows;
  const row = Math.floor(bad / per);
  const element = bad - row * per;
  const featureShape = pointShape.slice(1);
  const index = new Array<number>(featureShape.length);
  for (let d = featureShape.length - 1, rest = element; d >= 0; d--) {
    index[d] = rest % featureShape[d]!;
    rest = Math.floor(rest / featureShape[d]!);
  }
  throw new ArgumentError(
    `${methodName}: the gradient of the explained output is ${grads[bad]} for example ${rowExamples[row]} at element ${element} ` +
      `(index [${index.join(', ')}] of [${featureShape.join(', ')}]; point row ${row}); expected finite gradients ` +
      '(a NaN or infinite gradient usually comes from sqrt, log or a division at 0 in the model)',
  );
}

/**
 * True when `values[from..to)` are all finite: the cheap test a caller that sums gradients
 * into float64 totals runs on the totals instead of on every gradient (a finite total that
 * takes a NaN or ±Infinity term is no longer finite), before {@link checkFiniteGradients}
 * names the culprit.
 */
export function allFinite(values: Float64Array, from: number, to: number): boolean {
  return firstNonFinite64(values, from, to) < 0;
}

// Blocks of CHECK_BLOCK elements are summed as v * 0, which is ±0 for every finite v and NaN
// for NaN and ±Infinity, in four independent chains (no compare or branch per element: about
// twice as fast as testing each element); only a block whose sum is not 0 is searched for
// its first bad element. Two copies so each loop sees one array type (V8 keeps them
// monomorphic).
const CHECK_BLOCK = 1024;

function firstNonFinite32(g: Float32Array, from: number, to: number): number {
  for (let s = from; s < to; s += CHECK_BLOCK) {
    const e = Math.min(to, s + CHECK_BLOCK);
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let i = s;
    for (; i + 4 <= e; i += 4) {
      a0 += g[i]! * 0;
      a1 += g[i + 1]! * 0;
      a2 += g[i + 2]! * 0;
      a3 += g[i + 3]! * 0;
    }
    for (; i < e; i++) a0 += g[i]! * 0;
    if (a0 + a1 + a2 + a3 !== 0) {
      for (let j = s; j < e; j++) {
        const v = g[j]!;
        if (v - v !== 0) return j;
      }
    }
  }
  return -1;
}

function firstNonFinite64(g: Float64Array, from: number, to: number): number {
  for (let s = from; s < to; s += CHECK_BLOCK) {
    const e = Math.min(to, s + CHECK_BLOCK);
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let i = s;
    for (; i + 4 <= e; i += 4) {
      a0 += g[i]! * 0;
      a1 += g[i + 1]! * 0;
      a2 += g[i + 2]! * 0;
      a3 += g[i + 3]! * 0;
    }
    for (; i < e; i++) a0 += g[i]! * 0;
    if (a0 + a1 + a2 + a3 !== 0) {
      for (let j = s; j < e; j++) {
        const v = g[j]!;
        if (v - v !== 0) return j;
      }
    }
  }
  return -1;
}

/**
 * Resolves `internalBatchSize`. Undefined means as many points as fit in
 * {@link DEFAULT_CHUNK_ELEMENTS} input elements, `perPoint` each (at least one point); with
 * no `perPoint`, everything in one chunk.
 */
export function chunkSize(internalBatchSize: number | undefined, total: number, methodName: string, perPoint?: number): number {
  if (internalBatchSize === undefined) {
    const all = Math.max(1, total);
    return perPoint === undefined ? all : Math.min(all, Math.max(1, Math.floor(DEFAULT_CHUNK_ELEMENTS / Math.max(1, perPoint))));
  }
  if (typeof internalBatchSize !== 'number' || !Number.isInteger(internalBatchSize) || internalBatchSize < 1) {
    throw new ArgumentError(`${methodName}: internalBatchSize must be a positive integer, got ${describe(internalBatchSize)}`);
  }
  return internalBatchSize;
}

/**
 * The elements of a float tensor, row-major, without a copy when it is contiguous (the
 * common case: gradients and outputs come out of kernels contiguous). The view aliases the
 * tensor's buffer: read it, never write it or keep it past the tensor's use.
 */
export function floatView(t: Tensor): Float64Array | Float32Array {
  const data = t.isContiguous ? t.data.subarray(t.offset, t.offset + t.size) : t.toTypedArray();
  return data as Float64Array | Float32Array;
}

/**
 * Walks `total` evaluation points in chunks of at most `size`: `build(start, end)` makes
 * the chunk's points, `consume` receives their scalars and gradients. Memory is bounded
 * by the chunk, whatever the number of points. `grads` is a view of the gradient tensor
 * (no copy): valid during the call only. With `checkGradients: false` the gradients reach
 * `consume` unchecked, and `consume` must call {@link checkFiniteGradients} on them (with
 * `chunk`) whenever they may hold a NaN or ±Infinity, e.g. when its float64 totals are no
 * longer {@link allFinite}: that saves a pass over every gradient.
 */
export function forEachGradientChunk(
  spec: ExplainedScalar,
  total: number,
  size: number,
  build: (start: number, end: number) => PointChunk,
  consume: (start: number, end: number, values: Float64Array, grads: Float64Array | Float32Array, chunk: PointChunk) => void,
  checkGradients = true,
): void {
  for (let start = 0; start < total; start += size) {
    const end = Math.min(total, start + size);
    // the chunk's float32 intermediates stay in WebAssembly memory (on the wasm backend) and
    // are released when it is consumed; what consume reads is copied out first
    wasmScope(() => {
      const chunk = noGrad(() => build(start, end));
      const { values, grads } = scalarAndGradient(spec, chunk, checkGradients);
      consume(start, end, values, floatView(grads), chunk);
    });
  }
}

/** A flat float64 copy of a tensor's elements (row-major), always a new array the caller may write. */
export function toFloat64(t: Tensor): Float64Array {
  // one converting copy straight from a contiguous tensor's storage (no intermediate copy in its dtype)
  return new Float64Array(t.isContiguous ? t.data.subarray(t.offset, t.offset + t.size) : t.toTypedArray());
}

/** Wraps flat values as a tensor of `shape` and `dtype`. */
export function fromFlat(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const data = allocate(dtype, values.length);
  // set converts each value as an element assignment would (rounding to float32, say), in one native loop
  data.set(values);
  return new Tensor(data, shape, dtype);
}
