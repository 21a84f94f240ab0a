import { assertFloat, assertTensor } from '../args.js';
import { ArgumentError } from '../errors.js';
import { reduceKernel, reducedShape } from '../kernels/reduce.js';
import { defineOp, dispatch, type OutputInfo } from '../op.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div } from './div.js';
import { expand } from './expand.js';
import { reshape } from './reshape.js';
import { reduceAttrs, reduceSample, referenceReduce, type ReduceArg, type ReduceAttrs } from './sum.js';
import { reduceSumWasm } from '../wasm/reduce.js';

/** Number of input elements folded into each output slot of a reduction. */
export function reducedCount(shape: readonly number[], axes: readonly number[]): number {
  return axes.reduce((c, a) => c * shape[a]!, 1);
}

/**
 * Shape rule shared by the reductions in this folder. `float` rejects int32; `nonEmpty`
 * rejects reducing over a size-0 axis when there are outputs to fill (max of nothing has
 * no value, as NumPy and PyTorch refuse).
 */
export function reductionInfer(
  opName: string,
  { float = false, nonEmpty = false }: { float?: boolean; nonEmpty?: boolean } = {},
): (inputs: readonly Tensor[], attrs: ReduceAttrs) => OutputInfo {
  return ([x], { axes, keepDims }) => {
    assertTensor(x, 'x', opName);
    if (float) assertFloat(x, 'x', opName);
    const shape = reducedShape(x.shape, axes, keepDims);
    if (nonEmpty && reducedCount(x.shape, axes) === 0 && sizeOf(shape) > 0) {
      throw new ArgumentError(
        `${opName}: cannot reduce over an empty axis (x has shape [${x.shape.join(', ')}], axes [${axes.join(', ')}]): the result has no value`,
      );
    }
    return { shape, dtype: x.dtype };
  };
}

/** Brings an output-shaped gradient back to the input's shape (reduced axes kept, then broadcast). */
export function expandReduced(g: Tensor, xShape: readonly number[], axes: readonly number[]): Tensor {
  return expand(reshape(g, reducedShape(xShape, axes, true)), xShape);
}

/** Arithmetic mean over axes (accumulated in float64). */
export const meanOp = defineOp<ReduceAttrs>({
  name: 'mean',
  infer: reductionInfer('mean', { float: true }),
  kernels: {
    cpu: ([x], { axes, keepDims }, out) => reduceKernel(x!, axes, keepDims, out.dtype, 0, (a, v) => a + v, (a, n) => a / n),
    wasm: ([x], { axes }, out) => reduceSumWasm(x!, axes, true, out),
  },
  vjp: (g, { inputs: [x], attrs: { axes } }) => [div(expandReduced(g, x!.shape, axes), reducedCount(x!.shape, axes))],
  spec: {
    sample: (fc) => reduceSample(fc),
    reference: ([x], attrs) => referenceReduce(x!, attrs, (vs) => vs.reduce((a, b) => a + b, 0) / vs.length),
    // an empty reduction has no finite value (NaN / -Infinity) to take differences of
    gradcheckSkip: ({ inputs: [x], attrs: { axes } }) => reducedCount(x!.shape, axes) === 0,
  },
});

/**
 * Mean of elements over `axis` (all axes by default; float dtypes only). The mean over an
 * empty axis is NaN (0 / 0), as in NumPy and PyTorch.
 * @example
 * ```ts
 * mean(tensor([[1, 2], [3, 4]]), { axis: 1 }).toArray(); // [1.5, 3.5]
 * ```
 */
export function mean(x: Tensor, opts?: ReduceArg): Tensor {
  assertTensor(x, 'x', 'mean');
  assertFloat(x, 'x', 'mean');
  return dispatch(meanOp, [x], reduceAttrs(x, opts, 'mean'));
}
