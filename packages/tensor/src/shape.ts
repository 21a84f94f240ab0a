import { ArgumentError, ShapeError, describe } from './errors.js';

/**
 * A tensor shape: non-negative integer sizes, outermost first.
 *
 * @example
 * ```ts
 * const shape: Shape = [8, 1, 28, 28]; // NCHW
 * sizeOf(shape); // 6272
 * ```
 */
export type Shape = readonly number[];

/**
 * Number of elements of a shape (1 for a scalar).
 *
 * @example
 * ```ts
 * sizeOf([2, 3, 4]); // 24
 * sizeOf([]); // 1 (a scalar)
 * ```
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/**
 * Row-major (C-order) strides of a contiguous tensor of this shape.
 *
 * @example
 * ```ts
 * contiguousStrides([2, 3, 4]); // [12, 4, 1]
 * ```
 */
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

/**
 * NumPy broadcasting of two shapes; throws a ShapeError naming both when they do not fit.
 *
 * @example
 * ```ts
 * broadcastShapes([8, 1, 3], [4, 1]); // [8, 4, 3]
 * broadcastShapes([2, 3], [4]); // throws ShapeError
 * ```
 */
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

/**
 * Broadcasts any number of shapes.
 *
 * @example
 * ```ts
 * broadcastAll([[3, 1], [1, 4], [4]]); // [3, 4]
 * ```
 */
export function broadcastAll(shapes: readonly Shape[], what = 'operands'): number[] {
  let out: number[] = [];
  for (const s of shapes) out = broadcastShapes(out, s, what);
  return out;
}

/**
 * Resolves a possibly negative axis against `rank`; throws when out of range.
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 4); // 3
 * normalizeAxis(4, 4); // throws ArgumentError
 * ```
 */
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
 *
 * @example
 * ```ts
 * normalizeAxes(undefined, 3); // [0, 1, 2]
 * normalizeAxes([-1, 0], 3); // [0, 2]
 * ```
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

/**
 * True when two shapes are equal.
 *
 * @example
 * ```ts
 * shapesEqual([2, 3], [2, 3]); // true
 * shapesEqual([2, 3], [3, 2]); // false
 * ```
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The axes along which a tensor of `target` shape was broadcast to `from` shape:
 * summing `from` over them (keeping dims) and reshaping gives `target`. Used by the
 * autograd engine to bring gradients back to an input's shape.
 *
 * @example
 * ```ts
 * reductionAxes([8, 4, 3], [4, 1]); // [0, 2]
 * ```
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
