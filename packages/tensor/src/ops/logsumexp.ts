import { assertFloat, assertTensor } from '../args.js';
import { allocate } from '../dtype.js';
import { iterate } from '../kernels/elementwise.js';
import { reduceKernel, reducedShape } from '../kernels/reduce.js';
import { defineOp, dispatch } from '../op.js';
import { contiguousStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { exp } from './exp.js';
import { maxStep } from './max.js';
import { expandReduced, reducedCount, reductionInfer } from './mean.js';
import { mul } from './mul.js';
import { reshape } from './reshape.js';
import { sub } from './sub.js';
import { reduceAttrs, reduceSample, referenceReduce, type ReduceArg, type ReduceAttrs } from './sum.js';
import { logsumexpWasm } from '../wasm/softmax.js';

/**
 * log(sum(exp(x))) over axes, shifted by the slot maximum m: m + log(sum(exp(x - m))).
 * An infinite or NaN maximum is the answer itself (all -Infinity gives -Infinity, an
 * empty reduction -Infinity, the identity of log-add-exp), as PyTorch.
 */
export const logsumexpOp = defineOp<ReduceAttrs>({
  name: 'logsumexp',
  infer: reductionInfer('logsumexp', { float: true }),
  kernels: {
    cpu: ([x], { axes, keepDims }, out) => {
      const keep = reducedShape(x!.shape, axes, true);
      const m = reduceKernel(x!, axes, true, 'float64', -Infinity, maxStep).data;
      const acc = new Float64Array(m.length);
      const slotStrides = contiguousStrides(keep).map((s, i) => (axes.includes(i) ? 0 : s));
      const src = x!.data;
      iterate(x!.shape, [x!.strides, slotStrides], [x!.offset, 0], (_f, p) => {
        const o = p[1]!;
        acc[o]! += Math.exp(src[p[0]!]! - m[o]!);
      });
      const res = allocate(out.dtype, m.length);
      for (let i = 0; i < m.length; i++) {
        const mi = m[i]!;
        res[i] = Number.isFinite(mi) ? mi + Math.log(acc[i]!) : mi;
      }
      return new Tensor(res, out.shape, out.dtype);
    },
    wasm: logsumexpWasm,
  },
  // d/dx = softmax over the reduced axes = exp(x - out)
  vjp: (g, { inputs: [x], output, attrs: { axes } }) => [
    mul(expandReduced(g, x!.shape, axes), exp(sub(x!, reshape(output, reducedShape(x!.shape, axes, true))))),
  ],
  spec: {
    sample: (fc) => reduceSample(fc, { min: -5, max: 5 }),
    reference: ([x], attrs) => referenceReduce(x!, attrs, (vs) => Math.log(vs.reduce((a, v) => a + Math.exp(v), 0))),
    // an empty reduction has no finite value (NaN / -Infinity) to take differences of
    gradcheckSkip: ({ inputs: [x], attrs: { axes } }) => reducedCount(x!.shape, axes) === 0,
  },
});

/**
 * log(sum(exp(x))) over `axis` (all axes by default), computed stably: large inputs do not
 * overflow. All -Infinity (or an empty axis) gives -Infinity. Float dtypes only.
 * @example
 * ```ts
 * logsumexp(tensor([1000, 1000])).item(); // 1000.6931471805599
 * ```
 */
export function logsumexp(x: Tensor, opts?: ReduceArg): Tensor {
  assertTensor(x, 'x', 'logsumexp');
  assertFloat(x, 'x', 'logsumexp');
  return dispatch(logsumexpOp, [x], reduceAttrs(x, opts, 'logsumexp'));
}
