/**
 * Interop: ndarray views (zero-copy both ways) and NumPy .npy files (round trips, fixtures
 * written by NumPy, hand-made bytes, and hostile input that must fail with a FormatError).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  FormatError,
  Tensor,
  fromNdarray,
  readNpy,
  readNpyHeader,
  toNdarray,
  writeNpy,
  type DType,
} from '../src/index.js';
import { arbTensorOfShape, asStridedView } from '../src/testing/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/npy/', import.meta.url));

/** Every multi-index of `shape`, row-major. */
function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[]): void => {
    if (prefix.length === shape.length) {
      out.push(prefix);
      return;
    }
    for (let i = 0; i < shape[prefix.length]!; i++) rec([...prefix, i]);
  };
  rec([]);
  return out;
}

const cast = (t: Tensor, dtype: DType): Tensor => {
  const v = t.toTypedArray();
  const data = dtype === 'float32' ? Float32Array.from(v) : dtype === 'float64' ? Float64Array.from(v) : Int32Array.from(v, (x) => Math.round(x * 1000));
  return new Tensor(data, t.shape, dtype);
};

const arbDType = fc.constantFrom<DType>('float32', 'float64', 'int32');

/** A random tensor of any dtype, possibly a strided view (transposed, sliced, broadcast). */
const arbAnyTensor = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }), arbDType, fc.nat(2))
  .chain(([shape, dtype, mode]) => arbTensorOfShape(fc, shape).map((t) => asStridedView(cast(t, dtype), mode)));

// ---------------------------------------------------------------------------- ndarray

describe('toNdarray / fromNdarray', () => {
  it('toNdarray shares the buffer of any view and reads the same elements (property)', () => {
    fc.assert(
      fc.property(arbAnyTensor, (t) => {
        const nd = toNdarray(t);
        expect(nd.data).toBe(t.data);
        expect(nd.shape).toEqual([...t.shape]);
        expect(nd.dtype).toBe(t.dtype);
        for (const idx of indices(t.shape)) expect(nd.get(...idx)).toBe(t.get(...idx));
      }),
      { numRuns: 100 },
    );
  });

  it('fromNdarray(toNdarray(t)) is a zero-copy view with the same elements (property)', () => {
    fc.assert(
      fc.property(arbAnyTensor, (t) => {
        const back = fromNdarray(toNdarray(t));
        expect(back.data).toBe(t.data);
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        expect(Array.from(back.toTypedArray())).toEqual(Array.from(t.toTypedArray()));
      }),
      { numRuns: 100 },
    );
  });

  it('fromNdarray shares transposed, sliced, stepped and reversed ndarray views', () => {
    const base = ndarray(new Float64Array(Array.from({ length: 24 }, (_, i) => i)), [4, 6]);
    const views = [base, base.transpose(1, 0), base.hi(3, 5).lo(1, 2), base.step(2, -1), base.pick(null, 2), base.pick(1, 3)];
    for (const nd of views) {
      const t = fromNdarray(nd);
      expect(t.data).toBe(nd.data);
      expect(t.shape).toEqual(nd.shape);
      for (const idx of indices(nd.shape)) expect(t.get(...idx)).toBe(nd.get(...idx));
    }
    const f32 = fromNdarray(ndarray(new Float32Array([1, 2, 3])));
    expect(f32.dtype).toBe('float32');
    const i32 = fromNdarray(ndarray(new Int32Array([1, -2]), [2, 1]));
    expect(i32.dtype).toBe('int32');
    expect(i32.toArray()).toEqual([[1], [-2]]);
  });

  it('copy option gives an independent contiguous ndarray', () => {
    const t = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2], 'float32', [1, 3]);
    const nd = toNdarray(t, { copy: true });
    expect(nd.data).not.toBe(t.data);
    expect(nd.stride).toEqual([2, 1]);
    expect(Array.from(nd.data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('other dtypes are copied by the documented rule', () => {
    const u8 = fromNdarray(ndarray(new Uint8Array([0, 200, 255, 7]), [2, 2]).transpose(1, 0));
    expect(u8.dtype).toBe('int32');
    expect(u8.toArray()).toEqual([
      [0, 255],
      [200, 7],
    ]);
    expect(fromNdarray(ndarray(new Int8Array([-128, 127]))).toArray()).toEqual([-128, 127]);
    expect(fromNdarray(ndarray(new Int16Array([-32768]))).dtype).toBe('int32');
    expect(fromNdarray(ndarray(new Uint16Array([65535]))).toArray()).toEqual([65535]);
    const u32 = fromNdarray(ndarray(new Uint32Array([4294967295, 1])));
    expect(u32.dtype).toBe('float64');
    expect(u32.toArray()).toEqual([4294967295, 1]);
    const arr = fromNdarray(ndarray([0.1, 0.2, 0.3, 0.4], [2, 2]));
    expect(arr.dtype).toBe('float64');
    expect(arr.toArray()).toEqual([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    expect(fromNdarray(ndarray(new Float64Array([1.5, 2.5])), { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('rejects bigint data, bad layouts and non-ndarrays with named errors', () => {
    expect(() => fromNdarray(ndarray(new BigInt64Array([1n])))).toThrow(DTypeError);
    expect(() => fromNdarray(ndarray(new BigInt64Array([1n])))).toThrow(/bigint64/);
    expect(() => fromNdarray(ndarray(new Float32Array(4), [2, 3]))).toThrow(/outside its data of length 4/);
    expect(() => fromNdarray(ndarray(new Float32Array(4), [2, 2], [2, 1], 1))).toThrow(ArgumentError);
    expect(() => fromNdarray(ndarray(new Float32Array(4), [2, 2], [-2, 1], 0))).toThrow(ArgumentError);
    expect(() => fromNdarray({ shape: [2], stride: [1], offset: 0, data: new Float32Array(2), dtype: 'float32' })).not.toThrow();
    expect(() => fromNdarray({ shape: [-1], stride: [1], offset: 0, data: new Float32Array(2), dtype: 'float32' })).toThrow(/shape\[0\]/);
    expect(() => fromNdarray({ shape: [2], stride: [1.5], offset: 0, data: new Float32Array(2), dtype: 'float32' })).toThrow(/stride\[0\]/);
    expect(() => fromNdarray(null as never)).toThrow(ArgumentError);
    expect(() => toNdarray([1, 2] as never)).toThrow(ArgumentError);
  });
});

// ---------------------------------------------------------------------------- npy

/** An .npy file from a header dict text and raw data bytes, padded as NumPy pads. */
function npyBytes(header: string, data: Uint8Array | number[], { version = 1, pad = true } = {}): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let text = header;
  if (pad) {
    const total = Math.ceil((pre + text.length + 1) / 64) * 64;
    text = text + ' '.repeat(total - pre - text.length - 1) + '\n';
  }
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(pre + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, head.length, true);
  else view.setUint32(8, head.length, true);
  out.set(head, pre);
  out.set(data, pre + head.length);
  return out;
}

function bytesOf(values: number[], kind: 'f4' | 'f8' | 'i4' | 'i8' | 'i2', littleEndian: boolean): Uint8Array {
  const size = { f4: 4, f8: 8, i4: 4, i8: 8, i2: 2 }[kind];
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    if (kind === 'f4') view.setFloat32(i * 4, v, littleEndian);
    else if (kind === 'f8') view.setFloat64(i * 8, v, littleEndian);
    else if (kind === 'i4') view.setInt32(i * 4, v, littleEndian);
    else if (kind === 'i2') view.setInt16(i * 2, v, littleEndian);
    else view.setBigInt64(i * 8, BigInt(v), littleEndian);
  });
  return new Uint8Array(view.buffer);
}

describe('writeNpy / readNpy round trips', () => {
  it('every dtype, both orders, random shapes and views (property)', () => {
    fc.assert(
      fc.property(arbAnyTensor, fc.boolean(), (t, fortranOrder) => {
        const bytes = writeNpy(t, { fortranOrder });
        const header = readNpyHeader(bytes);
        expect(header.dataOffset % 64).toBe(0);
        expect(header.fortranOrder).toBe(fortranOrder);
        expect(header.shape).toEqual(t.shape);
        const back = readNpy(bytes);
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        expect(Array.from(back.toTypedArray())).toEqual(Array.from(t.toTypedArray()));
      }),
      { numRuns: 200 },
    );
  });

  it('writes the header NumPy writes, and Fortran data column-major', () => {
    const t = new Tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3], 'int32');
    const bytes = writeNpy(t, { fortranOrder: true });
    const text = new TextDecoder().decode(bytes.subarray(10, 128));
    expect(text).toBe(`{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }`.padEnd(117, ' ') + '\n');
    expect(Array.from(new Int32Array(bytes.slice(128).buffer))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(new TextDecoder().decode(writeNpy(new Tensor(new Float64Array([7]), [], 'float64')).subarray(10, 64))).toContain(`'shape': ()`);
    expect(new TextDecoder().decode(writeNpy(new Tensor(new Float32Array(3), [3], 'float32')).subarray(10, 64))).toContain(`'shape': (3,)`);
  });

  it('keeps NaN, infinities and -0 bit-exact', () => {
    const t = new Tensor(new Float64Array([NaN, Infinity, -Infinity, -0, 5e-324]), [5], 'float64');
    const back = readNpy(writeNpy(t)).toTypedArray();
    expect(Number.isNaN(back[0])).toBe(true);
    expect(back[1]).toBe(Infinity);
    expect(back[2]).toBe(-Infinity);
    expect(Object.is(back[3], -0)).toBe(true);
    expect(back[4]).toBe(5e-324);
  });

  it('rejects what is not a tensor', () => {
    expect(() => writeNpy({} as never)).toThrow(ArgumentError);
    expect(() => writeNpy(new Tensor(new Float32Array(1), [1], 'float32'), { fortranOrder: 'yes' as never })).toThrow(/fortranOrder/);
    expect(() => readNpy([1, 2, 3] as never)).toThrow(ArgumentError);
  });
});

describe('files written by NumPy (test/fixtures/npy, made by make_fixtures.py)', () => {
  const expected = JSON.parse(readFileSync(FIXTURES + 'expected.json', 'utf8')) as {
    files: Record<string, { shape: number[]; dtype?: DType; values?: (number | string)[]; error?: string }>;
  };
  const decode = (v: number | string): number => (typeof v === 'number' ? v : v === '-0' ? -0 : Number(v));

  for (const [name, want] of Object.entries(expected.files)) {
    it(name, () => {
      const bytes = new Uint8Array(readFileSync(FIXTURES + name));
      if (want.error) {
        expect(() => readNpy(bytes)).toThrow(FormatError);
        expect(() => readNpy(bytes)).toThrow(new RegExp(want.error));
        return;
      }
      const t = readNpy(bytes);
      expect(t.shape).toEqual(want.shape);
      expect(t.dtype).toBe(want.dtype);
      const got = Array.from(t.toTypedArray());
      const values = want.values!.map(decode);
      expect(got.length).toBe(values.length);
      got.forEach((g, i) => {
        const v = values[i]!;
        if (Number.isNaN(v)) expect(Number.isNaN(g), `${name}[${i}]`).toBe(true);
        else expect(Object.is(g, t.dtype === 'float32' ? Math.fround(v) : v), `${name}[${i}]: ${g} vs ${v}`).toBe(true);
      });
    });
  }

  it('reads Fortran-order files as strided views without reordering the data', () => {
    const t = readNpy(new Uint8Array(readFileSync(FIXTURES + 'f8_fortran.npy')));
    expect(t.strides).toEqual([1, 2, 6]);
    expect(t.get(1, 2, 3)).toBe(23 * 0.5 - 3);
  });
});

describe('hand-made .npy bytes', () => {
  it('version 1 and 2 headers, little and big endian, C and Fortran order', () => {
    const values = [1.5, -2, 3.25, 4, 5, -6.5];
    for (const version of [1, 2]) {
      for (const le of [true, false]) {
        const descr = le ? '<f8' : '>f8';
        const c = readNpy(npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2, 3), }`, bytesOf(values, 'f8', le), { version }));
        expect(c.toArray()).toEqual([
          [1.5, -2, 3.25],
          [4, 5, -6.5],
        ]);
        const f = readNpy(npyBytes(`{'descr': '${descr}', 'fortran_order': True, 'shape': (2, 3), }`, bytesOf(values, 'f8', le), { version }));
        expect(f.toArray()).toEqual([
          [1.5, 3.25, 5],
          [-2, 4, -6.5],
        ]);
      }
    }
  });

  it('accepts the header variations NumPy and Python 2 wrote', () => {
    const data = bytesOf([1, 2, 3], 'i4', true);
    const variants = [
      `{"descr": "<i4", "fortran_order": False, "shape": (3,)}`,
      `{'shape': (3L,), 'fortran_order': False, 'descr': '<i4'}`,
      `{ 'descr' : '<i4' ,\t'fortran_order' : False , 'shape' : ( 3 , ) , }`,
      `{'descr': '<i4', 'fortran_order': False, 'shape': [3]}`,
    ];
    for (const h of variants) expect(readNpy(npyBytes(h, data)).toArray(), h).toEqual([1, 2, 3]);
    // unpadded header (older writers aligned to 16 or not at all)
    expect(readNpy(npyBytes(`{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n`, data, { pad: false })).toArray()).toEqual([1, 2, 3]);
    // 0-d and empty arrays
    expect(readNpy(npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (), }`, bytesOf([2.5], 'f4', true))).item()).toBe(2.5);
    expect(readNpy(npyBytes(`{'descr': '<f8', 'fortran_order': True, 'shape': (0, 5), }`, [])).shape).toEqual([0, 5]);
    // i8 with values in int32 range, big-endian i2
    expect(readNpy(npyBytes(`{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }`, bytesOf([-5, 2 ** 31 - 1], 'i8', true))).toArray()).toEqual([-5, 2 ** 31 - 1]);
    expect(readNpy(npyBytes(`{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }`, bytesOf([-300, 7], 'i2', false))).toArray()).toEqual([-300, 7]);
  });

  const ok = `{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }`;
  const two = bytesOf([1, 2], 'f4', true);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['bad magic', () => Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, 1, 0, 0, 0]), /magic/],
    ['too short', () => Uint8Array.from([0x93, 0x4e]), /at least 10 bytes/],
    ['version 4.0', () => Object.assign(npyBytes(ok, two), { 6: 4 }), /version 1.0, 2.0 or 3.0, got 4.0/],
    ['version 1.1', () => Object.assign(npyBytes(ok, two), { 7: 1 }), /got 1.1/],
    ['header length past the end', () => Object.assign(npyBytes(ok, two), { 8: 0xff, 9: 0xff }), /header length 65535 runs past the end/],
    ['huge v2 header length', () => Object.assign(npyBytes(ok, two, { version: 2 }), { 11: 0x7f }), /exceeds/],
    ['missing key', () => npyBytes(`{'descr': '<f4', 'shape': (2,)}`, two), /missing key 'fortran_order'/],
    ['extra key', () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}`, two), /unexpected key "x"/],
    ['duplicate key', () => npyBytes(`{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}`, two), /appears twice/],
    ['negative dimension', () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}`, two), /shape' entry 0 must be an integer >= 0, got -2/],
    ['fractional dimension', () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}`, two), /expected ',' or '\)'/],
    ['huge shape', () => npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776)}`, two), /needs .* data bytes, but only 8 are present/],
    ['unsafe integer', () => npyBytes(`{'descr': '<f8', 'fortran_order': False, 'shape': (123456789012345678901234567890,)}`, two), /entry 0/],
    ['shape not a tuple', () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (2)}`, two), /must be a tuple/],
    ['unsupported descr', () => npyBytes(`{'descr': '<U4', 'fortran_order': False, 'shape': (2,)}`, two), /descr' must be one of/],
    ['structured descr', () => npyBytes(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}`, two), /header dict/],
    ['| on a multi-byte type', () => npyBytes(`{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}`, two), /only valid for 1-byte/],
    ['fortran_order not a bool', () => npyBytes(`{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}`, two), /True or False, got 0/],
    ['truncated data', () => npyBytes(ok, two.subarray(0, 7)), /needs 8 data bytes, but only 7 are present/],
    ['trailing bytes', () => npyBytes(ok, [...two, 0]), /trailing bytes/],
    ['code in the header', () => npyBytes(`{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (2,)}`, two), /header dict/],
    ['text after the dict', () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x`, two), /only whitespace after/],
    ['non-ASCII v1 header', () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'é': 1}`, two), /must be ASCII/],
    ['invalid UTF-8 v3 header', () => {
      const b = npyBytes(ok, two, { version: 2 });
      b[6] = 3;
      b[14] = 0xff;
      return b;
    }, /not valid UTF-8/],
    ['i8 out of int32 range', () => npyBytes(`{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}`, bytesOf([2 ** 31], 'i8', true)), /element 0 is 2147483648, outside the int32 range/],
  ];
  for (const [name, make, message] of cases) {
    it(`FormatError: ${name}`, () => {
      const bytes = make();
      expect(() => readNpy(bytes)).toThrow(FormatError);
      expect(() => readNpy(bytes)).toThrow(message);
    });
  }
});

describe('hostile .npy input', () => {
  /** 'ok' if it parsed, 'format' if it threw a FormatError; anything else fails the test. */
  function outcome(bytes: Uint8Array): 'ok' | 'format' {
    try {
      readNpy(bytes);
      return 'ok';
    } catch (e) {
      if (e instanceof FormatError) return 'format';
      throw e;
    }
  }

  const valid = fc.tuple(arbAnyTensor, fc.boolean()).map(([t, f]) => writeNpy(t, { fortranOrder: f }));
  const numpyFiles = ['f4_c.npy', 'f8_be.npy', 'f8_fortran.npy', 'i8.npy', 'u1.npy', 'v2.npy', 'v3.npy', 'f2.npy', 'zero_d.npy', 'empty.npy'].map(
    (n) => new Uint8Array(readFileSync(FIXTURES + n)),
  );
  const anyValid = fc.oneof(valid, fc.constantFrom(...numpyFiles));
  const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

  it('random byte strings throw a FormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(outcome(bytes)).toBe('format');
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes after a valid magic and version parse or throw a FormatError', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 300 }), (version, rest) => {
        outcome(Uint8Array.from([...MAGIC, version, 0, ...rest]));
      }),
      { numRuns: 500 },
    );
  });

  it('flipped bytes in a valid file parse or throw a FormatError', () => {
    fc.assert(
      fc.property(anyValid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (file, flips) => {
        const bytes = file.slice();
        for (const [p, v] of flips) bytes[p % bytes.length] = v;
        outcome(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('header text mutations (random characters spliced into the dict) parse or throw a FormatError', () => {
    const pieces = fc.constantFrom('(', ')', ',', "'", '"', ':', '{', '}', '-', '1', '99999999999999999999', 'True', 'L', ' ', '\\', '[', 'é', '\n');
    fc.assert(
      fc.property(anyValid, fc.nat(), pieces, fc.boolean(), (file, at, piece, replace) => {
        const header = readNpyHeader(file);
        const pre = header.version[0] === 1 ? 10 : 12;
        const text = new TextDecoder().decode(file.subarray(pre, header.dataOffset)).trimEnd();
        const p = at % (text.length + 1);
        const mutated = text.slice(0, p) + piece + text.slice(replace ? p + 1 : p);
        outcome(npyBytes(mutated, file.subarray(header.dataOffset), { version: header.version[0] === 1 ? 1 : 2 }));
      }),
      { numRuns: 500 },
    );
  });

  it('every truncation and every extension of a valid file throws a FormatError', () => {
    fc.assert(
      fc.property(anyValid, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }), (file, cut, extra) => {
        expect(outcome(file.subarray(0, cut % file.length))).toBe('format');
        const longer = new Uint8Array(file.length + extra.length);
        longer.set(file);
        longer.set(extra, file.length);
        expect(outcome(longer)).toBe('format');
      }),
      { numRuns: 300 },
    );
  });

  it('huge or negative declared shapes are rejected without allocating them', () => {
    const before = process.memoryUsage().arrayBuffers;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -(2 ** 40), max: -1 }), fc.integer({ min: 2 ** 20, max: 2 ** 50 })), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('<f8', '>f4', '|u1', '<i8'),
        (shape, descr) => {
          const bytes = npyBytes(`{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`, new Uint8Array(64));
          expect(outcome(bytes)).toBe('format');
        },
      ),
      { numRuns: 300 },
    );
    // a rejected header allocates nothing of the declared size (at least 1 MiB each)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});
