/**
 * `wasm` backend kernels for float32 abs, sign, clip (SIMD, bitwise the cpu kernels' results),
 * sigmoid (float32 SIMD, within a few ulps of cpu), tanh and softplus (the cpu kernels'
 * float64 formulas, rounded once to float32) on packages/tensor/assembly/unary.ts, and erf
 * and gelu (assembly/special.ts, a float64 port of the cpu kernels' erf). pow and the
 * comparisons are broadcasting binary kernels: `binaryWasm` in ./elementwise.ts.
 * They decline (return `undefined`, so the op runs on cpu) for other dtypes.
 */
import type { Kernel } from '../op.js';
import { Tensor } from '../tensor.js';
import { wasmAvailable, WasmCall } from './runtime.js';

/** The exports of assembly/unary.ts (pointers are byte offsets into the module's memory). */
interface UnaryExports {
  abs32(n: number, x: number, out: number): void;
  sign32(n: number, x: number, out: number): void;
  sigmoid32(n: number, x: number, out: number): void;
  tanh32(n: number, x: number, out: number): void;
  erf32(n: number, x: number, out: number): void;
  gelu32(n: number, x: number, out: number): void;
  clip32(n: number, x: number, out: number, loCmp: number, lo: number, hiCmp: number, hi: number): void;
  softplus32(n: number, x: number, out: number, beta: number, threshold: number): void;
}

/** Runs `fn(k, n, px, po)` on a row-major float32 copy of `inputs[0]` in the private instance. */
function unaryCall(x: Tensor, outDtype: string, shape: readonly number[], fn: (k: UnaryExports, n: number, px: number, po: number) => void): Tensor | undefined {
  if (outDtype !== 'float32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
  const n = x.size;
  if (n === 0) return new Tensor(new Float32Array(0), shape, 'float32');
  const call = new WasmCall(false);
  const po = call.output(n);
  const px = call.input(x);
  if (call.commit() === undefined) return undefined;
  fn(call.k as unknown as UnaryExports, n, px, po);
  return call.result(po, n, shape);
}

/** A kernel for one of the attribute-free unary exports (abs32, sign32, sigmoid32, tanh32; erf32, gelu32 from assembly/special.ts). */
export function unary32Wasm(name: 'abs32' | 'sign32' | 'sigmoid32' | 'tanh32' | 'erf32' | 'gelu32'): Kernel<unknown> {
  return (inputs, _attrs, out) => unaryCall(inputs[0]!, out.dtype, out.shape, (k, n, px, po) => k[name](n, px, po));
}

const F32_BITS = new Float32Array(1);
const I32_BITS = new Int32Array(F32_BITS.buffer);

/** The float32 next to finite-or-infinite float32 `f` in the direction of `up`. */
function nextFloat32(f: number, up: boolean): number {
  if (f === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  F32_BITS[0] = f;
  // away from zero adds one to the magnitude's bits, towards zero subtracts one
  I32_BITS[0] = I32_BITS[0]! + ((f > 0) === up ? 1 : -1);
  return F32_BITS[0]!;
}

const MAX_F32 = 3.4028234663852886e38;

/**
 * The least float32 >= v (`up`), or the greatest float32 <= v: for a float32 x, x < v
 * exactly when x < float32Bound(v, true), and x > v exactly when x > float32Bound(v, false).
 */
function float32Bound(v: number, up: boolean): number {
  const f = Math.fround(v);
  if (f === v) return f;
  // finite v beyond float32's range rounds to an infinity; the bound is then +-MAX_F32
  if (f === Infinity) return up ? Infinity : MAX_F32;
  if (f === -Infinity) return up ? -MAX_F32 : -Infinity;
  return (up ? f < v : f > v) ? nextFloat32(f, up) : f;
}

/** Clip into [min, max], bitwise as the cpu kernel's float64 comparisons (see assembly clip32). */
export const clipWasm: Kernel<{ min: number; max: number }> = (inputs, { min, max }, out) =>
  unaryCall(inputs[0]!, out.dtype, out.shape, (k, n, px, po) =>
    k.clip32(n, px, po, float32Bound(min, true), Math.fround(min), float32Bound(max, false), Math.fround(max)),
  );

/** Softplus with PyTorch's beta and threshold, in float64 as the cpu kernel. */
export const softplusWasm: Kernel<{ beta: number; threshold: number }> = (inputs, { beta, threshold }, out) =>
  unaryCall(inputs[0]!, out.dtype, out.shape, (k, n, px, po) => k.softplus32(n, px, po, beta, threshold));
