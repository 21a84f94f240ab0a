import { ArgumentError, ShapeError, describe } from './errors.js';

/** A tensor shape: non-negative integer sizes, outermost first. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Throws unless `shape` is an array of non-negative safe integers. */
export function checkShape(shape: unknown, argName = 'shape'): Shape {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${argName}: expected an array of non-negative integers, got ${describe(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ArgumentError(
        `${argName}: expected non-negative integer sizes, got ${describe(shape)} (bad entry ${describe(d)})`,
      );
    }
  }
  return shape as Shape;
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming both when they do not fit. */
export function broadcastShapes(a: Shape, b: Shape, what = 'operands'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] are not broadcastable (dimension ${i} is ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Broadcasts any number of shapes. */
export function broadcastAll(shapes: readonly Shape[], what = 'operands'): number[] {
  let out: number[] = [];
  for (const s of shapes) out = broadcastShapes(out, s, what);
  return out;
}

/** Resolves a possibly negative axis against `rank`; throws when out of range. */
export function normalizeAxis(axis: number, rank: number, argName = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ArgumentError(
      `${argName}: expected an integer in [${-rank}, ${rank - 1}] for a tensor of rank ${rank}, got ${describe(axis)}`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Resolves an axis argument (one axis, a list, or undefined = all axes) to a sorted,
 * duplicate-free list of non-negative axes.
 */
export function normalizeAxes(axes: number | readonly number[] | undefined, rank: number, argName = 'axis'): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(a, rank, argName));
  const set = new Set(out);
  if (set.size !== out.length) {
    throw new ArgumentError(`${argName}: axes must not repeat, got ${describe(list)}`);
  }
  return [...set].sort((x, y) => x - y);
}

/** True when two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The axes along which a tensor of `target` shape was broadcast to `from` shape:
 * summing `from` over them (keeping dims) and reshaping gives `target`. Used by the
 * autograd engine to bring gradients back to an input's shape.
 */
export function reductionAxes(from: Shape, target: Shape): number[] {
  const axes: number[] = [];
  const lead = from.length - target.length;
  for (let i = 0; i < from.length; i++) {
    if (i < lead) axes.push(i);
    else if (target[i - lead] === 1 && from[i] !== 1) axes.push(i);
  }
  return axes;
}
