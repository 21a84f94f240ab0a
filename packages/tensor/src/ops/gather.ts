import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { zeros } from '../create.js';
import { allocate } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, describe } from '../errors.js';
import { iterate } from '../kernels/elementwise.js';
import { defineOp, dispatch } from '../op.js';
import { normalizeAxis, sizeOf, type Shape } from '../shape.js';
import { Tensor, forEachOffset } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { scatterAdd } from './scatterAdd.js';
import { gatherWasm } from '../wasm/gather.js';

/**
 * Attributes of gather (and scatterAdd): the indexed axis (negative counts from the end).
 *
 * @example
 * ```ts
 * const attrs: GatherAttrs = { axis: 1 }; // what gather(x, 1, indices) dispatches
 * ```
 */
export interface GatherAttrs {
  axis: number;
}

/** Row-major multi-index of flat position `flat` in `shape`, e.g. `[1, 2]`. */
function multiIndex(shape: Shape, flat: number): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = flat % n;
    flat = Math.floor(flat / n);
  }
  return idx;
}

/**
 * Throws unless `indices` is int32 and every value lies in [0, bound). The error names the
 * first bad entry by its position, e.g. `indices[1, 0] = 5`.
 */
export function checkIndexValues(indices: Tensor, bound: number, opName: string, what: string): void {
  if (indices.dtype !== 'int32') {
    throw new DTypeError(`${opName}: indices must be an int32 tensor, got ${indices.dtype}`);
  }
  const data = indices.data;
  let bad = -1;
  let badValue = 0;
  forEachOffset(indices, (p, i) => {
    const v = data[p]!;
    if (bad < 0 && (v < 0 || v >= bound)) {
      bad = i;
      badValue = v;
    }
  });
  if (bad >= 0) {
    throw new ArgumentError(
      `${opName}: indices[${multiIndex(indices.shape, bad).join(', ')}] = ${badValue} is out of range for ${what} (expected an integer in [0, ${bound - 1}])`,
    );
  }
}

/**
 * Shape rule of gather and scatterAdd: int32 indices of the same rank as `x`, no larger
 * than `x` off the axis, and every value a valid position along the axis.
 */
export function checkGatherIndices(x: Tensor, indices: Tensor, axisArg: number, opName: string, xName: string): number {
  if (x.rank === 0) throw new ShapeError(`${opName}: ${xName} must have rank >= 1, got a 0-d tensor`);
  const axis = normalizeAxis(axisArg, x.rank, `${opName} axis`);
  if (indices.dtype !== 'int32') {
    throw new DTypeError(`${opName}: indices must be an int32 tensor, got ${indices.dtype}`);
  }
  const fits = indices.rank === x.rank && indices.shape.every((d, k) => k === axis || d <= x.shape[k]!);
  if (!fits) {
    throw new ShapeError(
      `${opName}: indices must have the rank of ${xName} (${x.rank}) and sizes no larger than [${x.shape.map((d, k) => (k === axis ? '*' : d)).join(', ')}] off axis ${axis}, got shape [${indices.shape.join(', ')}]`,
    );
  }
  checkIndexValues(indices, x.shape[axis]!, opName, `axis ${axis} of ${xName} with size ${x.shape[axis]}`);
  return axis;
}

/** Picks values along an axis at int32 positions (torch.gather). */
export const gatherOp = defineOp<GatherAttrs>({
  name: 'gather',
  infer: ([x, indices], { axis }) => {
    checkGatherIndices(x!, indices!, axis, 'gather', 'x');
    return { shape: indices!.shape, dtype: x!.dtype };
  },
  kernels: {
    cpu: ([x, indices], attrs, out) => {
      const axis = normalizeAxis(attrs.axis, x!.rank);
      const res = allocate(out.dtype, sizeOf(out.shape));
      const xd = x!.data;
      const id = indices!.data;
      const along = x!.strides[axis]!;
      // x's strides with the indexed axis removed: that position comes from the index value
      const xs = x!.strides.map((s, k) => (k === axis ? 0 : s));
      iterate(out.shape, [xs, indices!.strides], [x!.offset, indices!.offset], (i, p) => {
        res[i] = xd[p[0]! + id[p[1]!]! * along]!;
      });
      return new Tensor(res, out.shape, out.dtype);
    },
    wasm: gatherWasm(false),
  },
  vjp: (g, { inputs: [x, indices], attrs: { axis } }) => [scatterAdd(zeros(x!.shape, g.dtype), axis, indices!, g), null],
  spec: {
    sample: (fc: typeof FastCheck) => arbGatherSample(fc),
    reference: ([x, indices], attrs) => {
      const axis = attrs.axis < 0 ? attrs.axis + x!.rank : attrs.axis;
      return fromIndex(indices!.shape, 'float64', (idx) => {
        const src = [...idx];
        src[axis] = indices!.get(...idx);
        return x!.get(...src);
      });
    },
  },
});

/** Random `x`, axis and int32 indices for gather-like specs; `extra` adds a src of the indices' shape. */
export function arbGatherSample(fc: typeof FastCheck, extra = false) {
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.boolean(),
      fc.nat(2),
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
    )
    .chain(([shape, axisKey, negative, mode, idxSizes]) => {
      const axis = axisKey % shape.length;
      if (shape[axis] === 0) shape[axis] = 1; // something to index into
      const idxShape = shape.map((d, k) => (k === axis ? idxSizes[k]! : Math.min(d, idxSizes[k]!)));
      const n = sizeOf(idxShape);
      return fc
        .tuple(
          arbTensorOfShape(fc, shape),
          fc.array(fc.integer({ min: 0, max: shape[axis]! - 1 }), { minLength: n, maxLength: n }),
          arbTensorOfShape(fc, extra ? idxShape : []),
        )
        .map(([x, values, src]) => {
          const indices = new Tensor(Int32Array.from(values), idxShape, 'int32');
          const inputs = extra ? [asStridedView(x, mode), indices, asStridedView(src, mode + 1)] : [asStridedView(x, mode), indices];
          return { inputs, attrs: { axis: negative ? axis - shape.length : axis } };
        });
    });
}

/**
 * Picks values of `x` along `axis` at the int32 positions in `indices` (torch.gather):
 * for axis 1 of a 2-D tensor, `out[i][j] = x[i][indices[i][j]]`. `indices` has the rank of
 * `x`, sizes no larger than `x`'s off the axis, and values in [0, size of the axis); the
 * result has the shape of `indices`. The gradient scatters back with {@link scatterAdd}.
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * gather(x, 1, tensor([[2, 0], [1, 1]], { dtype: 'int32' })).toArray(); // [[3, 1], [5, 5]]
 * ```
 */
export function gather(x: Tensor, axis: number, indices: Tensor): Tensor {
  assertTensor(x, 'x', 'gather');
  assertTensor(indices, 'indices', 'gather');
  if (typeof axis !== 'number') throw new ArgumentError(`gather: axis must be an integer, got ${describe(axis)}`);
  return dispatch(gatherOp, [x, indices], { axis });
}
