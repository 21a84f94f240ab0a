/**
 * `wasm` backend kernels for float32 elementwise ops: broadcasting binary ops (add, sub,
 * mul, div, maximum, minimum, greater, ReLU's backward mask) and unary ops (relu, neg, sqrt,
 * exp, log) on the loops in packages/tensor/assembly/elementwise.ts. All but exp and log are
 * bitwise those of the cpu kernels on float32 (one correctly rounded float32 operation per
 * element); exp and log use single-precision expf/logf, within 1 ulp.
 * They decline (return `undefined`, so the op runs on cpu) for other dtypes and for
 * broadcasts that do not collapse to three dimensions.
 */
import { collapseDims } from '../kernels/elementwise.js';
import type { Kernel } from '../op.js';
import { contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { wasmAvailable, WasmCall, type Binary3 } from './runtime.js';

/**
 * The broadcasting binary exports (3-D strided walks): assembly/elementwise.ts's, and pow and
 * the comparisons of assembly/unary.ts and assembly/compare.ts (`pow3` is Math.pow in float64
 * rounded to float32 as the cpu kernel; the comparisons give 1 or 0 bitwise as cpu).
 */
type BinaryName =
  | 'add3' | 'sub3' | 'mul3' | 'div3' | 'maximum3' | 'minimum3' | 'greater3' | 'reluMask3'
  | 'pow3' | 'less3' | 'lessEqual3' | 'greaterEqual3' | 'equal3' | 'notEqual3';
type UnaryName = 'relu' | 'neg' | 'sqrt' | 'exp' | 'log';

/** Element strides of a row-major copy of `shape`, aligned to `outShape` (0 where broadcast). */
export function alignedStrides(shape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(shape);
  const lead = outShape.length - shape.length;
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/** A broadcasting binary kernel: float32 operands copied row-major into wasm memory, walked as up to 3 collapsed dimensions. */
export function binaryWasm(name: BinaryName): Kernel<unknown> {
  return (inputs, _attrs, out) => {
    const a = inputs[0]!;
    const b = inputs[1]!;
    if (out.dtype !== 'float32' || a.dtype !== 'float32' || b.dtype !== 'float32' || !wasmAvailable()) return undefined;
    const n = sizeOf(out.shape);
    if (n === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
    const d = [1, 1, n];
    const sa = [0, 0, 1];
    const sb = [0, 0, 1];
    // operands of the output's size (no broadcasting: the common case) are one flat run
    if (a.size !== n || b.size !== n) {
      const c = collapseDims(out.shape, [alignedStrides(a.shape, out.shape), alignedStrides(b.shape, out.shape)]);
      const rank = c.shape.length;
      if (rank > 3) return undefined;
      const pad = 3 - rank;
      d[2] = 1;
      sa[2] = 0;
      sb[2] = 0;
      for (let i = 0; i < rank; i++) {
        d[pad + i] = c.shape[i]!;
        sa[pad + i] = c.strides[0]![i]!;
        sb[pad + i] = c.strides[1]![i]!;
      }
    }
    const call = new WasmCall(false);
    const po = call.output(n);
    const pa = call.input(a);
    const pb = call.input(b);
    if (call.commit() === undefined) return undefined;
    (call.k as unknown as Record<BinaryName, Binary3>)[name](d[0]!, d[1]!, d[2]!, pa, sa[0]!, sa[1]!, sa[2]!, pb, sb[0]!, sb[1]!, sb[2]!, po);
    return call.result(po, n, out.shape);
  };
}

/** A unary kernel over a row-major float32 copy of the input. */
export function unaryWasm(name: UnaryName): Kernel<unknown> {
  return (inputs, _attrs, out) => {
    const x = inputs[0]!;
    if (out.dtype !== 'float32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
    const n = x.size;
    if (n === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
    const call = new WasmCall(false);
    const po = call.output(n);
    const px = call.input(x);
    if (call.commit() === undefined) return undefined;
    call.k[name](n, px, po);
    return call.result(po, n, out.shape);
  };
}
