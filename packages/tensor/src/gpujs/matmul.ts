/**
 * matmul as a gpu.js kernel (float32): 2-D and batched with broadcasting batch dimensions,
 * 1-D operands promoted as NumPy does (the shape rule is the cpu kernel's `matmulPlan`).
 *
 * Layout for webasm: the output is `[n, m, batch]` in gpu.js order (x = column, y = row,
 * z = batch matrix), so within a SIMD quad of 4 neighbouring columns the row of `a` is
 * uniform (one scalar load, splatted) and only `b` is gathered; the inner loop runs to
 * the constant `K`, baked into the compiled kernel. Batch offsets come in as small arrays
 * indexed by z, which is uniform per quad.
 */
import { matmulPlan } from '../kernels/matmul.js';
import type { Kernel } from '../op.js';
import { contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { packFloat32 } from './elementwise.js';
import { cachedKernel, flattenOutput } from './runtime.js';

/**
 * Above this many elements in an operand the kernel declines: batch offsets travel as
 * float32 values, exact only below 2^24.
 */
export const MAX_MATMUL_OPERAND = 2 ** 24;

const SOURCE_2D = `function (a, b) {
  let sum = 0.0;
  for (let i = 0; i < this.constants.K; i++) {
    sum += a[this.thread.y * this.constants.K + i] * b[i * this.constants.N + this.thread.x];
  }
  return sum;
}`;

const SOURCE_BATCHED = `function (a, b, aOff, bOff) {
  const ao = aOff[this.thread.z] + this.thread.y * this.constants.K;
  const bo = bOff[this.thread.z] + this.thread.x;
  let sum = 0.0;
  for (let i = 0; i < this.constants.K; i++) {
    sum += a[ao + i] * b[bo + i * this.constants.N];
  }
  return sum;
}`;

/** Start of each matrix of a contiguous stack of `shape`, for every matrix of `batch`. */
function batchOffsets(shape: Shape, batch: Shape): Float32Array {
  const own = shape.slice(0, -2);
  const matSize = shape[shape.length - 2]! * shape[shape.length - 1]!;
  const strides = contiguousStrides(own).map((s, i) => (own[i] === 1 ? 0 : s * matSize));
  const lead = batch.length - own.length;
  const count = sizeOf(batch);
  const out = new Float32Array(count);
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

/** gpujs kernel of matmul: float32 only, otherwise declines to cpu. */
export const matmulGpujs: Kernel<unknown> = (inputs, _attrs, out) => {
  const a = inputs[0]!;
  const b = inputs[1]!;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32') return undefined;
  if (a.size >= MAX_MATMUL_OPERAND || b.size >= MAX_MATMUL_OPERAND) return undefined;
  const { batch, m, k, n, aShape, bShape } = matmulPlan(a.shape, b.shape);
  const size = sizeOf(out.shape);
  // nothing to compute, or a sum over nothing: no kernel needed (gpu.js rejects size-0 output)
  if (size === 0 || k === 0) return new Tensor(new Float32Array(size), out.shape, 'float32');
  const count = sizeOf(batch);
  const pa = packFloat32(a, a.size);
  const pb = packFloat32(b, b.size);
  const settings = { precision: 'single' as const, pipeline: false, constants: { K: k, N: n } };
  if (count === 1) {
    const kern = cachedKernel(`matmul:${m}:${k}:${n}`, (gpu) => gpu.createKernel(SOURCE_2D, { ...settings, output: [n, m] }).setLoopMaxIterations(k));
    if (!kern) return undefined;
    return new Tensor(flattenOutput(kern(pa, pb), size), out.shape, 'float32');
  }
  const kern = cachedKernel(`matmul:${count}:${m}:${k}:${n}:${a.size}:${b.size}`, (gpu) =>
    gpu.createKernel(SOURCE_BATCHED, { ...settings, output: [n, m, count] }).setLoopMaxIterations(k),
  );
  if (!kern) return undefined;
  const result = kern(pa, pb, batchOffsets(aShape, batch), batchOffsets(bShape, batch));
  return new Tensor(flattenOutput(result, size), out.shape, 'float32');
};
