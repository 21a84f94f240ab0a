/**
 * .npy files that ask for more than they hold: zero-size arrays of huge declared shape are
 * read in O(rank), declared sizes are checked against the bytes present before anything is
 * allocated, and hostile bytes end quickly in a FormatError. FC_NUM_RUNS for a long run,
 * FC_SEED to replay a failure.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, readNpy, tensor, writeNpy, zeros } from '../src/index.js';
import { boundedRefusal, fuzzRuns, fuzzSeed, fuzzTimeout, hostileBytes } from '../src/testing/index.js';

/** A version 1.0 file with the given header dict, padded to 128 bytes as NumPy does, then `data`. */
function npy(dict: string, data: Uint8Array = new Uint8Array()): Uint8Array {
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + headerLength + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLength & 0xff, headerLength >> 8]);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, 10 + headerLength - 1);
  out[10 + headerLength - 1] = 0x0a;
  out.set(data, 10 + headerLength);
  return out;
}

describe('.npy bombs', () => {
  it('a 128-byte file of shape (1e8, 0) is an empty tensor, read in O(rank)', () => {
    const bytes = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 0), }");
    expect(bytes.length).toBe(128);
    const start = performance.now();
    const t = readNpy(bytes);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(t.shape).toEqual([100000000, 0]);
    expect(t.size).toBe(0);
    expect(t.data.length).toBe(0);
  });

  it('a zero next to huge dimensions is still size 0 (not Infinity x 0 = NaN)', () => {
    const huge = Number.MAX_SAFE_INTEGER;
    const t = readNpy(npy(`{'descr': '<f8', 'fortran_order': True, 'shape': (${huge}, ${huge}, ${huge}, ${huge}, 0), }`));
    expect(t.size).toBe(0);
    // with bytes after it the same file is refused: a zero-size array holds no data
    const e = (() => {
      try {
        readNpy(npy(`{'descr': '<f8', 'fortran_order': False, 'shape': (${huge}, ${huge}, 0), }`, new Uint8Array(8)));
      } catch (err) {
        return err as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain('needs 0 data bytes');
  });

  it('declared sizes past the bytes present are refused before allocating, naming the shape', () => {
    const huge = Number.MAX_SAFE_INTEGER;
    for (const [shape, needs] of [
      [`(${huge}, ${huge}, ${huge})`, 'needs at least'],
      ['(1000000, 1000000)', 'needs at least'],
      ['(3,)', 'needs 24 data bytes'],
    ] as const) {
      const before = process.memoryUsage().arrayBuffers;
      expect(() => readNpy(npy(`{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`, new Uint8Array(16)))).toThrow(needs);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1e8);
    }
  });
});

describe('fuzzing readNpy (FC_NUM_RUNS for a long run, FC_SEED to replay)', () => {
  const samples = [
    writeNpy(tensor([[1, 2, 3], [4, 5, 6]])),
    writeNpy(zeros([2, 0, 3], 'float64'), { fortranOrder: true }),
    writeNpy(tensor([7, -8], { dtype: 'int32' })),
    npy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16)),
  ];

  it('random, truncated, bit-flipped and spliced files read or throw FormatError, quickly, within their bytes', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(hostileBytes(fc, samples), (bytes) =>
        boundedRefusal(() => {
          const t = readNpy(bytes);
          if (t.size * t.data.BYTES_PER_ELEMENT > 8 * bytes.length) throw new Error(`read ${t.size} elements from ${bytes.length} bytes`);
        }, [FormatError]),
      ),
      { numRuns: fuzzRuns(500), seed: fuzzSeed() },
    );
  });

  it('crafted shapes (huge, zero, many dimensions) read or throw FormatError, quickly', { timeout: fuzzTimeout() }, () => {
    const arbDim = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2 ** 20, max: Number.MAX_SAFE_INTEGER }));
    fc.assert(
      fc.property(fc.array(arbDim, { maxLength: 64 }), fc.constantFrom('<f4', '<f8', '|u1', '<i8', '<f2'), fc.nat(64), (shape, descr, extra) => {
        const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
        return boundedRefusal(() => readNpy(npy(dict, new Uint8Array(extra))), [FormatError]);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed() },
    );
  });
});
