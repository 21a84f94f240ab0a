/**
 * Hand-computed cases for the elementwise ops, comparisons, reductions and softmax:
 * values checked against closed forms or 30-digit mpmath results, edge cases (infinities,
 * NaN, ties, empty axes, int32) and hostile arguments.
 */
import { describe, expect, it } from 'vitest';
import {
  relu,
  ArgumentError,
  DTypeError,
  OPS,
  PathgradError,
  ShapeError,
  Tensor,
  abs,
  argmax,
  argmin,
  cast,
  clip,
  equal,
  erf,
  erfScalar,
  erfcScalar,
  gelu,
  greaterEqual,
  less,
  lessEqual,
  logSoftmax,
  logsumexp,
  max,
  maximum,
  mean,
  min,
  minimum,
  notEqual,
  pow,
  sigmoid,
  sign,
  softmax,
  softplus,
  sqrt,
  tanh,
  tensor,
  variance,
  where,
  type NestedArray,
  type VjpContext,
} from '../src/index.js';

const f64 = (v: NestedArray) => tensor(v, { dtype: 'float64' });
const i32 = (v: NestedArray) => tensor(v, { dtype: 'int32' });

/** Asserts equal shape and elementwise |a - e| <= rtol |e| (exact for infinities and NaN). */
function expectClose(actual: Tensor, expected: NestedArray, rtol = 1e-15): void {
  const e = f64(expected);
  expect(actual.shape).toEqual(e.shape);
  const a = actual.toTypedArray();
  const w = e.toTypedArray();
  for (let i = 0; i < w.length; i++) {
    const x = a[i]!;
    const y = w[i]!;
    if (Number.isNaN(y) || !Number.isFinite(y)) expect(x, `index ${i}`).toBe(y);
    else expect(Math.abs(x - y), `index ${i}: got ${x}, expected ${y}`).toBeLessThanOrEqual(rtol * Math.abs(y));
  }
}

/** Runs a registered op's VJP directly (no autograd engine) with an all-ones cotangent. */
function vjpOf(name: keyof typeof OPS, inputs: Tensor[], attrs: unknown, output: Tensor): (Tensor | null)[] {
  const def = OPS[name];
  if (!('vjp' in def) || !def.vjp) throw new Error(`${name} has no vjp`);
  const g = new Tensor(new Float64Array(output.size).fill(1), output.shape, 'float64');
  const ctx = { inputs, output, attrs, needs: inputs.map(() => true) } as unknown as VjpContext<never>;
  return [...(def.vjp as (g: Tensor, c: VjpContext<never>) => readonly (Tensor | null)[])(g, ctx)];
}

function expectThrowsNaming(fn: () => unknown, cls: typeof PathgradError, ...words: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  expect(caught).toBeInstanceOf(PathgradError);
  for (const w of words) expect((caught as Error).message).toContain(w);
}

describe('pow', () => {
  it('squares, roots and negative exponents, broadcasting', () => {
    expectClose(pow(f64([1, 2, 3]), 2), [1, 4, 9]);
    expectClose(pow(2, f64([-1, 0.5, 0])), [0.5, Math.SQRT2, 1]);
    expectClose(pow(f64([[2], [3]]), f64([1, 2, 3])), [[2, 4, 8], [3, 9, 27]]);
  });
  it('int32 operands give float32; a negative base with a fractional exponent is NaN', () => {
    const r = pow(i32([2, 3]), i32([-1, 2]));
    expect(r.dtype).toBe('float32');
    expectClose(r, [0.5, 9]);
    expectClose(pow(f64([-8, NaN]), 1 / 3), [NaN, NaN]);
  });
  it('its exponent gradient at a zero base is 0, not NaN', () => {
    const a = f64([0, 2]);
    const b = f64([2, 3]);
    const [ga, gb] = vjpOf('pow', [a, b], {}, pow(a, b));
    expectClose(ga!, [0, 12]);
    expectClose(gb!, [0, 8 * Math.log(2)]);
  });
  it('rejects non-tensors and mismatched shapes', () => {
    expectThrowsNaming(() => pow('2' as unknown as Tensor, f64([1])), ArgumentError, 'pow', 'a');
    expectThrowsNaming(() => pow(f64([1, 2]), f64([1, 2, 3])), ShapeError, 'pow', '[2]', '[3]');
  });
});

describe('unary math', () => {
  it('sqrt', () => {
    expectClose(sqrt(f64([4, 9, 0, -1])), [2, 3, 0, NaN]);
    expectThrowsNaming(() => sqrt(i32([4])), DTypeError, 'sqrt', 'x', 'int32');
  });
  it('abs keeps int32 and documents abs\'(0) = 0', () => {
    const r = abs(i32([-2, 0, 3]));
    expect(r.dtype).toBe('int32');
    expect(r.toArray()).toEqual([2, 0, 3]);
    const x = f64([-2, 0, 3]);
    expectClose(vjpOf('abs', [x], {}, abs(x))[0]!, [-1, 0, 1]);
  });
  it('sign, with NaN kept', () => {
    expectClose(sign(f64([-3, 0, 2, NaN])), [-1, 0, 1, NaN]);
    expect(sign(i32([-5, 7])).toArray()).toEqual([-1, 1]);
    expect('differentiable' in OPS.sign && OPS.sign.differentiable).toBe(false);
  });
  it('sigmoid is exact at 0 and never overflows', () => {
    expectClose(sigmoid(f64([0, -1000, 1000])), [0.5, 0, 1]);
    expectClose(sigmoid(f64([-40])), [4.248354255291589e-18], 1e-14);
    expectClose(sigmoid(tensor([-1000, 1000])), [0, 1]);
  });
  it('tanh', () => {
    expectClose(tanh(f64([0, 0.5, 1000, -1000])), [0, 0.46211715726000974, 1, -1], 2e-16);
  });
  it('softplus: log 2 at 0, linear above the threshold, tiny but positive far left', () => {
    expectClose(softplus(f64([0, 30])), [Math.LN2, 30]);
    // log1p(e^-50) = e^-50 (1 - e^-50 / 2 + ...) equals e^-50 in float64; log(1 + e^-50) would give 0
    expectClose(softplus(f64([-50])), [Math.exp(-50)], 1e-15);
    expectClose(softplus(f64([-1000])), [0]);
    expectClose(softplus(f64([1]), { beta: 2 }), [1.0634640055214863], 1e-15);
    expectClose(softplus(f64([3]), { threshold: 2 }), [3]);
  });
  it('softplus rejects bad options, naming them', () => {
    expectThrowsNaming(() => softplus(f64([1]), { beta: 0 }), ArgumentError, 'beta');
    expectThrowsNaming(() => softplus(f64([1]), { threshold: NaN }), ArgumentError, 'threshold');
    expectThrowsNaming(() => softplus(f64([1]), 3 as unknown as { beta: number }), ArgumentError, 'options');
    expectThrowsNaming(() => softplus(i32([1])), DTypeError, 'softplus', 'x');
  });
});

describe('erf, erfc and gelu', () => {
  it('erf matches 30-digit values to ~1 ulp', () => {
    expectClose(erf(f64([0.5, 1, -2, 3, 1e-8, 0])), [0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999779095030014, 1.1283791670955126e-8, 0], 3e-16);
    expect(erfScalar(Infinity)).toBe(1);
    expect(erfScalar(-Infinity)).toBe(-1);
    expect(erfScalar(NaN)).toBeNaN();
  });
  it('erfc keeps relative accuracy deep in the tail', () => {
    const xs = [5, 10, -1, 0.75, 26];
    const want = [1.537459794428035e-12, 2.088487583762545e-45, 1.8427007929497148, 0.28884436634648486, 5.663192408856143e-296];
    xs.forEach((x, i) => expect(Math.abs(erfcScalar(x) - want[i]!)).toBeLessThanOrEqual(1e-15 * want[i]!));
  });
  it('gelu is the exact erf form and accurate in the left tail', () => {
    expectClose(gelu(f64([1, -1, 3.5, 0])), [0.8413447460685429, -0.15865525393145705, 3.4991857982233756, 0], 1e-15);
    // 1 + erf(-10/sqrt 2) cancels to 0 in float64; the erfc form keeps the digits
    expectClose(gelu(f64([-10])), [-7.619853024160526e-23], 1e-13);
    expectClose(gelu(f64([50, -50])), [50, -0]);
  });
});

describe('maximum and minimum', () => {
  it('broadcast and propagate NaN', () => {
    expectClose(maximum(f64([1, 5, 3]), 3), [3, 5, 3]);
    expectClose(minimum(f64([[1], [4]]), f64([2, 3])), [[1, 1], [2, 3]]);
    expectClose(maximum(f64([NaN, 1]), f64([0, NaN])), [NaN, NaN]);
    expectClose(minimum(f64([NaN, 1]), f64([0, 2])), [NaN, 1]);
  });
  it('split the gradient 0.5 / 0.5 at ties', () => {
    const a = f64([1, 2, 3]);
    const b = f64([2, 2, 2]);
    const [ga, gb] = vjpOf('maximum', [a, b], {}, maximum(a, b));
    expectClose(ga!, [0, 0.5, 1]);
    expectClose(gb!, [1, 0.5, 0]);
    const [ha, hb] = vjpOf('minimum', [a, b], {}, minimum(a, b));
    expectClose(ha!, [1, 0.5, 0]);
    expectClose(hb!, [0, 0.5, 1]);
  });
});

describe('comparisons', () => {
  it('return 1/0 in the promoted dtype', () => {
    const a = f64([1, 2, 3]);
    expect(less(a, 2).toArray()).toEqual([1, 0, 0]);
    expect(lessEqual(a, 2).toArray()).toEqual([1, 1, 0]);
    expect(greaterEqual(a, 2).toArray()).toEqual([0, 1, 1]);
    expect(equal(a, 2).toArray()).toEqual([0, 1, 0]);
    expect(notEqual(a, 2).toArray()).toEqual([1, 0, 1]);
    expect(equal(i32([1, 2]), i32([1, 3])).dtype).toBe('int32');
    expect(equal(i32([1, 2]), f64([1, 3])).dtype).toBe('float64');
  });
  it('follow IEEE for NaN: nothing equals NaN, NaN differs from itself', () => {
    const n = f64([NaN]);
    expect(equal(n, n).toArray()).toEqual([0]);
    expect(notEqual(n, n).toArray()).toEqual([1]);
    expect(less(n, 1).toArray()).toEqual([0]);
    expect(greaterEqual(n, 1).toArray()).toEqual([0]);
  });
  it('broadcast and reject bad operands', () => {
    expect(less(f64([[1], [3]]), f64([2, 4])).toArray()).toEqual([[1, 1], [0, 1]]);
    expectThrowsNaming(() => equal(f64([1]), null as unknown as Tensor), ArgumentError, 'equal', 'b');
  });
});

describe('where', () => {
  it('picks by nonzero cond (NaN is true), broadcasting all three', () => {
    expectClose(where(f64([1, 0, NaN, -2]), f64([1, 2, 3, 4]), 0), [1, 0, 3, 4]);
    expectClose(where(f64([[1], [0]]), f64([1, 2]), f64(9)), [[1, 2], [9, 9]]);
    expect(where(i32([1, 0]), i32([1, 2]), f64([5, 6])).dtype).toBe('float64');
  });
  it('sends the gradient to the chosen operand only', () => {
    const c = f64([1, 0, 1]);
    const a = f64([1, 2, 3]);
    const b = f64([4, 5, 6]);
    const [gc, ga, gb] = vjpOf('where', [c, a, b], {}, where(c, a, b));
    expect(gc).toBeNull();
    expectClose(ga!, [1, 0, 1]);
    expectClose(gb!, [0, 1, 0]);
  });
  it('names a bad cond', () => {
    expectThrowsNaming(() => where([1, 0] as unknown as Tensor, f64([1, 2]), 0), ArgumentError, 'where', 'cond');
    expectThrowsNaming(() => where(f64([1, 0, 1]), f64([1, 2]), 0), ShapeError, 'where');
  });
});

describe('clip', () => {
  it('clamps into [min, max]; NaN stays NaN; infinite bounds are one-sided', () => {
    expectClose(clip(f64([-2, 0.5, 3, NaN]), 0, 1), [0, 0.5, 1, NaN]);
    expectClose(clip(f64([-2, 5]), 0, Infinity), [0, 5]);
    expect(clip(i32([-5, 5]), -1, 1).toArray()).toEqual([-1, 1]);
  });
  it('passes the gradient on the closed interval, bounds included', () => {
    const x = f64([-1, 0, 0.5, 1, 2]);
    expectClose(vjpOf('clip', [x], { min: 0, max: 1 }, clip(x, 0, 1))[0]!, [0, 1, 1, 1, 0]);
  });
  it('rejects bad bounds, naming them', () => {
    expectThrowsNaming(() => clip(f64([1]), 2, 1), ArgumentError, 'min', 'max');
    expectThrowsNaming(() => clip(f64([1]), NaN, 1), ArgumentError, 'min');
    expectThrowsNaming(() => clip(f64([1]), 0, '1' as unknown as number), ArgumentError, 'max');
    expectThrowsNaming(() => clip(i32([1]), 0.5, 2), ArgumentError, 'min', 'int32');
  });
});

describe('cast', () => {
  it('to int32 truncates toward zero, saturates, and maps NaN to 0', () => {
    const r = cast(f64([2.7, -2.7, NaN, 1e10, -1e10, -0.5]), 'int32');
    expect(r.dtype).toBe('int32');
    expect(Array.from(r.toTypedArray())).toEqual([2, -2, 0, 2147483647, -2147483648, 0]);
  });
  it('between floats rounds to nearest and returns the same tensor for its own dtype', () => {
    const x = f64([0.1]);
    const r = cast(x, 'float32');
    expect(r.dtype).toBe('float32');
    expect(r.item()).toBe(Math.fround(0.1));
    expect(cast(x, 'float64')).toBe(x);
    expect(cast(i32([3]), 'float64').toArray()).toEqual([3]);
  });
  it('its gradient is cast back for floats, and absent for int32', () => {
    const x = f64([1.5]);
    const g32 = vjpOf('cast', [x], { dtype: 'float32' }, cast(x, 'float32'))[0]!;
    expect(g32.dtype).toBe('float64');
    expect(vjpOf('cast', [x], { dtype: 'int32' }, cast(x, 'int32'))[0]).toBeNull();
  });
  it('rejects unknown dtypes, naming the argument', () => {
    expectThrowsNaming(() => cast(f64([1]), 'int64' as 'int32'), ArgumentError, 'cast', 'dtype', 'int64');
  });
});

describe('mean and variance', () => {
  it('mean over axes, keepDims, and NaN for an empty axis', () => {
    const x = f64([[1, 2], [3, 4]]);
    expectClose(mean(x), 2.5);
    expectClose(mean(x, { axis: 1 }), [1.5, 3.5]);
    expectClose(x.mean({ axis: 0, keepDims: true }), [[2, 3]]);
    expectClose(mean(f64([])), NaN);
    expect(mean(tensor([1, 2])).dtype).toBe('float32');
  });
  it('variance: population by default, corrected on request', () => {
    expectClose(variance(f64([1, 2, 3, 4])), 1.25);
    expectClose(variance(f64([1, 2, 3, 4]), { correction: 1 }), 5 / 3);
    expectClose(variance(f64([[1, 3], [2, 2]]), { axis: -1 }), [1, 0]);
    // two-pass: a large offset does not destroy the digits
    expectClose(variance(f64([1e9 + 1, 1e9 + 2, 1e9 + 3])), 2 / 3, 1e-12);
  });
  it('rejects int32, bad axes and impossible corrections', () => {
    expectThrowsNaming(() => mean(i32([1, 2])), DTypeError, 'mean', 'x', 'int32');
    expectThrowsNaming(() => variance(i32([1, 2])), DTypeError, 'variance', 'x', 'int32');
    expectThrowsNaming(() => mean(f64([1, 2]), { axis: 1 }), ArgumentError, 'axis', '1');
    expectThrowsNaming(() => mean(f64([[1, 2]]), { axis: [0, 0] }), ArgumentError, 'axis');
    expectThrowsNaming(() => variance(f64([1]), { correction: 1 }), ArgumentError, 'correction');
    expectThrowsNaming(() => variance(f64([1, 2]), { correction: -1 }), ArgumentError, 'correction');
  });
});

describe('max and min', () => {
  it('reduce over axes, keep int32, and propagate NaN', () => {
    const x = f64([[1, 5], [3, 2]]);
    expectClose(max(x, { axis: 1 }), [5, 3]);
    expectClose(min(x, { axis: 0 }), [1, 2]);
    expectClose(x.max(), 5);
    const r = min(i32([4, -7, 2]));
    expect(r.dtype).toBe('int32');
    expect(r.item()).toBe(-7);
    expectClose(max(f64([1, NaN, 3])), NaN);
    expectClose(min(f64([NaN, 1])), NaN);
    expectClose(max(f64([-Infinity, -Infinity])), -Infinity);
  });
  it('share the gradient evenly among ties (as torch.amax)', () => {
    const x = f64([[3, 1, 3], [0, 2, 1]]);
    const out = max(x, { axis: 1 });
    expectClose(vjpOf('max', [x], { axes: [1], keepDims: false }, out)[0]!, [[0.5, 0, 0.5], [0, 1, 0]]);
    const y = f64([1, 1, 1, 2]);
    expectClose(vjpOf('min', [y], { axes: [0], keepDims: false }, min(y))[0]!, [1 / 3, 1 / 3, 1 / 3, 0]);
  });
  it('refuse an empty axis but allow an empty output', () => {
    expectThrowsNaming(() => max(f64([])), ArgumentError, 'max', 'empty');
    expectThrowsNaming(() => min(tensor([], { shape: [2, 0] }), { axis: 1 }), ArgumentError, 'min', 'empty');
    expect(max(tensor([], { shape: [0, 3] }), { axis: 1 }).shape).toEqual([0]);
  });
});

describe('argmax and argmin', () => {
  it('return int32 indices of the first occurrence', () => {
    const x = f64([[1, 3, 3], [2, 0, 2]]);
    const r = argmax(x, { axis: 1 });
    expect(r.dtype).toBe('int32');
    expect(r.toArray()).toEqual([1, 0]);
    expect(argmin(x, { axis: 1 }).toArray()).toEqual([0, 1]);
    expect(argmax(x, { axis: 0 }).toArray()).toEqual([1, 0, 0]);
    expect(argmax(x).toArray()).toEqual(1);
    expect(argmin(x, { keepDims: true }).toArray()).toEqual([[4]]);
    expect(x.argmax({ axis: -1, keepDims: true }).toArray()).toEqual([[1], [0]]);
  });
  it('treat NaN as the extreme (first NaN wins), as NumPy', () => {
    expect(argmax(f64([1, NaN, 5, NaN])).item()).toBe(1);
    expect(argmin(f64([1, -3, NaN])).item()).toBe(2);
  });
  it('work on int32 and strided views', () => {
    expect(argmax(i32([[1, 9], [7, 2]]), { axis: 0 }).toArray()).toEqual([1, 0]);
    const t = new Tensor(Float64Array.from([1, 9, 7, 2]), [2, 2], 'float64', [1, 2]); // [[1, 7], [9, 2]]
    expect(argmax(t, { axis: 1 }).toArray()).toEqual([1, 0]);
  });
  it('are not differentiable', () => {
    expect(OPS.argmax.differentiable).toBe(false);
    const def = OPS.argmin;
    expect('why' in def ? def.why : '').toContain('piecewise constant');
  });
  it('reject axis lists, out-of-range axes and empty searches', () => {
    expectThrowsNaming(() => argmax(f64([[1]]), { axis: [0] as unknown as number }), ArgumentError, 'argmax', 'axis');
    expectThrowsNaming(() => argmin(f64([1, 2]), { axis: 2 }), ArgumentError, 'argmin axis', '2');
    expectThrowsNaming(() => argmax(f64([])), ArgumentError, 'argmax', 'empty');
    // a bare number is the axis (as NumPy's argmax(x, 0)); anything else that is not an options object is refused
    expectThrowsNaming(() => argmax(f64([1]), '0' as unknown as { axis: number }), ArgumentError, 'options');
  });
});

describe('logsumexp', () => {
  it('is stable for large values and exact for infinities', () => {
    expectClose(logsumexp(f64([1000, 1000])), 1000.6931471805599);
    expectClose(logsumexp(f64([-1000, -1000])), -999.3068528194401, 1e-15);
    expectClose(logsumexp(f64([-Infinity, -Infinity])), -Infinity);
    expectClose(logsumexp(f64([Infinity, 1])), Infinity);
    expectClose(logsumexp(f64([NaN, 1])), NaN);
    expectClose(logsumexp(f64([])), -Infinity);
    expectClose(logsumexp(f64([[0, 0], [Math.log(3), 0]]), { axis: 1 }), [Math.LN2, Math.log(4)], 1e-15);
  });
  it('rejects int32', () => {
    expectThrowsNaming(() => logsumexp(i32([1])), DTypeError, 'logsumexp', 'x');
  });
});

describe('softmax and logSoftmax', () => {
  it('do not overflow on large logits', () => {
    expectClose(softmax(f64([1000, 1000])), [0.5, 0.5]);
    expectClose(softmax(f64([1000, 0])), [1, 0]);
    // float32 logits: e^1e4 overflows float64 too, the shift keeps it finite
    expectClose(softmax(tensor([1e4, 1e4 - 1])), [1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1))], 1e-6);
    expectClose(logSoftmax(f64([1000, 0])), [0, -1000]);
    expectClose(logSoftmax(f64([0, 0])), [-Math.LN2, -Math.LN2]);
  });
  it('normalise along the requested axis', () => {
    const x = f64([[0, Math.log(3)], [0, 0]]);
    expectClose(softmax(x, 0), [[0.5, 0.75], [0.5, 0.25]], 1e-15);
    expectClose(x.softmax(), [[0.25, 0.75], [0.5, 0.5]], 1e-15);
    expectClose(x.logSoftmax(-1), [[Math.log(0.25), Math.log(0.75)], [-Math.LN2, -Math.LN2]], 1e-15);
  });
  it('give NaN for an all -Infinity lane (as PyTorch) without touching other lanes', () => {
    expectClose(softmax(f64([[-Infinity, -Infinity], [0, 0]])), [[NaN, NaN], [0.5, 0.5]]);
  });
  it('reject int32, 0-d tensors and bad axes', () => {
    expectThrowsNaming(() => softmax(i32([1, 2])), DTypeError, 'softmax', 'x', 'int32');
    expectThrowsNaming(() => logSoftmax(f64(1)), ArgumentError, 'logSoftmax', 'rank');
    expectThrowsNaming(() => softmax(f64([1, 2]), 1), ArgumentError, 'softmax axis', '1');
    expectThrowsNaming(() => softmax(f64([1, 2]), '0' as unknown as number), ArgumentError, 'softmax', 'axis');
  });
});

describe('method forms forward to the ops', () => {
  it('chains', () => {
    const x = f64([[-4, 9], [16, -1]]);
    expectClose(x.abs().sqrt(), [[2, 3], [4, 1]]);
    expectClose(x.clip(0, 10).pow(0.5), [[0, 3], [Math.sqrt(10), 0]]);
    expect(x.less(0).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(x.cast('int32').dtype).toBe('int32');
    expectClose(x.maximum(0).minimum(10).sum(), 19);
    expectClose(x.variance({ axis: 0 }), [100, 25]);
    expectClose(x.logsumexp({ axis: 1 }), [Math.log(Math.exp(-4) + Math.exp(9)), Math.log(Math.exp(16) + Math.exp(-1))], 1e-15);
    expectClose(f64([0]).sigmoid().add(f64([0]).tanh()).add(f64([0]).gelu()), [0.5]);
    expectClose(f64([0]).softplus({ beta: 1 }), [Math.LN2]);
    expectClose(f64([0.5]).erf(), [0.5204998778130465], 3e-16);
  });
});

describe('relu and NaN', () => {
  it('keeps NaN (as torch.relu) instead of hiding it as 0', () => {
    const out = Array.from(relu(tensor([NaN, -1, 2])).toTypedArray());
    expect(Number.isNaN(out[0]!)).toBe(true);
    expect(out.slice(1)).toEqual([0, 2]);
  });
});
