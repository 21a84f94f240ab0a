/**
 * `wasm` backend kernels for float32 sum and mean over any axes (assembly/reduce.ts),
 * accumulated in float64 like the cpu reference. They decline (return `undefined`, so the
 * op runs on cpu) for other dtypes and for axis patterns that do not collapse to three
 * dimensions.
 */
import { collapseDims } from '../kernels/elementwise.js';
import { reducedShape } from '../kernels/reduce.js';
import type { OutputInfo } from '../op.js';
import { contiguousStrides, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { wasmAvailable, WasmCall } from './runtime.js';

/** Sum (or, with `mean`, the mean) of float32 `x` over `axes` (sorted, non-negative), or undefined to decline. */
export function reduceSumWasm(x: Tensor, axes: readonly number[], mean: boolean, out: OutputInfo): Tensor | undefined {
  if (x.dtype !== 'float32' || out.dtype !== 'float32' || !wasmAvailable()) return undefined;
  const keep = reducedShape(x.shape, axes, true);
  const nOut = sizeOf(keep);
  if (nOut === 0) return new Tensor(new Float32Array(0), out.shape, 'float32');
  const slotStrides = contiguousStrides(keep).map((s, i) => (axes.includes(i) ? 0 : s));
  const c = collapseDims(x.shape, [contiguousStrides(x.shape), slotStrides]);
  const rank = c.shape.length;
  if (rank > 3) return undefined;
  const pad = 3 - rank;
  const d = [1, 1, 1];
  const sx = [0, 0, 0];
  const so = [0, 0, 0];
  for (let i = 0; i < rank; i++) {
    d[pad + i] = c.shape[i]!;
    sx[pad + i] = c.strides[0]![i]!;
    so[pad + i] = c.strides[1]![i]!;
  }
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const call = new WasmCall(false);
  const po = call.output(nOut);
  const px = call.input(x);
  const pacc = call.alloc(nOut * 8);
  if (call.commit() === undefined) return undefined;
  call.k.reduceSum3(d[0]!, d[1]!, d[2]!, px, sx[0]!, sx[1]!, sx[2]!, so[0]!, so[1]!, so[2]!, pacc, po, nOut, mean ? count : 1);
  return call.result(po, nOut, out.shape);
}
