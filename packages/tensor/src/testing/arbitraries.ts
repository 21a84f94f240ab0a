import type * as FastCheck from '../sampling.js';
import type { Shape } from '../shape.js';
import { sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * Options for random tensors.
 *
 * @example
 * ```ts
 * const options: TensorArbOptions = { min: -1, max: 1, avoid: [0], avoidRadius: 0.05 }; // away from ReLU's kink
 * fc.assert(fc.property(arbTensor(fc, options), (x) => relu(x).shape.length === x.rank));
 * ```
 */
export interface TensorArbOptions {
  min?: number;
  max?: number;
  /** Keep values at least this far from each listed point (kinks of non-smooth ops). */
  avoid?: readonly number[];
  avoidRadius?: number;
}

/**
 * A random shape with `minRank..maxRank` dimensions of size `minDim..maxDim`.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbShape(fc, { minRank: 1, maxRank: 4 }), (shape) => zeros(shape).rank === shape.length));
 * ```
 */
export function arbShape(
  fc: typeof FastCheck,
  { minRank = 0, maxRank = 3, minDim = 0, maxDim = 4 }: { minRank?: number; maxRank?: number; minDim?: number; maxDim?: number } = {},
): FastCheck.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * A random float64 tensor of the given shape.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbTensorOfShape(fc, [2, 3]), (x) => x.dtype === 'float64' && x.size === 6));
 * ```
 */
export function arbTensorOfShape(fc: typeof FastCheck, shape: Shape, opts: TensorArbOptions = {}): FastCheck.Arbitrary<Tensor> {
  const { min = -3, max = 3, avoid = [], avoidRadius = 0.05 } = opts;
  const n = sizeOf(shape);
  return fc
    .array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n })
    .map((vals) => {
      const data = Float64Array.from(vals, (v) => {
        for (const k of avoid) {
          if (Math.abs(v - k) < avoidRadius) v = k + (v >= k ? avoidRadius : -avoidRadius) * 2;
        }
        return v;
      });
      return new Tensor(data, shape, 'float64');
    });
}

/**
 * A random float64 tensor of random shape.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbTensor(fc, { maxRank: 2 }), (x) => compareTensors(neg(neg(x)), x).ok));
 * ```
 */
export function arbTensor(
  fc: typeof FastCheck,
  opts: TensorArbOptions & { minRank?: number; maxRank?: number; minDim?: number; maxDim?: number } = {},
): FastCheck.Arbitrary<Tensor> {
  return arbShape(fc, opts).chain((shape) => arbTensorOfShape(fc, shape, opts));
}

/**
 * Two shapes that broadcast together (dimensions randomly set to 1 or dropped).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbBroadcastShapes(fc), ([a, b]) => broadcastShapes(a, b).length === Math.max(a.length, b.length)));
 * ```
 */
export function arbBroadcastShapes(fc: typeof FastCheck, maxRank = 3): FastCheck.Arbitrary<[number[], number[]]> {
  return fc
    .tuple(
      arbShape(fc, { maxRank, minDim: 0, maxDim: 3 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: maxRank, maxLength: maxRank }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: maxRank, maxLength: maxRank }),
      fc.nat(maxRank),
    )
    .map(([shape, ma, mb, drop]) => {
      const a = shape.map((d, i) => (ma[i] === 0 ? 1 : d));
      const b = shape.map((d, i) => (mb[i] === 0 ? 1 : d)).slice(Math.min(drop, shape.length));
      return [a, b] as [number[], number[]];
    });
}

/**
 * Two tensors that broadcast together.
 *
 * @example
 * ```ts
 * fc.assert(fc.property(arbBroadcastPair(fc), ([a, b]) => compareTensors(add(a, b), add(b, a)).ok));
 * ```
 */
export function arbBroadcastPair(fc: typeof FastCheck, opts: TensorArbOptions = {}): FastCheck.Arbitrary<[Tensor, Tensor]> {
  return arbBroadcastShapes(fc).chain(([sa, sb]) =>
    fc.tuple(arbTensorOfShape(fc, sa, opts), arbTensorOfShape(fc, sb, opts)),
  );
}

/**
 * Wraps a tensor arbitrary so some samples arrive as non-contiguous views (transposed
 * twice, or sliced from a larger buffer), exercising the strided paths of every kernel.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
 * const v = asStridedView(x, 1); // same values, column-major storage
 * compareTensors(v, x).ok; // true
 * ```
 */
export function asStridedView(t: Tensor, mode: number): Tensor {
  if (t.rank === 0 || t.size === 0) return t;
  if (mode % 3 === 1) {
    // same values stored column-major (first axis fastest): a non-contiguous view of the same tensor
    const flat = t.toTypedArray();
    const buf = new Float64Array(t.size);
    const strides = new Array<number>(t.rank);
    let s = 1;
    for (let i = 0; i < t.rank; i++) {
      strides[i] = s;
      s *= t.shape[i]!;
    }
    // element at multi-index idx lives at sum(idx[i] * strides[i])
    const idx = new Array<number>(t.rank).fill(0);
    for (let f = 0; f < t.size; f++) {
      let p = 0;
      for (let i = 0; i < t.rank; i++) p += idx[i]! * strides[i]!;
      buf[p] = flat[f]!;
      for (let d = t.rank - 1; d >= 0; d--) {
        if (++idx[d]! < t.shape[d]!) break;
        idx[d] = 0;
      }
    }
    return new Tensor(buf, t.shape, 'float64', strides, 0);
  }
  if (mode % 3 === 2) {
    // embedded with an offset and padding in a larger buffer
    const buf = new Float64Array(t.size * 2 + 3);
    const flat = t.toTypedArray();
    for (let i = 0; i < t.size; i++) buf[3 + 2 * i] = flat[i]!;
    const strides = new Array<number>(t.rank);
    let s = 2;
    for (let i = t.rank - 1; i >= 0; i--) {
      strides[i] = s;
      s *= t.shape[i]!;
    }
    return new Tensor(buf, t.shape, 'float64', strides, 3);
  }
  return t;
}
