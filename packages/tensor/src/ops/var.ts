import type * as FastCheck from '../sampling.js';
import { assertFloat, assertTensor, checkFinite, optionKeys } from '../args.js';
import { allocate } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { iterate } from '../kernels/elementwise.js';
import { reduceKernel, reducedShape } from '../kernels/reduce.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { contiguousStrides, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { expandReduced, mean, reducedCount } from './mean.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { varWasm } from '../wasm/rows.js';
import { reduceAttrs, reduceSample, referenceReduce, type ReduceArg, type ReduceAttrs, type ReduceOptions } from './sum.js';

/** Attributes of variance: a reduction plus the degrees-of-freedom correction. */
export interface VarAttrs extends ReduceAttrs {
  correction: number;
}

/**
 * Options of {@link variance}.
 * @example
 * ```ts
 * variance(x, { axis: 0, correction: 1 }); // unbiased, per column
 * ```
 */
export interface VarianceOptions extends ReduceOptions {
  /**
   * Subtracted from the count in the divisor: 0 (default) is the population variance
   * (NumPy's default ddof=0), 1 the unbiased sample variance (PyTorch's default).
   */
  correction?: number;
}

const VARIANCE_KEYS = optionKeys<VarianceOptions>({ axis: true, keepDims: true, correction: true });

/** Variance over axes: sum((x - mean)^2) / (count - correction), two-pass in float64. */
export const varOp = defineOp<VarAttrs>({
  name: 'var',
  infer: ([x], { axes, keepDims, correction }) => {
    assertTensor(x, 'x', 'variance');
    assertFloat(x, 'x', 'variance');
    const shape = reducedShape(x.shape, axes, keepDims);
    const count = reducedCount(x.shape, axes);
    if (sizeOf(shape) > 0 && count - correction <= 0) {
      throw new ArgumentError(
        `variance: correction must be smaller than the number of reduced elements (${count} for shape [${x.shape.join(', ')}] over axes [${axes.join(', ')}]), got ${correction}`,
      );
    }
    return { shape, dtype: x.dtype };
  },
  kernels: {
    cpu: ([x], { axes, correction }, out) => {
      const count = reducedCount(x!.shape, axes);
      const mu = reduceKernel(x!, axes, true, 'float64', 0, (a, v) => a + v, (a, n) => a / n).data;
      const acc = new Float64Array(mu.length);
      const slotStrides = contiguousStrides(reducedShape(x!.shape, axes, true)).map((s, i) => (axes.includes(i) ? 0 : s));
      const src = x!.data;
      iterate(x!.shape, [x!.strides, slotStrides], [x!.offset, 0], (_f, p) => {
        const o = p[1]!;
        const d = src[p[0]!]! - mu[o]!;
        acc[o]! += d * d;
      });
      const res = allocate(out.dtype, mu.length);
      for (let i = 0; i < mu.length; i++) res[i] = acc[i]! / (count - correction);
      return new Tensor(res, out.shape, out.dtype);
    },
    wasm: varWasm,
  },
  // d/dx = 2 (x - mean) / (count - correction)
  vjp: (g, { inputs: [x], attrs: { axes, correction } }) => {
    const centered = sub(x!, mean(x!, { axis: axes, keepDims: true }));
    return [mul(mul(centered, expandReduced(g, x!.shape, axes)), 2 / (reducedCount(x!.shape, axes) - correction))];
  },
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(reduceSample(fc), fc.constantFrom(0, 1))
        .map(([s, correction]): OpSample<VarAttrs> => ({ inputs: s.inputs, attrs: { ...s.attrs, correction } }))
        .filter(
          ({ inputs: [x], attrs: { axes, keepDims, correction } }) =>
            reducedCount(x!.shape, axes) - correction > 0 || sizeOf(reducedShape(x!.shape, axes, keepDims)) === 0,
        ),
    reference: ([x], attrs) =>
      referenceReduce(x!, attrs, (vs) => {
        const m = vs.reduce((a, v) => a + v, 0) / vs.length;
        return vs.reduce((a, v) => a + (v - m) ** 2, 0) / (vs.length - attrs.correction);
      }),
  },
});

/**
 * Variance over `axis` (all axes by default), dividing by count - correction; correction
 * defaults to 0 (population variance, NumPy's default; pass 1 for PyTorch's unbiased
 * default). Throws when correction leaves no degrees of freedom. Float dtypes only.
 * @example
 * ```ts
 * variance(tensor([1, 2, 3, 4])).item(); // 1.25
 * variance(tensor([1, 2, 3, 4]), { correction: 1 }).item(); // 1.6666666
 * ```
 */
export function variance(x: Tensor, opts?: VarianceOptions | ReduceArg): Tensor {
  assertTensor(x, 'x', 'variance');
  assertFloat(x, 'x', 'variance');
  const attrs = reduceAttrs(x, opts, 'variance', VARIANCE_KEYS);
  const given = typeof opts === 'object' && !Array.isArray(opts) ? (opts as VarianceOptions).correction : undefined;
  const correction = checkFinite(given ?? 0, 'correction', 'variance');
  if (correction < 0) throw new ArgumentError(`variance: correction must be >= 0, got ${correction}`);
  return dispatch(varOp, [x], { ...attrs, correction });
}
