import { rng, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { calculateGain, computeFans, kaimingNormal, kaimingUniform, xavierNormal, xavierUniform } from '../src/index.js';

const stats = (t: Tensor) => {
  const v = Array.from(t.toTypedArray());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: Math.max(...v.map(Math.abs)) };
};

describe('fans and gains (as torch.nn.init)', () => {
  it('computes fans for linear and conv weights', () => {
    expect(computeFans([128, 784])).toEqual({ fanIn: 784, fanOut: 128 });
    expect(computeFans([16, 1, 5, 5])).toEqual({ fanIn: 25, fanOut: 400 });
    expect(() => computeFans([5])).toThrow(/at least 2 dimensions/);
  });
  it('gains', () => {
    expect(calculateGain('relu')).toBe(Math.SQRT2);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / 1.0001), 15);
  });
});

describe('initialisers', () => {
  const shape = [200, 300];
  it('kaimingUniform: U(-b, b) with b = gain * sqrt(3 / fanIn), seeded', () => {
    const w = kaimingUniform(shape, rng(1), { nonlinearity: 'relu' });
    const b = Math.SQRT2 * Math.sqrt(3 / 300);
    const s = stats(w);
    expect(s.maxAbs).toBeLessThanOrEqual(b);
    expect(s.maxAbs).toBeGreaterThan(0.99 * b);
    expect(s.std).toBeCloseTo(b / Math.sqrt(3), 2);
    expect(Array.from(kaimingUniform(shape, rng(1), { nonlinearity: 'relu' }).toTypedArray())).toEqual(Array.from(w.toTypedArray()));
    const fanOut = kaimingUniform(shape, rng(1), { nonlinearity: 'relu', mode: 'fanOut' });
    expect(stats(fanOut).maxAbs).toBeGreaterThan(0.99 * Math.SQRT2 * Math.sqrt(3 / 200));
  });
  it('kaimingNormal: std gain / sqrt(fan)', () => {
    const s = stats(kaimingNormal(shape, rng(2), { nonlinearity: 'relu', dtype: 'float64' }));
    expect(s.std).toBeGreaterThan(0.98 * Math.SQRT2 / Math.sqrt(300));
    expect(s.std).toBeLessThan(1.02 * Math.SQRT2 / Math.sqrt(300));
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
  });
  it('xavierUniform and xavierNormal use fanIn + fanOut', () => {
    const b = Math.sqrt(6 / 500);
    const u = stats(xavierUniform(shape, rng(3)));
    expect(u.maxAbs).toBeLessThanOrEqual(b);
    expect(u.maxAbs).toBeGreaterThan(0.99 * b);
    const n = stats(xavierNormal(shape, rng(4), { gain: 2 }));
    expect(n.std).toBeGreaterThan(0.98 * 2 * Math.sqrt(2 / 500));
    expect(n.std).toBeLessThan(1.02 * 2 * Math.sqrt(2 / 500));
  });
  it('rejects bad options', () => {
    expect(() => kaimingUniform(shape, rng(0), { mode: 'sideways' as 'fanIn' })).toThrow(/mode must be 'fanIn' or 'fanOut'/);
    expect(() => xavierUniform(shape, rng(0), { gain: Number.NaN })).toThrow(/gain must be a finite number/);
  });
});
