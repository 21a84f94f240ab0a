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
    iterateRuns(out.shape, [x.strides], [x.offset], (f, p, len, st) => {
      const s0 = st[0]!;
      for (let i = 0, q = p[0]!; i < len; i++, q += s0) res[f + i] = fn(src[q]!);
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
    iterateRuns(out.shape, [broadcastStrides(a, out.shape), broadcastStrides(b, out.shape)], [a.offset, b.offset], (f, p, len, st) => {
      const sa = st[0]!;
      const sb = st[1]!;
      let qa = p[0]!;
      let qb = p[1]!;
      if (sb === 0) {
        const vb = db[qb]!;
        for (let i = 0; i < len; i++, qa += sa) res[f + i] = fn(da[qa]!, vb);
      } else if (sa === 0) {
        const va = da[qa]!;
        for (let i = 0; i < len; i++, qb += sb) res[f + i] = fn(va, db[qb]!);
      } else {
        for (let i = 0; i < len; i++, qa += sa, qb += sb) res[f + i] = fn(da[qa]!, db[qb]!);
      }
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
  iterateRuns(
    out.shape,
    [broadcastStrides(a, out.shape), broadcastStrides(b, out.shape), broadcastStrides(c, out.shape)],
    [a.offset, b.offset, c.offset],
    (f, p, len, st) => {
      let qa = p[0]!;
      let qb = p[1]!;
      let qc = p[2]!;
      const [sa, sb, sc] = st as [number, number, number];
      for (let i = 0; i < len; i++, qa += sa, qb += sb, qc += sc) res[f + i] = fn(da[qa]!, db[qb]!, dc[qc]!);
    },
  );
  return new Tensor(res, out.shape, out.dtype);
}

/**
 * Merges adjacent dimensions that every operand walks contiguously (stride[d-1] equals
 * stride[d] * shape[d]), and drops size-1 dimensions, so the innermost run is as long as
 * possible: `[N, C, H, W] + bias[C, 1, 1]` becomes `[N, C, H*W]` with the bias constant
 * along the run.
 */
export function collapseDims(shape: Shape, strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  // plain loops, no callbacks: this runs on every elementwise op
  const ops = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = new Array<number[]>(ops);
  for (let k = 0; k < ops; k++) outStrides[k] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let k = 0; merge && k < ops; k++) merge = outStrides[k]![last] === strides[k]![d]! * size;
    if (merge) {
      outShape[last] = outShape[last]! * size;
      for (let k = 0; k < ops; k++) outStrides[k]![last] = strides[k]![d]!;
    } else {
      outShape.push(size);
      for (let k = 0; k < ops; k++) outStrides[k]!.push(strides[k]![d]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Walks `shape` in row-major order as runs along the (collapsed) innermost dimension:
 * `run(flatStart, positions, length, innerStrides)` is called once per run, with each
 * operand's data position at the run's start. Kernels loop over the run themselves, so
 * the per-element cost is a plain indexed load instead of a callback.
 */
export function iterateRuns(
  shape: Shape,
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  run: (flat: number, positions: readonly number[], length: number, innerStrides: readonly number[]) => void,
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const c = collapseDims(shape, strides);
  const k = strides.length;
  const pos = [...offsets];
  const rank = c.shape.length;
  if (rank === 0) {
    run(0, pos, 1, new Array<number>(k).fill(0));
    return;
  }
  const len = c.shape[rank - 1]!;
  const inner = c.strides.map((st) => st[rank - 1]!);
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < n; flat += len) {
    run(flat, pos, len, inner);
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      for (let j = 0; j < k; j++) pos[j]! += c.strides[j]![d]!;
      if (idx[d]! < c.shape[d]!) break;
      for (let j = 0; j < k; j++) pos[j]! -= c.strides[j]![d]! * c.shape[d]!;
      idx[d] = 0;
      d--;
    }
  }
}

/**
 * Walks `shape` in row-major order, tracking one data position per operand from its
 * strides and offset; calls `fn(flatIndex, positions)` for every element. Prefer
 * {@link iterateRuns} in kernels: this per-element form is for simple, cold code.
 */
export function iterate(
  shape: Shape,
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  fn: (flat: number, positions: number[]) => void,
): void {
  const k = strides.length;
  const p = new Array<number>(k);
  iterateRuns(shape, strides, offsets, (flat, pos, len, inner) => {
    for (let j = 0; j < k; j++) p[j] = pos[j]!;
    for (let i = 0; i < len; i++) {
      fn(flat + i, p);
      for (let j = 0; j < k; j++) p[j]! += inner[j]!;
    }
  });
}

/** A zero-filled tensor (used by kernels whose output starts at 0). */
export function zerosOf(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape, dtype);
}
