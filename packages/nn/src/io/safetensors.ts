/**
 * safetensors: the weight format PyTorch and Hugging Face users have. An 8-byte
 * little-endian header length N, N bytes of JSON (`name -> {dtype, shape, data_offsets}`
 * plus an optional `__metadata__` map of strings), then the raw little-endian data.
 *
 * Reading is strict in the way the reference (Rust) implementation is: offsets must tile
 * the data section exactly, with no gaps, overlaps or trailing bytes, and every byte
 * length must equal dtype size x element count. All of that is checked before anything
 * is allocated, so a hostile file costs at most a copy of its own size.
 */
import { ArgumentError, FormatError, Tensor, describe, type DType, type TypedArray } from '@pathgrad/tensor';
import { HOST_LITTLE_ENDIAN, checkedProduct, copyBytes } from './bytes.js';

/**
 * The header may not exceed 100 MB, as in the reference implementation.
 *
 * @example
 * ```ts
 * // loadSafetensors rejects a file whose declared header length exceeds this, before allocating
 * SAFETENSORS_MAX_HEADER; // 100_000_000 bytes
 * ```
 */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

/** Every safetensors dtype pathgrad reads, its byte size and the tensor dtype it becomes. */
const READ_DTYPES: Record<string, { size: number; to: DType }> = {
  F64: { size: 8, to: 'float64' },
  F32: { size: 4, to: 'float32' },
  F16: { size: 2, to: 'float32' },
  BF16: { size: 2, to: 'float32' },
  I64: { size: 8, to: 'int32' },
  I32: { size: 4, to: 'int32' },
  I16: { size: 2, to: 'int32' },
  I8: { size: 1, to: 'int32' },
  U64: { size: 8, to: 'int32' },
  U32: { size: 4, to: 'int32' },
  U16: { size: 2, to: 'int32' },
  U8: { size: 1, to: 'int32' },
  BOOL: { size: 1, to: 'int32' },
};

const WRITE_DTYPES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };

/**
 * What {@link loadSafetensors} returns.
 *
 * @example
 * ```ts
 * const { tensors, metadata }: Safetensors = loadSafetensors(readFileSync('model.safetensors'));
 * model.loadStateDict(tensors);
 * metadata.format; // e.g. 'pt' for files saved by PyTorch
 * ```
 */
export interface Safetensors {
  /** The tensors by name, in file order. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** `obj[key] = value` as an own property, even for keys such as `__proto__` (names come from the file). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON (it
 * has been parsed already). A single iterative pass, so nesting depth costs no stack.
 */
function findDuplicateKey(text: string): { key: string; depth: number } | undefined {
  const stack: (Set<string> | null)[] = []; // a Set of keys per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (expectKey) {
        const keys = stack[stack.length - 1]!;
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return { key, depth: stack.length };
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses safetensors bytes into tensors. Floats keep their width (F32 -> float32,
 * F64 -> float64); F16 and BF16 widen exactly to float32; integer dtypes (I8..I64,
 * U8..U64, BOOL) become int32, and an I64/U32/U64 value outside the int32 range is a
 * FormatError rather than a silent wrap (pathgrad has no int64; integer tensors in
 * model files are labels, indices and counters, which fit). NaN and infinite float values
 * are returned as stored: this is a storage format and round trips bit-exactly; model
 * loaders decide whether non-finite weights are acceptable.
 *
 * @throws FormatError for anything that is not a well-formed safetensors file: fewer than
 *   8 bytes, a header length past the end of the file or over 100 MB, a header that is not
 *   UTF-8 JSON of an object (a byte-order mark before `{` and duplicate keys, which the
 *   format forbids, included), an unknown dtype, a shape that is not a list of non-negative
 *   integers, offsets that leave the data section, overlap, leave gaps or do not match
 *   dtype size x element count.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const { tensors, metadata } = loadSafetensors(readFileSync('mlp.safetensors'));
 * tensors['0.weight']!.shape; // [128, 784]
 * ```
 */
export function loadSafetensors(bytes: Uint8Array): Safetensors {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`loadSafetensors: bytes must be a Uint8Array (or Buffer), got ${describe(bytes)}`);
  }
  if (bytes.length < 8) {
    throw new FormatError(`loadSafetensors: expected at least 8 bytes (the header length), got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(SAFETENSORS_MAX_HEADER)) {
    throw new FormatError(`loadSafetensors: header length ${headerLength} exceeds the ${SAFETENSORS_MAX_HEADER}-byte limit`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) {
    throw new FormatError(`loadSafetensors: header length ${n} runs past the end of the ${bytes.length}-byte file`);
  }
  if (n >= 3 && bytes[8] === 0xef && bytes[9] === 0xbb && bytes[10] === 0xbf) {
    throw new FormatError("loadSafetensors: header starts with a UTF-8 byte-order mark; the format requires '{' as its first byte");
  }
  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text rather than silently dropping it (refused above anyway)
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new FormatError('loadSafetensors: header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    throw new FormatError(`loadSafetensors: header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`loadSafetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) {
    throw new FormatError(`loadSafetensors: header must be a JSON object, got ${Array.isArray(header) ? 'an array' : describe(header)}`);
  }
  // JSON.parse keeps the last of two equal keys silently; the format forbids duplicates
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const where = duplicate.depth === 1 ? 'the header' : `an object nested ${duplicate.depth} levels deep in the header`;
    throw new FormatError(`loadSafetensors: key ${JSON.stringify(duplicate.key)} appears twice in ${where}; duplicate keys are not allowed`);
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (!isPlainObject(info)) throw new FormatError(`loadSafetensors: __metadata__ must be an object of strings, got ${describe(info)}`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') {
          throw new FormatError(`loadSafetensors: __metadata__[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
        }
        setOwn(metadata, k, v);
      }
      continue;
    }
    const where = `loadSafetensors: tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(info)) throw new FormatError(`${where}: expected {dtype, shape, data_offsets}, got ${describe(info)}`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !Object.hasOwn(READ_DTYPES, dtype)) {
      throw new FormatError(`${where}: dtype must be one of ${Object.keys(READ_DTYPES).join(', ')}, got ${describe(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isSize)) {
      throw new FormatError(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize) || offsets[0]! > offsets[1]!) {
      throw new FormatError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${describe(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new FormatError(`${where}: data_offsets [${begin}, ${end}] point past the end of the ${dataLength}-byte data section`);
    }
    const itemSize = READ_DTYPES[dtype]!.size;
    const count = checkedProduct(shape as number[], 2 ** 50, where);
    if (end - begin !== count * itemSize) {
      throw new FormatError(
        `${where}: ${dtype} shape [${shape.join(', ')}] needs ${count * itemSize} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  // The offsets must tile the data section: sorted by start, each begins where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) {
      const what = e.begin < cursor ? 'overlaps the previous tensor' : `leaves a gap after byte ${cursor}`;
      throw new FormatError(`loadSafetensors: tensor ${JSON.stringify(e.name)}: data_offsets [${e.begin}, ${e.end}] ${what}`);
    }
    cursor = e.end;
  }
  if (cursor !== dataLength) {
    throw new FormatError(`loadSafetensors: the tensors cover ${cursor} bytes but the data section has ${dataLength} (trailing bytes)`);
  }

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) setOwn(tensors, e.name, decodeTensor(bytes, dataStart, e));
  return { tensors, metadata };
}

function decodeTensor(bytes: Uint8Array, dataStart: number, e: Entry): Tensor {
  const { size, to } = READ_DTYPES[e.dtype]!;
  const length = e.end - e.begin;
  const start = dataStart + e.begin;
  const raw = copyBytes(bytes, start, length, size, true);
  const count = length / size;
  let data: TypedArray;
  switch (e.dtype) {
    case 'F64':
      data = new Float64Array(raw);
      break;
    case 'F32':
      data = new Float32Array(raw);
      break;
    case 'I32':
      data = new Int32Array(raw);
      break;
    case 'F16': {
      const src = new Uint16Array(raw);
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(src[i]!);
      break;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shifting the bits back is exact.
      const src = new Uint16Array(raw);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i]! << 16;
      data = new Float32Array(bits.buffer);
      break;
    }
    default:
      data = decodeInteger(raw, e, count);
  }
  return new Tensor(data, e.shape, to);
}

function decodeInteger(raw: ArrayBuffer, e: Entry, count: number): Int32Array {
  const out = new Int32Array(count);
  const fail = (i: number, v: bigint | number): never => {
    throw new FormatError(
      `loadSafetensors: tensor ${JSON.stringify(e.name)}: ${e.dtype} value ${v} at flat index ${i} does not fit int32 (pathgrad's integer dtype)`,
    );
  };
  switch (e.dtype) {
    case 'I8':
      out.set(new Int8Array(raw));
      break;
    case 'U8':
      out.set(new Uint8Array(raw));
      break;
    case 'I16':
      out.set(new Int16Array(raw));
      break;
    case 'U16':
      out.set(new Uint16Array(raw));
      break;
    case 'BOOL': {
      const src = new Uint8Array(raw);
      for (let i = 0; i < count; i++) {
        const v = src[i]!;
        if (v > 1) throw new FormatError(`loadSafetensors: tensor ${JSON.stringify(e.name)}: BOOL byte at flat index ${i} is ${v}, expected 0 or 1`);
        out[i] = v;
      }
      break;
    }
    case 'U32': {
      const src = new Uint32Array(raw);
      for (let i = 0; i < count; i++) {
        const v = src[i]!;
        if (v > 0x7fffffff) fail(i, v);
        out[i] = v;
      }
      break;
    }
    case 'I64':
    case 'U64': {
      const src = e.dtype === 'I64' ? new BigInt64Array(raw) : new BigUint64Array(raw);
      for (let i = 0; i < count; i++) {
        const v = src[i]!;
        if (v < -2147483648n || v > 2147483647n) fail(i, v);
        out[i] = Number(v);
      }
      break;
    }
    default:
      throw new FormatError(`loadSafetensors: tensor ${JSON.stringify(e.name)}: unsupported dtype ${e.dtype}`);
  }
  return out;
}

/** IEEE 754 half precision to the (exactly representable) float32 value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes in the layout the
 * reference writer uses: compact JSON header with the tensors in the order given and
 * `__metadata__` last, padded with spaces to a multiple of 8 bytes, then each tensor's
 * little-endian bytes back to back. float32 -> F32, float64 -> F64, int32 -> I32;
 * `loadSafetensors(saveSafetensors(t))` gives back the same bits (NaN payloads included for
 * contiguous tensors). Pass a Map to keep an order that a plain object cannot (integer-like
 * keys such as `"0"` come first in a JS object).
 *
 * @example
 * ```ts
 * const bytes = saveSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { note: 'demo' });
 * loadSafetensors(bytes).tensors.w!.toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export function saveSafetensors(
  tensors: Record<string, Tensor> | ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) {
    throw new ArgumentError(`saveSafetensors: tensors must be an object or Map of name -> Tensor, got ${describe(tensors)}`);
  }
  const items: [string, Tensor][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const parts: string[] = [];
  let offset = 0;
  for (const [name, t] of items) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`saveSafetensors: tensors[${JSON.stringify(name)}] must be a Tensor, got ${describe(t)}`);
    if (name === '__metadata__') throw new ArgumentError('saveSafetensors: "__metadata__" is reserved for metadata and cannot name a tensor');
    const length = t.size * t.data.BYTES_PER_ELEMENT;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${WRITE_DTYPES[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + length}]}`,
    );
    offset += length;
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new ArgumentError(`saveSafetensors: metadata must be an object of strings, got ${describe(metadata)}`);
    }
    const meta = Object.entries(metadata).map(([k, v]) => {
      if (typeof v !== 'string') throw new ArgumentError(`saveSafetensors: metadata[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${meta.join(',')}}`);
  }
  const headerBytes = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = headerBytes.length + ((8 - (headerBytes.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(headerBytes, 8);
  out.fill(0x20, 8 + headerBytes.length, 8 + padded);
  let pos = 8 + padded;
  for (const [, t] of items) {
    const c = t.contiguous();
    const itemSize = c.data.BYTES_PER_ELEMENT;
    const src = new Uint8Array(c.data.buffer, c.data.byteOffset + c.offset * itemSize, c.size * itemSize);
    out.set(src, pos);
    if (!HOST_LITTLE_ENDIAN && itemSize > 1) {
      for (let i = pos; i < pos + src.length; i += itemSize) out.subarray(i, i + itemSize).reverse();
    }
    pos += src.length;
  }
  return out;
}
