import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { reduceKernel, reducedShape } from '../kernels/reduce.js';
import { sizeOf } from '../shape.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import type { Tensor } from '../tensor.js';
import { div } from './div.js';
import { equal } from './equal.js';
import { jitter } from './maximum.js';
import { expandReduced, reducedCount, reductionInfer } from './mean.js';
import { mul } from './mul.js';
import { reduceAttrs, reduceSample, referenceReduce, sum, type ReduceArg, type ReduceAttrs } from './sum.js';
import { maxMinWasm } from '../wasm/rows.js';

/** Samples for max/min: any reduction except over an empty axis with outputs to fill. */
export function extremumSample(fc: typeof FastCheck): FastCheck.Arbitrary<OpSample<ReduceAttrs>> {
  return reduceSample(fc)
    .map((s) => ({ ...s, inputs: [jitter(s.inputs[0]!, 0.5)] }))
    .filter(
      ({ inputs: [x], attrs: { axes, keepDims } }) => reducedCount(x!.shape, axes) > 0 || sizeOf(reducedShape(x!.shape, axes, keepDims)) === 0,
    );
}

/** True when the two largest (or smallest) values of some slot are within `gap`: a kink. */
export function nearTieInReduction({ inputs: [x], attrs }: OpSample<ReduceAttrs>, gap = 1e-3): boolean {
  const gaps = referenceReduce(x!, attrs, (vs) => {
    const s = [...vs].sort((a, b) => a - b);
    let best = Infinity;
    for (let i = 1; i < s.length; i++) best = Math.min(best, s[i]! - s[i - 1]!);
    return best;
  });
  return gaps.toTypedArray().some((v) => v < gap);
}

/** Larger of an accumulator and a value, letting NaN win (so NaN propagates). */
export function maxStep(acc: number, v: number): number {
  return v > acc || v !== v ? v : acc;
}

/**
 * Maximum over axes. The gradient is split evenly among tied maxima (as torch.amax):
 * `equal(x, max) * g / count`.
 */
export const maxOp = defineOp<ReduceAttrs>({
  name: 'max',
  infer: reductionInfer('max', { nonEmpty: true }),
  kernels: {
    cpu: ([x], { axes, keepDims }, out) => reduceKernel(x!, axes, keepDims, out.dtype, -Infinity, maxStep),
    wasm: maxMinWasm(false),
  },
  vjp: (g, { inputs: [x], output, attrs: { axes } }) => {
    const mask = equal(x!, expandReduced(output, x!.shape, axes));
    const count = sum(mask, { axis: axes, keepDims: true });
    return [div(mul(mask, expandReduced(g, x!.shape, axes)), count)];
  },
  spec: {
    sample: extremumSample,
    reference: ([x], attrs) => referenceReduce(x!, attrs, (vs) => Math.max(...vs)),
    gradcheckSkip: (s) => nearTieInReduction(s),
  },
});

/**
 * Largest element over `axis` (all axes by default); NaN propagates. Reducing over an empty
 * axis throws. Tied maxima share the gradient equally.
 * @example
 * ```ts
 * max(tensor([[1, 5], [3, 2]]), { axis: 1 }).toArray(); // [5, 3]
 * ```
 */
export function max(x: Tensor, opts?: ReduceArg): Tensor {
  assertTensor(x, 'x', 'max');
  return dispatch(maxOp, [x], reduceAttrs(x, opts, 'max'));
}
