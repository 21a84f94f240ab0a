import { tensor, zeros } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, Parameter, SGD } from '../src/index.js';

const grads = [[0.5, -1], [-1, 0.25], [0.2, 0.2]];
const f64 = (v: number[]) => tensor(v, { dtype: 'float64' });

function run(opt: SGD | Adam, p: Parameter, steps: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    opt.step([f64(grads[s]!)]);
    out.push(p.value.toArray() as number[]);
  }
  return out;
}

function expectRowsClose(actual: number[][], expected: number[][]): void {
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 12)));
}

describe('SGD (PyTorch update rule, values worked by hand)', () => {
  it('plain SGD: p -= lr * g', () => {
    const p = new Parameter(f64([1, -2]));
    expectRowsClose(run(new SGD([p], { lr: 0.1 }), p, 2), [[0.95, -1.9], [1.05, -1.925]]);
  });

  it('momentum 0.9 with weight decay 0.01', () => {
    const p = new Parameter(f64([1, -2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    expectRowsClose(run(opt, p, 3), [[0.949, -1.898], [1.002151, -1.829302], [1.028984749, -1.785644498]]);
  });

  it('nesterov momentum', () => {
    const p = new Parameter(f64([1, -2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true });
    expectRowsClose(run(opt, p, 3), [[0.9031, -1.8062], [1.05007411, -1.76764822], [1.053168458191, -1.746718666382]]);
  });

  it('replaces the tensor instead of mutating it', () => {
    const p = new Parameter(f64([1, -2]));
    const before = p.value;
    new SGD([p], { lr: 0.1 }).step([f64([1, 1])]);
    expect(before.toArray()).toEqual([1, -2]);
    expect(p.value).not.toBe(before);
  });
});

describe('Adam (PyTorch update rule, values worked by hand)', () => {
  it('first step moves by about lr; second step with bias correction and weight decay', () => {
    const p = new Parameter(f64([1, -2]));
    const opt = new Adam([p], { lr: 0.1, weightDecay: 0.1 });
    expectRowsClose(run(opt, p, 2), [[0.9000000016666666, -1.9000000008333333], [0.9252635194456061, -1.8367957569894449]]);
  });
});

describe('optimizer argument checks', () => {
  it('names wrong gradient counts, shapes and hyperparameters', () => {
    const p = new Parameter(zeros([2, 3]));
    const opt = new Adam([p]);
    expect(() => opt.step([])).toThrow(/expected 1 gradients/);
    expect(() => opt.step([zeros([3, 2])])).toThrow(/grads\[0\] must have the parameter's shape \[2, 3\], got \[3, 2\]/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/lr must be a finite number >= 0, got -1/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/betas\[1\]/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
  });
});
