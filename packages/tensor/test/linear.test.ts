/**
 * The fused `linear` op beyond the generic registry tests (which sample sizes up to 4): its
 * wasm kernel past every cache-block edge of the GEMM and with each operand layout, that it
 * rounds exactly as the unfused wasm matmul, add and relu kernels in sequence, that it repeats
 * bit for bit on any thread count, that the float64 cpu kernel is bit-identical to the unfused
 * ops, and the public function's shapes and errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  OPS,
  Tensor,
  add,
  linear,
  linearReluBackwardInput,
  matmul,
  randn,
  relu,
  reluBackward,
  rng,
  runKernel,
  setThreads,
  tensor,
  transpose,
  zeros,
  type LinearAttrs,
} from '../src/index.js';
import { workersStarted } from './workers.js';
import { compareTensors } from '../src/testing/index.js';

const TOL = { rtol: 1e-4, atol: 1e-4 };
const RELU: LinearAttrs = { activation: 'relu' };
const ACTS: LinearAttrs[] = [{ activation: 'none' }, RELU];
const bits = (t: Tensor) => Array.from(t.toTypedArray());
const to64 = (t: Tensor) => new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64');

/** The storage of `t` laid out column-major: the same values, a transposed view of a contiguous matrix. */
function transposedView(t: Tensor): Tensor {
  return transpose(transpose(t).contiguous());
}

/** The unfused kernels in sequence on `backend`: relu(add(matmul(x, W^T), b)). */
function unfused(backend: 'cpu' | 'wasm', x: Tensor, w: Tensor, b: Tensor | undefined, attrs: LinearAttrs): Tensor {
  let y = runKernel(OPS.matmul, backend, [x, transpose(w)], {})!;
  if (b) y = runKernel(OPS.add, backend, [y, b], {})!;
  return attrs.activation === 'relu' ? runKernel(OPS.relu, backend, [y], {})! : y;
}

afterEach(() => {
  setThreads('auto');
});

describe('wasm linear', () => {
  // M 64, K 512, N 256 are the GEMM's cache blocks; 4x8 its register tile
  const sizes: [number, number, number][] = [
    [1, 784, 128],
    [64, 784, 128],
    [130, 600, 70],
    [5, 520, 257],
    [67, 33, 9],
    [3, 1, 1],
  ];

  it('matches the float64 reference past every cache-block edge, with and without bias and ReLU', () => {
    const g = rng(1);
    for (const [m, k, n] of sizes) {
      const x = randn([m, k], g);
      const w = randn([n, k], g);
      const b = randn([n], g);
      for (const attrs of ACTS) {
        for (const inputs of [[x, w, b], [x, w]]) {
          const got = runKernel(OPS.linear, 'wasm', inputs, attrs)!;
          expect(got.dtype).toBe('float32');
          const r = compareTensors(got, runKernel(OPS.linear, 'cpu', inputs.map(to64), attrs)!, TOL);
          expect(r.ok, `${m}x${k}x${n} ${attrs.activation} ${inputs.length}: ${r.message}`).toBe(true);
        }
      }
    }
  });

  it('rounds exactly as the wasm matmul, add and relu kernels in sequence, for every operand layout', () => {
    const g = rng(2);
    for (const [m, k, n] of sizes) {
      const x = randn([m, k], g);
      const w = randn([n, k], g);
      const b = randn([n], g);
      const layouts: [string, Tensor, Tensor][] = [
        ['contiguous', x, w],
        ['transposed views', transposedView(x), transposedView(w)],
        // every other column of a wider matrix: neither contiguous nor transposed
        ['strided', x, randn([n, 2 * k], g).contiguous()],
      ];
      for (const [label, xs, ws0] of layouts) {
        const ws = label === 'strided' ? new Tensor(ws0.data, [n, k], 'float32', [2 * k, 2]) : ws0;
        for (const attrs of ACTS) {
          const got = runKernel(OPS.linear, 'wasm', [xs, ws, b], attrs)!;
          expect(bits(got), `${m}x${k}x${n} ${label} ${attrs.activation}`).toEqual(bits(unfused('wasm', xs, ws, b, attrs)));
        }
      }
    }
  });

  it('with no input features (k = 0) gives act(bias) on every row', () => {
    const b = tensor([-1, 2, 0.5]);
    const got = runKernel(OPS.linear, 'wasm', [zeros([2, 0]), zeros([3, 0]), b], RELU)!;
    expect(got.toArray()).toEqual([
      [0, 2, 0.5],
      [0, 2, 0.5],
    ]);
  });

  it('keeps NaN through ReLU, as the relu kernel', () => {
    const x = tensor([[NaN, 1], [0, 0]]);
    const w = tensor([[1, 0], [0, -1]]);
    const got = runKernel(OPS.linear, 'wasm', [x, w], RELU)!;
    const want = runKernel(OPS.linear, 'cpu', [x, w], RELU)!;
    expect(bits(got)).toEqual(bits(want));
    expect(Number.isNaN(got.toTypedArray()[0]!)).toBe(true);
  });

  it('gives bitwise the same result on 1, 2 and 3 threads (row and column splits)', async () => {
    const g = rng(3);
    const cases: Tensor[][] = [
      [randn([512, 784], g), randn([128, 784], g), randn([128], g)], // split by rows
      [randn([64, 784], g), randn([128, 784], g), randn([128], g)], // split by columns, op(A) packed once
      [randn([40, 600], g), randn([300, 600], g)], // columns, two depth blocks, no bias
    ];
    const run = () => cases.flatMap((c) => ACTS.map((attrs) => bits(runKernel(OPS.linear, 'wasm', c, attrs)!)));
    setThreads(1);
    const one = run();
    for (const n of [2, 3]) {
      setThreads(n);
      await workersStarted(n - 1);
      expect(run()).toEqual(one);
    }
  });
});

describe('linearReluBackwardInput (the input gradient with ReLU as one op)', () => {
  it('is bitwise reluBackward then matmul: wasm (small-row, packed, threaded) and cpu float64, W as stored or a transposed view', () => {
    const g = rng(8);
    for (const [m, out, inF] of [
      [1, 128, 784],
      [3, 64, 128],
      [64, 128, 784],
      [512, 64, 128],
      [130, 70, 600],
    ] as const) {
      const gr = randn([m, out], g);
      const y = relu(randn([m, out], g));
      const w = randn([out, inF], g);
      for (const ws of [w, transposedView(w)]) {
        const want = runKernel(OPS.matmul, 'wasm', [runKernel(OPS.reluBackward, 'wasm', [gr, y], {})!, ws], {})!;
        expect(bits(runKernel(OPS.linearReluBackwardInput, 'wasm', [gr, y, ws], {})!), `wasm ${m}x${out}x${inF}`).toEqual(bits(want));
        const [g64, y64, w64] = [gr, y, ws].map(to64) as [Tensor, Tensor, Tensor];
        const want64 = runKernel(OPS.matmul, 'cpu', [runKernel(OPS.reluBackward, 'cpu', [g64, y64], {})!, w64], {})!;
        expect(bits(runKernel(OPS.linearReluBackwardInput, 'cpu', [g64, y64, w64], {})!), `cpu ${m}x${out}x${inF}`).toEqual(bits(want64));
      }
    }
  });

  it('linearReluBackwardInput() checks its shapes', () => {
    expect(linearReluBackwardInput(tensor([[1, 1]]), tensor([[0, 5]]), tensor([[1, 2], [3, 4]])).toArray()).toEqual([[3, 4]]);
    expect(bits(linearReluBackwardInput(tensor([[1, 1]]), tensor([[0, 5]]), tensor([[1, 2], [3, 4]])))).toEqual(bits(matmul(reluBackward(tensor([[1, 1]]), tensor([[0, 5]])), tensor([[1, 2], [3, 4]]))));
    expect(() => linearReluBackwardInput(zeros([2, 3]), zeros([2, 2]), zeros([3, 4]))).toThrow(/linearReluBackwardInput: g and y must be \[N, out\] and weight \[out, in\]/);
  });
});

describe('cpu linear', () => {
  it('float64: bit-identical to matmul(x, transpose(w)), then add, then relu', () => {
    const g = rng(4);
    for (const [m, k, n] of [
      [5, 37, 9],
      [1, 784, 128],
      [16, 128, 64],
    ] as const) {
      const x = to64(randn([m, k], g));
      const w = to64(randn([n, k], g));
      const b = to64(randn([n], g));
      for (const attrs of ACTS) {
        for (const [xs, ws] of [
          [x, w],
          [transposedView(x), transposedView(w)],
        ]) {
          expect(bits(runKernel(OPS.linear, 'cpu', [xs!, ws!, b], attrs)!)).toEqual(bits(unfused('cpu', xs!, ws!, b, attrs)));
          expect(bits(runKernel(OPS.linear, 'cpu', [xs!, ws!], attrs)!)).toEqual(bits(unfused('cpu', xs!, ws!, undefined, attrs)));
        }
      }
    }
  });

  it('mixed dtypes round where the unfused ops do: a float32 product, then a float64 bias', () => {
    const g = rng(5);
    const x = randn([3, 11], g);
    const w = randn([4, 11], g);
    const b = to64(randn([4], g));
    const got = runKernel(OPS.linear, 'cpu', [x, w, b], RELU)!;
    expect(got.dtype).toBe('float64');
    expect(bits(got)).toEqual(bits(unfused('cpu', x, w, b, RELU)));
  });
});

describe('linear()', () => {
  const w = tensor([
    [1, 1],
    [1, -1],
    [2, 0],
  ]);
  const b = tensor([0, 1, -10]);

  it('takes [N, in], [in] and [..., in], with or without bias', () => {
    expect(linear(tensor([[1, -2]]), w, b).toArray()).toEqual([[-1, 4, -8]]);
    expect(linear(tensor([[1, -2]]), w, b, { activation: 'relu' }).toArray()).toEqual([[0, 4, 0]]);
    expect(linear(tensor([1, -2]), w, null).toArray()).toEqual([-1, 3, 2]);
    const x3 = randn([2, 3, 2], rng(6));
    const y3 = linear(x3, w, b, { activation: 'relu' });
    expect(y3.shape).toEqual([2, 3, 3]);
    expect(bits(y3)).toEqual(bits(relu(add(matmul(x3, transpose(w)), b))));
  });

  it('names what is wrong', () => {
    expect(() => linear(zeros([2, 3]), w)).toThrow(/linear: x must have last dimension 2/);
    expect(() => linear(zeros([2, 2]), zeros([2]))).toThrow(/linear: weight must be \[out, in\]/);
    expect(() => linear(zeros([2, 2]), w, zeros([2]))).toThrow(/linear: bias must have shape \[3\]/);
    expect(() => linear(zeros([2, 2]), w, b, { activation: 'gelu' as 'relu' })).toThrow(/activation must be 'none' or 'relu', got "gelu"/);
    expect(() => linear(zeros([2, 2]), w, b, { act: 'relu' } as never)).toThrow(/linear/);
  });
});
