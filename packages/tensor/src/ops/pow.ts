import type * as FastCheck from '../sampling.js';
import { operands, type TensorLike } from '../args.js';
import { binaryKernel } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { binaryInfer, NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { arbBroadcastShapes, arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';
import { equal } from './equal.js';
import { log } from './log.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { where } from './where.js';
import { binaryWasm } from '../wasm/elementwise.js';

/**
 * Elementwise power `a ** b` with broadcasting; int32 operands give float32 (as `div`),
 * because integer powers with negative exponents have no integer result.
 */
export const powOp = defineOp<Record<string, never>>({
  name: 'pow',
  infer: binaryInfer('pow', { float: true }),
  kernels: { cpu: binaryKernel(Math.pow), wasm: binaryWasm('pow3') },
  vjp: (g, { inputs: [a, b], output, needs }) => {
    const ga = needs[0]
      ? // d/da = b * a^(b-1); PyTorch masks b == 0 to 0 so 0^0 does not give 0 * inf = NaN
        mul(g, where(equal(b!, 0), 0, mul(b!, pow(a!, sub(b!, 1)))))
      : null;
    // d/db = a^b * log(a); at a == 0 the limit is 0 (for b > 0). The inner `where` keeps
    // log away from 0 so neither this value nor its own derivative produces NaN there.
    const gb = needs[1] ? mul(g, where(equal(a!, 0), 0, mul(output, log(where(equal(a!, 0), 1, a!))))) : null;
    return [ga, gb];
  },
  spec: {
    // positive bases keep the real power (and its exponent derivative) defined
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(arbBroadcastShapes(fc), fc.nat(2))
        .chain(([[sa, sb], mode]) =>
          fc
            .tuple(arbTensorOfShape(fc, sa, { min: 0.2, max: 3 }), arbTensorOfShape(fc, sb, { min: -3, max: 3 }))
            .map(([a, b]): OpSample<Record<string, never>> => ({ inputs: [asStridedView(a, mode), asStridedView(b, mode + 1)], attrs: {} })),
        ),
    reference: ([a, b]) => referenceElementwise([a!, b!], (x, y) => Math.pow(x, y)),
  },
});

/**
 * `a ** b` elementwise with broadcasting (float result; a negative base with a
 * non-integer exponent gives NaN, as IEEE pow).
 * @example
 * ```ts
 * pow(tensor([1, 2, 3]), 2).toArray(); // [1, 4, 9]
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return dispatch(powOp, operands(a, b, 'pow'), NO_ATTRS);
}
