import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { isDType, type DType } from '../dtype.js';
import { ArgumentError, describe } from '../errors.js';
import { mapUnary } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import type { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';

/** Attributes of cast: the target dtype. */
export interface CastAttrs {
  dtype: DType;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Float to int32: truncation toward zero, saturating at the int32 range, NaN to 0 (the
 * rule Rust's `as` uses). A typed-array store alone would wrap large values modulo 2^32.
 */
export function toInt32(v: number): number {
  if (Number.isNaN(v)) return 0;
  if (v <= INT32_MIN) return INT32_MIN;
  if (v >= INT32_MAX) return INT32_MAX;
  return Math.trunc(v);
}

/** Elementwise conversion to another dtype. */
export const castOp = defineOp<CastAttrs>({
  name: 'cast',
  infer: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
  kernels: {
    cpu: ([x], { dtype }, out) => mapUnary(x!, dtype === 'int32' && x!.dtype !== 'int32' ? toInt32 : (v) => v, out),
  },
  // the gradient of a float-to-float cast is g cast back; integers carry no gradient
  vjp: (g, { inputs: [x], attrs: { dtype } }) => [dtype === 'int32' || x!.dtype === 'int32' ? null : cast(g, x!.dtype)],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbTensor(fc, { min: -5, max: 5 }), fc.constantFrom<DType>('float32', 'float64', 'int32'), fc.nat(2))
        .map(([x, dtype, mode]): OpSample<CastAttrs> => ({ inputs: [asStridedView(x, mode)], attrs: { dtype } })),
    reference: ([x], { dtype }) =>
      referenceElementwise([x!], (v) => (dtype === 'int32' ? Math.trunc(v) : dtype === 'float32' ? Math.fround(v) : v)),
    // rounding to float32 (or int32) swamps central differences: gradcheck float64 targets only
    gradcheckSkip: (s) => s.attrs.dtype !== 'float64',
  },
});

/**
 * Converts to `dtype`. Float to int32 truncates toward zero (2.7 -> 2, -2.7 -> -2),
 * saturates outside the int32 range and maps NaN to 0. Casting to the tensor's own dtype
 * returns it unchanged. The gradient of a float cast is the incoming gradient cast back;
 * a cast to (or from) int32 has no gradient.
 * @example
 * ```ts
 * cast(tensor([2.7, -2.7]), 'int32').toArray(); // [2, -2]
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  assertTensor(x, 'x', 'cast');
  if (!isDType(dtype)) {
    throw new ArgumentError(`cast: dtype must be 'float32', 'float64' or 'int32', got ${describe(dtype)}`);
  }
  if (dtype === x.dtype) return x;
  return dispatch(castOp, [x], { dtype });
}
