import type * as FastCheck from '../sampling.js';
import { assertTensor } from '../args.js';
import { ArgumentError, describe } from '../errors.js';
import { mapUnary } from '../kernels/elementwise.js';
import { defineOp, dispatch, type OpSample } from '../op.js';
import { unaryInfer } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { arbTensor, asStridedView } from '../testing/arbitraries.js';
import { referenceElementwise } from '../testing/reference.js';
import { greaterEqual } from './greaterEqual.js';
import { lessEqual } from './lessEqual.js';
import { mul } from './mul.js';
import { clipWasm } from '../wasm/unary.js';

/** Attributes of clip: the closed interval [min, max]. */
export interface ClipAttrs {
  min: number;
  max: number;
}

/** Clamps into [min, max]; NaN stays NaN. */
function clipScalar(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x;
}

/**
 * Elementwise clamp into [min, max]. The gradient is 1 on the closed interval (bounds
 * included, PyTorch's `clamp` convention) and 0 outside.
 */
export const clipOp = defineOp<ClipAttrs>({
  name: 'clip',
  infer: unaryInfer('clip'),
  kernels: { cpu: ([x], { min, max }, out) => mapUnary(x!, (v) => clipScalar(v, min, max), out), wasm: clipWasm },
  vjp: (g, { inputs: [x], attrs: { min, max } }) => [mul(g, mul(greaterEqual(x!, min), lessEqual(x!, max)))],
  spec: {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(fc.double({ min: -2, max: -0.1, noNaN: true }), fc.double({ min: 0.1, max: 2, noNaN: true }), fc.nat(2))
        .chain(([min, max, mode]) =>
          arbTensor(fc, { avoid: [min, max], avoidRadius: 0.02 }).map((x): OpSample<ClipAttrs> => ({ inputs: [asStridedView(x, mode)], attrs: { min, max } })),
        ),
    reference: ([x], { min, max }) => referenceElementwise([x!], (v) => Math.min(Math.max(v, min), max)),
  },
});

function checkBound(value: unknown, argName: string): number {
  // infinite bounds are allowed: clip(x, 0, Infinity) is a one-sided clamp
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ArgumentError(`clip: ${argName} must be a number (Infinity allowed), got ${describe(value)}`);
  }
  return value;
}

/**
 * Clamps every element into [min, max] (either bound may be infinite); NaN stays NaN.
 * The gradient passes where min <= x <= max, bounds included. An int32 tensor needs
 * integer (or infinite) bounds, so the result stays int32.
 * @example
 * ```ts
 * clip(tensor([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * ```
 */
export function clip(x: Tensor, min: number, max: number): Tensor {
  assertTensor(x, 'x', 'clip');
  const lo = checkBound(min, 'min');
  const hi = checkBound(max, 'max');
  if (lo > hi) throw new ArgumentError(`clip: min must be <= max, got min=${lo} and max=${hi}`);
  if (x.dtype === 'int32') {
    for (const [name, v] of [['min', lo], ['max', hi]] as const) {
      if (Number.isFinite(v) && !Number.isInteger(v)) {
        throw new ArgumentError(`clip: ${name} must be an integer for an int32 tensor, got ${v}`);
      }
    }
  }
  return dispatch(clipOp, [x], { min: lo, max: hi });
}
