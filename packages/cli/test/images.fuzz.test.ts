/**
 * Images as inputs: sizes are read from the header and refused above the pixel limit
 * before decoding, empty images are refused, resampling is a box filter checked against a
 * brute-force integral, and random, truncated, bit-flipped and crafted PNG/JPEG files end
 * quickly in a UsageError. FC_NUM_RUNS for a long run, FC_SEED to replay a failure.
 */
import { deflateSync } from 'node:zlib';
import { boundedRefusal, fuzzRuns, fuzzSeed, fuzzTimeout, hostileBytes } from '@pathgrad/tensor/testing';
import * as fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { IMAGE_MAX_PIXELS, imageToMnist, maxImagePixels, readImageHeader } from '../src/images.js';

// ---------------------------------------------------------------------------------------
// building files
// ---------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG by hand: IHDR with any width/height (8-bit gray), then the given IDAT payload. */
function craftedPng(width: number, height: number, idat: Uint8Array, interlace = 0): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, interlace], 8);
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A real PNG of RGBA bytes. */
function pngOf(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return new Uint8Array(PNG.sync.write(png));
}

function jpegOf(rgba: Uint8Array, width: number, height: number): Uint8Array {
  return new Uint8Array(jpeg.encode({ data: Buffer.from(rgba), width, height }, 90).data);
}

/** Overwrites the first SOF0 frame size of a JPEG. */
function withJpegSize(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 2; i + 9 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === 0xc0) {
      new DataView(out.buffer).setUint16(i + 5, height);
      new DataView(out.buffer).setUint16(i + 7, width);
      return out;
    }
  }
  throw new Error('no SOF0 marker');
}

function usageError(fn: () => unknown): UsageError {
  const start = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a UsageError').toBeInstanceOf(UsageError);
  // generous bounds against a hang or a huge allocation, not speed measurements
  expect(performance.now() - start).toBeLessThan(2000);
  expect(process.memoryUsage().rss).toBeLessThan(1.5e9);
  return error as UsageError;
}

// ---------------------------------------------------------------------------------------
// the crafted cases of the issue
// ---------------------------------------------------------------------------------------

describe('image bombs', () => {
  afterEach(() => {
    delete process.env.PATHGRAD_MAX_IMAGE_PIXELS;
  });

  it('a ~141-byte 65535 x 1 PNG is resampled quickly (separable box filter, not 65535^2 work)', () => {
    const row = new Uint8Array(1 + 65535); // filter byte, then gray pixels
    row.fill(255, 1, 1 + 20000); // a white bar on the left third
    const bytes = craftedPng(65535, 1, deflateSync(row, { level: 9 }));
    expect(bytes.length).toBeLessThan(200);
    const start = performance.now();
    const x = imageToMnist(bytes, 'wide.png');
    expect(performance.now() - start).toBeLessThan(2000);
    expect(x.shape).toEqual([1, 28, 28]);
    // the one-pixel row, centred at [32767, 32768), straddles row cells 13 and 14 (the border
    // is at 14 x 65535/28 = 32767.5): each holds half of it over its 2340.5-pixel height
    const v = x.toTypedArray();
    const cell = 65535 / 28;
    expect(v[13 * 28 + 0]).toBeCloseTo(0.5 / cell, 7); // the bar covers column 0 fully
    expect(v[14 * 28 + 0]).toBeCloseTo(0.5 / cell, 7);
    expect(v[12 * 28 + 0]).toBe(0);
    expect(v[14 * 28 + 27]).toBe(0);
    expect(v[0]).toBe(0);
  });

  it('a 68-byte PNG of width 0 and height 2^31-1 is refused from its header, before decoding', () => {
    const bytes = craftedPng(0, 2 ** 31 - 1, deflateSync(new Uint8Array(0)));
    expect(bytes.length).toBeLessThan(80);
    expect(usageError(() => imageToMnist(bytes, 'flat.png')).message).toContain('0 x 2147483647');
    expect(usageError(() => imageToMnist(craftedPng(5, 0, deflateSync(new Uint8Array(0))), 'thin.png')).message).toContain('at least 1');
  });

  it('an 8000 x 8000 PNG is refused from its header (over the 4096 x 4096 default)', () => {
    const bytes = craftedPng(8000, 8000, deflateSync(new Uint8Array(8001 * 100)));
    const e = usageError(() => imageToMnist(bytes, 'huge.png'));
    expect(e.message).toContain('8000 x 8000 = 64,000,000 pixels');
    expect(e.message).toContain('PATHGRAD_MAX_IMAGE_PIXELS');
    expect(IMAGE_MAX_PIXELS).toBe(4096 * 4096);
  });

  it('the limit is an option, and for the CLI an environment variable', () => {
    const small = pngOf(new Uint8Array(28 * 28 * 4).fill(255), 28, 28);
    expect(usageError(() => imageToMnist(small, 'd.png', 28, { maxPixels: 783 })).message).toContain('over the limit of 783');
    expect(imageToMnist(small, 'd.png', 28, { maxPixels: 784 }).shape).toEqual([1, 28, 28]);
    process.env.PATHGRAD_MAX_IMAGE_PIXELS = '1000';
    expect(maxImagePixels()).toBe(1000);
    process.env.PATHGRAD_MAX_IMAGE_PIXELS = 'lots';
    expect(usageError(() => maxImagePixels()).message).toContain("got 'lots'");
  });

  it('a JPEG whose frame header claims 60000 x 60000, or a height of 0, is refused before decoding', () => {
    const base = jpegOf(new Uint8Array(16 * 16 * 4).fill(200), 16, 16);
    expect(readImageHeader(base, 'a.jpg')).toEqual({ format: 'jpeg', width: 16, height: 16 });
    expect(usageError(() => imageToMnist(withJpegSize(base, 60000, 60000), 'big.jpg')).message).toContain('60000 x 60000');
    expect(usageError(() => imageToMnist(withJpegSize(base, 16, 0), 'dnl.jpg')).message).toContain('16 x 0');
  });

  it('a JPEG of 200 scans (each a pass over the whole image) is refused before decoding', () => {
    const base = jpegOf(new Uint8Array(16 * 16 * 4).fill(120), 16, 16);
    // the scan: from its SOS marker to the EOI at the end; repeat it 200 times
    let sos = base.length - 2;
    while (!(base[sos] === 0xff && base[sos + 1] === 0xda)) sos--;
    const scan = base.subarray(sos, base.length - 2);
    const many = new Uint8Array(sos + 200 * scan.length + 2);
    many.set(base.subarray(0, sos));
    for (let i = 0; i < 200; i++) many.set(scan, sos + i * scan.length);
    many.set([0xff, 0xd9], many.length - 2);
    expect(usageError(() => imageToMnist(many, 'scans.jpg')).message).toContain('200 scans, more than the 64');
    // one scan, or a few, decode as before
    expect(imageToMnist(base, 'one.jpg').shape).toEqual([1, 28, 28]);
  });

  it('an interlaced PNG whose data inflates past its declared size is refused', () => {
    const bomb = deflateSync(new Uint8Array(50_000_000), { level: 9 }); // ~50 KB inflating to 50 MB
    const e = usageError(() => imageToMnist(craftedPng(64, 64, bomb, 1), 'adam7.png'));
    expect(e.message).toContain('larger than its 64 x 64 size allows');
  });
});

// ---------------------------------------------------------------------------------------
// resampling against a brute-force integral
// ---------------------------------------------------------------------------------------

/** The definition: gray (luminance x alpha), inverted when mostly light, centred, box-averaged. */
function bruteForce(rgba: Uint8Array, w: number, h: number, size: number): Float64Array {
  const gray = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) gray[i] = ((0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255) * (rgba[4 * i + 3]! / 255);
  const mean = gray.reduce((a, b) => a + b, 0) / (w * h);
  if (mean > 0.5) for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i]!;
  const side = Math.max(w, h);
  const [ox, oy] = [(side - w) / 2, (side - h) / 2];
  const cs = side / size;
  const overlap = (a0: number, a1: number, b0: number, b1: number): number => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  const out = new Float64Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let acc = 0;
      for (let y = 0; y < h; y++) {
        const wy = overlap(r * cs, (r + 1) * cs, y + oy, y + oy + 1);
        if (wy === 0) continue;
        for (let x = 0; x < w; x++) acc += gray[y * w + x]! * wy * overlap(c * cs, (c + 1) * cs, x + ox, x + ox + 1);
      }
      out[r * size + c] = acc / (cs * cs);
    }
  }
  return out;
}

describe('resampling to 28 x 28', () => {
  it('equals the exact box-filter integral for any size and aspect (property)', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (w, h, seed) => {
        const rgba = new Uint8Array(w * h * 4);
        let s = seed;
        for (let i = 0; i < rgba.length; i++) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          rgba[i] = (s >>> 16) & 0xff;
        }
        const got = imageToMnist(pngOf(rgba, w, h), 'r.png').toTypedArray();
        const want = bruteForce(rgba, w, h, 28);
        // float32 output of values in [0, 1]: half an ulp at 1 is 6e-8; sums of weights add a little
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-6);
      }),
      { numRuns: fuzzRuns(60), seed: fuzzSeed() },
    );
  });

  it('a 28 x 28 image comes back unchanged (one pixel per cell)', () => {
    const rgba = new Uint8Array(28 * 28 * 4);
    for (let i = 0; i < 28 * 28; i++) rgba.set([i % 256, i % 256, i % 256, 255], 4 * i);
    const got = imageToMnist(pngOf(rgba, 28, 28), 'id.png').toTypedArray();
    for (let i = 0; i < 28 * 28; i++) expect(got[i]).toBeCloseTo((i % 256) / 255, 6);
  });
});

// ---------------------------------------------------------------------------------------
// fuzzing
// ---------------------------------------------------------------------------------------

describe('fuzzing the image decoders (FC_NUM_RUNS for a long run, FC_SEED to replay)', () => {
  const gradient = new Uint8Array(12 * 9 * 4).map((_, i) => (i * 37) % 256);
  const pngs = [pngOf(gradient, 12, 9), craftedPng(4, 3, deflateSync(new Uint8Array(3 * 5).fill(90)))];
  const jpegs = [jpegOf(gradient, 12, 9), jpegOf(new Uint8Array(8 * 8 * 4).fill(255), 8, 8)];

  it('PNG: random, truncated, bit-flipped and spliced files decode or throw UsageError, quickly', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(hostileBytes(fc, pngs), (bytes) => boundedRefusal(() => imageToMnist(bytes, 'f.png'), [UsageError])),
      { numRuns: fuzzRuns(300), seed: fuzzSeed() },
    );
  });

  it('JPEG: random, truncated, bit-flipped and spliced files decode or throw UsageError, quickly', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(hostileBytes(fc, jpegs), (bytes) => boundedRefusal(() => imageToMnist(bytes, 'f.jpg'), [UsageError])),
      { numRuns: fuzzRuns(300), seed: fuzzSeed() },
    );
  });

  it('crafted sizes (any width and height in the header) decode or are refused quickly', { timeout: fuzzTimeout() }, () => {
    const arbCrafted = fc.oneof(
      fc.tuple(fc.nat(2 ** 32 - 1), fc.nat(2 ** 32 - 1), fc.constantFrom(0, 1)).map(([w, h, i]) => craftedPng(w, h, deflateSync(new Uint8Array(64)), i)),
      fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 3 })).map(([w, h]) => craftedPng(w, h, deflateSync(new Uint8Array((w + 1) * h)))),
      fc.tuple(fc.nat(65535), fc.nat(65535)).map(([w, h]) => withJpegSize(jpegs[0]!, w, h)),
    );
    fc.assert(
      // a 1-megapixel limit: what passes it is decoded for real, and a legitimate 16-megapixel
      // JPEG takes jpeg-js seconds, which is not what this bounds
      fc.property(arbCrafted, (bytes) => boundedRefusal(() => imageToMnist(bytes, 'c.img', 28, { maxPixels: 1 << 20 }), [UsageError])),
      { numRuns: fuzzRuns(200), seed: fuzzSeed() },
    );
  });
});
