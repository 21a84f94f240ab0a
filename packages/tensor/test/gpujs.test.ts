/**
 * The gpujs backend: which gpu.js mode it picks, its kernels on shapes larger than the
 * generic parity test uses, kernel caching, and falling back to cpu for dtypes and cases
 * its kernels do not take.
 */
import * as fc from 'fast-check';
import { GPU } from 'gpu.js';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  OPS,
  Tensor,
  add,
  backendInfo,
  chooseGpujsMode,
  clearGpujsCache,
  configureGpujs,
  conv2d,
  exp,
  gpujsInfo,
  gpujsStats,
  matmul,
  mul,
  rng,
  runKernel,
  withBackend,
  type GpujsSupport,
  type OpDef,
} from '../src/index.js';
import { compareTensors } from '../src/testing/index.js';

const f32 = (shape: number[], seed: number, scale = 1): Tensor => {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => (r.uniform() * 2 - 1) * scale), shape, 'float32');
};
const to64 = (t: Tensor): Tensor => new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64');

/** Runs `def` on gpujs (must not decline) and on cpu in float64 at the same (float32) inputs. */
function gpujsVsReference<A>(def: OpDef<A>, inputs: Tensor[], attrs: A, tol: number): void {
  const got = runKernel(def, 'gpujs', inputs, attrs);
  expect(got, `${def.name} gpujs kernel declined`).toBeDefined();
  expect(got!.dtype).toBe('float32');
  const want = runKernel(def, 'cpu', inputs.map(to64), attrs)!;
  const r = compareTensors(got!, want, { rtol: tol, atol: tol });
  expect(r.ok, `${def.name}: ${r.message}`).toBe(true);
}

const NONE = {} as Record<string, never>;

describe('gpujs mode selection', () => {
  const none: GpujsSupport = { webgpu: false, headlessgl: false, webgl2: false, webgl: false, webasm: false, cpu: false };

  it('prefers headless GL, then WebGL2, WebGL, webasm, cpu', () => {
    expect(chooseGpujsMode({ ...none, headlessgl: true, webasm: true, cpu: true }).mode).toBe('headlessgl');
    expect(chooseGpujsMode({ ...none, webgl2: true, webgl: true, webasm: true, cpu: true }).mode).toBe('webgl2');
    expect(chooseGpujsMode({ ...none, webgl: true, webasm: true, cpu: true }).mode).toBe('webgl');
    expect(chooseGpujsMode({ ...none, webasm: true, cpu: true }).mode).toBe('webasm');
    expect(chooseGpujsMode({ ...none, cpu: true }).mode).toBe('cpu');
    expect(chooseGpujsMode(none).mode).toBeNull();
  });

  it('skips webgpu and says why (its kernels are async-only)', () => {
    const choice = chooseGpujsMode({ ...none, webgpu: true, webasm: true, cpu: true });
    expect(choice.mode).toBe('webasm');
    expect(choice.skipped.join()).toMatch(/webgpu.*async/);
  });

  it('reports the mode it got, matching what gpu.js says this machine supports', () => {
    const info = backendInfo('gpujs');
    expect(info.name).toBe('gpujs');
    expect(info.available).toBe(true);
    const expected = chooseGpujsMode({
      webgpu: GPU.isWebGPUSupported,
      headlessgl: GPU.isHeadlessGLSupported && GPU.isSinglePrecisionSupported,
      webgl2: GPU.isWebGL2Supported,
      webgl: GPU.isWebGLSupported,
      webasm: GPU.isWebAssemblySupported,
      cpu: true,
    }).mode;
    expect(info.mode).toBe(expected);
    expect(info.note).toContain(`'${String(expected)}'`);
    // the machine this project is developed on has neither a GPU nor headless GL
    if (!GPU.isHeadlessGLSupported && GPU.isWebAssemblySupported) expect(info.mode).toBe('webasm');
  });
});

describe('gpujs kernels on larger shapes (float32 against the float64 reference)', () => {
  it('elementwise ops on 10007 elements, including strided inputs and a scalar operand', () => {
    const a = f32([10007], 1, 3);
    const b = f32([10007], 2, 3);
    for (const def of [OPS.add, OPS.sub, OPS.mul] as OpDef<Record<string, never>>[]) {
      gpujsVsReference(def, [a, b], NONE, 1e-6);
      gpujsVsReference(def, [a, new Tensor(new Float32Array([0.75]), [], 'float32')], NONE, 1e-6);
      gpujsVsReference(def, [new Tensor(new Float32Array([-1.5]), [1, 1], 'float32'), b], NONE, 1e-6);
    }
    // keep the divisor away from 0 so the relative error bound applies
    const away = new Tensor(Float32Array.from(b.toTypedArray(), (v) => (v >= 0 ? v + 0.5 : v - 0.5)), b.shape, 'float32');
    gpujsVsReference(OPS.div as OpDef<Record<string, never>>, [a, away], NONE, 1e-6);
    for (const def of [OPS.neg, OPS.exp, OPS.relu] as OpDef<Record<string, never>>[]) gpujsVsReference(def, [a], NONE, 1e-6);
    const positive = new Tensor(Float32Array.from(a.toTypedArray(), (v) => Math.abs(v) + 1e-3), a.shape, 'float32');
    gpujsVsReference(OPS.log as OpDef<Record<string, never>>, [positive], NONE, 1e-6);
    // a transposed (non-contiguous) view of a matrix
    const m = f32([97, 103], 3);
    const mt = new Tensor(m.data, [103, 97], 'float32', [1, 103]);
    gpujsVsReference(OPS.exp as OpDef<Record<string, never>>, [mt], NONE, 1e-6);
    gpujsVsReference(OPS.add as OpDef<Record<string, never>>, [mt, mt], NONE, 1e-6);
  });

  it('NaN, infinities and signed zeros come out as on cpu', () => {
    const x = new Tensor(new Float32Array([NaN, Infinity, -Infinity, 0, -0, -1, 1]), [7], 'float32');
    const out = { shape: [7], dtype: 'float32' as const };
    for (const def of [OPS.neg, OPS.exp, OPS.log, OPS.relu] as OpDef<Record<string, never>>[]) {
      const got = def.kernels.gpujs!([x], NONE, out)!;
      const want = def.kernels.cpu([x], NONE, out)!;
      expect(Array.from(got.toTypedArray()), def.name).toEqual(Array.from(want.toTypedArray()));
    }
    const got = OPS.div.kernels.gpujs!([new Tensor(new Float32Array(7).fill(1), [7], 'float32'), x], NONE, out)!;
    expect(Array.from(got.toTypedArray())).toEqual([NaN, 0, -0, Infinity, -Infinity, -1, 1]);
  });

  it('matmul: 2-D with odd sizes, batched with broadcasting batch dimensions, and 1-D operands', () => {
    const def = OPS.matmul as OpDef<Record<string, never>>;
    gpujsVsReference(def, [f32([67, 129], 4), f32([129, 45], 5)], NONE, 1e-4);
    gpujsVsReference(def, [f32([3, 1, 17, 33], 6), f32([4, 33, 9], 7)], NONE, 1e-4);
    gpujsVsReference(def, [f32([5, 20, 30], 8), f32([30, 7], 9)], NONE, 1e-4);
    gpujsVsReference(def, [f32([50], 10), f32([2, 50, 11], 11)], NONE, 1e-4);
    gpujsVsReference(def, [f32([6, 50], 12), f32([50], 13)], NONE, 1e-4);
    gpujsVsReference(def, [f32([64], 14), f32([64], 15)], NONE, 1e-4);
    // a transposed view as the left operand
    const a = f32([40, 25], 16);
    gpujsVsReference(def, [new Tensor(a.data, [25, 40], 'float32', [1, 25]), f32([40, 13], 17)], NONE, 1e-4);
  });

  it('matmul on random sizes up to 40 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.nat(1000), (m, k, n, seed) => {
        gpujsVsReference(OPS.matmul as OpDef<Record<string, never>>, [f32([m, k], seed), f32([k, n], seed + 1)], NONE, 1e-4);
      }),
      { numRuns: 12 },
    );
  });

  it('conv2d: MNIST-sized layers, stride, padding, dilation and groups', () => {
    const def = OPS.conv2d;
    const base = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } as const;
    gpujsVsReference(def, [f32([4, 1, 28, 28], 20), f32([16, 1, 5, 5], 21)], base, 1e-5);
    gpujsVsReference(def, [f32([2, 16, 12, 12], 22), f32([32, 16, 5, 5], 23)], base, 1e-4);
    gpujsVsReference(def, [f32([2, 6, 19, 23], 24), f32([9, 2, 3, 4], 25)], { stride: [2, 3], padding: [2, 1], dilation: [2, 1], groups: 3 }, 1e-5);
    gpujsVsReference(def, [f32([1, 4, 9, 9], 26), f32([4, 1, 3, 3], 27)], { ...base, padding: [1, 1], groups: 4 }, 1e-5);
  });

  it('size-0 outputs come back empty without a kernel', () => {
    const before = gpujsStats().compilations;
    const got = runKernel(OPS.matmul as OpDef<Record<string, never>>, 'gpujs', [f32([0, 3], 1), f32([3, 4], 2)], NONE)!;
    expect(got.shape).toEqual([0, 4]);
    const zeroK = runKernel(OPS.matmul as OpDef<Record<string, never>>, 'gpujs', [f32([2, 0], 1), f32([0, 4], 2)], NONE)!;
    expect(Array.from(zeroK.toTypedArray())).toEqual(new Array(8).fill(0));
    expect(runKernel(OPS.exp as OpDef<Record<string, never>>, 'gpujs', [f32([3, 0], 1)], NONE)!.shape).toEqual([3, 0]);
    expect(gpujsStats().compilations).toBe(before);
  });
});

describe('kernel cache', () => {
  beforeEach(() => clearGpujsCache());

  it('compiles a kernel once per size bucket and reuses it', () => {
    const def = OPS.add as OpDef<Record<string, never>>;
    const a = f32([1000], 1);
    runKernel(def, 'gpujs', [a, a], NONE);
    expect(gpujsStats()).toEqual({ compilations: 1, cacheHits: 0, cached: 1 });
    runKernel(def, 'gpujs', [a, a], NONE);
    expect(gpujsStats()).toEqual({ compilations: 1, cacheHits: 1, cached: 1 });
    // 700 elements pad into the same 1024 bucket
    const b = f32([7, 100], 2);
    runKernel(def, 'gpujs', [b, b], NONE);
    expect(gpujsStats().compilations).toBe(1);
    // a larger size compiles a second kernel; another op compiles its own
    runKernel(def, 'gpujs', [f32([3000], 3), f32([3000], 4)], NONE);
    runKernel(OPS.mul as OpDef<Record<string, never>>, 'gpujs', [a, a], NONE);
    expect(gpujsStats()).toEqual({ compilations: 3, cacheHits: 2, cached: 3 });
  });

  it('matmul and conv2d compile once per shape, through the public ops too', () => {
    const a = f32([30, 20], 1);
    const b = f32([20, 10], 2);
    withBackend('gpujs', () => {
      const first = matmul(a, b);
      const second = matmul(a, b);
      expect(Array.from(second.toTypedArray())).toEqual(Array.from(first.toTypedArray()));
      expect(gpujsStats().compilations).toBe(1);
      const x = f32([2, 3, 8, 8], 3);
      const w = f32([4, 3, 3, 3], 4);
      conv2d(x, w);
      conv2d(x, w, null, { padding: 1 });
      conv2d(x, w);
      expect(gpujsStats().compilations).toBe(3);
      expect(gpujsStats().cacheHits).toBe(2);
    });
  });

  it('a different gpu.js mode (cpu) gives the same results and a fresh cache', () => {
    const a = f32([20, 30], 5);
    const b = f32([30, 8], 6);
    const def = OPS.matmul as OpDef<Record<string, never>>;
    const auto = runKernel(def, 'gpujs', [a, b], NONE)!;
    try {
      configureGpujs({ mode: 'cpu' });
      expect(gpujsInfo().mode).toBe('cpu');
      expect(gpujsStats().compilations).toBe(0);
      const viaCpuMode = runKernel(def, 'gpujs', [a, b], NONE)!;
      expect(compareTensors(viaCpuMode, auto, { rtol: 1e-5, atol: 1e-5 }).ok).toBe(true);
      expect(gpujsStats().compilations).toBe(1);
    } finally {
      configureGpujs({});
    }
    expect(gpujsInfo().mode).toBe(backendInfo('gpujs').mode);
  });
});

describe('fallback to cpu', () => {
  afterAll(() => clearGpujsCache());

  it('kernels decline float64 and int32 inputs', () => {
    const d = new Tensor(new Float64Array([1, 2, 3, 4]), [2, 2], 'float64');
    const i = new Tensor(new Int32Array([1, 2, 3, 4]), [2, 2], 'int32');
    for (const def of [OPS.add, OPS.sub, OPS.mul, OPS.div, OPS.matmul] as OpDef<Record<string, never>>[]) {
      expect(runKernel(def, 'gpujs', [d, d], NONE), def.name).toBeUndefined();
      expect(runKernel(def, 'gpujs', [i, i], NONE), def.name).toBeUndefined();
      // mixed: the output is promoted past float32
      expect(runKernel(def, 'gpujs', [f32([2, 2], 1), d], NONE), def.name).toBeUndefined();
    }
    for (const def of [OPS.neg, OPS.relu] as OpDef<Record<string, never>>[]) {
      expect(runKernel(def, 'gpujs', [d], NONE)).toBeUndefined();
      expect(runKernel(def, 'gpujs', [i], NONE)).toBeUndefined();
    }
    const base = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } as const;
    expect(runKernel(OPS.conv2d, 'gpujs', [to64(f32([1, 1, 4, 4], 1)), to64(f32([1, 1, 2, 2], 2))], base)).toBeUndefined();
  });

  it('kernels decline broadcasting between non-scalar shapes', () => {
    expect(runKernel(OPS.add as OpDef<Record<string, never>>, 'gpujs', [f32([3, 1], 1), f32([1, 4], 2)], NONE)).toBeUndefined();
    expect(runKernel(OPS.mul as OpDef<Record<string, never>>, 'gpujs', [f32([3, 4], 1), f32([4], 2)], NONE)).toBeUndefined();
  });

  it('ops under setBackend("gpujs") still give exact float64 and int32 results (from cpu)', () => {
    clearGpujsCache();
    withBackend('gpujs', () => {
      const d = new Tensor(new Float64Array([0.1, 0.2, 1e-300]), [3], 'float64');
      const s = add(d, d);
      expect(s.dtype).toBe('float64');
      expect(Array.from(s.toTypedArray())).toEqual([0.2, 0.4, 2e-300]);
      expect(exp(d).toTypedArray()[0]).toBe(Math.exp(0.1));
      const i = new Tensor(new Int32Array([2 ** 30, 3, -7]), [3], 'int32');
      const p = mul(i, i);
      expect(p.dtype).toBe('int32');
      expect(Array.from(p.toTypedArray())).toEqual([0, 9, 49]);
      const mm = matmul(new Tensor(new Int32Array([1, 2, 3, 4]), [2, 2], 'int32'), new Tensor(new Int32Array([5, 6, 7, 8]), [2, 2], 'int32'));
      expect(mm.dtype).toBe('int32');
      expect(mm.toArray()).toEqual([
        [19, 22],
        [43, 50],
      ]);
      // broadcasting that the gpujs kernels decline still works
      expect(add(f32([2, 1], 1), f32([1, 3], 2)).shape).toEqual([2, 3]);
    });
    expect(gpujsStats().compilations).toBe(0);
  });
});
