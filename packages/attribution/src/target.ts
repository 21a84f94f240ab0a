import { ArgumentError, ShapeError, Tensor, argmax, describe, logSoftmax, mul, reshape, softmax, sum } from '@pathgrad/tensor';

/**
 * Which output to explain, per example: one class for all (`3`), one per example
 * (`[7, 2, 1]`, an Int32Array or an int tensor), `'predicted'` (the model's argmax on the
 * input), or a function of the (transformed) output returning one scalar per example.
 * Scalar models (output `[N]`) take no target.
 *
 * @example
 * ```ts
 * const perExample: Target = labels; // [N] int32: one class per example
 * const sameClass: Target = 3;
 * const argmax: Target = 'predicted';
 * const margin: Target = (out) => sub(slice(out, [null, 3]), slice(out, [null, 5])); // a custom scalar per example
 * ```
 */
export type Target = number | readonly number[] | Int32Array | Tensor | 'predicted' | ((output: Tensor) => Tensor);

/**
 * How the model output is transformed before the target is taken.
 *
 * @example
 * ```ts
 * const transform: OutputTransform = 'softmax'; // explain probabilities instead of logits
 * integratedGradients(model, images, { target: labels, outputTransform: transform });
 * ```
 */
export type OutputTransform = 'identity' | 'softmax' | 'logSoftmax';

/** A target resolved against a batch: class indices per example, or a function. */
export type ResolvedTarget = { kind: 'none' } | { kind: 'indices'; indices: Int32Array } | { kind: 'function'; fn: (output: Tensor) => Tensor };

/** Resolves a user target for `n` examples and a model output of `outputShape`. */
export function resolveTarget(
  target: Target | undefined,
  n: number,
  output: Tensor,
  methodName: string,
): ResolvedTarget {
  const scalarModel = output.rank === 1;
  const classes = scalarModel ? 0 : output.shape[1]!;
  if (typeof target === 'function') return { kind: 'function', fn: target };
  if (target === undefined) {
    if (scalarModel) return { kind: 'none' };
    if (classes === 1) return { kind: 'indices', indices: new Int32Array(n) };
    throw new ArgumentError(
      `${methodName}: target is required for a model with ${classes} outputs (a class index, one per example, 'predicted' or a function)`,
    );
  }
  if (scalarModel) {
    throw new ArgumentError(`${methodName}: the model returns one scalar per example ([${output.shape.join(', ')}]); omit target`);
  }
  let indices: Int32Array;
  if (target === 'predicted') {
    indices = Int32Array.from(argmax(output, { axis: 1 }).toTypedArray());
  } else if (typeof target === 'number') {
    indices = new Int32Array(n).fill(target);
    if (!Number.isInteger(target)) throw new ArgumentError(`${methodName}: target must be an integer class index, got ${describe(target)}`);
  } else if (target instanceof Tensor) {
    if (target.rank > 1 || (target.rank === 1 && target.shape[0] !== n)) {
      throw new ShapeError(`${methodName}: target tensor must have shape [${n}] (one class per example), got [${target.shape.join(', ')}]`);
    }
    const vals = target.toTypedArray();
    indices = target.rank === 0 ? new Int32Array(n).fill(vals[0]!) : Int32Array.from(vals);
    for (let i = 0; i < vals.length; i++) {
      if (!Number.isInteger(vals[i]!)) throw new ArgumentError(`${methodName}: target[${i}] must be an integer class index, got ${vals[i]}`);
    }
  } else if (Array.isArray(target) || target instanceof Int32Array) {
    if (target.length !== n) {
      throw new ShapeError(`${methodName}: target must have one class per example (${n}), got ${target.length} entries`);
    }
    for (let i = 0; i < target.length; i++) {
      const v = target[i];
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new ArgumentError(`${methodName}: target[${i}] must be an integer class index, got ${describe(v)}`);
      }
    }
    indices = Int32Array.from(target as ArrayLike<number>);
  } else {
    throw new ArgumentError(`${methodName}: target must be a number, an array, an Int32Array, a Tensor, 'predicted' or a function, got ${describe(target)}`);
  }
  for (let i = 0; i < indices.length; i++) {
    const c = indices[i]!;
    if (c < 0 || c >= classes) {
      throw new ArgumentError(`${methodName}: target ${c} for example ${i} is out of range [0, ${classes - 1}] for a model with ${classes} outputs`);
    }
  }
  return { kind: 'indices', indices };
}

/** Applies the output transform along the class axis. */
export function transformOutput(output: Tensor, transform: OutputTransform, methodName: string): Tensor {
  switch (transform) {
    case 'identity':
      return output;
    case 'softmax':
      if (output.rank !== 2) throw new ShapeError(`${methodName}: outputTransform 'softmax' needs a [N, C] output, got [${output.shape.join(', ')}]`);
      return softmax(output, 1);
    case 'logSoftmax':
      if (output.rank !== 2) throw new ShapeError(`${methodName}: outputTransform 'logSoftmax' needs a [N, C] output, got [${output.shape.join(', ')}]`);
      return logSoftmax(output, 1);
    default:
      throw new ArgumentError(`${methodName}: outputTransform must be 'identity', 'softmax' or 'logSoftmax', got ${describe(transform)}`);
  }
}

/**
 * The explained scalar per row of a model output: the transformed output's target column.
 * `rowExamples[i]` says which example row i belongs to (rows are interpolation points).
 * Differentiable: built from `mul` and `sum` with a constant one-hot mask.
 */
export function selectTarget(output: Tensor, target: ResolvedTarget, rowExamples: Int32Array, methodName: string): Tensor {
  if (target.kind === 'function') {
    const v = target.fn(output);
    if (!(v instanceof Tensor) || v.rank !== 1 || v.shape[0] !== output.shape[0]) {
      throw new ShapeError(
        `${methodName}: the target function must return one scalar per row ([${output.shape[0]}]), got ${describe(v)}`,
      );
    }
    return v;
  }
  if (target.kind === 'none') return output.rank === 2 ? reshape(output, [output.shape[0]!]) : output;
  const rows = output.shape[0]!;
  const classes = output.shape[1]!;
  const mask = new Tensor(
    output.dtype === 'float64' ? new Float64Array(rows * classes) : new Float32Array(rows * classes),
    [rows, classes],
    output.dtype,
  );
  for (let r = 0; r < rows; r++) (mask.data as Float64Array)[r * classes + target.indices[rowExamples[r]!]!] = 1;
  return sum(mul(output, mask), { axis: 1 });
}
