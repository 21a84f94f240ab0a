/**
 * Small builders shared by op files: shape rules and test specs for the common
 * elementwise patterns. Each op file still states its own kernels and VJP.
 */
import type * as FastCheck from './sampling.js';
import { assertFloat, assertTensor, resultDType } from './args.js';
import { isFloat, type DType } from './dtype.js';
import type { OpSample, OpSpec, OutputInfo } from './op.js';
import { broadcastShapes } from './shape.js';
import type { Tensor } from './tensor.js';
import { arbBroadcastShapes, arbTensor, arbTensorOfShape, asStridedView, type TensorArbOptions } from './testing/arbitraries.js';
import { referenceElementwise } from './testing/reference.js';

/** Shape rule of a unary elementwise op; `float` ops reject int32 inputs. */
export function unaryInfer(opName: string, { float = false } = {}): (inputs: readonly Tensor[]) => OutputInfo {
  return ([x]) => {
    assertTensor(x, 'x', opName);
    if (float) assertFloat(x, 'x', opName);
    return { shape: x.shape, dtype: x.dtype };
  };
}

/** Shape rule of a broadcasting binary op; `outDType` overrides the promoted dtype. */
export function binaryInfer(
  opName: string,
  { float = false, outDType }: { float?: boolean; outDType?: (d: DType) => DType } = {},
): (inputs: readonly Tensor[]) => OutputInfo {
  return ([a, b]) => {
    assertTensor(a, 'a', opName);
    assertTensor(b, 'b', opName);
    let dtype = resultDType(a, b);
    if (float && !isFloat(dtype)) dtype = 'float32';
    if (outDType) dtype = outDType(dtype);
    return { shape: broadcastShapes(a.shape, b.shape, `${opName}(a, b)`), dtype };
  };
}

/** Test spec of a unary elementwise op from its scalar definition. */
export function unarySpec(fn: (x: number) => number, opts: TensorArbOptions & { float32Tolerance?: number } = {}): OpSpec<Record<string, never>> {
  return {
    sample: (fc: typeof FastCheck) =>
      fc.tuple(arbTensor(fc, opts), fc.nat(2)).map(([x, mode]): OpSample<Record<string, never>> => ({ inputs: [asStridedView(x, mode)], attrs: {} })),
    reference: ([x]) => referenceElementwise([x!], fn),
    ...(opts.float32Tolerance !== undefined ? { float32Tolerance: opts.float32Tolerance } : {}),
  };
}

/** Test spec of a broadcasting binary op from its scalar definition. */
export function binarySpec(fn: (a: number, b: number) => number, opts: TensorArbOptions & { float32Tolerance?: number; b?: TensorArbOptions } = {}): OpSpec<Record<string, never>> {
  return {
    sample: (fc: typeof FastCheck) =>
      fc
        .tuple(
          arbBroadcastShapes(fc).chain(([sa, sb]) => fc.tuple(arbTensorOfShape(fc, sa, opts), arbTensorOfShape(fc, sb, { ...opts, ...opts.b }))),
          fc.nat(2),
        )
        .map(([[a, b], mode]): OpSample<Record<string, never>> => ({
          inputs: [asStridedView(a, mode), asStridedView(b, mode + 1)],
          attrs: {},
        })),
    reference: ([a, b]) => referenceElementwise([a!, b!], fn),
    ...(opts.float32Tolerance !== undefined ? { float32Tolerance: opts.float32Tolerance } : {}),
  };
}

/** The empty attribute object of ops without attributes. */
export const NO_ATTRS: Record<string, never> = Object.freeze({}) as Record<string, never>;
