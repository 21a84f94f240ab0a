/**
 * NumPy `.npy` files: read versions 1.0, 2.0 and 3.0, write 1.0 (2.0 when the header
 * needs it), following the format NEP 1 describes
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * The header is a Python dict literal. It is parsed by a small strict parser (never
 * evaluated) that accepts exactly what NumPy writes: string keys `'descr'`,
 * `'fortran_order'` and `'shape'`, a dtype string, `True`/`False` and a tuple of
 * non-negative integers. Every size is checked against the bytes actually present before
 * anything is allocated, so hostile input costs at most the size of the input.
 */
import type { DType, TypedArray } from '../dtype.js';
import { checkOptionKeys, optionKeys } from '../args.js';
import { ArgumentError, FormatError, describe } from '../errors.js';
import { Tensor } from '../tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Headers longer than this are refused: NumPy's own headers are well under 1 KiB.
 *
 * @example
 * ```ts
 * MAX_NPY_HEADER; // 1048576
 * ```
 */
export const MAX_NPY_HEADER = 1 << 20;

/**
 * Arrays with more dimensions than this are refused (NumPy's own limit is 64).
 *
 * @example
 * ```ts
 * MAX_NPY_RANK; // 64
 * ```
 */
export const MAX_NPY_RANK = 64;

/**
 * How one NumPy element type is read: its size and the tensor dtype it becomes.
 *
 * @example
 * ```ts
 * const rule: NpyTypeRule = NPY_TYPES.u1!; // { size: 1, dtype: 'int32' }
 * ```
 */
export interface NpyTypeRule {
  /** Bytes per element. */
  size: number;
  /** The tensor dtype it becomes. */
  dtype: DType;
}

/**
 * How each NumPy type maps onto a tensor dtype when read.
 * - `f4`, `f8`, `i4` map to `float32`, `float64`, `int32` unchanged.
 * - `f2` (half) becomes `float32` (exact).
 * - `b1`, `i1`, `u1`, `i2`, `u2` become `int32` (exact): they are integers, typically
 *   labels or pixels, and int32 keeps integer semantics (indexing, `oneHot`).
 * - `i8`, `u4`, `u8` become `int32` when every value fits in int32, else `readNpy`
 *   throws a FormatError naming the first value out of range. NumPy's default integer
 *   is int64, so label and index arrays usually arrive as `i8` with small values;
 *   silently turning them into float64 would change what ops do with them.
 *
 * @example
 * ```ts
 * NPY_TYPES.f8!.dtype; // 'float64'
 * NPY_TYPES.i8!.dtype; // 'int32' (range-checked)
 * ```
 */
export const NPY_TYPES: Readonly<Record<string, NpyTypeRule>> = Object.freeze({
  f2: { size: 2, dtype: 'float32' },
  f4: { size: 4, dtype: 'float32' },
  f8: { size: 8, dtype: 'float64' },
  b1: { size: 1, dtype: 'int32' },
  i1: { size: 1, dtype: 'int32' },
  u1: { size: 1, dtype: 'int32' },
  i2: { size: 2, dtype: 'int32' },
  u2: { size: 2, dtype: 'int32' },
  i4: { size: 4, dtype: 'int32' },
  u4: { size: 4, dtype: 'int32' },
  i8: { size: 8, dtype: 'int32' },
  u8: { size: 8, dtype: 'int32' },
});

/**
 * The header of an `.npy` file, as parsed.
 *
 * @example
 * ```ts
 * const h: NpyHeader = readNpyHeader(bytes);
 * h.shape; // e.g. [60000, 28, 28]
 * ```
 */
export interface NpyHeader {
  /** Format version `[major, minor]`. */
  version: [number, number];
  /** NumPy dtype string, e.g. `'<f4'`. */
  descr: string;
  /** True when the data is stored column-major. */
  fortranOrder: boolean;
  /** Array shape (`[]` for a 0-d array). */
  shape: number[];
  /** Byte offset of the data in the file. */
  dataOffset: number;
}

/**
 * Reads an `.npy` file into a tensor. Fortran-order files give a column-major strided
 * view (no reordering copy); the dtype follows {@link NPY_TYPES}.
 *
 * Throws a FormatError naming what is wrong (magic, version, header length, header
 * syntax, descr, a shape entry, bytes expected vs present, an i8 value out of int32
 * range) for anything that is not a well-formed `.npy` file of a supported type.
 *
 * @example
 * ```ts
 * const bytes = writeNpy(tensor([[1, 2], [3, 4]]));
 * readNpy(bytes).toArray(); // [[1, 2], [3, 4]]
 * ```
 */
export function readNpy(bytes: Uint8Array): Tensor {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`readNpy: bytes must be a Uint8Array, got ${describe(bytes)}`);
  const header = readNpyHeader(bytes);
  const byteOrder = header.descr[0]!;
  const code = header.descr.slice(1);
  const rule = NPY_TYPES[code]!;
  // bounded by the bytes present (see readNpyHeader); a zero-size array is empty in O(rank),
  // whatever its other dimensions, e.g. (1e8, 0)
  const size = header.shape.includes(0) ? 0 : header.shape.reduce((a, b) => a * b, 1);
  const expected = size * rule.size;
  const present = bytes.length - header.dataOffset;
  if (present !== expected) {
    throw new FormatError(
      `readNpy: shape [${header.shape.join(', ')}] of '${header.descr}' needs ${expected} data bytes, ` +
        `${present < expected ? 'but only' : 'but'} ${present} ${present < expected ? 'are present' : 'are present (trailing bytes)'}`,
    );
  }
  const data = decode(bytes, header.dataOffset, size, code, byteOrder === '>');
  const shape = header.shape;
  if (!header.fortranOrder || shape.length < 2) return new Tensor(data, shape, rule.dtype);
  // column-major: the first index moves fastest
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  return new Tensor(data, shape, rule.dtype, strides, 0);
}

/**
 * Parses and validates the header of an `.npy` file: magic, version, header length (within
 * the bytes present), the dict, the descr (a supported type and byte order) and the shape
 * (each entry an integer >= 0, their product within the bytes present).
 *
 * @example
 * ```ts
 * readNpyHeader(writeNpy(zeros([2, 3]))); // { version: [1, 0], descr: '<f4', fortranOrder: false, shape: [2, 3], dataOffset: 128 }
 * ```
 */
export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`readNpyHeader: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 10) throw new FormatError(`npy: expected at least 10 bytes (magic, version, header length), got ${bytes.length}`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const got = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new FormatError(`npy: expected the magic string \\x93NUMPY (93 4e 55 4d 50 59), got ${got}`);
    }
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new FormatError(`npy: expected format version 1.0, 2.0 or 3.0, got ${major}.${minor}`);
  }
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = bytes[8]! | (bytes[9]! << 8);
    start = 10;
  } else {
    if (bytes.length < 12) throw new FormatError(`npy: version ${major}.0 needs 12 bytes before the header, got ${bytes.length}`);
    headerLength = (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16)) + bytes[11]! * 2 ** 24;
    start = 12;
  }
  if (headerLength > MAX_NPY_HEADER) {
    throw new FormatError(`npy: header length ${headerLength} exceeds the ${MAX_NPY_HEADER} bytes this reader accepts`);
  }
  if (start + headerLength > bytes.length) {
    throw new FormatError(`npy: header length ${headerLength} runs past the end of the file (${bytes.length - start} bytes after the length field)`);
  }
  const raw = bytes.subarray(start, start + headerLength);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw new FormatError('npy: version 3.0 header is not valid UTF-8');
    }
  } else {
    const bad = raw.findIndex((b) => b > 0x7f);
    if (bad >= 0) throw new FormatError(`npy: version ${major}.0 header must be ASCII, got byte 0x${raw[bad]!.toString(16)} at header offset ${bad}`);
    text = new TextDecoder('latin1').decode(raw); // identical to ASCII for bytes <= 0x7f
  }
  const dict = parseHeaderDict(text);
  const dataOffset = start + headerLength;

  const descr = dict.descr;
  if (typeof descr !== 'string') throw new FormatError(`npy: header 'descr' must be a dtype string, got ${describeValue(descr)}`);
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const rule = m ? NPY_TYPES[m[2]!] : undefined;
  if (!m || !rule) {
    throw new FormatError(`npy: header 'descr' must be one of ${Object.keys(NPY_TYPES).join(', ')} with byte order <, > or |, got ${JSON.stringify(descr)}`);
  }
  if (m[1] === '|' && rule.size > 1) throw new FormatError(`npy: header 'descr' ${JSON.stringify(descr)}: '|' (not applicable) is only valid for 1-byte types`);
  // '=' is "native"; NumPy resolves it when writing, so treat a stray one as little-endian
  const normDescr = (m[1] === '>' && rule.size > 1 ? '>' : '<') + m[2]!;

  const fortran = dict.fortran_order;
  if (typeof fortran !== 'boolean') throw new FormatError(`npy: header 'fortran_order' must be True or False, got ${describeValue(fortran)}`);

  const shapeValue = dict.shape;
  if (!Array.isArray(shapeValue)) throw new FormatError(`npy: header 'shape' must be a tuple of integers, got ${describeValue(shapeValue)}`);
  if (shapeValue.length > MAX_NPY_RANK) throw new FormatError(`npy: header 'shape' has ${shapeValue.length} dimensions, at most ${MAX_NPY_RANK} are supported`);
  const available = bytes.length - dataOffset;
  const shape: number[] = [];
  shapeValue.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new FormatError(`npy: header 'shape' entry ${i} must be an integer >= 0, got ${describeValue(d)}`);
    }
    shape.push(d);
  });
  // reject before any allocation: the product may be astronomically large. A zero anywhere
  // makes it 0 whatever the rest (and must: Infinity * 0 would be NaN and slip through);
  // otherwise stop multiplying once past the bytes present, so the product stays exact.
  let size = shape.includes(0) ? 0 : 1;
  for (const [i, d] of shape.entries()) {
    size *= d;
    if (size * rule.size > available) {
      const atLeast = i < shape.length - 1 ? 'at least ' : '';
      throw new FormatError(`npy: shape [${shape.join(', ')}] of '${descr}' needs ${atLeast}${size * rule.size} data bytes, but only ${available} are present`);
    }
  }
  return { version: [major, minor], descr: normDescr, fortranOrder: fortran, shape, dataOffset };
}

/**
 * Options of {@link writeNpy}.
 *
 * @example
 * ```ts
 * const opts: WriteNpyOptions = { fortranOrder: true };
 * ```
 */
export interface WriteNpyOptions {
  /** Store column-major (NumPy's `fortran_order`); default false (row-major). */
  fortranOrder?: boolean;
}

/**
 * Writes a tensor as a version 1.0 `.npy` file (2.0 if the header would not fit), with
 * little-endian data: `<f4`, `<f8` or `<i4` for float32, float64, int32. The header is
 * padded so the data starts on a 64-byte boundary, as NumPy does.
 *
 * @example
 * ```ts
 * const bytes = writeNpy(tensor([[1, 2, 3], [4, 5, 6]]), { fortranOrder: true });
 * readNpy(bytes).toArray(); // [[1, 2, 3], [4, 5, 6]]
 * // in Python: numpy.load(io.BytesIO(bytes)) gives the same array
 * ```
 */
export function writeNpy(t: Tensor, options: WriteNpyOptions = {}): Uint8Array {
  if (!(t instanceof Tensor)) throw new ArgumentError(`writeNpy: t must be a Tensor, got ${describe(t)}`);
  checkOptionKeys(options, optionKeys<WriteNpyOptions>({ fortranOrder: true }), 'writeNpy');
  const fortranOrder = options.fortranOrder ?? false;
  if (typeof fortranOrder !== 'boolean') throw new ArgumentError(`writeNpy: options.fortranOrder must be a boolean, got ${describe(fortranOrder)}`);
  const descr = t.dtype === 'float32' ? '<f4' : t.dtype === 'float64' ? '<f8' : '<i4';
  const shapeText = t.rank === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // preamble + dict + padding + '\n' is a multiple of 64
  let preamble = 10;
  let total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  if (total - preamble > 0xffff) {
    preamble = 12;
    total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  }
  const headerLength = total - preamble;
  const values = fortranOrder ? columnMajor(t) : t.toTypedArray();
  const out = new Uint8Array(total + values.length * 4 * (t.dtype === 'float64' ? 2 : 1));
  out.set(MAGIC, 0);
  out[6] = preamble === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (preamble === 10) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  for (let i = 0; i < dict.length; i++) out[preamble + i] = dict.charCodeAt(i);
  out.fill(0x20, preamble + dict.length, total - 1);
  out[total - 1] = 0x0a;
  const itemSize = t.dtype === 'float64' ? 8 : 4;
  for (let i = 0, p = total; i < values.length; i++, p += itemSize) {
    if (t.dtype === 'float32') view.setFloat32(p, values[i]!, true);
    else if (t.dtype === 'float64') view.setFloat64(p, values[i]!, true);
    else view.setInt32(p, values[i]!, true);
  }
  return out;
}

/** The elements of `t` with the first index moving fastest. */
function columnMajor(t: Tensor): TypedArray {
  const reversed = new Tensor(t.data, [...t.shape].reverse(), t.dtype, [...t.strides].reverse(), t.offset);
  return reversed.toTypedArray();
}

/** Decodes `count` elements of type `code` starting at `offset` into the tensor's typed array. */
function decode(bytes: Uint8Array, offset: number, count: number, code: string, bigEndian: boolean): TypedArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.length - offset);
  const le = !bigEndian;
  switch (code) {
    case 'f4': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, le);
      return out;
    }
    case 'f8': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, le);
      return out;
    }
    case 'f2': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, le));
      return out;
    }
    default: {
      const out = new Int32Array(count);
      const read = intReader(view, code, le);
      for (let i = 0; i < count; i++) {
        const v = read(i);
        if (v < -2147483648 || v > 2147483647) {
          throw new FormatError(`npy: '${code}' element ${i} is ${String(v)}, outside the int32 range this reader converts to`);
        }
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Reads element `i` of an integer type (as a bigint for the 64-bit ones). */
function intReader(view: DataView, code: string, le: boolean): (i: number) => number | bigint {
  switch (code) {
    case 'b1':
      return (i) => (view.getUint8(i) !== 0 ? 1 : 0);
    case 'i1':
      return (i) => view.getInt8(i);
    case 'u1':
      return (i) => view.getUint8(i);
    case 'i2':
      return (i) => view.getInt16(i * 2, le);
    case 'u2':
      return (i) => view.getUint16(i * 2, le);
    case 'i4':
      return (i) => view.getInt32(i * 4, le);
    case 'u4':
      return (i) => view.getUint32(i * 4, le);
    case 'i8':
      return (i) => view.getBigInt64(i * 8, le);
    case 'u8':
      return (i) => view.getBigUint64(i * 8, le);
    default:
      throw new Error(`internal: no reader for npy type '${code}'`);
  }
}

/** IEEE 754 binary16 to a number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// ------------------------------------------------------------- header dict parser

type PyValue = string | number | boolean | PyValue[];

function describeValue(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing (key missing)';
  if (Array.isArray(v)) return `(${v.map(describeValue).join(', ')})`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/**
 * Parses the header dict: `{` then `'key': value` pairs separated by commas (a trailing
 * comma allowed) then `}`, then only whitespace. Keys must be exactly descr,
 * fortran_order and shape, each once. Values: quoted strings without escapes, True,
 * False, non-negative integers (a Python 2 `L` suffix allowed) and tuples of those.
 */
function parseHeaderDict(text: string): Record<'descr' | 'fortran_order' | 'shape', PyValue | undefined> {
  let pos = 0;
  const fail = (what: string): never => {
    const near = JSON.stringify(text.slice(Math.max(0, pos - 10), pos + 10));
    throw new FormatError(`npy: header dict: expected ${what} at character ${pos}, near ${near}`);
  };
  const skipWs = (): void => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r')) pos++;
  };
  const parseString = (): string => {
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') return fail('a quoted string');
    const end = text.indexOf(quote, pos + 1);
    if (end < 0) return fail('a closing quote');
    const s = text.slice(pos + 1, end);
    if (s.includes('\\') || s.includes('\n')) return fail('a string without escapes or newlines');
    pos = end + 1;
    return s;
  };
  const parseValue = (depth: number): PyValue => {
    skipWs();
    const c = text[pos];
    if (c === "'" || c === '"') return parseString();
    if (text.startsWith('True', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('False', pos)) {
      pos += 5;
      return false;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /^-?\d{1,30}L?/.exec(text.slice(pos, pos + 32));
      if (!m) return fail('an integer');
      pos += m[0].length;
      const digits = m[0].endsWith('L') ? m[0].slice(0, -1) : m[0];
      return Number(digits); // precision is checked by the caller (safe integer)
    }
    if (c === '(' || c === '[') {
      if (depth > 0) return fail('a scalar inside a tuple (nested tuples are not a shape)');
      const close = c === '(' ? ')' : ']';
      pos++;
      const items: PyValue[] = [];
      skipWs();
      if (text[pos] === close) {
        pos++;
        return items;
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        if (items.length > MAX_NPY_RANK) throw new FormatError(`npy: header 'shape' has more than ${MAX_NPY_RANK} entries`);
        skipWs();
        if (text[pos] === ',') {
          pos++;
          skipWs();
          if (text[pos] === close) {
            pos++;
            return items;
          }
          continue;
        }
        if (text[pos] === close) {
          // Python needs a trailing comma for a 1-tuple; '(3)' is just the integer 3
          pos++;
          if (close === ')' && items.length === 1) return items[0]!;
          return items;
        }
        return fail(`',' or '${close}'`);
      }
    }
    return fail('a value (string, True, False, integer or tuple)');
  };

  const out: Record<string, PyValue> = {};
  skipWs();
  if (text[pos] !== '{') fail("'{'");
  pos++;
  skipWs();
  while (text[pos] !== '}') {
    const key = parseString();
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      throw new FormatError(`npy: header dict: unexpected key ${JSON.stringify(key)} (expected 'descr', 'fortran_order', 'shape')`);
    }
    if (key in out) throw new FormatError(`npy: header dict: key '${key}' appears twice`);
    skipWs();
    if (text[pos] !== ':') fail("':'");
    pos++;
    out[key] = parseValue(0);
    skipWs();
    if (text[pos] === ',') {
      pos++;
      skipWs();
    } else if (text[pos] !== '}') {
      fail("',' or '}'");
    }
  }
  pos++;
  skipWs();
  if (pos !== text.length) fail('only whitespace after the dict');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in out)) throw new FormatError(`npy: header dict: missing key '${key}'`);
  }
  return out as Record<'descr' | 'fortran_order' | 'shape', PyValue>;
}
