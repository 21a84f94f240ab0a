import { allocate, type DType, type TypedArray } from './dtype.js';
import { ArgumentError, describe } from './errors.js';
import { contiguousStrides, sizeOf, type Shape } from './shape.js';

let nextId = 1;

/**
 * Nested JavaScript arrays as returned by {@link Tensor.toArray}.
 *
 * @example
 * ```ts
 * const rows: NestedArray = [[1, 2], [3, 4]];
 * tensor(rows).toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export type NestedArray = number | NestedArray[];

/**
 * An immutable n-dimensional array.
 *
 * A tensor is a view (`shape`, `strides`, `offset`) onto a typed-array buffer (`data`)
 * that may be shared with other tensors: reshape, transpose, permute, slice and expand
 * return views without copying where the strides allow. Ops never write into their
 * inputs; treat `data` as read-only.
 *
 * @example
 * ```ts
 * const t = tensor([[1, 2, 3], [4, 5, 6]]);
 * t.shape;               // [2, 3]
 * t.transpose().toArray(); // [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export class Tensor {
  /** Unique identity, used by the autograd tape to key gradients. */
  readonly id: number;
  /** Sizes of each dimension, outermost first. */
  readonly shape: Shape;
  /** Step in `data` between neighbours along each dimension (0 for broadcast dimensions). */
  readonly strides: readonly number[];
  /** Index in `data` of the first element. */
  readonly offset: number;
  /** Element type. */
  readonly dtype: DType;
  /** The buffer once it is in JavaScript's heap (see {@link Tensor.data}). */
  private buffer: TypedArray | undefined;
  /**
   * Where the values live when not (yet) in a JavaScript array: the `wasm` backend's float32
   * results inside {@link wasmScope}, kept in WebAssembly memory for the next op. Internal.
   */
  readonly storage: ExternalStorage | undefined;
  /** Number of elements. */
  readonly size: number;

  /**
   * Wraps a buffer; most users call `tensor()`, `zeros()` and friends instead.
   * `strides` default to row-major and `offset` to 0.
   */
  constructor(data: TypedArray, shape: Shape, dtype: DType, strides?: readonly number[], offset = 0) {
    this.id = nextId++;
    this.buffer = data;
    this.storage = undefined;
    // a frozen array (another tensor's shape, passed on by most ops) cannot change under us: share it
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.strides = strides ? (Object.isFrozen(strides) ? strides : Object.freeze([...strides])) : Object.freeze(contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtype;
    this.size = sizeOf(shape);
  }

  /**
   * The underlying buffer, possibly shared with other views. Never mutate it: tensors are
   * immutable, and the `wasm` backend relies on it (a float32 `linear` or conv weight stays
   * packed in WebAssembly memory, keyed on the Tensor object, so a later write into its array
   * would not be seen). For other values, make a new Tensor. A result the `wasm` backend
   * kept in WebAssembly memory (inside {@link wasmScope}) is copied out on the first read.
   */
  get data(): TypedArray {
    return this.buffer ?? (this.buffer = this.storage!.materialize());
  }

  /** Length of the storage under this view (its whole buffer, not just the viewed elements). */
  get storageLength(): number {
    return this.buffer?.length ?? this.storage!.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True when the elements are laid out row-major without gaps starting at `offset`. */
  get isContiguous(): boolean {
    let s = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d !== 1 && this.strides[i] !== s) return false;
      s *= d;
    }
    return true;
  }

  /** The element at a multi-index (negative indices count from the end). */
  get(...index: number[]): number {
    if (index.length !== this.rank) {
      throw new ArgumentError(`index: expected ${this.rank} indices for shape [${this.shape.join(', ')}], got ${index.length}`);
    }
    let p = this.offset;
    for (let i = 0; i < index.length; i++) {
      const d = this.shape[i]!;
      let k = index[i]!;
      if (!Number.isInteger(k) || k < -d || k >= d) {
        throw new ArgumentError(`index[${i}]: expected an integer in [${-d}, ${d - 1}], got ${describe(k)}`);
      }
      if (k < 0) k += d;
      p += k * this.strides[i]!;
    }
    return this.data[p]!;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ArgumentError(`item(): expected a tensor with one element, got shape [${this.shape.join(', ')}]`);
    }
    return this.data[this.offset]!;
  }

  /** A contiguous row-major copy of the elements (always a new array). */
  toTypedArray(): TypedArray {
    const out = allocate(this.dtype, this.size);
    if (this.isContiguous) {
      out.set(this.data.subarray(this.offset, this.offset + this.size));
      return out;
    }
    forEachOffset(this, (p, i) => {
      out[i] = this.data[p]!;
    });
    return out;
  }

  /** The elements as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    if (this.rank === 0) return flat[0]!;
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = dim === this.rank - 1 ? flat[pos++]! : build(dim + 1);
      return out;
    };
    return build(0);
  }

  /** This tensor if contiguous, otherwise a contiguous copy. */
  contiguous(): Tensor {
    if (this.isContiguous && this.offset === 0 && this.storageLength === this.size) return this;
    if (this.isContiguous) {
      return new Tensor(this.data.subarray(this.offset, this.offset + this.size), this.shape, this.dtype);
    }
    return new Tensor(this.toTypedArray(), this.shape, this.dtype);
  }

  /** A short description, e.g. `Tensor(float32, [2, 3])`. */
  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

/**
 * Values a tensor holds outside JavaScript's heap: the `wasm` backend's float32 results inside
 * {@link wasmScope}. Internal to pathgrad's backends.
 */
export interface ExternalStorage {
  /** The values in a typed array, copied once on the first call and the same array after. */
  materialize(): TypedArray;
  /** Number of elements. */
  readonly length: number;
}

const NO_BUFFER = new Float32Array(0);

/** A tensor over external storage (internal: the `wasm` backend's kept results). */
export function externalTensor(storage: ExternalStorage, shape: Shape, dtype: DType, strides?: readonly number[], offset = 0): Tensor {
  const t = new Tensor(NO_BUFFER, shape, dtype, strides, offset);
  const w = t as unknown as { buffer: TypedArray | undefined; storage: ExternalStorage | undefined };
  w.buffer = undefined;
  w.storage = storage;
  return t;
}

/**
 * Another view (`shape`, `strides`, `offset`) of `x`'s storage: shares its buffer, or its
 * external storage without copying it out. What reshape, permute and expand return.
 *
 * @example
 * ```ts
 * const t = tensor([[1, 2], [3, 4]]);
 * viewOf(t, [2, 2], [1, 2], 0).toArray(); // [[1, 3], [2, 4]]: the transpose, no copy
 * ```
 */
export function viewOf(x: Tensor, shape: Shape, strides: readonly number[], offset: number, dtype: DType = x.dtype): Tensor {
  const w = x as unknown as { buffer: TypedArray | undefined };
  return w.buffer !== undefined ? new Tensor(w.buffer, shape, dtype, strides, offset) : externalTensor(x.storage!, shape, dtype, strides, offset);
}

/**
 * Calls `fn(dataIndex, flatIndex)` for every element in row-major order. The workhorse
 * of kernels that accept arbitrary strides.
 *
 * @example
 * ```ts
 * const t = transpose(tensor([[1, 2], [3, 4]])); // a strided view
 * const values: number[] = [];
 * forEachOffset(t, (i) => values.push(t.data[i]!)); // values is [1, 3, 2, 4]
 * ```
 */
export function forEachOffset(t: Tensor, fn: (dataIndex: number, flatIndex: number) => void): void {
  const { shape, strides } = t;
  const rank = shape.length;
  const n = t.size;
  if (n === 0) return;
  if (rank === 0) {
    fn(t.offset, 0);
    return;
  }
  const last = rank - 1;
  const lastSize = shape[last]!;
  const lastStride = strides[last]!;
  const idx = new Array<number>(rank).fill(0);
  let base = t.offset;
  let flat = 0;
  for (;;) {
    for (let j = 0, p = base; j < lastSize; j++, p += lastStride) fn(p, flat++);
    // odometer over the outer dimensions
    let d = last - 1;
    while (d >= 0) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}
