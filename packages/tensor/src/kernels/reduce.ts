import { allocate, type DType } from '../dtype.js';
import { contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { iterateRuns } from './elementwise.js';

/** Output shape of a reduction over `axes` (sorted, non-negative). */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(d);
  });
  return out;
}

/**
 * Generic reduction: folds every input element into its output slot with
 * `step(acc, value, slotCount)`, accumulating in float64 so float32 sums stay accurate,
 * then maps each slot through `finish(acc, count)`. `init` seeds each slot.
 */
export function reduceKernel(
  x: Tensor,
  axes: readonly number[],
  keepDims: boolean,
  outDType: DType,
  init: number,
  step: (acc: number, value: number) => number,
  finish: (acc: number, count: number) => number = (a) => a,
): Tensor {
  const outShapeKeep = reducedShape(x.shape, axes, true);
  const count = axes.reduce((c, a) => c * x.shape[a]!, 1);
  const nOut = sizeOf(outShapeKeep);
  const acc = new Float64Array(nOut).fill(init);
  const outStrides = contiguousStrides(outShapeKeep).map((s, i) => (axes.includes(i) ? 0 : s));
  const src = x.data;
  iterateRuns(x.shape, [x.strides, outStrides], [x.offset, 0], (_f, p, len, st) => {
    const sx = st[0]!;
    const so = st[1]!;
    let qx = p[0]!;
    let qo = p[1]!;
    if (so === 0) {
      // the whole run folds into one slot (e.g. summing over H*W for a bias gradient)
      let a = acc[qo]!;
      for (let i = 0; i < len; i++, qx += sx) a = step(a, src[qx]!);
      acc[qo] = a;
    } else {
      for (let i = 0; i < len; i++, qx += sx, qo += so) acc[qo] = step(acc[qo]!, src[qx]!);
    }
  });
  const res = allocate(outDType, nOut);
  for (let i = 0; i < nOut; i++) res[i] = finish(acc[i]!, count);
  return new Tensor(res, reducedShape(x.shape, axes, keepDims), outDType);
}
