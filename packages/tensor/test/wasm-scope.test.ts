/**
 * `wasmScope`: inside it, the wasm backend's float32 results stay in WebAssembly memory and
 * the next op reads them there. What must hold: every wasm kernel gives bitwise the result it
 * gives outside a scope when its operands are kept results (contiguous or any strided view of
 * one), its float32 result is itself kept (no copy out), a kept result reads the same from
 * JavaScript inside the scope and after it (once read or returned), one neither read nor
 * returned throws when read or used after the scope instead of giving whatever reused the
 * memory, scopes nest, an exception still closes the scope, a weight kept while results are
 * held moves them without changing them, and memory is reused from one scope to the next.
 */
import * as fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { OPS, PathgradError, Tensor, backendInfo, linear, matmul, mul, ones, randn, relu, reshape, rng, runKernel, setThreads, sum, transpose, viewOf, wasmScope, type OpDef } from '../src/index.js';
import { configureWeightCache, WasmCall, WEIGHT_CACHE_BYTES } from '../src/wasm/runtime.js';

const wasm = backendInfo('wasm').available;
const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(t.toTypedArray()).buffer));

/** Throws, briefly (a large diff would make shrinking crawl), unless `got` and `want` hold the same float32 bits. */
function expectSameBits(got: Tensor, want: Tensor, what: string): void {
  const a = bits(got);
  const b = bits(want);
  const i = a.length !== b.length ? -2 : a.findIndex((v, j) => v !== b[j]);
  if (i !== -1) throw new Error(`${what}: ${i === -2 ? `${a.length} values, expected ${b.length}` : `element ${i} has bits ${a[i]}, expected ${b[i]}`}`);
}

/** Values before a kept copy's own, so that a kernel that reads a view from the wrong place reads NaN. */
const LEAD = 3;

/**
 * A float32 tensor's values as kept results: its whole storage, after LEAD NaNs, copied by a
 * wasm op (x * 1 is exact), viewed as `t` is (its offset moved by LEAD).
 */
function kept(t: Tensor): Tensor {
  if (t.dtype !== 'float32' || t.storageLength === 0) return t;
  const padded = new Float32Array(LEAD + t.storageLength).fill(NaN);
  padded.set(t.data, LEAD);
  const copy = runKernel(OPS.mul as OpDef<any>, 'wasm', [new Tensor(padded, [padded.length], 'float32'), ones([1], 'float32')], {})!;
  expect(copy.storage, 'x * 1 inside a scope is a kept result').toBeDefined();
  return viewOf(copy, t.shape, t.strides, t.offset + LEAD);
}

function toFloat32(t: Tensor): Tensor {
  return t.dtype === 'float64' ? new Tensor(Float32Array.from(t.toTypedArray()), t.shape, 'float32') : t;
}

/** Bytes of the wasm memory the scopes use (the instance threaded calls use). */
const memoryBytes = () => new WasmCall(true).k.memory.buffer.byteLength;

afterEach(() => {
  setThreads('auto');
  configureWeightCache({ enabled: true, bytes: WEIGHT_CACHE_BYTES });
});

describe.runIf(wasm)('wasmScope', () => {
  const withKernel = (Object.entries(OPS) as [string, OpDef<any>][]).filter(([, def]) => def.kernels.wasm !== undefined);

  for (const [name, def] of withKernel) {
    it(`${name}: on kept operands (any view) gives bitwise its result outside a scope, itself kept`, () => {
      let ran = 0;
      fc.assert(
        fc.property(def.spec.sample(fc), ({ inputs, attrs }) => {
          const f32 = inputs.map(toFloat32);
          const want = runKernel(def, 'wasm', f32, attrs);
          if (want === undefined) return;
          wasmScope(() => {
            const got = runKernel(def, 'wasm', f32.map(kept), attrs)!;
            expect(got.shape).toEqual(want.shape);
            if (got.dtype === 'float32' && got.size > 0) expect(got.storage, `${name}: a float32 result inside a scope stays in wasm memory`).toBeDefined();
            expectSameBits(got, want, name);
          });
          ran++;
        }),
        // no shrinking: a wrong read fails every sample, and shrinking gather's samples takes minutes
        { numRuns: 25, endOnFailure: true },
      );
      expect(ran, `${name}: the wasm kernel declined every sample`).toBeGreaterThan(0);
    });
  }

  it('a result read or returned stays readable after the scope; one neither read nor returned throws, as operand too', () => {
    const x = randn([3, 5], rng(1));
    const w = randn([4, 5], rng(2));
    const want = { y: bits(relu(x)), z: bits(linear(x, w)) };
    let read!: Tensor;
    let unread!: Tensor;
    let view!: Tensor;
    const [returned] = wasmScope(() => {
      read = relu(x);
      expect(bits(read)).toEqual(want.y);
      unread = linear(x, w);
      view = reshape(unread, [12]);
      expect(view.storage).toBe(unread.storage);
      return [linear(x, w)];
    });
    expect(bits(read)).toEqual(want.y);
    expect(bits(returned!)).toEqual(want.z);
    expect(() => unread.data).toThrow(/wasmScope\(\), which has ended/);
    expect(() => unread.data).toThrow(PathgradError);
    expect(() => view.toArray()).toThrow(/wasmScope/);
    expect(() => sum(unread)).toThrow(/wasmScope/);
  });

  it('views share one copy when read; kept results feed transposed-view products without a copy', () => {
    const a = randn([6, 4], rng(3));
    const b = randn([6, 5], rng(4));
    const want = bits(matmul(transpose(a), b));
    wasmScope(() => {
      const ka = mul(a, 1);
      const kb = mul(b, 1);
      const p = matmul(transpose(ka), kb);
      expect(p.storage).toBeDefined();
      expect(bits(p)).toEqual(want);
      const r = reshape(ka, [24]);
      expect(r.data).toBe(ka.data);
    });
  });

  it('scopes nest: an inner scope releases only its own results', () => {
    const x = randn([64, 32], rng(5));
    const want = bits(relu(x));
    wasmScope(() => {
      const outer = relu(x);
      let inner!: Tensor;
      wasmScope(() => {
        inner = mul(outer, 2);
        void mul(inner, 3);
      });
      // the inner scope's memory is reused by the next result: the outer one must not be touched
      void mul(x, 5);
      expect(bits(outer)).toEqual(want);
      expect(() => inner.data).toThrow(/wasmScope/);
    });
  });

  it('an exception inside closes the scope and releases what it made', () => {
    const x = randn([8], rng(6));
    let made!: Tensor;
    expect(() =>
      wasmScope(() => {
        made = relu(x);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => made.data).toThrow(/wasmScope/);
    expect(relu(x).storage, 'after the scope, results are ordinary arrays again').toBeUndefined();
  });

  it('a weight kept while results are held moves them up, values intact, on 1 and 2 threads', () => {
    for (const threads of [1, 2]) {
      setThreads(threads);
      configureWeightCache({ enabled: true, bytes: WEIGHT_CACHE_BYTES });
      const x = randn([64, 300], rng(7));
      const w1 = randn([200, 300], rng(8));
      const w2 = randn([100, 200], rng(9));
      const want = { h: bits(relu(x)), y1: bits(linear(x, w1, null, { activation: 'relu' })) };
      const y1Outside = linear(x, w1, null, { activation: 'relu' });
      const want2 = bits(linear(y1Outside, w2));
      configureWeightCache({ enabled: true, bytes: WEIGHT_CACHE_BYTES });
      wasmScope(() => {
        const h = relu(x);
        // w1 and then w2 are kept now, each below the results already held
        const y1 = linear(x, w1, null, { activation: 'relu' });
        const y2 = linear(y1, w2);
        expect(bits(h)).toEqual(want.h);
        expect(bits(y1)).toEqual(want.y1);
        expect(bits(y2)).toEqual(want2);
      });
    }
  });

  it('memory is reused from one scope to the next, nested in one that holds a result or not', () => {
    const x = randn([256, 1024], rng(10));
    const step = () => wasmScope(() => sum(mul(relu(x), 2)).item());
    const first = step();
    wasmScope(() => {
      const held = relu(x);
      expect(step()).toBe(first);
      const after = memoryBytes();
      for (let i = 0; i < 40; i++) expect(step()).toBe(first);
      expect(memoryBytes()).toBe(after);
      void held;
    });
    const after = memoryBytes();
    for (let i = 0; i < 40; i++) expect(step()).toBe(first);
    expect(memoryBytes()).toBe(after);
  });
});
