import { grad } from '@pathgrad/autograd';
import { rand, rng, sum, zeros } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, mnistCnn, mnistMlp, withForwardHook } from '../src/index.js';

describe('zoo architectures', () => {
  it('mnistMlp has PyTorch parameter names 0.*, 2.*, 4.* with [out, in] weights', () => {
    const shapes = mnistMlp().namedParameters().map(([n, p]) => [n, p.value.shape]);
    expect(shapes).toEqual([
      ['0.weight', [128, 784]],
      ['0.bias', [128]],
      ['2.weight', [64, 128]],
      ['2.bias', [64]],
      ['4.weight', [10, 64]],
      ['4.bias', [10]],
    ]);
    expect(mnistMlp().namedChildren().map(([n]) => n)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('mnistCnn has PyTorch parameter names 0.*, 3.*, 7.*, 9.* and the layer order of the issue', () => {
    const model = mnistCnn();
    expect(model.namedParameters().map(([n, p]) => [n, p.value.shape])).toEqual([
      ['0.weight', [16, 1, 5, 5]],
      ['0.bias', [16]],
      ['3.weight', [32, 16, 5, 5]],
      ['3.bias', [32]],
      ['7.weight', [64, 512]],
      ['7.bias', [64]],
      ['9.weight', [10, 64]],
      ['9.bias', [10]],
    ]);
    const kinds = [Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, MaxPool2d, Flatten, Linear, ReLU, Linear];
    model.namedChildren().forEach(([, m], i) => expect(m).toBeInstanceOf(kinds[i]!));
  });

  it('maps [N, 1, 28, 28] to [N, 10] and accepts flat [N, 784] for the MLP', () => {
    expect(mnistMlp().forward(zeros([3, 1, 28, 28])).shape).toEqual([3, 10]);
    expect(mnistMlp().forward(zeros([3, 784])).shape).toEqual([3, 10]);
    expect(() => mnistMlp().forward(zeros([3, 1, 28, 27]))).toThrow(/\[N, 1, 28, 28\] or \[N, 784\], got \[3, 1, 28, 27\]/);
    expect(mnistCnn().forward(zeros([2, 1, 28, 28])).shape).toEqual([2, 10]);
  });

  it('is seeded: the same seed gives the same weights, another seed others', () => {
    const a = mnistCnn({ seed: 3 }).stateDict();
    const b = mnistCnn({ seed: 3 }).stateDict();
    const c = mnistCnn({ seed: 4 }).stateDict();
    expect(Array.from(a['3.weight']!.toTypedArray())).toEqual(Array.from(b['3.weight']!.toTypedArray()));
    expect(Array.from(a['3.weight']!.toTypedArray())).not.toEqual(Array.from(c['3.weight']!.toTypedArray()));
  });
});

describe('zoo models are plain functions of tensors for autograd', () => {
  const x = rand([2, 1, 28, 28], rng(0), { dtype: 'float64' });
  for (const [name, make] of [['mnistMlp', mnistMlp], ['mnistCnn', mnistCnn]] as const) {
    it(`grad(x => ${name}.forward(x).sum()) has the input's shape and matches a finite difference`, () => {
      const model = make({ seed: 1 }).to('float64');
      const f = (v: typeof x) => sum(model.forward(v));
      const g = grad(f)(x);
      expect(g.shape).toEqual([2, 1, 28, 28]);
      expect(g.dtype).toBe('float64');
      // directional finite difference along a random direction
      const dir = rand([2, 1, 28, 28], rng(9), { low: -1, high: 1, dtype: 'float64' });
      const h = 1e-6;
      const fd = (f(x.add(dir.mul(h))).item() - f(x.sub(dir.mul(h))).item()) / (2 * h);
      const analytic = sum(g.mul(dir)).item();
      expect(Math.abs(fd - analytic)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    });
  }

  it('a forward hook on a hidden layer sees its activation during a gradient', () => {
    const model = mnistCnn({ seed: 1 }).to('float64');
    let shape: readonly number[] = [];
    const g = withForwardHook(model.getSubmodule('3'), (_i, out) => { shape = out.shape; }, () => grad((v) => sum(model.forward(v)))(x));
    expect(shape).toEqual([2, 32, 8, 8]);
    expect(g.shape).toEqual([2, 1, 28, 28]);
  });
});
