/**
 * `wasm` backend kernels for float32 max, min, variance (over any axes), argmax and argmin
 * (along one axis or the flattened tensor), packages/tensor/assembly/rows.ts: bitwise the
 * cpu kernels' results (variance: the same float64 sums in the same order). They decline (return `undefined`, so the op runs on cpu) for other dtypes.
 */
import type { Kernel } from '../op.js';
import { Tensor, viewOf } from '../tensor.js';
import { wasmAvailable, WasmCall } from './runtime.js';

type RowsName = 'rowsMax32' | 'rowsMin32' | 'rowsArgmax32' | 'rowsArgmin32';

/** The exports of assembly/rows.ts (pointers are byte offsets into the module's memory). */
type RowsExports = Record<RowsName, (rows: number, n: number, x: number, out: number) => void> & {
  rowsVar32(rows: number, n: number, x: number, out: number, denom: number): void;
};

/**
 * Runs `name` on x viewed with the axes in `reduced` moved last (in order, so each row holds
 * one output's values in the order the cpu kernels visit them) and copied row-major.
 */
function rowsCall(
  name: RowsName | 'rowsVar32',
  x: Tensor,
  reduced: readonly number[],
  outShape: readonly number[],
  outInt: boolean,
  denom = 0,
): Tensor | undefined {
  const dims = x.shape.map((_, i) => i);
  const order = [...dims.filter((i) => !reduced.includes(i)), ...dims.filter((i) => reduced.includes(i))];
  const view = viewOf(x, order.map((i) => x.shape[i]!), order.map((i) => x.strides[i]!), x.offset);
  const n = reduced.reduce((a, i) => a * x.shape[i]!, 1);
  const rows = x.size === 0 ? outShape.reduce((a, d) => a * d, 1) : x.size / n;
  if (rows === 0) return new Tensor(outInt ? new Int32Array(0) : new Float32Array(0), outShape, outInt ? 'int32' : 'float32');
  const call = new WasmCall(false);
  // a float32 result may stay in wasm memory; an int32 one (argmax) is scratch, copied out
  const po = outInt ? -1 : call.output(rows);
  const px = call.input(view);
  const pr = outInt ? call.alloc(rows * 4) : po;
  const heap = call.commit();
  if (heap === undefined) return undefined;
  const k = call.k as unknown as RowsExports;
  if (name === 'rowsVar32') k.rowsVar32(rows, n, px, pr, denom);
  else k[name](rows, n, px, pr);
  if (!outInt) return call.result(po, rows, outShape);
  const res = new Int32Array(rows);
  res.set(new Int32Array(heap.buffer, pr, rows));
  return new Tensor(res, outShape, 'int32');
}

/** max (`min` false) or min over `axes` of float32 x. */
export function maxMinWasm(min: boolean): Kernel<{ axes: readonly number[] }> {
  return (inputs, { axes }, out) => {
    const x = inputs[0]!;
    if (out.dtype !== 'float32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
    return rowsCall(min ? 'rowsMin32' : 'rowsMax32', x, axes, out.shape, false);
  };
}

/** argmax (`min` false) or argmin of float32 x along `axis`, or over the flattened tensor (axis null). */
export function argWasm(min: boolean): Kernel<{ axis: number | null }> {
  return (inputs, { axis }, out) => {
    const x = inputs[0]!;
    if (out.dtype !== 'int32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
    const reduced = axis === null ? x.shape.map((_, i) => i) : [axis];
    return rowsCall(min ? 'rowsArgmin32' : 'rowsArgmax32', x, reduced, out.shape, true);
  };
}

/** Variance over `axes` of float32 x, divided by (count - correction) as the cpu kernel. */
export const varWasm: Kernel<{ axes: readonly number[]; correction: number }> = (inputs, { axes, correction }, out) => {
  const x = inputs[0]!;
  if (out.dtype !== 'float32' || x.dtype !== 'float32' || !wasmAvailable()) return undefined;
  const count = axes.reduce((a, i) => a * x.shape[i]!, 1);
  return rowsCall('rowsVar32', x, axes, out.shape, false, count - correction);
};
