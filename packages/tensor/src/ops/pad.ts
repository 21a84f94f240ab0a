import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { allocate, isFloat } from '../dtype.js';
import { ArgumentError, describe } from '../errors.js';
import { defineOp, dispatch } from '../op.js';
import { contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { slice } from './slice.js';

/**
 * Attributes of pad: `[before, after]` for every axis of the input, and the fill value.
 *
 * @example
 * ```ts
 * const attrs: PadAttrs = { pads: [[0, 0], [1, 1]], value: 0 }; // one pair per axis of a 2-D input
 * ```
 */
export interface PadAttrs {
  pads: readonly (readonly [number, number])[];
  value: number;
}

/** Validates user pads (for the trailing axes) and expands them to one pair per axis. */
export function resolvePads(shape: Shape, pads: unknown, opName = 'pad'): [number, number][] {
  if (!Array.isArray(pads) || pads.length > shape.length) {
    throw new ArgumentError(
      `${opName}: pads must be an array of at most ${shape.length} [before, after] pairs (one per trailing axis of shape [${shape.join(', ')}]), got ${describe(pads)}`,
    );
  }
  const lead = shape.length - pads.length;
  const out: [number, number][] = shape.map(() => [0, 0]);
  pads.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new ArgumentError(`${opName}: pads[${i}] must be a [before, after] pair, got ${describe(p)}`);
    }
    p.forEach((v: unknown, k) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new ArgumentError(`${opName}: pads[${i}][${k}] (${k === 0 ? 'before' : 'after'}) must be a non-negative integer, got ${describe(v)}`);
      }
    });
    out[lead + i] = [p[0] as number, p[1] as number];
  });
  return out;
}

function paddedShape(shape: Shape, pads: PadAttrs['pads']): number[] {
  return shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
}

/** Constant padding into a new contiguous tensor. */
export const padOp = defineOp<PadAttrs>({
  name: 'pad',
  infer: ([x], { pads }) => ({ shape: paddedShape(x!.shape, resolvePads(x!.shape, pads)), dtype: x!.dtype }),
  kernels: {
    cpu: ([x], { pads, value }, out) => {
      const data = allocate(out.dtype, sizeOf(out.shape));
      if (value !== 0) data.fill(value);
      const strides = contiguousStrides(out.shape);
      let offset = 0;
      pads.forEach(([before], i) => {
        offset += before * strides[i]!;
      });
      // the interior block holding x, viewed with the output's strides
      const block = new Tensor(data, x!.shape, out.dtype, strides, offset);
      const values = x!.toTypedArray();
      forEachOffset(block, (p, i) => {
        data[p] = values[i]!;
      });
      return new Tensor(data, out.shape, out.dtype);
    },
  },
  vjp: (g, { inputs: [x], attrs: { pads } }) => [slice(g, pads.map(([before], i) => [before, before + x!.shape[i]!]))],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(
          arbTensor(fc, { minRank: 0, maxRank: 3 }),
          fc.nat(2),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { maxLength: 3 }),
          fc.oneof(fc.constant(0), fc.double({ min: -5, max: 5, noNaN: true })),
        )
        .map(([x, mode, p, value]) => ({
          inputs: [asStridedView(x, mode)],
          attrs: { pads: resolvePads(x.shape, p.slice(0, x.rank)), value },
        })),
    reference: ([x], { pads, value }) =>
      fromIndex(paddedShape(x!.shape, pads), 'float64', (idx) => {
        const src = idx.map((k, i) => k - pads[i]![0]);
        return src.every((k, i) => k >= 0 && k < x!.shape[i]!) ? x!.get(...src) : value;
      }),
  },
});

/**
 * Pads `x` with a constant. `pads` holds `[before, after]` pairs of non-negative integers
 * for the trailing axes (the first pair applies to axis `rank - pads.length`, as NumPy's
 * per-axis pad widths aligned to the end); unlisted leading axes are not padded.
 * @example
 * ```ts
 * pad(tensor([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).toArray(); // [[0, 0, 0], [1, 2, 0], [3, 4, 0]]
 * pad(tensor([1, 2]), [[1, 1]], -1).toArray();               // [-1, 1, 2, -1]
 * ```
 */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  assertTensor(x, 'x', 'pad');
  const full = resolvePads(x.shape, pads, 'pad');
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ArgumentError(`pad: value must be a number (infinities allowed), got ${describe(value)}`);
  }
  if (!isFloat(x.dtype) && !Number.isSafeInteger(value)) {
    throw new ArgumentError(`pad: value must be an integer to pad an int32 tensor, got ${describe(value)}`);
  }
  return dispatch(padOp, [x], { pads: full, value });
}
