import { allocate, type DType } from '../dtype.js';
import type { Kernel, OutputInfo } from '../op.js';
import { sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Strides of `t` aligned to the (broadcast) `shape`: 0 along broadcast dimensions. */
export function broadcastStrides(t: Tensor, shape: Shape): number[] {
  const lead = shape.length - t.rank;
  const out = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < t.rank; i++) {
    out[lead + i] = t.shape[i] === 1 && shape[lead + i] !== 1 ? 0 : t.strides[i]!;
  }
  return out;
}

/** Kernel applying `fn` to every element (any strides). */
export function unaryKernel(fn: (x: number) => number): Kernel<unknown> {
  return (inputs, _attrs, out) => mapUnary(inputs[0]!, fn, out);
}

/** Applies `fn` elementwise into a new contiguous tensor of `out.dtype`. */
export function mapUnary(x: Tensor, fn: (x: number) => number, out: OutputInfo): Tensor {
  const n = sizeOf(out.shape);
  const res = allocate(out.dtype, n);
  const src = x.data;
  if (x.isContiguous) {
    const o = x.offset;
    for (let i = 0; i < n; i++) res[i] = fn(src[o + i]!);
  } else {
    iterate(out.shape, [x.strides as number[]], [x.offset], (i, p) => {
      res[i] = fn(src[p[0]!]!);
    });
  }
  return new Tensor(res, out.shape, out.dtype);
}

/** Kernel applying `fn` to broadcast pairs of elements. */
export function binaryKernel(fn: (a: number, b: number) => number): Kernel<unknown> {
  return (inputs, _attrs, out) => mapBinary(inputs[0]!, inputs[1]!, fn, out);
}

/** Applies `fn` to broadcast pairs into a new contiguous tensor. */
export function mapBinary(a: Tensor, b: Tensor, fn: (a: number, b: number) => number, out: OutputInfo): Tensor {
  const n = sizeOf(out.shape);
  const res = allocate(out.dtype, n);
  const da = a.data;
  const db = b.data;
  if (a.isContiguous && b.isContiguous && a.size === n && b.size === n) {
    const oa = a.offset;
    const ob = b.offset;
    for (let i = 0; i < n; i++) res[i] = fn(da[oa + i]!, db[ob + i]!);
  } else if (a.isContiguous && a.size === n && b.size === 1) {
    const oa = a.offset;
    const vb = db[b.offset]!;
    for (let i = 0; i < n; i++) res[i] = fn(da[oa + i]!, vb);
  } else if (b.isContiguous && b.size === n && a.size === 1) {
    const ob = b.offset;
    const va = da[a.offset]!;
    for (let i = 0; i < n; i++) res[i] = fn(va, db[ob + i]!);
  } else {
    iterate(out.shape, [broadcastStrides(a, out.shape), broadcastStrides(b, out.shape)], [a.offset, b.offset], (i, p) => {
      res[i] = fn(da[p[0]!]!, db[p[1]!]!);
    });
  }
  return new Tensor(res, out.shape, out.dtype);
}

/** Applies `fn` to broadcast triples (used by `where` and `clip`). */
export function mapTernary(
  a: Tensor,
  b: Tensor,
  c: Tensor,
  fn: (a: number, b: number, c: number) => number,
  out: OutputInfo,
): Tensor {
  const n = sizeOf(out.shape);
  const res = allocate(out.dtype, n);
  const da = a.data;
  const db = b.data;
  const dc = c.data;
  iterate(
    out.shape,
    [broadcastStrides(a, out.shape), broadcastStrides(b, out.shape), broadcastStrides(c, out.shape)],
    [a.offset, b.offset, c.offset],
    (i, p) => {
      res[i] = fn(da[p[0]!]!, db[p[1]!]!, dc[p[2]!]!);
    },
  );
  return new Tensor(res, out.shape, out.dtype);
}

/**
 * Walks `shape` in row-major order, tracking one data position per operand from its
 * strides and offset; calls `fn(flatIndex, positions)`.
 */
export function iterate(
  shape: Shape,
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  fn: (flat: number, positions: number[]) => void,
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const rank = shape.length;
  const k = strides.length;
  const pos = [...offsets];
  if (rank === 0) {
    fn(0, pos);
    return;
  }
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(flat, pos);
    let d = rank - 1;
    while (d >= 0) {
      idx[d]!++;
      for (let j = 0; j < k; j++) pos[j]! += strides[j]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) pos[j]! -= strides[j]![d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
  }
}

/** A zero-filled tensor (used by kernels whose output starts at 0). */
export function zerosOf(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape, dtype);
}
