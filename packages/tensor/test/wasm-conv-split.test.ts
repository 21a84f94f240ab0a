/**
 * The wasm conv kernels split a call with fewer images than threads (a batch-1 forward pass)
 * by output rows (forward) or input channels (input gradient) instead of by images. Each
 * chunk computes a block of every image's GEMM, so every output element must come out bit
 * for bit as on one thread; this checks it on 1, 2 and 3 threads for the plain, fused
 * bias + ReLU, fused ReLU + max-pool forwards and both input-gradient kernels, over shapes
 * with padding, stride, dilation, groups and 1x1 kernels, large enough to be split (and one
 * batch split by images, whose max pooling is then split by planes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OPS, Tensor, randn, rng, runKernel, setThreads } from '../src/index.js';
import { conv2dShape, type Conv2dAttrs } from '../src/kernels/conv.js';
import type { MaxPool2dAttrs } from '../src/kernels/pool.js';
import { compareTensors } from '../src/testing/index.js';
import { conv2dBiasActWasm, conv2dMaxPoolBackwardInputWasm, conv2dReluMaxPoolWasm } from '../src/wasm/kernels.js';
import { workersStarted } from './workers.js';

const bits = (t: Tensor) => Array.from(t.toTypedArray());

const pair = (a: number, b = a): [number, number] => [a, b];
const POOL: MaxPool2dAttrs = { kernelSize: pair(2), stride: pair(2), padding: pair(0), dilation: pair(1), ceilMode: false };

interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  attrs: Conv2dAttrs;
}

const plain: Conv2dAttrs = { stride: pair(1), padding: pair(0), dilation: pair(1), groups: 1 };
const CASES: Case[] = [
  { name: 'MNIST conv1, 1 image', x: [1, 1, 28, 28], w: [16, 1, 5, 5], attrs: plain },
  { name: 'MNIST conv2, 1 image', x: [1, 16, 12, 12], w: [32, 16, 5, 5], attrs: plain },
  { name: 'MNIST conv2, 2 images', x: [2, 16, 12, 12], w: [32, 16, 5, 5], attrs: plain },
  { name: 'padding 2, stride 2, odd sizes', x: [1, 12, 23, 21], w: [24, 12, 3, 5], attrs: { ...plain, stride: pair(2, 1), padding: pair(2, 1) } },
  { name: 'dilation 2, groups 2', x: [1, 16, 20, 20], w: [32, 8, 3, 3], attrs: { ...plain, dilation: pair(2), groups: 2, padding: pair(1) } },
  { name: '1x1 kernel', x: [1, 64, 16, 16], w: [64, 64, 1, 1], attrs: plain },
  // enough images for the split by images (and the max pooling split by planes)
  { name: 'MNIST conv1, 9 images', x: [9, 1, 28, 28], w: [16, 1, 5, 5], attrs: plain },
];

describe('wasm conv with few images: split by rows / channels, bitwise as on one thread', () => {
  afterEach(() => {
    setThreads('auto');
  });

  it.each(CASES)('$name: forward (plain, bias + ReLU, ReLU + max-pool) and both input gradients', async (c) => {
    const g = rng(77);
    const x = randn(c.x, g);
    const w = randn(c.w, g, { std: 0.3 });
    const b = randn([c.w[0]], g);
    const yShape = conv2dShape(c.x, c.w, c.attrs);
    const dy = randn(yShape, g);
    const poolShape = [yShape[0]!, yShape[1]!, Math.floor(yShape[2]! / 2), Math.floor(yShape[3]! / 2)];
    const gp = randn(poolShape, g);
    const f32 = (shape: readonly number[]) => ({ shape, dtype: 'float32' as const });
    const run = (): number[][] => {
      const pooled = conv2dReluMaxPoolWasm(x, w, b, { ...c.attrs, pool: POOL }, f32(poolShape))!;
      return [
        bits(runKernel(OPS.conv2d, 'wasm', [x, w], c.attrs)!),
        bits(conv2dBiasActWasm([x, w, b], { ...c.attrs, relu: true }, f32(yShape))!),
        bits(pooled.values),
        bits(pooled.indices),
        bits(runKernel(OPS.conv2dBackwardInput, 'wasm', [dy, w], { ...c.attrs, inputShape: c.x })!),
        bits(conv2dMaxPoolBackwardInputWasm([gp, pooled.indices, w], { ...c.attrs, inputShape: c.x }, f32(c.x))!),
      ];
    };
    setThreads(1);
    const one = run();
    // and the one-thread values are the reference's up to float32 rounding
    const ref = runKernel(OPS.conv2d, 'cpu', [x, w].map((t) => new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64')), c.attrs)!;
    const r = compareTensors(new Tensor(Float32Array.from(one[0]!), yShape, 'float32'), ref, { rtol: 1e-4, atol: 1e-4 });
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
    for (const n of [2, 3]) {
      setThreads(n);
      await workersStarted(n - 1);
      expect(run()).toEqual(one);
    }
  });
});
