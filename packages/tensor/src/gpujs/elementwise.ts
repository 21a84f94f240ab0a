/**
 * Elementwise gpujs kernels: unary ops and binary ops on same-shape operands (or one
 * single-element operand), float32 only. Other cases (broadcasting between non-scalar
 * shapes, float64, int32) return undefined and run on cpu.
 *
 * Sizes are rounded up to a power of two (at least {@link MIN_BUCKET}) and the inputs
 * padded, so one op compiles about log2(max size) kernels in all instead of one per
 * distinct size. The padding costs a copy, which is small next to a compile.
 */
import type { Kernel } from '../op.js';
import { sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cachedKernel, flattenOutput } from './runtime.js';

/** Smallest bucket: below this a gpu.js call is all overhead anyway. */
export const MIN_BUCKET = 256;

/** Sizes above this are left to cpu (a float32 buffer of 2^28 elements is 1 GiB). */
export const MAX_ELEMENTWISE = 2 ** 28;

/** The padded size a kernel for `n` elements is compiled for. */
export function bucketSize(n: number): number {
  let b = MIN_BUCKET;
  while (b < n) b *= 2;
  return b;
}

/** `t`'s elements row-major in a Float32Array of exactly `length` (zero-padded). */
export function packFloat32(t: Tensor, length: number): Float32Array {
  const data = t.data as Float32Array;
  if (t.isContiguous) {
    if (t.offset === 0 && data.length === length) return data;
    const out = new Float32Array(length);
    out.set(data.subarray(t.offset, t.offset + t.size));
    return out;
  }
  const out = new Float32Array(length);
  out.set(t.toTypedArray());
  return out;
}

function allFloat32(inputs: readonly Tensor[], outDType: string): boolean {
  return outDType === 'float32' && inputs.every((t) => t.dtype === 'float32');
}

/**
 * A unary float32 kernel from a gpu.js expression in `v` (the input element), e.g.
 * `'Math.exp(v)'`. The expression is kernel source: gpu.js transpiles it.
 */
export function unaryGpujs(name: string, expression: string): Kernel<unknown> {
  const source = `function (x) { const v = x[this.thread.x]; return ${expression}; }`;
  return (inputs, _attrs, out) => {
    const x = inputs[0]!;
    if (!allFloat32([x], out.dtype)) return undefined;
    const n = sizeOf(out.shape);
    if (n === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
    if (n > MAX_ELEMENTWISE) return undefined;
    const size = bucketSize(n);
    const k = cachedKernel(`${name}:${size}`, (gpu) =>
      gpu.createKernel(source, { output: [size], precision: 'single', pipeline: false }),
    );
    if (!k) return undefined;
    return new Tensor(flattenOutput(k(packFloat32(x, size)), n), out.shape, 'float32');
  };
}

/**
 * A binary float32 kernel from a gpu.js expression in `u` and `v` (the elements of a and
 * b), e.g. `'u + v'`. Handles a and b of the output's size, or either of size 1.
 */
export function binaryGpujs(name: string, expression: string): Kernel<unknown> {
  const sources = {
    same: `function (a, b) { const u = a[this.thread.x]; const v = b[this.thread.x]; return ${expression}; }`,
    scalarA: `function (a, b) { const u = a[0]; const v = b[this.thread.x]; return ${expression}; }`,
    scalarB: `function (a, b) { const u = a[this.thread.x]; const v = b[0]; return ${expression}; }`,
  };
  return (inputs, _attrs, out) => {
    const a = inputs[0]!;
    const b = inputs[1]!;
    if (!allFloat32([a, b], out.dtype)) return undefined;
    const n = sizeOf(out.shape);
    if (n === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
    if (n > MAX_ELEMENTWISE) return undefined;
    // same-size operands of the output's size have the output's shape up to leading 1s,
    // so row-major order matches; anything else is a broadcast we leave to cpu
    const variant = a.size === n && b.size === n ? 'same' : b.size === 1 && a.size === n ? 'scalarB' : a.size === 1 && b.size === n ? 'scalarA' : null;
    if (variant === null) return undefined;
    const size = bucketSize(n);
    const k = cachedKernel(`${name}:${variant}:${size}`, (gpu) =>
      gpu.createKernel(sources[variant], { output: [size], precision: 'single', pipeline: false }),
    );
    if (!k) return undefined;
    const pa = variant === 'scalarA' ? packFloat32(a, 1) : packFloat32(a, size);
    const pb = variant === 'scalarB' ? packFloat32(b, 1) : packFloat32(b, size);
    return new Tensor(flattenOutput(k(pa, pb), n), out.shape, 'float32');
  };
}

/** `a + b` on gpu.js (float32). */
export const addGpujs = binaryGpujs('add', 'u + v');
/** `a - b` on gpu.js (float32). */
export const subGpujs = binaryGpujs('sub', 'u - v');
/** `a * b` on gpu.js (float32). */
export const mulGpujs = binaryGpujs('mul', 'u * v');
/** `a / b` on gpu.js (float32). */
export const divGpujs = binaryGpujs('div', 'u / v');
/** `-x` on gpu.js (float32). */
export const negGpujs = unaryGpujs('neg', '-v');
/** `exp(x)` on gpu.js (float32). */
export const expGpujs = unaryGpujs('exp', 'Math.exp(v)');
/** `log(x)` on gpu.js (float32). */
export const logGpujs = unaryGpujs('log', 'Math.log(v)');
/** `max(x, 0)` on gpu.js (float32); NaN maps to 0 as on cpu. */
// NaN stays NaN and -0 becomes +0, as on cpu (both comparisons are false only for NaN)
export const reluGpujs = unaryGpujs('relu', '(v > 0.0 ? v : (v <= 0.0 ? 0.0 : v))');
