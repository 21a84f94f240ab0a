/**
 * Shared checks and batching for the metrics: every model evaluation a metric needs goes
 * through `evaluateRows`, which builds rows on demand and runs them through the model in
 * chunks, so memory is bounded by the chunk whatever the number of perturbed copies.
 */
import { noGrad } from '@pathgrad/autograd';
import { ArgumentError, ShapeError, Tensor, describe, shapesEqual, type DType } from '@pathgrad/tensor';
import { fromFlat, scalarValues, toFloat64, type ExplainedScalar } from '../gradients.js';
import { callModel, checkInputs, type Model } from '../model.js';

/** Default number of rows per model call in the metrics. */
export const DEFAULT_METRIC_BATCH = 256;

/** Checks inputs are a non-empty batch of finite floats. */
export function checkBatch(inputs: unknown, name: string, argName = 'inputs'): asserts inputs is Tensor {
  checkInputs(inputs, name, argName);
  if (inputs.shape[0] === 0) throw new ArgumentError(`${name}: ${argName} is an empty batch (shape [${inputs.shape.join(', ')}]); expected at least one example`);
}

/** Checks attributions are a finite float tensor with the inputs' shape. */
export function checkAttributions(attributions: unknown, inputs: Tensor, name: string, argName = 'attributions'): asserts attributions is Tensor {
  if (!(attributions instanceof Tensor)) throw new ArgumentError(`${name}: ${argName} must be a Tensor with the inputs' shape [${inputs.shape.join(', ')}], got ${describe(attributions)}`);
  if (!shapesEqual(attributions.shape, inputs.shape)) {
    throw new ShapeError(`${name}: ${argName} must have the inputs' shape [${inputs.shape.join(', ')}], got [${attributions.shape.join(', ')}]`);
  }
  checkInputs(attributions, name, argName);
}

/** The batch size option (rows per model call). */
export function batchOption(value: unknown, name: string): number {
  if (value === undefined) return DEFAULT_METRIC_BATCH;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ArgumentError(`${name}: batchSize must be a positive integer, got ${describe(value)}`);
  return value;
}

/**
 * The explained scalar for `total` rows built on demand: `build(start, end)` writes the
 * flat values of rows [start, end) into `out` (length (end−start)·per) and returns which
 * example each row belongs to. Rows go through the model `batchSize` at a time.
 */
export function evaluateRows(
  spec: ExplainedScalar,
  total: number,
  rowShape: readonly number[],
  dtype: DType,
  batchSize: number,
  build: (start: number, end: number, out: Float64Array) => Int32Array,
): Float64Array {
  const per = rowShape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(total);
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const buf = new Float64Array((end - start) * per);
    const rowExamples = build(start, end, buf);
    const points = fromFlat(buf, [end - start, ...rowShape], dtype);
    values.set(scalarValues(spec, points, rowExamples), start);
  }
  return values;
}

/** Full model outputs (after `transform`) for rows built on demand, flat `[total·C]`, with C. */
export function evaluateOutputs(
  model: Model,
  total: number,
  rowShape: readonly number[],
  dtype: DType,
  batchSize: number,
  build: (start: number, end: number, out: Float64Array) => void,
  transform: (out: Tensor) => Tensor,
  name: string,
): { values: Float64Array; classes: number } {
  const per = rowShape.reduce((a, b) => a * b, 1);
  let values = new Float64Array(0);
  let classes = -1;
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const buf = new Float64Array((end - start) * per);
    build(start, end, buf);
    const out = noGrad(() => transform(callModel(model, fromFlat(buf, [end - start, ...rowShape], dtype), name)));
    const c = out.rank === 2 ? out.shape[1]! : 1;
    if (classes < 0) {
      classes = c;
      values = new Float64Array(total * c);
    }
    const flat = toFloat64(out.contiguous());
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isFinite(flat[i]!)) throw new ArgumentError(`${name}: the model produced ${flat[i]} for row ${start + Math.floor(i / c)}; expected finite outputs`);
    }
    values.set(flat, start * c);
  }
  return { values, classes: Math.max(classes, 1) };
}

/**
 * Per-example maps for ranking and comparing: `[N, C, H, W]` attributions are summed over
 * channels (signed) into H×W maps; any other rank keeps every element. Returns the maps
 * and their 2-D size when there is one.
 */
export function exampleMaps(attributions: Tensor): { maps: Float64Array[]; height?: number; width?: number; channelSummed: boolean } {
  const n = attributions.shape[0]!;
  const flat = toFloat64(attributions.contiguous());
  const per = n === 0 ? 0 : flat.length / n;
  if (attributions.rank === 4) {
    const [, C, H, W] = attributions.shape as [number, number, number, number];
    const maps = Array.from({ length: n }, (_, e) => {
      const m = new Float64Array(H * W);
      for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) m[i]! += flat[e * per + c * H * W + i]!;
      return m;
    });
    return { maps, height: H, width: W, channelSummed: true };
  }
  const maps = Array.from({ length: n }, (_, e) => flat.slice(e * per, (e + 1) * per));
  if (attributions.rank === 3) return { maps, height: attributions.shape[1]!, width: attributions.shape[2]!, channelSummed: false };
  return { maps, channelSummed: false };
}

/**
 * Order of feature indices by descending score; ties keep ascending index order (a
 * stable choice, stated because NumPy's `flip(argsort(...))` reverses tied runs).
 */
export function descendingOrder(scores: ArrayLike<number>): Int32Array {
  return Int32Array.from(
    Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b),
  );
}

/** Trapezoid rule `Σ (x[i+1] − x[i]) (y[i] + y[i+1]) / 2` (`np.trapz(y, x)`). */
export function trapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i + 1 < y.length; i++) s += ((x[i + 1]! - x[i]!) * (y[i]! + y[i + 1]!)) / 2;
  return s;
}

/** Mean of an array (0 for an empty one is never needed: callers check sizes). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}
