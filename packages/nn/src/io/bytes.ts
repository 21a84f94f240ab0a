/**
 * Byte helpers shared by the parsers in io/ and data/: host endianness, checked integer
 * products, and a typed view of bytes that need not be aligned.
 */
import { FormatError } from '@pathgrad/tensor';

/** True on little-endian hosts (every mainstream JS engine today). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Product of `dims`, or a FormatError when it passes `limit`. Checking against the limit
 * at every step keeps the arithmetic exact (no silent loss past 2^53) and lets callers
 * refuse absurd shapes before anything is allocated.
 */
export function checkedProduct(dims: readonly number[], limit: number, what: string): number {
  let n = 1;
  for (const d of dims) {
    if (d === 0) return 0;
  }
  for (const d of dims) {
    n *= d;
    if (n > limit) {
      throw new FormatError(`${what}: shape [${dims.join(', ')}] has more than ${limit} elements, far more than any file can hold`);
    }
  }
  return n;
}

/**
 * A fresh, aligned copy of `length` bytes of `src` starting at `start` whose buffer holds
 * the elements in host byte order, given that the source stores them with `itemSize`-byte
 * elements in little- (or big-) endian order. Bytes are copied, never converted through
 * numbers, so NaN payloads survive bit-exactly.
 */
export function copyBytes(src: Uint8Array, start: number, length: number, itemSize: number, littleEndian: boolean): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(src.subarray(start, start + length));
  if (itemSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN) {
    for (let i = 0; i < length; i += itemSize) out.subarray(i, i + itemSize).reverse();
  }
  return out.buffer;
}
