import type * as FastCheck from '../sampling.js';
import { assertTensor, operands, resultDType, type TensorLike } from '../args.js';
import { mapTernary } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { NO_ATTRS } from '../opkit.js';
import { broadcastAll } from '../shape.js';
import { Tensor } from '../tensor.js';
import { arbBroadcastShapes, arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';
import { whereWasm } from '../wasm/where.js';

/**
 * `cond ? a : b` elementwise with broadcasting of all three. `cond` is any dtype; nonzero
 * (NaN included, as NumPy's truthiness) means true. The result has a and b's promoted dtype.
 */
export const whereOp = defineOp<Record<string, never>>({
  name: 'where',
  infer: ([cond, a, b]) => {
    assertTensor(cond, 'cond', 'where');
    assertTensor(a, 'a', 'where');
    assertTensor(b, 'b', 'where');
    return { shape: broadcastAll([cond.shape, a.shape, b.shape], 'where(cond, a, b)'), dtype: resultDType(a, b) };
  },
  kernels: {
    cpu: ([c, a, b], _attrs, out) => mapTernary(c!, a!, b!, (cv, av, bv) => (cv !== 0 ? av : bv), out),
    wasm: whereWasm,
  },
  // the selected operand receives g, the other 0; cond is a mask and gets no gradient
  vjp: (g, { inputs: [cond], needs }) => [null, needs[1] ? where(cond!, g, 0) : null, needs[2] ? where(cond!, 0, g) : null],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc.tuple(arbBroadcastShapes(fc), fc.nat(2), fc.nat(2)).chain(([[sa, sb], mode, which]) => {
        const sc = which === 0 ? sa : which === 1 ? sb : [];
        return fc
          .tuple(arbTensorOfShape(fc, sa), arbTensorOfShape(fc, sb), arbTensorOfShape(fc, sc))
          .map(([cRaw, a, b]): OpSample<Record<string, never>> => {
            // a mask of 0s and nonzeros (1, -2.5) so both branches and odd truthy values occur
            const c = new Tensor(Float64Array.from(cRaw.toTypedArray(), (v) => (v > 0.5 ? 1 : v < -1.5 ? -2.5 : 0)), cRaw.shape, 'float64');
            return { inputs: [asStridedView(c, mode), asStridedView(a, mode + 1), asStridedView(b, mode + 2)], attrs: {} };
          });
      }),
    reference: ([c, a, b]) => referenceElementwise([c!, a!, b!], (cv, av, bv) => (cv !== 0 ? av : bv)),
  },
});

/**
 * Picks `a` where `cond` is nonzero and `b` elsewhere, broadcasting all three; numbers for
 * `a` or `b` take the other operand's dtype. Gradients flow to `a` and `b` only.
 * @example
 * ```ts
 * where(tensor([1, 0, 1]), tensor([1, 2, 3]), 0).toArray(); // [1, 0, 3]
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  assertTensor(cond, 'cond', 'where');
  const [ta, tb] = operands(a, b, 'where');
  return dispatch(whereOp, [cond, ta, tb], NO_ATTRS);
}
