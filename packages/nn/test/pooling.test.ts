import { arange, avgPool2d, maxPool2d, rand, rng, tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { AvgPool2d, LogSoftmax, MaxPool2d, Softmax } from '../src/index.js';

describe('pooling layers', () => {
  const x = arange(16).reshape([1, 1, 4, 4]);
  it('MaxPool2d and AvgPool2d match hand-computed windows (stride defaults to the kernel)', () => {
    expect(new MaxPool2d(2).forward(x).toArray()).toEqual([[[[5, 7], [13, 15]]]]);
    expect(new AvgPool2d(2).forward(x).toArray()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    expect(new MaxPool2d(3, { stride: 1 }).forward(x).toArray()).toEqual([[[[10, 11], [14, 15]]]]);
  });

  it('equal the ops with the same options', () => {
    const y = rand([2, 3, 9, 7], rng(0));
    const opts = { kernelSize: 3, stride: 2, padding: 1, ceilMode: true } as const;
    expect(Array.from(new MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }).forward(y).toTypedArray())).toEqual(Array.from(maxPool2d(y, opts).toTypedArray()));
    expect(Array.from(new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).forward(y).toTypedArray())).toEqual(
      Array.from(avgPool2d(y, { ...opts, countIncludePad: false }).toTypedArray()),
    );
    expect(() => new MaxPool2d(0)).toThrow(/kernelSize entries must be integers >= 1/);
  });
});

describe('Softmax and LogSoftmax layers', () => {
  it('normalise along dim', () => {
    const z = tensor([[0, Math.log(3)], [1, 1]], { dtype: 'float64' });
    const s = new Softmax(1).forward(z).toArray() as number[][];
    expect(s[0]![0]).toBeCloseTo(0.25, 14);
    expect(s[0]![1]).toBeCloseTo(0.75, 14);
    expect(s[1]).toEqual([0.5, 0.5]);
    const l = new LogSoftmax(1).forward(z).toArray() as number[][];
    expect(l[0]![0]).toBeCloseTo(Math.log(0.25), 14);
    const col = new Softmax(0).forward(z).toArray() as number[][];
    expect(col[0]![0]! + col[1]![0]!).toBeCloseTo(1, 14);
  });
});
