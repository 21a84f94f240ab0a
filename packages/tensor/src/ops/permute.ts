import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import { contiguousStrides, normalizeAxis, sizeOf } from '../shape.js';
import { Tensor, viewOf } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';

/**
 * Attributes of permute: `dims[i]` is the input axis that becomes output axis `i` (negative counts from the end).
 *
 * @example
 * ```ts
 * const attrs: PermuteAttrs = { dims: [0, 2, 3, 1] }; // NCHW -> NHWC
 * ```
 */
export interface PermuteAttrs {
  dims: readonly number[];
}

/**
 * A view of `x`'s buffer with the given layout. An empty view gets row-major strides:
 * it reads nothing, and a canonical layout keeps later reshapes and copies on their
 * simple paths.
 */
export function strideView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  if (sizeOf(shape) === 0) return viewOf(x, shape, contiguousStrides(shape), x.offset);
  return viewOf(x, shape, strides, offset);
}

/** The permutation that undoes `dims`. */
export function inversePermutation(dims: readonly number[]): number[] {
  const inv = new Array<number>(dims.length);
  dims.forEach((d, i) => {
    inv[d] = i;
  });
  return inv;
}

/** Reorders axes as a zero-copy view: shape and strides are permuted, the buffer is shared. */
export const permuteOp = defineOp<PermuteAttrs>({
  name: 'permute',
  infer: ([x], { dims }) => {
    const d = normalizePermutation(dims, x!.rank, 'permute');
    const shape = new Array<number>(d.length);
    for (let i = 0; i < d.length; i++) shape[i] = x!.shape[d[i]!]!;
    return { shape, dtype: x!.dtype };
  },
  kernels: {
    cpu: ([x], { dims }, out) => {
      const d = normalizePermutation(dims, x!.rank, 'permute');
      const strides = new Array<number>(d.length);
      for (let i = 0; i < d.length; i++) strides[i] = x!.strides[d[i]!]!;
      return strideView(x!, out.shape, strides, x!.offset);
    },
  },
  vjp: (g, { inputs: [x], attrs: { dims } }) => [permute(g, inversePermutation(normalizePermutation(dims, x!.rank, 'permute')))],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbTensor(fc, { minRank: 0, maxRank: 4, maxDim: 3 }), fc.nat(2), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }))
        .map(([x, mode, keys]) => {
          // a random permutation (sort the axes by random keys), some axes given as negative
          const dims = x.shape
            .map((_, i) => i)
            .sort((a, b) => keys[a]! - keys[b]! || a - b)
            .map((d, i) => (keys[i]! % 2 === 1 ? d - x.rank : d));
          return { inputs: [asStridedView(x, mode)], attrs: { dims } };
        }),
    reference: ([x], { dims }) => {
      const d = dims.map((a) => (a < 0 ? a + x!.rank : a));
      return fromIndex(
        d.map((a) => x!.shape[a]!),
        'float64',
        (idx) => {
          const src = new Array<number>(idx.length);
          d.forEach((a, i) => {
            src[a] = idx[i]!;
          });
          return x!.get(...src);
        },
      );
    },
  },
});

/** Validates a permutation of `rank` axes (negative axes allowed) and returns it non-negative. */
export function normalizePermutation(dims: unknown, rank: number, opName: string): number[] {
  // fast path, run on every permute and transpose (up to three times: call, shape rule,
  // kernel): non-negative in-range integers, each once, checked with a bit set; anything
  // else takes the full checks below, which name the problem
  if (Array.isArray(dims) && dims.length === rank && rank <= 30) {
    let seen = 0;
    let i = 0;
    for (; i < rank; i++) {
      const d: unknown = dims[i];
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d >= rank || (seen & (1 << d)) !== 0) break;
      seen |= 1 << d;
    }
    if (i === rank) return dims.slice() as number[];
  }
  if (!Array.isArray(dims) || dims.length !== rank) {
    throw new ArgumentError(
      `${opName}: dims must be a permutation of the ${rank} axes of x, got ${describe(dims)} (${Array.isArray(dims) ? `${dims.length} entries` : 'not an array'})`,
    );
  }
  const out = dims.map((d: unknown, i) => {
    if (typeof d !== 'number') {
      throw new ArgumentError(`${opName}: dims[${i}] must be an integer axis, got ${describe(d)}`);
    }
    return normalizeAxis(d, rank, `${opName} dims[${i}]`);
  });
  const seen = new Set<number>();
  for (const [i, d] of out.entries()) {
    if (seen.has(d)) {
      throw new ArgumentError(
        `${opName}: dims must be a permutation of [0, ..., ${rank - 1}] with each axis once, got ${describe(dims)} (axis ${d} repeats at dims[${i}])`,
      );
    }
    seen.add(d);
  }
  return out;
}

/**
 * Reorders the axes of `x`: output axis `i` is input axis `dims[i]` (negative axes count
 * from the end). A zero-copy view sharing `x`'s buffer.
 * @example
 * ```ts
 * const x = zeros([2, 3, 4]);
 * permute(x, [2, 0, 1]).shape; // [4, 2, 3]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor(x, 'x', 'permute');
  const d = normalizePermutation(dims, x.rank, 'permute');
  let identity = true;
  for (let i = 0; i < d.length; i++) if (d[i] !== i) identity = false;
  if (identity) return x;
  return dispatch(permuteOp, [x], { dims: d });
}
