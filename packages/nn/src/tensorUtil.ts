/**
 * Small tensor helpers private to nn: dtype conversion of state (not differentiated, so it
 * copies buffers directly) and shape formatting for error messages.
 */
import { Tensor, allocate, type DType } from '@pathgrad/tensor';

/** `t` itself if it already has `dtype`, otherwise a contiguous converted copy. */
export function convertDType(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const src = t.toTypedArray();
  const out = allocate(dtype, t.size);
  if (dtype === 'int32') {
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
  } else {
    for (let i = 0; i < src.length; i++) out[i] = src[i]!;
  }
  return new Tensor(out, t.shape, dtype);
}

/** `[2, 3]` style rendering of a shape. */
export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
