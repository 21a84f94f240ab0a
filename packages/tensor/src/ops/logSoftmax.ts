import { assertFloat, assertTensor } from '../args.js';
import { defineOp, dispatch } from '../op.js';
import type { Tensor } from '../tensor.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { laneKernel, referenceLanes, softmaxAttrs, softmaxSample, type SoftmaxAttrs } from './softmax.js';
import { sub } from './sub.js';
import { sum } from './sum.js';
import { softmaxWasm } from '../wasm/softmax.js';

/** log(softmax(x)) along one axis: (x - m) - log(sum(exp(x - m))), never forming softmax. */
export const logSoftmaxOp = defineOp<SoftmaxAttrs>({
  name: 'logSoftmax',
  infer: ([x]) => {
    assertTensor(x, 'x', 'logSoftmax');
    assertFloat(x, 'x', 'logSoftmax');
    return { shape: x.shape, dtype: x.dtype };
  },
  kernels: {
    cpu: ([x], { axis }, out) =>
      laneKernel(x!, axis, out.dtype, (shifted, res, start, stride) => {
        let s = 0;
        for (let j = 0; j < shifted.length; j++) s += Math.exp(shifted[j]!);
        const ls = Math.log(s);
        for (let j = 0; j < shifted.length; j++) res[start + j * stride] = shifted[j]! - ls;
      }),
    wasm: softmaxWasm(true),
  },
  // g - softmax * sum(g) along the axis, with softmax = exp(output)
  vjp: (g, { output, attrs: { axis } }) => [sub(g, mul(exp(output), sum(g, { axis, keepDims: true })))],
  spec: {
    sample: softmaxSample,
    reference: ([x], { axis }) => referenceLanes(x!, axis, (lane, j) => lane[j]! - Math.log(lane.reduce((a, v) => a + Math.exp(v), 0))),
  },
});

/**
 * Log-softmax along `axis` (default the last), computed stably: large logits neither
 * overflow nor lose the small log-probabilities.
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])).toArray(); // [-0.6931471805599453, -0.6931471805599453]
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'x', 'logSoftmax');
  assertFloat(x, 'x', 'logSoftmax');
  return dispatch(logSoftmaxOp, [x], softmaxAttrs(x, axis, 'logSoftmax'));
}
