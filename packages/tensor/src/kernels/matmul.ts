/**
 * Shape rule and reference cpu kernel of matmul (NumPy / torch semantics). Shared by
 * ops/matmul.ts and by the fast backends, which reuse the shape helpers.
 */
import { ShapeError } from '../errors.js';
import { allocate } from '../dtype.js';
import type { OutputInfo } from '../op.js';
import { broadcastShapes, contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** How matmul sees its operands once 1-D vectors are promoted to matrices. */
export interface MatmulPlan {
  /** Broadcast batch shape (everything but the last two dimensions). */
  batch: number[];
  /** Rows of a, shared dimension, columns of b. */
  m: number;
  k: number;
  n: number;
  /** `a` as a matrix stack: a 1-D `a` becomes `[1, k]`. */
  aShape: number[];
  /** `b` as a matrix stack: a 1-D `b` becomes `[k, 1]`. */
  bShape: number[];
  /** The output shape, with the promoted size-1 dimensions removed again. */
  outShape: number[];
}

/**
 * Resolves matmul's shapes: 1-D x 1-D is a dot product, a 1-D operand is promoted to a
 * matrix and the added dimension removed from the result, batch dimensions broadcast.
 * Throws a ShapeError naming both shapes when they do not fit.
 */
export function matmulPlan(a: Shape, b: Shape): MatmulPlan {
  // the message is built only on failure: this runs twice per matmul (shape rule and kernel)
  const both = () => `a has shape [${a.join(', ')}], b has shape [${b.join(', ')}]`;
  if (a.length === 0 || b.length === 0) {
    throw new ShapeError(`matmul: both operands need at least 1 dimension (use mul for scalars); ${both()}`);
  }
  const aShape = a.length === 1 ? [1, a[0]!] : [...a];
  const bShape = b.length === 1 ? [b[0]!, 1] : [...b];
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const kb = bShape[bShape.length - 2]!;
  const n = bShape[bShape.length - 1]!;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: a's last dimension (${k}) must equal b's ${b.length === 1 ? 'only' : 'second-to-last'} dimension (${kb}); ${both()}`,
    );
  }
  // plain matrix products (the common case) have no batch dimensions to broadcast
  const batch = aShape.length === 2 && bShape.length === 2 ? [] : broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2), 'matmul batch dimensions');
  const outShape = [...batch];
  if (a.length > 1) outShape.push(m);
  if (b.length > 1) outShape.push(n);
  return { batch, m, k, n, aShape, bShape, outShape };
}

/** Offsets of each batch matrix of a contiguous stack of `shape`, broadcast to `batch`. */
function batchOffsets(shape: Shape, batch: Shape): number[] {
  const own = shape.slice(0, -2);
  const matSize = shape[shape.length - 2]! * shape[shape.length - 1]!;
  const strides = contiguousStrides(own).map((s, i) => (own[i] === 1 ? 0 : s * matSize));
  const lead = batch.length - own.length;
  const count = sizeOf(batch);
  const out: number[] = new Array<number>(count);
  const idx = new Array<number>(batch.length).fill(0);
  for (let f = 0; f < count; f++) {
    let p = 0;
    for (let d = lead; d < batch.length; d++) p += idx[d]! * strides[d - lead]!;
    out[f] = p;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Typed arrays gemm reads from and accumulates into. */
type Buf = Float32Array | Float64Array | Int32Array;

/**
 * `O[oOff..] += A[aOff..] @ B[bOff..]` for row-major `[m, k] @ [k, n]` blocks. Loop order
 * i-k-j so the inner loop walks contiguous rows of B and O; four rows of A share each
 * load of a B element. Every output element still sums over k in order, so the result is
 * the same, bit for bit, as the plain triple loop accumulating in O's precision.
 */
export function gemmAccumulate(A: Buf, aOff: number, B: Buf, bOff: number, O: Buf, oOff: number, m: number, k: number, n: number): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const o0 = oOff + i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    const a0 = aOff + i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let kk = 0; kk < k; kk++) {
      const v0 = A[a0 + kk]!;
      const v1 = A[a1 + kk]!;
      const v2 = A[a2 + kk]!;
      const v3 = A[a3 + kk]!;
      const bRow = bOff + kk * n;
      for (let j = 0; j < n; j++) {
        const bv = B[bRow + j]!;
        O[o0 + j]! += v0 * bv;
        O[o1 + j]! += v1 * bv;
        O[o2 + j]! += v2 * bv;
        O[o3 + j]! += v3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const oRow = oOff + i * n;
    const aRow = aOff + i * k;
    for (let kk = 0; kk < k; kk++) {
      const av = A[aRow + kk]!;
      const bRow = bOff + kk * n;
      for (let j = 0; j < n; j++) O[oRow + j]! += av * B[bRow + j]!;
    }
  }
}

/**
 * Reference matmul kernel. Inputs of any strides are made contiguous first (an O(size)
 * copy next to O(m*k*n) work), then each output matrix is filled with the i-k-j loop
 * order, so the innermost loop walks contiguous rows of b and of the output. Products
 * are accumulated in the output's own typed array: float32 results round like a
 * float32 machine would, float64 ones carry double precision throughout.
 */
export function matmulCpu(inputs: readonly Tensor[], _attrs: unknown, out: OutputInfo): Tensor {
  const a = inputs[0]!.contiguous();
  const b = inputs[1]!.contiguous();
  const { batch, m, k, n, aShape, bShape } = matmulPlan(a.shape, b.shape);
  const A = a.data;
  const B = b.data;
  const O = allocate(out.dtype, sizeOf(out.shape));
  const aOff = batchOffsets(aShape, batch);
  const bOff = batchOffsets(bShape, batch);
  const count = aOff.length;
  for (let t = 0; t < count; t++) {
    const aBase = aOff[t]!;
    const bBase = bOff[t]!;
    gemmAccumulate(A, aBase, B, bBase, O, t * m * n, m, k, n);
  }
  return new Tensor(O, out.shape, out.dtype);
}
