import { grad } from '@pathgrad/autograd';
import { arange, conv2d, ones, rand, rng, sum, tensor, zeros, type Tensor } from '@pathgrad/tensor';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Dropout, Flatten, GELU, Linear, ReLU, Sequential, Sigmoid, Softplus, Tanh } from '../src/index.js';

const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());

function expectAllClose(actual: readonly number[], expected: readonly number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]!))));
}

describe('Linear', () => {
  it('computes x W^T + b with W laid out [out, in]', () => {
    const lin = new Linear(2, 2);
    lin.weight.value = tensor([[1, 2], [3, 4]]);
    lin.bias!.value = tensor([0.5, -1]);
    expect(lin.forward(tensor([[1, 1], [2, -1]])).toArray()).toEqual([[3.5, 6], [0.5, 1]]);
  });

  it('has PyTorch default init bounds 1/sqrt(in) for weight and bias, reproducibly per seed', () => {
    const a = new Linear(100, 50, { rng: 7 });
    const b = new Linear(100, 50, { rng: rng(7) });
    expect(flat(a.weight.value)).toEqual(flat(b.weight.value));
    const bound = 1 / Math.sqrt(100);
    const w = flat(a.weight.value);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Math.max(...flat(a.bias!.value).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(new Linear(3, 2, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  it('rejects a wrong input width naming the shapes', () => {
    expect(() => new Linear(3, 2).forward(zeros([4, 5]))).toThrow(/last dimension 3.*got \[4, 5\]/);
    expect(() => new Linear(0, 2)).toThrow(/inFeatures must be a positive integer, got 0/);
  });
});

describe('Conv2d', () => {
  it('matches a hand-computed 3x3 box filter with bias', () => {
    const conv = new Conv2d(1, 1, 3);
    conv.weight.value = ones([1, 1, 3, 3]);
    conv.bias!.value = tensor([1]);
    const x = arange(16).reshape([1, 1, 4, 4]);
    expect(conv.forward(x).toArray()).toEqual([[[[46, 55], [82, 91]]]]);
  });

  it('equals the conv2d op with the same options (stride, padding, dilation, groups)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), (stride, padding, dilation, groups) => {
        const conv = new Conv2d(2 * groups, 2 * groups, [3, 2], { stride, padding, dilation, groups, rng: 3 });
        expect(conv.weight.value.shape).toEqual([2 * groups, 2, 3, 2]);
        const x = rand([2, 2 * groups, 7, 6], rng(1), { dtype: 'float32' });
        const ref = conv2d(x, conv.weight.value, conv.bias!.value, { stride, padding, dilation, groups });
        expect(flat(conv.forward(x))).toEqual(flat(ref));
      }),
      { numRuns: 12 },
    );
  });

  it('uses fan-in over in/groups * kh * kw for the default init', () => {
    const conv = new Conv2d(4, 8, 5, { groups: 2, rng: 0 });
    const bound = 1 / Math.sqrt(2 * 25);
    expect(Math.max(...flat(conv.weight.value).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...flat(conv.weight.value).map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => new Conv2d(3, 4, 3).forward(zeros([1, 2, 5, 5]))).toThrow(/\[N, 3, H, W\], got \[1, 2, 5, 5\]/);
  });
});

describe('activations', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 3], { dtype: 'float64' });
  const xs = [-2, -0.5, 0, 0.5, 3];
  it('ReLU, Sigmoid, Tanh, Softplus and GELU match their closed forms', () => {
    expect(flat(new ReLU().forward(x))).toEqual([0, 0, 0, 0.5, 3]);
    expectAllClose(flat(new Sigmoid().forward(x)), xs.map((v) => 1 / (1 + Math.exp(-v))), 1e-12);
    expectAllClose(flat(new Tanh().forward(x)), xs.map(Math.tanh), 1e-12);
    expectAllClose(flat(new Softplus().forward(x)), xs.map((v) => Math.log1p(Math.exp(v))), 1e-12);
    expectAllClose(flat(new Softplus({ beta: 2, threshold: 1 }).forward(x)), xs.map((v) => (2 * v > 1 ? v : Math.log1p(Math.exp(2 * v)) / 2)), 1e-12);
    // GELU(x) = x * Phi(x); Phi at these points from tables
    expectAllClose(flat(new GELU().forward(tensor([0, 1, -1], { dtype: 'float64' }))), [0, 0.8413447460685429, -0.15865525393145707], 1e-12);
  });
});

describe('Flatten and Sequential', () => {
  it('Flatten merges startDim..endDim', () => {
    expect(new Flatten().forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 60]);
    expect(new Flatten(0).forward(zeros([2, 3])).shape).toEqual([6]);
    expect(new Flatten(1, 2).forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
    const x = arange(6).reshape([1, 2, 3]);
    expect(new Flatten().forward(x).toArray()).toEqual([[0, 1, 2, 3, 4, 5]]);
  });

  it('Sequential chains in order and names children 0..n-1', () => {
    const a = new Linear(2, 2, { rng: 1 });
    const b = new Linear(2, 1, { rng: 2 });
    const seq = new Sequential(a, new ReLU(), b);
    const x = tensor([[1, -1], [0.5, 2]]);
    expect(seq.forward(x).toArray()).toEqual(b.forward(a.forward(x).relu()).toArray());
    expect(seq.namedChildren().map(([n]) => n)).toEqual(['0', '1', '2']);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBe(b);
    expect(() => new Sequential(3 as unknown as ReLU)).toThrow(/argument 0 must be a Module/);
  });
});

describe('Dropout', () => {
  const x = ones([1000]);
  it('is the identity in eval and for p = 0', () => {
    expect(new Dropout(0.5, 0).eval().forward(x)).toBe(x);
    expect(new Dropout(0, 0).forward(x)).toBe(x);
  });

  it('zeroes about p of the elements and scales the rest by 1/(1-p), reproducibly per seed', () => {
    const out = flat(new Dropout(0.25, 42).forward(x));
    expect(out.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    const dropped = out.filter((v) => v === 0).length;
    expect(dropped).toBeGreaterThan(180);
    expect(dropped).toBeLessThan(320);
    expect(flat(new Dropout(0.25, 42).forward(x))).toEqual(out);
    const d = new Dropout(0.25, 42);
    d.forward(x);
    expect(flat(d.forward(x))).not.toEqual(out); // the generator advances
  });

  it('drops everything for p = 1 and rejects p outside [0, 1]', () => {
    expect(flat(new Dropout(1, 0).forward(x)).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow(/p must be a probability in \[0, 1\], got 1\.5/);
  });
});

describe('BatchNorm2d', () => {
  // two images, two channels, 1x2 pixels: channel 0 values 1,3,5,7; channel 1 values 0,0,2,2
  const x = tensor([[[[1, 3]], [[0, 0]]], [[[5, 7]], [[2, 2]]]], { dtype: 'float64' });

  it('normalises with batch statistics in training and updates running stats with the unbiased variance', () => {
    const bn = new BatchNorm2d(2, { eps: 0, dtype: 'float64' });
    const y = bn.forward(x);
    // channel 0: mean 4, biased var 5; channel 1: mean 1, var 1
    const s5 = Math.sqrt(5);
    expectAllClose(flat(y), [-3 / s5, -1 / s5, -1, -1, 1 / s5, 3 / s5, 1, 1], 1e-12);
    // running_mean = 0.9*0 + 0.1*mean; running_var = 0.9*1 + 0.1*unbiased var (20/3, 4/3)
    expectAllClose(flat(bn.getBuffer('running_mean')), [0.4, 0.1], 1e-12);
    expectAllClose(flat(bn.getBuffer('running_var')), [0.9 + (0.1 * 20) / 3, 0.9 + (0.1 * 4) / 3], 1e-12);
    expect(bn.getBuffer('num_batches_tracked').item()).toBe(1);
  });

  it('uses the running statistics, weight and bias in eval', () => {
    const bn = new BatchNorm2d(2, { eps: 1e-5, dtype: 'float64' });
    bn.loadStateDict({
      weight: tensor([2, 1], { dtype: 'float64' }),
      bias: tensor([0, 10], { dtype: 'float64' }),
      running_mean: tensor([1, 2], { dtype: 'float64' }),
      running_var: tensor([4, 1], { dtype: 'float64' }),
      num_batches_tracked: tensor(5, { dtype: 'int32' }),
    });
    bn.eval();
    const y = flat(bn.forward(x));
    const d0 = Math.sqrt(4 + 1e-5);
    const d1 = Math.sqrt(1 + 1e-5);
    expectAllClose(y, [(2 * 0) / d0, (2 * 2) / d0, 10 - 2 / d1, 10 - 2 / d1, (2 * 4) / d0, (2 * 6) / d0, 10, 10], 1e-12);
    expect(bn.getBuffer('num_batches_tracked').item()).toBe(5); // eval does not count
  });

  it('uses a cumulative average when momentum is null', () => {
    const bn = new BatchNorm2d(2, { momentum: null, dtype: 'float64' });
    bn.forward(x);
    bn.forward(x);
    expectAllClose(flat(bn.getBuffer('running_mean')), [4, 1], 1e-12);
  });

  it('is differentiable in training (sum of a normalised channel has zero gradient)', () => {
    const bn = new BatchNorm2d(2, { dtype: 'float64' });
    const g = grad((v) => sum(bn.forward(v)))(x);
    expect(Math.max(...flat(g).map(Math.abs))).toBeLessThan(1e-6);
  });

  it('rejects a single value per channel in training and wrong channel counts', () => {
    expect(() => new BatchNorm2d(2).forward(zeros([1, 2, 1, 1]))).toThrow(/more than 1 value per channel/);
    expect(() => new BatchNorm2d(3).forward(zeros([2, 2, 2, 2]))).toThrow(/\[N, 3, H, W\], got \[2, 2, 2, 2\]/);
  });
});
