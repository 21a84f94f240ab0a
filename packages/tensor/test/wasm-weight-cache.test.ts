/**
 * The wasm backend's kept weights (`WasmCall.resident`): a linear layer's or a convolution's
 * weight stays packed in WebAssembly memory between calls, keyed on the Tensor object. What
 * must hold: a kept weight gives bitwise the result of copying it afresh (on any thread
 * count, every layout, row count and batch), a new tensor is never served another's values (not even a new tensor over a
 * rewritten array, as attribution's kept point buffers are), and the budget bounds the space
 * and drops everything at once when it runs out, without ever handing out a region a call
 * still uses.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Tensor, backendInfo, conv2d, conv2dBiasAct, linear, linearReluBackwardInput, randn, rng, setThreads, transpose } from '../src/index.js';
import { configureWeightCache, WasmCall, WEIGHT_CACHE_BYTES } from '../src/wasm/runtime.js';

const here = dirname(fileURLToPath(import.meta.url));
const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(t.toTypedArray()).buffer));

/** The result with the cache off (every call copies and packs W afresh). */
function uncached<T>(f: () => T): T {
  const before = configureWeightCache({ enabled: false });
  try {
    return f();
  } finally {
    configureWeightCache(before);
  }
}

/** The weight layouts the kernels read: contiguous, a transposed view, a strided slice. */
function layouts(w: Tensor): [string, Tensor][] {
  const [n, k] = w.shape as [number, number];
  const wide = randn([n, 2 * k], rng(99));
  const strided = wide.slice([[0, n], [0, 2 * k]]).reshape([n, k, 2]).slice([[0, n], [0, k], [0, 1]]).reshape([n, k]);
  // strided has w's shape but other values: fine, each layout is compared with itself uncached
  return [
    ['contiguous', w],
    ['transposed view', transpose(transpose(w).contiguous())],
    ['strided', strided],
  ];
}

afterEach(() => {
  setThreads('auto');
  configureWeightCache({ enabled: true, bytes: WEIGHT_CACHE_BYTES });
});

describe('wasm kept weights', () => {
  it('linear and its ReLU input gradient give bitwise the uncached result, first call and later ones, on 1 and 2 threads', () => {
    const g = rng(5);
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const [m, k, n] of [[1, 784, 128], [3, 70, 45], [4, 5, 17], [5, 600, 70], [64, 784, 128], [200, 128, 784], [67, 33, 9]] as const) {
        const x = randn([m, k], g);
        const b = randn([n], g);
        const gy = randn([m, n], g);
        for (const [name, w] of layouts(randn([n, k], g))) {
          const y = linear(x, w, b, { activation: 'relu' });
          const want = uncached(() => bits(linear(x, w, b, { activation: 'relu' })));
          const wantBack = uncached(() => bits(linearReluBackwardInput(gy, y, w)));
          for (let call = 0; call < 3; call++) {
            const what = `${threads} threads, ${m}x${k} @ ${name} W [${n}, ${k}], call ${call}`;
            expect(bits(linear(x, w, b, { activation: 'relu' })), what).toEqual(want);
            expect(bits(linearReluBackwardInput(gy, y, w)), what).toEqual(wantBack);
          }
        }
      }
    }
  });

  it('conv2d and its fused forms give bitwise the uncached result with the weight kept packed (batch 1 split by rows, larger batches by images, groups)', () => {
    const g = rng(12);
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const [n, c, hw, cout, k, groups, stride, padding] of [
        [1, 1, 28, 16, 5, 1, 1, 0],
        [1, 16, 12, 32, 5, 1, 1, 0],
        [3, 4, 9, 6, 3, 2, 2, 1],
        [8, 16, 12, 32, 5, 1, 1, 2],
      ] as const) {
        const x = randn([n, c, hw, hw], g);
        const w = randn([cout, c / groups, k, k], g);
        const b = randn([cout], g);
        const opts = { stride, padding, groups };
        const want = uncached(() => [bits(conv2d(x, w, b, opts)), bits(conv2dBiasAct(x, w, b, { ...opts, activation: 'relu' }))]);
        for (let call = 0; call < 3; call++) {
          const what = `${threads} threads, x [${n}, ${c}, ${hw}, ${hw}], w [${cout}, ${c / groups}, ${k}, ${k}], groups ${groups}, call ${call}`;
          expect(bits(conv2d(x, w, b, opts)), what).toEqual(want[0]);
          expect(bits(conv2dBiasAct(x, w, b, { ...opts, activation: 'relu' })), what).toEqual(want[1]);
        }
      }
    }
  });

  it('never serves one tensor another tensor’s values, even a new tensor over a rewritten array', () => {
    const g = rng(6);
    const [m, k, n] = [64, 96, 40];
    const x = randn([m, k], g);
    const data = new Float32Array(n * k);
    for (let round = 0; round < 4; round++) {
      // the same array, refilled, under a new Tensor each time (attribution's kept buffers)
      data.set(randn([n * k], g).toTypedArray() as Float32Array);
      for (const rows of [1, m]) {
        const w = new Tensor(data, [n, k], 'float32');
        const xr = x.slice([[0, rows], [0, k]]);
        const got = bits(linear(xr, w));
        expect(got, `round ${round}, ${rows} rows`).toEqual(uncached(() => bits(linear(xr, new Tensor(data.slice(), [n, k], 'float32')))));
      }
    }
  });

  it('stays correct when the budget runs out (everything is dropped and reused), and skips weights over a quarter of it', () => {
    const g = rng(7);
    const [k, n] = [200, 48];
    const packedBytes = n * k * 4;
    configureWeightCache({ bytes: packedBytes * 4 }); // room for four: seven weights overflow it
    const weights = Array.from({ length: 7 }, () => randn([n, k], g));
    const x = randn([64, k], g);
    const want = weights.map((w) => uncached(() => bits(linear(x, w))));
    for (let pass = 0; pass < 3; pass++) {
      weights.forEach((w, i) => expect(bits(linear(x, w)), `pass ${pass}, weight ${i}`).toEqual(want[i]));
      // in reverse too, so that hits and flushes interleave differently
      [...weights].reverse().forEach((w, j) => expect(bits(linear(x, w)), `pass ${pass}, reversed ${j}`).toEqual(want[weights.length - 1 - j]));
    }
    const big = randn([n, 2 * k], g); // over a quarter of the budget: never kept
    const xb = randn([3, 2 * k], g);
    expect(new WasmCall(false).resident(big, 'probe', n * 2 * k)).toBeUndefined();
    expect(bits(linear(xb, big))).toEqual(uncached(() => bits(linear(xb, big))));
    // a weight not kept is split as before (columns, for fewer rows than outputs), on any thread count
    const wide = randn([96, 2 * k], g);
    const x64 = randn([64, 2 * k], g);
    const gy = randn([64, 96], g);
    for (const threads of [1, 2]) {
      setThreads(threads);
      const y = linear(x64, wide, undefined, { activation: 'relu' });
      expect(bits(y)).toEqual(uncached(() => bits(linear(x64, wide, undefined, { activation: 'relu' }))));
      expect(bits(linearReluBackwardInput(gy, y, wide))).toEqual(uncached(() => bits(linearReluBackwardInput(gy, y, wide))));
    }
  });

  it('a call that holds a kept region gets none rather than a flush that would reuse it', () => {
    configureWeightCache({ bytes: 4096 * 4 });
    const call = new WasmCall(false);
    // four quarters fill the budget exactly; a fifth would need a flush
    for (let i = 0; i < 4; i++) expect(call.resident(randn([1024], rng(i)), 'test', 1024)).toEqual({ ptr: expect.any(Number), fresh: true });
    expect(call.resident(randn([1024], rng(4)), 'test', 1024)).toBeUndefined();
    // a new call holds nothing yet, so it may start over
    expect(new WasmCall(false).resident(randn([1024], rng(5)), 'test', 1024)).toEqual({ ptr: expect.any(Number), fresh: true });
    expect(() => call.alloc(16) && call.resident(randn([4], rng(6)), 'other', 4)).toThrow(/resident after/);
  });

  it('a call whose memory cannot grow gives its reserved regions back and registers nothing', () => {
    const w = randn([256], rng(10));
    const call = new WasmCall(false);
    const first = call.resident(w, 'test', 256)!;
    expect(first.fresh).toBe(true);
    call.alloc(2 ** 33); // past wasm32's 4 GiB: commit must fail
    expect(call.commit()).toBeUndefined();
    // not kept (it was never filled), and its place is free again
    expect(new WasmCall(false).resident(w, 'test', 256)).toEqual({ ptr: first.ptr, fresh: true });
  });

  it('backendInfo says whether weights are kept, and PATHGRAD_WASM_WEIGHT_CACHE=0 turns it off', () => {
    expect(backendInfo('wasm').note).toMatch(/kept packed in WebAssembly memory/);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', `import('${join(here, '..', 'src', 'index.ts').replace(/\\/g, '/')}').then((t) => console.log(t.backendInfo('wasm').note))`],
      { encoding: 'utf8', env: { ...process.env, PATHGRAD_WASM_WEIGHT_CACHE: '0' }, timeout: 60_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/weights copied in on every call \(PATHGRAD_WASM_WEIGHT_CACHE=0\)/);
  });
});
