/**
 * The `wasm` backend's float32 kernels in assembly/unary.ts, softmax.ts, special.ts, gather.ts,
 * compare.ts, where.ts and rows.ts against the cpu kernels on float32 inputs, beyond the
 * generic parity test's tolerance. abs, sign and clip are one exact float32 operation each:
 * bitwise the cpu results, -0, NaN, infinities and bounds that are not float32 values
 * included. Copies and selections (gather, indexSelect, the comparisons, where, max, min,
 * argmax, argmin), var (the same float64 sums in the same order) and scatterAdd / indexAdd
 * (float32 additions in the same order) are bitwise too. tanh,
 * softplus, pow, erf, gelu, softmax, logSoftmax and logsumexp use the cpu kernels' float64
 * formulas, so they may differ only where two float64 libms round an ulp apart before the
 * float32 rounding (at most one float32 ulp); sigmoid is float32 SIMD, within a few ulps.
 * NaN / infinity handling must agree everywhere.
 */
import { describe, expect, it } from 'vitest';
import { OPS, Tensor, runKernel, type OpDef } from '../src/index.js';

/** Inputs of every sort: specials, around the float32 range's ends, and many random values. */
function edgeInputs(count: number): Float32Array {
  const specials = [0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, -0.5, 1e-45, -1e-45, 3.4e38, -3.4e38, 20, 20.0001, 19.9999, 88, -88, 100, -100, 1e-8, -1e-8];
  const out = new Float32Array(count);
  out.set(specials);
  let s = 12345;
  for (let i = specials.length; i < count; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const u = s / 2 ** 32;
    // mixed scales: most in [-10, 10], some huge or tiny
    out[i] = i % 7 === 0 ? (u - 0.5) * 1e30 : i % 11 === 0 ? (u - 0.5) * 1e-30 : (u - 0.5) * 20;
  }
  return out;
}

/** Max distance in float32 ulps between two float32 arrays (NaN must match NaN; -0 and 0 are 1 apart). */
function maxUlps(a: Float32Array, b: Float32Array): number {
  // sign-magnitude bits mapped to a monotonic integer line: -0 -> -1, +0 -> 0
  const key = (bits: number) => (bits < 0 ? -(bits & 0x7fffffff) - 1 : bits);
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const na = Number.isNaN(a[i]);
    if (na || Number.isNaN(b[i])) {
      if (!(na && Number.isNaN(b[i]))) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(key(ia[i]!) - key(ib[i]!)));
  }
  return worst;
}

function both(name: string, x: Tensor | Tensor[], attrs: unknown): [Float32Array, Float32Array] {
  const def = (OPS as Record<string, OpDef<any>>)[name]!;
  const inputs = Array.isArray(x) ? x : [x];
  const cpu = runKernel(def, 'cpu', inputs, attrs)!;
  const wasm = runKernel(def, 'wasm', inputs, attrs);
  expect(wasm, `${name}: wasm declined a float32 input`).toBeDefined();
  expect(wasm!.shape).toEqual(cpu.shape);
  return [cpu.toTypedArray() as Float32Array, wasm!.toTypedArray() as Float32Array];
}

describe('wasm unary float32 kernels vs cpu', () => {
  const data = edgeInputs(1027);
  // a strided view (every other element, transposed) as well as a contiguous input
  const flat = new Tensor(data, [data.length], 'float32');
  const view = new Tensor(data.subarray(0, 1026), [27, 38], 'float32').transpose(0, 1);

  for (const name of ['abs', 'sign'] as const) {
    it(`${name} is bitwise the cpu result`, () => {
      for (const x of [flat, view]) {
        const [c, w] = both(name, x, {});
        expect(maxUlps(c, w)).toBe(0);
      }
    });
  }

  it('clip is bitwise the cpu result, with bounds that are not float32 values, infinite or beyond float32', () => {
    const bounds: [number, number][] = [[-0.1, 0.1], [0, 1], [-1e-50, 1e-50], [1e-50, 2], [-Infinity, 0.3], [-5, Infinity], [-1e39, 1e39], [0.5, 0.5], [-3.4028235677973366e38, 3.4028235677973366e38]];
    for (const [min, max] of bounds) {
      for (const x of [flat, view]) {
        const [c, w] = both('clip', x, { min, max });
        expect(maxUlps(c, w), `clip [${min}, ${max}]`).toBe(0);
      }
    }
  });

  // sigmoid is float32 SIMD (a polynomial e^x within ~2 ulp; 2 ulps worst on a sweep of 4e6
  // values over [-120, 120], subnormal results included); the others are float64 as cpu
  const close = [['sigmoid', {}, 3], ['tanh', {}, 1], ['softplus', { beta: 1, threshold: 20 }, 1], ['softplus', { beta: 0.3, threshold: 2 }, 1], ['erf', {}, 1], ['gelu', {}, 1]] as const;
  for (const [name, attrs, ulps] of close) {
    it(`${name} ${JSON.stringify(attrs)} is within ${ulps} float32 ulp of the cpu result, NaN and infinities included`, () => {
      for (const x of [flat, view]) {
        const [c, w] = both(name, x, attrs);
        expect(maxUlps(c, w)).toBeLessThanOrEqual(ulps);
      }
    });
  }

  for (const name of ['softmax', 'logSoftmax'] as const) {
    it(`${name} along every axis is within one float32 ulp of the cpu result`, () => {
      const x3 = new Tensor(data.subarray(22, 22 + 4 * 5 * 6), [4, 5, 6], 'float32');
      const lanes = new Tensor(Float32Array.from([1, 2, NaN, 0, -Infinity, -Infinity, 1000, 1000, 3, Infinity, 0, 1]), [4, 3], 'float32');
      for (const [x, axes] of [[x3, [0, 1, 2]], [x3.transpose(0, 2), [0, 1, 2]], [lanes, [1]]] as const) {
        for (const axis of axes) {
          const [c, w] = both(name, x, { axis });
          expect(maxUlps(c, w), `${name} axis ${axis}`).toBeLessThanOrEqual(1);
        }
      }
    });
  }

  it('gather and indexSelect are bitwise the cpu result, on views and with indices smaller than x off the axis', () => {
    const x = new Tensor(data.subarray(0, 4 * 5 * 6), [4, 5, 6], 'float32');
    const xt = x.transpose(0, 2);
    let s = 7;
    const rand = (bound: number) => ((s = (s * 1103515245 + 12345) >>> 0) % bound);
    for (const src of [x, xt]) {
      for (let axis = 0; axis < 3; axis++) {
        const n = src.shape[axis]!;
        // gather: indices of the rank of x, any size along the axis, at most x's size off it
        const ishape = src.shape.map((d, k) => (k === axis ? 7 : Math.max(1, d - (k % 2))));
        const ivals = Int32Array.from({ length: ishape.reduce((a, d) => a * d, 1) }, () => rand(n));
        const [c, w] = both('gather', [src, new Tensor(ivals, ishape, 'int32')], { axis });
        expect(maxUlps(c, w), `gather axis ${axis}`).toBe(0);
        const sel = Int32Array.from({ length: 9 }, () => rand(n));
        // a strided 1-D index view too
        for (const idx of [new Tensor(sel, [9], 'int32'), new Tensor(sel, [5], 'int32', [2], 0)]) {
          const [c2, w2] = both('indexSelect', [src, idx], { axis });
          expect(maxUlps(c2, w2), `indexSelect axis ${axis}`).toBe(0);
        }
      }
    }
  });

  it('pow is within one float32 ulp of the cpu result, JavaScript special cases included (1 ** NaN, (-1) ** Infinity)', () => {
    const special = Float32Array.from([0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1e-30, 1e30]);
    const k = special.length;
    // every base against every exponent, by broadcasting [k, 1] against [k]
    const [c, w] = both('pow', [new Tensor(special, [k, 1], 'float32'), new Tensor(special, [k], 'float32')], {});
    expect(maxUlps(c, w)).toBe(0);
    // ordinary values, a scalar exponent and a strided base
    const base = new Tensor(data.subarray(0, 1000).map(Math.abs), [20, 50], 'float32');
    for (const e of [2, 0.5, -1.5, 3.7]) {
      const [c2, w2] = both('pow', [base.transpose(0, 1), new Tensor(Float32Array.of(e), [], 'float32')], {});
      expect(maxUlps(c2, w2), `pow exponent ${e}`).toBeLessThanOrEqual(1);
    }
  });

  it('logsumexp over any axes is within one float32 ulp of the cpu result, infinite and NaN slots included', () => {
    const x3 = new Tensor(data.subarray(22, 22 + 4 * 5 * 6), [4, 5, 6], 'float32');
    const lanes = new Tensor(Float32Array.from([1, 2, NaN, 0, -Infinity, -Infinity, 1000, 1000, 3, Infinity, 0, 1]), [4, 3], 'float32');
    const cases: [Tensor, number[]][] = [[x3, [0]], [x3, [1]], [x3, [2]], [x3, [0, 2]], [x3, [0, 1, 2]], [x3.transpose(0, 2), [1, 2]], [lanes, [1]], [lanes, [0]]];
    for (const [x, axes] of cases) {
      for (const keepDims of [false, true]) {
        const [c, w] = both('logsumexp', x, { axes, keepDims });
        expect(maxUlps(c, w), `logsumexp axes ${axes.join(',')}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('comparisons are bitwise the cpu result: specials against specials, contiguous, scalar and strided operands', () => {
    const special = Float32Array.from([0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, 1e-45, -3.4e38, 2, 2]);
    const k = special.length;
    const col = new Tensor(special, [k, 1], 'float32');
    const row = new Tensor(special, [k], 'float32');
    const a = new Tensor(data.subarray(0, 1000), [20, 50], 'float32');
    const b = new Tensor(Float32Array.from(data.subarray(0, 1000), (v, i) => (i % 3 === 0 ? v : -v)), [20, 50], 'float32');
    const pairs: [Tensor, Tensor][] = [[col, row], [row, col], [a, b], [a, new Tensor(Float32Array.of(0.5), [], 'float32')], [new Tensor(Float32Array.of(NaN), [], 'float32'), a], [a.transpose(0, 1), b.transpose(0, 1)], [a, a]];
    for (const name of ['less', 'lessEqual', 'greaterEqual', 'equal', 'notEqual']) {
      for (const [x, y] of pairs) {
        const [c, w] = both(name, [x, y], {});
        expect(maxUlps(c, w), name).toBe(0);
      }
    }
  });

  it('where is bitwise the cpu result: NaN and -0 masks, int32 and float64 masks, broadcast and strided operands', () => {
    const mask = Float32Array.from([1, 0, -0, NaN, -2.5, 1e-45, 0, 1, Infinity, 0, 0, 3]);
    const k = mask.length;
    const a = new Tensor(data.subarray(0, k * 8), [8, k], 'float32');
    const b = new Tensor(data.subarray(100, 100 + k * 8), [8, k], 'float32');
    const conds = [
      new Tensor(mask, [k], 'float32'),
      new Tensor(Int32Array.from(mask, (v) => (v > 0 ? 1 : 0)), [k], 'int32'),
      new Tensor(Float64Array.from(mask, (v, i) => (i === 5 ? 1e-300 : v)), [k], 'float64'),
      new Tensor(Float32Array.from(data.subarray(0, 8 * k), (v) => (v > 0 ? 1 : 0)), [k, 8], 'float32').transpose(0, 1),
    ];
    for (const c of conds) {
      for (const [x, y] of [[a, b], [a, new Tensor(Float32Array.of(-7), [], 'float32')], [a.transpose(0, 1).transpose(0, 1), b]] as const) {
        const [cc, w] = both('where', [c, x, y], {});
        expect(maxUlps(cc, w), `where cond ${c.dtype}`).toBe(0);
      }
    }
  });

  it('max, min, var, argmax and argmin are bitwise the cpu result: ties, +-0, NaN, any axes, views', () => {
    // values on a coarse grid so ties are common, with -0, NaN and infinities mixed in
    const v = Float32Array.from(data.subarray(0, 4 * 5 * 6), (u, i) => (i % 13 === 0 ? -0 : i % 17 === 0 ? NaN : i % 19 === 0 ? -Infinity : Math.round(u / 4)));
    const x3 = new Tensor(v, [4, 5, 6], 'float32');
    for (const x of [x3, x3.transpose(0, 2)]) {
      for (const axes of [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]) {
        for (const name of ['max', 'min']) {
          const [c, w] = both(name, x, { axes, keepDims: false });
          expect(maxUlps(c, w), `${name} axes ${axes.join(',')}`).toBe(0);
        }
        for (const correction of [0, 1]) {
          const [c, w] = both('var', new Tensor(data.subarray(0, 120), [4, 5, 6], 'float32').transpose(0, 2), { axes, keepDims: true, correction });
          expect(maxUlps(c, w), `var axes ${axes.join(',')}`).toBe(0);
        }
      }
      for (const axis of [0, 1, 2, null]) {
        for (const name of ['argmax', 'argmin']) {
          const def = (OPS as Record<string, OpDef<any>>)[name]!;
          for (const keepDims of [false, true]) {
            const c = runKernel(def, 'cpu', [x], { axis, keepDims })!;
            const w = runKernel(def, 'wasm', [x], { axis, keepDims });
            expect(w, `${name}: wasm declined`).toBeDefined();
            expect(w!.dtype).toBe('int32');
            expect(w!.shape).toEqual(c.shape);
            expect(Array.from(w!.toTypedArray()), `${name} axis ${axis}`).toEqual(Array.from(c.toTypedArray()));
          }
        }
      }
    }
  });

  it('scatterAdd and indexAdd are bitwise the cpu result: repeated targets accumulate in order, views, smaller indices', () => {
    let r = 11;
    const rand = (bound: number) => ((r = (r * 1103515245 + 12345) >>> 0) % bound);
    const base = new Tensor(data.subarray(0, 4 * 5 * 6), [4, 5, 6], 'float32');
    for (const b of [base, base.transpose(0, 2).transpose(0, 2)]) {
      for (let axis = 0; axis < 3; axis++) {
        const n = b.shape[axis]!;
        // scatterAdd: indices of base's rank, up to 9 along the axis (repeats), at most base's size off it
        const ishape = b.shape.map((d, k) => (k === axis ? 9 : Math.max(1, d - (k % 2))));
        const count = ishape.reduce((a, d) => a * d, 1);
        const idx = new Tensor(Int32Array.from({ length: count }, () => rand(2) * (n - 1)), ishape, 'int32');
        // src as a strided view into a larger buffer (offset 1); scaled so sums round
        const sshape = ishape.map((d) => d + 1);
        const sstrides = [sshape[1]! * sshape[2]!, sshape[2]!, 1];
        const buf = Float32Array.from({ length: sshape.reduce((a, d) => a * d, 1) + 1 }, (_, i) => data[i % data.length]! * 1e3);
        const src = new Tensor(buf, ishape, 'float32', sstrides, 1);
        const [c, w] = both('scatterAdd', [b, idx, src], { axis });
        expect(maxUlps(c, w), `scatterAdd axis ${axis}`).toBe(0);
        const sel = new Tensor(Int32Array.from({ length: 7 }, () => rand(2) * (n - 1)), [7], 'int32');
        const src2shape = b.shape.map((d, k) => (k === axis ? 7 : d));
        const src2 = new Tensor(Float32Array.from({ length: src2shape.reduce((a, d) => a * d, 1) }, (_, i) => data[(i * 7) % data.length]! * 1e3), src2shape, 'float32');
        const [c2, w2] = both('indexAdd', [b, sel, src2], { axis });
        expect(maxUlps(c2, w2), `indexAdd axis ${axis}`).toBe(0);
      }
    }
  });
});
