import type * as FastCheck from '../sampling.js';
import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { binaryInfer, NO_ATTRS } from '../opkit.js';
import { forEachOffset, Tensor } from '../tensor.js';
import { arbBroadcastPair, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';
import { add } from './add.js';
import { equal } from './equal.js';
import { greater } from './greater.js';
import { mul } from './mul.js';
import { binaryWasm } from '../wasm/elementwise.js';

/**
 * Adds a small index-dependent offset to every value. fast-check's doubles favour round
 * values (0, the bounds), which would tie across operands and put most samples on the kink;
 * the offset makes exact ties improbable while keeping values in range.
 */
export function jitter(t: Tensor, phase: number): Tensor {
  // same strides and offset, so a strided sample stays strided
  const data = Float64Array.from(t.data);
  forEachOffset(t, (p, i) => {
    data[p] = t.data[p]! + 0.1 * Math.sin(phase + 2.3 * i);
  });
  return new Tensor(data, t.shape, 'float64', t.strides, t.offset);
}

/** Broadcasting pairs of strided views, jittered apart so ties are rare. */
export function untiedPairSample(fc: typeof FastCheck): FastCheck.Arbitrary<OpSample<Record<string, never>>> {
  return fc.tuple(arbBroadcastPair(fc), fc.nat(2)).map(([[a, b], mode]) => ({
    inputs: [asStridedView(jitter(a, 1), mode), asStridedView(jitter(b, 2.1), mode + 1)],
    attrs: {},
  }));
}

/** True when some broadcast pair of a sample is within `gap` of a tie (a kink of max/min). */
export function nearTie(sample: OpSample<Record<string, never>>, gap = 1e-3): boolean {
  const [a, b] = sample.inputs;
  const d = referenceElementwise([a!, b!], (x, y) => Math.abs(x - y)).toTypedArray();
  return d.some((v) => v < gap);
}

/**
 * Elementwise maximum with broadcasting; NaN propagates (as torch.maximum). At ties the
 * gradient is split evenly, 0.5 to each operand, as JAX and tinygrad do.
 */
export const maximumOp = defineOp<Record<string, never>>({
  name: 'maximum',
  infer: binaryInfer('maximum'),
  kernels: { cpu: binaryKernel(Math.max), wasm: binaryWasm('maximum3') },
  vjp: (g, { inputs: [a, b], needs }) => {
    const half = (x: Tensor, y: Tensor) => add(greater(x, y), mul(equal(x, y), 0.5));
    return [needs[0] ? mul(g, half(a!, b!)) : null, needs[1] ? mul(g, half(b!, a!)) : null];
  },
  spec: {
    sample: untiedPairSample,
    reference: ([a, b]) => referenceElementwise([a!, b!], (x, y) => (x > y ? x : y)),
    gradcheckSkip: (s) => nearTie(s),
  },
});

/**
 * Elementwise larger of `a` and `b` with broadcasting (NaN if either is NaN). Where they
 * tie, each receives half of the gradient.
 * @example
 * ```ts
 * maximum(tensor([1, 5, 3]), 3).toArray(); // [3, 5, 3]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(maximumOp, operands(a, b, 'maximum'), NO_ATTRS);
}

