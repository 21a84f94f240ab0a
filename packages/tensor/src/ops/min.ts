import { assertTensor } from '../args.js';
import { reduceKernel } from '../kernels/reduce.js';
import { defineOp, dispatch } from '../op.js';
import type { Tensor } from '../tensor.js';
import { div } from './div.js';
import { equal } from './equal.js';
import { extremumSample, nearTieInReduction } from './max.js';
import { expandReduced, reductionInfer } from './mean.js';
import { mul } from './mul.js';
import { reduceAttrs, referenceReduce, sum, type ReduceArg, type ReduceAttrs } from './sum.js';
import { maxMinWasm } from '../wasm/rows.js';

/** Smaller of an accumulator and a value, letting NaN win (so NaN propagates). */
function minStep(acc: number, v: number): number {
  return v < acc || v !== v ? v : acc;
}

/**
 * Minimum over axes. The gradient is split evenly among tied minima (as torch.amin):
 * `equal(x, min) * g / count`.
 */
export const minOp = defineOp<ReduceAttrs>({
  name: 'min',
  infer: reductionInfer('min', { nonEmpty: true }),
  kernels: {
    cpu: ([x], { axes, keepDims }, out) => reduceKernel(x!, axes, keepDims, out.dtype, Infinity, minStep),
    wasm: maxMinWasm(true),
  },
  vjp: (g, { inputs: [x], output, attrs: { axes } }) => {
    const mask = equal(x!, expandReduced(output, x!.shape, axes));
    const count = sum(mask, { axis: axes, keepDims: true });
    return [div(mul(mask, expandReduced(g, x!.shape, axes)), count)];
  },
  spec: {
    sample: extremumSample,
    reference: ([x], attrs) => referenceReduce(x!, attrs, (vs) => Math.min(...vs)),
    gradcheckSkip: (s) => nearTieInReduction(s),
  },
});

/**
 * Smallest element over `axis` (all axes by default); NaN propagates. Reducing over an
 * empty axis throws. Tied minima share the gradient equally.
 * @example
 * ```ts
 * min(tensor([[1, 5], [3, 2]]), { axis: 1 }).toArray(); // [1, 2]
 * ```
 */
export function min(x: Tensor, opts?: ReduceArg): Tensor {
  assertTensor(x, 'x', 'min');
  return dispatch(minOp, [x], reduceAttrs(x, opts, 'min'));
}
