/**
 * The `wasm` backend: its SIMD float32 kernels against the float64 cpu reference on sizes
 * the generic parity test does not reach (past every cache-block edge of the GEMM, the
 * MNIST CNN's conv shapes), that it reports itself, and that the committed generated
 * module is what the build script makes from the sources.
 *
 * Tolerance: the kernels accumulate in float32, so for reductions of up to ~600 products of
 * N(0, 1) values we allow |got - want| <= 1e-4 + 1e-4 * |want| (float32 epsilon is 1.2e-7;
 * the worst case over 600 terms is ~1e-5 absolute).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OPS,
  Tensor,
  backendInfo,
  getBackend,
  getThreads,
  matmul,
  randn,
  rng,
  runKernel,
  setBackend,
  setThreads,
  withBackend,
  type OpDef,
} from '../src/index.js';
import type { Conv2dAttrs } from '../src/kernels/conv.js';
import { workersStarted } from './workers.js';
import { compareTensors } from '../src/testing/index.js';

const TOL = { rtol: 1e-4, atol: 1e-4 };
const here = dirname(fileURLToPath(import.meta.url));

function to64(t: Tensor): Tensor {
  return new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64');
}

/** Runs `def` on wasm with float32 inputs and on cpu with the same values in float64; asserts closeness. */
function expectWasmMatchesReference<A>(def: OpDef<A>, inputs32: Tensor[], attrs: A, label: string): Tensor {
  const got = runKernel(def, 'wasm', inputs32, attrs);
  if (got === undefined) throw new Error(`${label}: the wasm kernel declined float32 inputs`);
  expect(got.dtype).toBe('float32');
  const want = runKernel(def, 'cpu', inputs32.map(to64), attrs)!;
  const r = compareTensors(got, want, TOL);
  if (!r.ok) throw new Error(`${label}: ${r.message}`);
  return got;
}

afterEach(() => {
  if (getBackend() !== 'cpu') setBackend('cpu');
});

describe('wasm backend', () => {
  it('reports itself as available in SIMD mode and can be selected', () => {
    const info = backendInfo('wasm');
    expect(info).toMatchObject({ name: 'wasm', available: true, mode: 'simd' });
    expect(setBackend('wasm').name).toBe('wasm');
    expect(getBackend()).toBe('wasm');
    setBackend('cpu');
    expect(getBackend()).toBe('cpu');
  });

  it('dispatch uses the wasm kernel while the backend is selected', () => {
    const g = rng(1);
    const a = randn([37, 53], g);
    const b = randn([53, 29], g);
    const viaDispatch = withBackend('wasm', () => matmul(a, b));
    const direct = runKernel(OPS.matmul, 'wasm', [a, b], {})!;
    // bit-identical: the same kernel ran (cpu's float32 loop rounds differently)
    expect(Array.from(viaDispatch.toTypedArray())).toEqual(Array.from(direct.toTypedArray()));
  });

  it('declines non-float32 inputs so the op falls back to cpu', () => {
    const g = rng(2);
    const a = randn([3, 4], g, { dtype: 'float64' });
    const b = randn([4, 5], g, { dtype: 'float64' });
    expect(runKernel(OPS.matmul, 'wasm', [a, b], {})).toBeUndefined();
    const out = withBackend('wasm', () => matmul(a, b));
    expect(out.dtype).toBe('float64');
  });
});

describe('wasm matmul vs float64 reference', () => {
  it('random sizes 1..300, including non-multiples of the 4x8 tile', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (m, k, n, seed) => {
          const g = rng(seed);
          expectWasmMatchesReference(OPS.matmul, [randn([m, k], g), randn([k, n], g)], {}, `matmul ${m}x${k} @ ${k}x${n}`);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('products of 1 to 4 rows (gemmSmallM, no packing) give bitwise the rows of a larger batch (gemm)', () => {
    // a batch-1 forward pass must not round differently from the same image in a batch of 64
    const g = rng(11);
    const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(t.toTypedArray()).buffer));
    for (const [k, n] of [[784, 128], [1100, 9], [5, 17], [513, 3], [70, 45]] as const) {
      const x = randn([9, k], g);
      const w = randn([n, k], g); // used as x @ w^T (transposed view) and as x @ w^T made contiguous
      const wt = w.transpose();
      const wtc = wt.contiguous().reshape([k, n]);
      for (const rhs of [wt, wtc]) {
        const all = bits(runKernel(OPS.matmul, 'wasm', [x, rhs], {})!);
        for (const m of [1, 2, 3, 4]) {
          const few = runKernel(OPS.matmul, 'wasm', [x.slice([[0, m]]), rhs], {})!;
          expect(bits(few), `${m}x${k} @ ${k}x${n}`).toEqual(all.slice(0, m * n));
        }
        // a 1-D vector times a matrix takes the same path
        expect(bits(runKernel(OPS.matmul, 'wasm', [x.slice([[0, 1]]).reshape([k]), rhs], {})!)).toEqual(all.slice(0, n));
      }
    }
  });

  it('sizes crossing every cache-block edge (M 64, K 512, N 256 in assembly/gemm.ts)', () => {
    const g = rng(3);
    for (const [m, k, n] of [
      [1, 1, 1],
      [4, 8, 8],
      [5, 9, 17],
      [64, 512, 256],
      [65, 513, 257],
      [130, 1100, 9],
      [3, 520, 530],
    ] as const) {
      expectWasmMatchesReference(OPS.matmul, [randn([m, k], g), randn([k, n], g)], {}, `matmul ${m}x${k} @ ${k}x${n}`);
    }
  });

  it('2-D transposed views (read transposed by the GEMM, not gathered) across the cache-block edges', () => {
    const g = rng(5);
    for (const [m, k, n] of [
      [1, 1, 1],
      [5, 9, 17],
      [64, 784, 128],
      [65, 513, 257],
    ] as const) {
      const a = randn([m, k], g);
      const aT = randn([k, m], g).transpose();
      const bT = randn([n, k], g).transpose();
      expectWasmMatchesReference(OPS.matmul, [a, bT], {}, `matmul ${m}x${k} @ (${n}x${k})^T`);
      expectWasmMatchesReference(OPS.matmul, [aT, bT], {}, `matmul (${k}x${m})^T @ (${n}x${k})^T`);
      expectWasmMatchesReference(OPS.matmul, [aT, randn([k, n], g)], {}, `matmul (${k}x${m})^T @ ${k}x${n}`);
    }
  });

  it('vectors, broadcast batches and strided (transposed, sliced) operands', () => {
    const g = rng(4);
    expectWasmMatchesReference(OPS.matmul, [randn([7], g), randn([7], g)], {}, 'vector . vector');
    expectWasmMatchesReference(OPS.matmul, [randn([5, 7], g), randn([7], g)], {}, 'matrix @ vector');
    expectWasmMatchesReference(OPS.matmul, [randn([7], g), randn([7, 6], g)], {}, 'vector @ matrix');
    expectWasmMatchesReference(OPS.matmul, [randn([2, 1, 5, 7], g), randn([3, 7, 9], g)], {}, 'broadcast batch');
    const at = randn([33, 21], g).transpose();
    const bt = randn([40, 33], g).transpose();
    expectWasmMatchesReference(OPS.matmul, [at, bt], {}, 'transposed views');
    const zeroK = runKernel(OPS.matmul, 'wasm', [randn([3, 0], g), randn([0, 4], g)], {})!;
    expect(Array.from(zeroK.toTypedArray())).toEqual(new Array(12).fill(0));
    expect(runKernel(OPS.matmul, 'wasm', [randn([0, 3], g), randn([3, 4], g)], {})!.shape).toEqual([0, 4]);
  });
});

describe('wasm conv2d vs float64 reference', () => {
  const plain: Conv2dAttrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
  const cases: { name: string; x: [number, number, number, number]; w: [number, number, number, number]; attrs: Conv2dAttrs }[] = [
    { name: 'MNIST conv1 64x1x28x28 * 16x1x5x5', x: [64, 1, 28, 28], w: [16, 1, 5, 5], attrs: plain },
    { name: 'MNIST conv2 64x16x12x12 * 32x16x5x5', x: [64, 16, 12, 12], w: [32, 16, 5, 5], attrs: plain },
    { name: 'stride 2, padding (1,2)', x: [3, 4, 11, 9], w: [6, 4, 3, 3], attrs: { ...plain, stride: [2, 2], padding: [1, 2] } },
    { name: 'dilation 2, groups 2, stride (1,3)', x: [2, 6, 13, 14], w: [4, 3, 3, 2], attrs: { stride: [1, 3], padding: [2, 0], dilation: [2, 2], groups: 2 } },
    { name: 'pointwise 1x1', x: [2, 5, 7, 6], w: [3, 5, 1, 1], attrs: plain },
  ];

  for (const c of cases) {
    it(`${c.name}: forward, gradient wrt input and wrt weight`, () => {
      const g = rng(5);
      const x = randn(c.x, g);
      const w = randn(c.w, g);
      const y = expectWasmMatchesReference(OPS.conv2d, [x, w], c.attrs, `${c.name} forward`);
      const dy = randn(y.shape, g);
      expectWasmMatchesReference(OPS.conv2dBackwardInput, [dy, w], { ...c.attrs, inputShape: c.x }, `${c.name} backward input`);
      expectWasmMatchesReference(OPS.conv2dBackwardWeight, [x, dy], { ...c.attrs, weightShape: c.w }, `${c.name} backward weight`);
    });
  }
});

describe('wasm threads', () => {
  afterEach(() => {
    setThreads('auto');
  });

  const bits = (t: Tensor) => Array.from(t.toTypedArray());

  it('setThreads validates its argument and getThreads reports the count in force', () => {
    expect(() => setThreads(0)).toThrow(/setThreads: expected an integer from 1 to 256 or 'auto', got 0/);
    expect(() => setThreads(1.5)).toThrow(/got 1.5/);
    expect(setThreads(1)).toBe(1);
    expect(getThreads()).toBe(1);
    setThreads('auto');
    expect(getThreads()).toBeGreaterThanOrEqual(1);
  });

  it('runs on worker threads here (Node has SharedArrayBuffer and worker_threads)', () => {
    expect(setThreads(3)).toBe(3);
    expect(backendInfo('wasm').note).toContain('3 threads');
  });

  it('GEMM and conv forward / input gradient give bitwise the same float32 result on 1, 2 and 3 threads', async () => {
    // the split is over output columns/rows and images: every element is computed in the same order
    const g = rng(9);
    const cases: [Tensor, Tensor][] = [
      [randn([130, 600], g), randn([600, 70], g)], // split by rows (m > n)
      [randn([40, 300], g), randn([300, 257], g)], // split by columns
      [randn([3, 40, 300], g), randn([300, 90], g)], // batched
    ];
    const x = randn([9, 16, 12, 12], g);
    const w = randn([32, 16, 5, 5], g);
    const attrs: Conv2dAttrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };
    const dy = randn([9, 32, 8, 8], g);
    const run = () => [
      ...cases.map(([a, b]) => bits(runKernel(OPS.matmul, 'wasm', [a, b], {})!)),
      bits(runKernel(OPS.conv2d, 'wasm', [x, w], attrs)!),
      bits(runKernel(OPS.conv2dBackwardInput, 'wasm', [dy, w], { ...attrs, inputShape: [9, 16, 12, 12] })!),
    ];
    setThreads(1);
    const one = run();
    for (const n of [2, 3]) {
      setThreads(n);
      await workersStarted(n - 1);
      expect(run()).toEqual(one);
    }
  });

  it('conv weight gradient: per-thread partial sums stay within float32 tolerance of the reference and repeat exactly', async () => {
    const g = rng(10);
    const x = randn([17, 16, 12, 12], g);
    const dy = randn([17, 32, 8, 8], g);
    const attrs = { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, weightShape: [32, 16, 5, 5] } as const;
    for (const n of [1, 2, 3]) {
      setThreads(n);
      await workersStarted(n - 1);
      const a = expectWasmMatchesReference(OPS.conv2dBackwardWeight, [x, dy], attrs, `backward weight on ${n} threads`);
      expect(bits(runKernel(OPS.conv2dBackwardWeight, 'wasm', [x, dy], attrs)!)).toEqual(bits(a));
    }
  });
});

describe('generated kernels module', () => {
  it('is byte-identical to a fresh build of packages/tensor/assembly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathgrad-wasm-'));
    try {
      const out = join(dir, 'kernels.generated.ts');
      execFileSync(process.execPath, [join(here, '..', 'scripts', 'build-wasm.mjs'), '--out', out], { stdio: 'pipe' });
      const committed = readFileSync(join(here, '..', 'src', 'wasm', 'kernels.generated.ts'), 'utf8');
      // if this fails: run `pnpm --filter @pathgrad/tensor build:wasm` and commit the result
      expect(readFileSync(out, 'utf8')).toBe(committed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
