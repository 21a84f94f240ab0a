import { ArgumentError, ShapeError, Tensor, describe } from '@pathgrad/tensor';

/**
 * What pathgrad explains: any function of a batched input `[N, ...]` to `[N, C]` (or `[N]`)
 * built from pathgrad ops, or an object with such a `forward` (an nn Module is one).
 *
 * @example
 * ```ts
 * const asFunction: Model = (x) => softmax(matmul(reshape(x, [x.shape[0]!, -1]), weights), -1);
 * const asModule: Model = loadPretrained('mnist-mlp'); // any object with forward(x)
 * ```
 */
export type Model = ((x: Tensor) => Tensor) | { forward(x: Tensor): Tensor };

/** Runs the model on `x` and checks its output is `[N, C]` or `[N]` with N = x.shape[0]. */
export function callModel(model: Model, x: Tensor, what = 'model'): Tensor {
  const out = typeof model === 'function' ? model(x) : model.forward(x);
  if (!(out instanceof Tensor)) {
    throw new ArgumentError(`${what}: expected the model to return a Tensor, got ${describe(out)}`);
  }
  const n = x.shape[0];
  if ((out.rank !== 1 && out.rank !== 2) || out.shape[0] !== n) {
    throw new ShapeError(
      `${what}: expected the model to map [${x.shape.join(', ')}] to [${n}, C] or [${n}], got [${out.shape.join(', ')}]`,
    );
  }
  return out;
}

/** Throws unless `model` is callable or has a forward method. */
export function checkModel(model: unknown, methodName: string): asserts model is Model {
  if (typeof model === 'function') return;
  if (typeof model === 'object' && model !== null && typeof (model as { forward?: unknown }).forward === 'function') return;
  throw new ArgumentError(`${methodName}: model must be a function (x) => Tensor or an object with forward(x), got ${describe(model)}`);
}

/** Throws unless `inputs` is a batched float tensor without NaN or infinities (names the example). */
export function checkInputs(inputs: unknown, methodName: string, argName = 'inputs'): asserts inputs is Tensor {
  if (!(inputs instanceof Tensor)) {
    throw new ArgumentError(`${methodName}: ${argName} must be a Tensor of shape [N, ...], got ${describe(inputs)}`);
  }
  if (inputs.rank < 1) {
    throw new ShapeError(`${methodName}: ${argName} must be batched as [N, ...], got a scalar`);
  }
  if (inputs.dtype === 'int32') {
    throw new ArgumentError(`${methodName}: ${argName} must be float32 or float64, got int32 (cast it first)`);
  }
  checkFiniteRows(inputs, `${methodName}: ${argName}`);
}

/** Throws naming the first example (row) that holds NaN or an infinity. */
export function checkFiniteRows(t: Tensor, what: string): void {
  const data = t.toTypedArray();
  const n = t.shape[0] ?? 1;
  const per = n === 0 ? 0 : data.length / n;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = per ? Math.floor(i / per) : 0;
      throw new ArgumentError(`${what} contains ${data[i]} in example ${row} (flat index ${i}); expected finite values`);
    }
  }
}
