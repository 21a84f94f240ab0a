import { readFileSync } from 'node:fs';
import { ArgumentError, FormatError, Tensor, tensor, type DType } from '@pathgrad/tensor';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSafetensors, saveSafetensors } from '../src/index.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** A safetensors file from a header value (serialized as given) and a data section. */
function build(header: unknown, data: Uint8Array | number[] = [], headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function bytesOf(t: Tensor): Uint8Array {
  const c = t.contiguous();
  const k = c.data.BYTES_PER_ELEMENT;
  return new Uint8Array(c.data.buffer, c.data.byteOffset + c.offset * k, c.size * k);
}

function expectFormatError(bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    loadSafetensors(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FormatError);
  expect((caught as Error).message).toMatch(message);
}

describe('safetensors: the reference PyTorch file', () => {
  const bytes = fixture('mlp.safetensors');

  it('loads the MLP weights with PyTorch names, shapes and metadata', () => {
    const { tensors, metadata } = loadSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    expect(tensors['0.weight']!.shape).toEqual([128, 784]);
    expect(tensors['4.bias']!.shape).toEqual([10]);
    for (const t of Object.values(tensors)) expect(t.dtype).toBe('float32');
    expect(metadata.arch).toMatch(/^Sequential\(0:Linear\(784,128\)/);
  });

  it('saves back to exactly the bytes PyTorch wrote (same header layout and padding)', () => {
    const { tensors, metadata } = loadSafetensors(bytes);
    const again = saveSafetensors(tensors, metadata);
    expect(again.length).toBe(bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads I64 labels as int32 and F64 arrays as float64 from the reference run', () => {
    const { tensors } = loadSafetensors(fixture('mlp-reference.safetensors'));
    expect(tensors.labels!.dtype).toBe('int32');
    expect(tensors.labels!.toArray()).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5]);
    expect(tensors['logits.f64']!.dtype).toBe('float64');
    expect(tensors['logits.f64']!.get(0, 7)).toBeCloseTo(7.897878817844573, 14);
  });
});

describe('safetensors: save and load round trip', () => {
  const arbNamed = fc
    .tuple(
      fc.constantFrom<DType>('float32', 'float64', 'int32'),
      fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    )
    .map(([dtype, shape, seed]) => {
      // arbitrary bit patterns (NaN payloads, -0, subnormals, infinities included)
      const size = shape.reduce((a, b) => a * b, 1);
      const k = dtype === 'float64' ? 8 : 4;
      const raw = new Uint8Array(size * k);
      let s = seed;
      for (let i = 0; i < raw.length; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        raw[i] = s >>> 24;
      }
      const data = dtype === 'float32' ? new Float32Array(raw.buffer) : dtype === 'float64' ? new Float64Array(raw.buffer) : new Int32Array(raw.buffer);
      return new Tensor(data, shape, dtype);
    });

  it('is bit-exact for every dtype, keeps order, names and metadata (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'), arbNamed), {
          selector: ([n]) => n,
          maxLength: 6,
        }),
        fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }),
        (entries, metadata) => {
          const map = new Map(entries);
          const bytes = saveSafetensors(map, metadata);
          const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
          expect(headerLength % 8).toBe(0);
          const back = loadSafetensors(bytes);
          // object key order puts integer-like names first, so compare as sets plus contents
          expect(new Set(Object.keys(back.tensors))).toEqual(new Set(map.keys()));
          for (const [name, t] of map) {
            const u = back.tensors[name]!;
            expect(u.dtype).toBe(t.dtype);
            expect(u.shape).toEqual(t.shape);
            expect(Buffer.from(bytesOf(u)).equals(Buffer.from(bytesOf(t)))).toBe(true);
          }
          expect(back.metadata).toEqual(metadata ?? {});
          // and saving what was loaded reproduces the file byte for byte
          const reordered = new Map([...map.keys()].map((n) => [n, back.tensors[n]!]));
          expect(Buffer.from(saveSafetensors(reordered, metadata)).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps names such as __proto__ as plain entries (names come from untrusted files)', () => {
    const entries = new Map([['__proto__', tensor([1, 2])], ['constructor', tensor([3])]]);
    const back = loadSafetensors(saveSafetensors(entries, JSON.parse('{"__proto__": "meta"}') as Record<string, string>));
    expect(Object.hasOwn(back.metadata, '__proto__')).toBe(true);
    expect(Object.entries(back.metadata)).toEqual([['__proto__', 'meta']]);
    expect(Object.keys(back.tensors)).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(back.tensors, '__proto__')).toBe(true);
    expect(back.tensors.__proto__!.toArray()).toEqual([1, 2]);
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
  });

  it('writes non-contiguous views and broadcasts as their row-major values', () => {
    const base = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const transposed = new Tensor(base.data, [3, 2], 'float64', [1, 3]);
    const broadcast = new Tensor(new Int32Array([7, 8]), [3, 2], 'int32', [0, 1]);
    const back = loadSafetensors(saveSafetensors({ transposed, broadcast })).tensors;
    expect(back.transposed!.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(back.broadcast!.toArray()).toEqual([[7, 8], [7, 8], [7, 8]]);
  });

  it('refuses bad arguments with ArgumentError', () => {
    expect(() => saveSafetensors({ __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => saveSafetensors({ a: [1, 2] as unknown as Tensor })).toThrow(ArgumentError);
    expect(() => saveSafetensors({}, { a: 1 as unknown as string })).toThrow(/metadata\["a"\] must be a string/);
    expect(() => saveSafetensors(null as unknown as Record<string, Tensor>)).toThrow(ArgumentError);
    expect(() => loadSafetensors('abc' as unknown as Uint8Array)).toThrow(ArgumentError);
  });
});

describe('safetensors: dtypes read from other writers', () => {
  it('widens F16 and BF16 exactly to float32 (subnormals, infinities, NaN)', () => {
    const half = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000]);
    const bf = new Uint16Array([0x3f80, 0xc049, 0x0001, 0x7f80]);
    const data = new Uint8Array(half.byteLength + bf.byteLength);
    data.set(new Uint8Array(half.buffer));
    data.set(new Uint8Array(bf.buffer), half.byteLength);
    const { tensors } = loadSafetensors(
      build(
        {
          h: { dtype: 'F16', shape: [8], data_offsets: [0, 16] },
          b: { dtype: 'BF16', shape: [2, 2], data_offsets: [16, 24] },
        },
        data,
      ),
    );
    const h = Array.from(tensors.h!.data);
    expect(tensors.h!.dtype).toBe('float32');
    expect(h.slice(0, 6)).toEqual([1, -2, 2 ** -24, 65504, Infinity, -Infinity]);
    expect(Number.isNaN(h[6])).toBe(true);
    expect(Object.is(h[7], -0)).toBe(true);
    const b = tensors.b!;
    expect(b.dtype).toBe('float32');
    expect(b.get(0, 0)).toBe(1);
    expect(b.get(0, 1)).toBe(Math.fround(-3.140625));
    expect(b.get(1, 0)).toBe(new Float32Array(new Uint32Array([0x00010000]).buffer)[0]);
    expect(b.get(1, 1)).toBe(Infinity);
  });

  it('reads integer dtypes as int32 and refuses values outside int32', () => {
    const i64 = new BigInt64Array([-2147483648n, 2147483647n, 5n]);
    const data = new Uint8Array(24 + 3 + 4 + 2 + 2);
    data.set(new Uint8Array(i64.buffer));
    data.set([0, 1, 1], 24); // BOOL
    data.set(new Uint8Array(new Uint32Array([123]).buffer), 27); // U32
    data.set([0xff, 0xff], 31); // I16 = -1
    data.set([0xff], 33); // I8 = -1
    data.set([0xff], 34); // U8 = 255
    const header = {
      a: { dtype: 'I64', shape: [3], data_offsets: [0, 24] },
      b: { dtype: 'BOOL', shape: [3], data_offsets: [24, 27] },
      c: { dtype: 'U32', shape: [], data_offsets: [27, 31] },
      d: { dtype: 'I16', shape: [1], data_offsets: [31, 33] },
      e: { dtype: 'I8', shape: [1], data_offsets: [33, 34] },
      f: { dtype: 'U8', shape: [1, 1], data_offsets: [34, 35] },
    };
    const { tensors } = loadSafetensors(build(header, data));
    expect(tensors.a!.toArray()).toEqual([-2147483648, 2147483647, 5]);
    expect(tensors.b!.toArray()).toEqual([0, 1, 1]);
    expect(tensors.c!.toArray()).toBe(123);
    expect(tensors.d!.toArray()).toEqual([-1]);
    expect(tensors.e!.toArray()).toEqual([-1]);
    expect(tensors.f!.toArray()).toEqual([[255]]);
    for (const t of Object.values(tensors)) expect(t.dtype).toBe('int32');

    const big = new Uint8Array(new BigInt64Array([1n, 2147483648n]).buffer);
    expectFormatError(build({ x: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, big), /I64 value 2147483648 at flat index 1 does not fit int32/);
    expectFormatError(build({ x: { dtype: 'BOOL', shape: [1], data_offsets: [0, 1] } }, [2]), /BOOL byte/);
  });

  it('loads NaN weights as stored (a storage format is faithful; model loaders decide)', () => {
    const nan = saveSafetensors({ w: tensor([NaN, 1]) });
    const w = loadSafetensors(nan).tensors.w!;
    expect(Number.isNaN(w.get(0))).toBe(true);
    expect(w.get(1)).toBe(1);
  });
});

describe('safetensors: hostile files are FormatErrors', () => {
  const valid = saveSafetensors(new Map([['a', tensor([1, 2, 3])], ['b', tensor([[1, 2]], { dtype: 'float64' })]]), { k: 'v' });

  it('truncated anywhere', () => {
    for (let n = 0; n < valid.length; n++) expect(() => loadSafetensors(valid.subarray(0, n))).toThrow(FormatError);
    expectFormatError(valid.subarray(0, 5), /at least 8 bytes/);
  });

  it('oversized or out-of-file header lengths', () => {
    const huge = valid.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    expectFormatError(huge, /exceeds the 100000000-byte limit/);
    new DataView(huge.buffer).setBigUint64(0, 100_000_001n, true);
    expectFormatError(huge, /exceeds/);
    new DataView(huge.buffer).setBigUint64(0, BigInt(valid.length), true);
    expectFormatError(huge, /runs past the end/);
  });

  it('headers that are not a JSON object', () => {
    expectFormatError(build(null, [], '[1,2]'), /starting with '\{'/);
    expectFormatError(build(null, [], '{"a": '), /not valid JSON/);
    const badUtf8 = build(null, [], '{}    ');
    badUtf8[9] = 0xff;
    expectFormatError(badUtf8, /UTF-8/);
    expectFormatError(build({ __metadata__: { a: 1 } }), /__metadata__\["a"\] must be a string/);
    expectFormatError(build({ __metadata__: [] }), /__metadata__ must be an object/);
    expectFormatError(build({ a: 'x' }), /expected \{dtype, shape, data_offsets\}/);
  });

  it('wrong dtypes, shapes and offsets', () => {
    const four = [0, 0, 128, 63];
    expectFormatError(build({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 4] } }, four), /dtype must be one of/);
    expectFormatError(build({ a: { dtype: 5, shape: [1], data_offsets: [0, 4] } }, four), /dtype must be one of/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, four), /shape must be an array of non-negative integers/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, four), /shape/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, four), /0 <= begin <= end/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, four), /data_offsets/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, four), /point past the end/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four), /needs 8 bytes/);
    expectFormatError(build({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 4] } }, four), /needs 8 bytes/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, four), /more than \d+ elements/);
  });

  it('overlapping, gapped or incomplete data sections', () => {
    const eight = new Uint8Array(8);
    expectFormatError(
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight.subarray(0, 4)),
      /overlaps/,
    );
    expectFormatError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight), /gap after byte 0/);
    expectFormatError(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight), /trailing bytes/);
  });

  it('random bytes and mutated valid files only ever throw FormatError, within the bytes they have (property)', () => {
    const mutated = fc
      .tuple(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.integer({ min: -16, max: 16 }))
      .map(([flips, resize]) => {
        const b = new Uint8Array(Math.max(0, valid.length + resize));
        b.set(valid.subarray(0, b.length));
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        return b;
      });
    const randomHeader = fc.uint8Array({ maxLength: 80 }).map((body) => {
      const b = new Uint8Array(8 + body.length);
      new DataView(b.buffer).setBigUint64(0, BigInt(body.length), true);
      b.set(body, 8);
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), randomHeader, mutated), (bytes) => {
        try {
          const { tensors } = loadSafetensors(bytes);
          let allocated = 0;
          for (const t of Object.values(tensors)) allocated += t.data.byteLength;
          // int32 from one-byte dtypes is the widest growth: 4x
          expect(allocated).toBeLessThanOrEqual(4 * bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
