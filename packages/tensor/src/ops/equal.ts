import type * as FastCheck from '../sampling.js';
import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample, type OpSpec } from '../op.js';
import { binaryInfer, NO_ATTRS } from '../opkit.js';
import { Tensor } from '../tensor.js';
import { arbBroadcastPair, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';
import { binaryWasm } from '../wasm/elementwise.js';

/** Rounds every value to a multiple of 0.5 so random operands tie often. */
function quantized(t: Tensor): Tensor {
  return new Tensor(Float64Array.from(t.toTypedArray(), (v) => Math.round(v * 2) / 2), t.shape, 'float64');
}

/**
 * Test spec shared by the comparison ops: broadcasting pairs of strided views whose values
 * are multiples of 0.5 in [-2, 2], so ties (the interesting case of a comparison) occur.
 */
export function comparisonSpec(fn: (a: number, b: number) => number): OpSpec<Record<string, never>> {
  return {
    sample: (fc: typeof FastCheck) =>
      fc.tuple(arbBroadcastPair(fc, { min: -2, max: 2 }), fc.nat(2)).map(([[a, b], mode]): OpSample<Record<string, never>> => ({
        inputs: [asStridedView(quantized(a), mode), asStridedView(quantized(b), mode + 1)],
        attrs: {},
      })),
    reference: ([a, b]) => referenceElementwise([a!, b!], fn),
  };
}

/** `a == b` as 1/0 in the promoted dtype (NaN equals nothing, as IEEE). */
export const equalOp = defineOp<Record<string, never>>({
  name: 'equal',
  infer: binaryInfer('equal'),
  kernels: { cpu: binaryKernel((a, b) => (a === b ? 1 : 0)), wasm: binaryWasm('equal3') },
  differentiable: false,
  why: 'a comparison is piecewise constant: its derivative is 0 almost everywhere and undefined at ties',
  spec: comparisonSpec((a, b) => (a === b ? 1 : 0)),
});

/**
 * Elementwise `a == b` as 1 or 0, in the promoted dtype of the operands.
 * @example
 * ```ts
 * equal(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 0]
 * ```
 */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(equalOp, operands(a, b, 'equal'), NO_ATTRS);
}
