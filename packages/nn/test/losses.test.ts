import { grad } from '@pathgrad/autograd';
import { logSoftmax, tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { crossEntropy, mse, nllLoss } from '../src/index.js';

const f64 = (v: number[][] | number[]) => tensor(v, { dtype: 'float64' });
const labels = (v: number[]) => tensor(v, { dtype: 'int32' });

describe('crossEntropy', () => {
  const logits = f64([[1, 2, 3], [0, 0, 0]]);
  const y = labels([2, 0]);
  // row 0: -log(e^3 / (e + e^2 + e^3)); row 1: log 3
  const l0 = -3 + Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
  const l1 = Math.log(3);

  it('matches the hand-computed values for each reduction', () => {
    expect(crossEntropy(logits, y, { reduction: 'none' }).toArray()).toEqual([expect.closeTo(l0, 12), expect.closeTo(l1, 12)]);
    expect(crossEntropy(logits, y).item()).toBeCloseTo((l0 + l1) / 2, 12);
    expect(crossEntropy(logits, y, { reduction: 'sum' }).item()).toBeCloseTo(l0 + l1, 12);
  });

  it('equals nllLoss of logSoftmax and stays finite for huge logits', () => {
    expect(nllLoss(logSoftmax(logits, 1), y).item()).toBeCloseTo(crossEntropy(logits, y).item(), 14);
    expect(crossEntropy(f64([[1000, 0], [-1000, 1000]]), labels([1, 0]), { reduction: 'none' }).toArray()).toEqual([1000, 2000]);
  });

  it('has gradient (softmax - onehot) / N', () => {
    const g = grad((z) => crossEntropy(z, y))(logits).toArray() as number[][];
    const s = [Math.E, Math.E ** 2, Math.E ** 3].map((v) => v / (Math.E + Math.E ** 2 + Math.E ** 3));
    const expected = [[s[0]! / 2, s[1]! / 2, (s[2]! - 1) / 2], [(1 / 3 - 1) / 2, 1 / 6, 1 / 6]];
    g.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 12)));
  });

  it('names bad targets', () => {
    expect(() => crossEntropy(logits, labels([2, 3]))).toThrow(/targets\[1\] must be a class index in \[0, 2\], got 3/);
    expect(() => crossEntropy(logits, f64([2, 0]))).toThrow(/targets must be int32/);
    expect(() => crossEntropy(logits, labels([1]))).toThrow(/targets must be \[2\].*got \[1\]/);
    expect(() => crossEntropy(f64([1, 2]), labels([0]))).toThrow(/logits must be \[N, C\], got \[2\]/);
    expect(() => crossEntropy(logits, y, { reduction: 'avg' as 'mean' })).toThrow(/reduction must be/);
  });
});

describe('mse', () => {
  it('averages squared errors and checks shapes', () => {
    expect(mse(f64([1, 2, 3]), f64([1, 4, 0])).item()).toBeCloseTo(13 / 3, 14);
    expect(mse(f64([1, 2]), f64([0, 0]), { reduction: 'sum' }).item()).toBe(5);
    expect(mse(f64([1, 2]), f64([0, 0]), { reduction: 'none' }).toArray()).toEqual([1, 4]);
    expect(grad((p) => mse(p, f64([1, 4, 0])))(f64([1, 2, 3])).toArray()).toEqual([0, expect.closeTo(-4 / 3, 14), 2]);
    expect(() => mse(f64([1, 2]), f64([[1, 2]]))).toThrow(/predictions' shape \[2\], got \[1, 2\]/);
  });
});
