/**
 * IDX, the format the MNIST files come in: two zero bytes, a type code, the number of
 * dimensions, each dimension as a big-endian uint32, then the big-endian data.
 */
import { ArgumentError, FormatError, Tensor, describe, type DType, type TypedArray } from '@pathgrad/tensor';
import { checkedProduct, copyBytes } from '../io/bytes.js';

/** IDX type codes: element size and the tensor dtype they become. */
const IDX_TYPES: Record<number, { name: string; size: number; to: DType }> = {
  0x08: { name: 'unsigned byte', size: 1, to: 'int32' },
  0x09: { name: 'signed byte', size: 1, to: 'int32' },
  0x0b: { name: 'short', size: 2, to: 'int32' },
  0x0c: { name: 'int', size: 4, to: 'int32' },
  0x0d: { name: 'float', size: 4, to: 'float32' },
  0x0e: { name: 'double', size: 8, to: 'float64' },
};

/**
 * A parsed IDX header: where the data starts and what it holds.
 *
 * @example
 * ```ts
 * const header: IdxHeader = readIdxHeader(readFileSync('t10k-images-idx3-ubyte'));
 * header.shape; // [10000, 28, 28]
 * header.itemSize; // 1 (unsigned bytes)
 * ```
 */
export interface IdxHeader {
  /** Type code (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double). */
  typeCode: number;
  /** Bytes per element. */
  itemSize: number;
  /** Dimensions, outermost first. */
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Number of elements. */
  count: number;
}

/**
 * Parses and checks an IDX header: magic, type code, dimension count, and that the data
 * after it has exactly `product(shape) x itemSize` bytes. Nothing is allocated past the
 * header, so callers can decode only what they need (e.g. the first images).
 *
 * @throws FormatError on a bad magic, unknown type code, truncated header or a data size
 *   that does not match the dimensions.
 * @example
 * ```ts
 * readIdxHeader(readFileSync('t10k-images-idx3-ubyte')).shape; // [10000, 28, 28]
 * ```
 */
export function readIdxHeader(bytes: Uint8Array, what = 'readIdx'): IdxHeader {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`${what}: bytes must be a Uint8Array (or Buffer), got ${describe(bytes)}`);
  }
  if (bytes.length < 4) throw new FormatError(`${what}: expected at least 4 bytes (the IDX magic), got ${bytes.length}`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError(`${what}: IDX magic must start with two zero bytes, got 0x${hex(bytes[0]!)} 0x${hex(bytes[1]!)}`);
  }
  const typeCode = bytes[2]!;
  const type = IDX_TYPES[typeCode];
  if (!type) {
    throw new FormatError(`${what}: IDX type code must be one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, got 0x${hex(typeCode)}`);
  }
  const rank = bytes[3]!;
  const dataOffset = 4 + 4 * rank;
  if (bytes.length < dataOffset) {
    throw new FormatError(`${what}: header declares ${rank} dimensions (${dataOffset} header bytes) but the file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const available = bytes.length - dataOffset;
  // The bound only keeps the product exact; the byte comparison below is the real check.
  const count = checkedProduct(shape, 2 ** 50, what);
  if (count * type.size !== available) {
    throw new FormatError(
      `${what}: ${type.name} data of shape [${shape.join(', ')}] needs ${count * type.size} bytes after the header, the file has ${available}`,
    );
  }
  return { typeCode, itemSize: type.size, shape, dataOffset, count };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

/**
 * Reads an IDX file into a tensor: unsigned/signed bytes, shorts and ints become int32,
 * floats float32, doubles float64. The data must fill the file exactly.
 *
 * @throws FormatError for malformed bytes (see {@link readIdxHeader}).
 * @example
 * ```ts
 * const labels = readIdx(readFileSync('t10k-labels-idx1-ubyte'));
 * labels.shape; // [10000]
 * ```
 */
export function readIdx(bytes: Uint8Array): Tensor {
  const header = readIdxHeader(bytes);
  const { typeCode, itemSize, shape, dataOffset, count } = header;
  const type = IDX_TYPES[typeCode]!;
  let data: TypedArray;
  if (typeCode === 0x08) {
    data = Int32Array.from(bytes.subarray(dataOffset, dataOffset + count));
  } else {
    const raw = copyBytes(bytes, dataOffset, count * itemSize, itemSize, false);
    switch (typeCode) {
      case 0x09:
        data = Int32Array.from(new Int8Array(raw));
        break;
      case 0x0b:
        data = Int32Array.from(new Int16Array(raw));
        break;
      case 0x0c:
        data = new Int32Array(raw);
        break;
      case 0x0d:
        data = new Float32Array(raw);
        break;
      default:
        data = new Float64Array(raw);
    }
  }
  return new Tensor(data, shape, type.to);
}
