/**
 * matmul, conv2d and pooling: hand-computed cases, PyTorch's output-size rules, the
 * first-maximum gradient convention of max pooling, every VJP against central finite
 * differences (called directly on the op definitions, independently of autograd), and
 * hostile arguments.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  OPS,
  PathgradError,
  ShapeError,
  Tensor,
  arange,
  avgPool2d,
  avgPool2dBackward,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  convOutputSize,
  matmul,
  maxPool2d,
  maxPool2dBackward,
  maxPool2dIndices,
  ones,
  poolOutputSize,
  randn,
  rng,
  runKernel,
  sumToShape,
  tensor,
  zeros,
  type DifferentiableOpDef,
  type OpDef,
  type OpSample,
} from '../src/index.js';
import { compareTensors } from '../src/testing/index.js';

const f64 = (values: Parameters<typeof tensor>[0], shape?: number[]) => tensor(values, { dtype: 'float64', ...(shape ? { shape } : {}) });

function expectClose(actual: Tensor, expected: Tensor | number[] | number, tol = 1e-12): void {
  const e = expected instanceof Tensor ? expected : f64(expected as number[], Array.isArray(expected) ? undefined : []);
  const exp = expected instanceof Tensor ? e : new Tensor(Float64Array.from(e.toTypedArray()), actual.shape, 'float64');
  const r = compareTensors(actual, exp, { rtol: tol, atol: tol });
  if (!r.ok) throw new Error(r.message);
}

/** Narrows an op definition to one with a VJP. */
function differentiable<A>(def: OpDef<A>): DifferentiableOpDef<A> {
  if (!('vjp' in def)) throw new Error(`${def.name} is not differentiable`);
  return def;
}

/** Throws unless `fn` throws an error of `cls` whose message contains every fragment. */
function expectError(fn: () => unknown, cls: new (...a: never[]) => Error, fragments: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  expect(err).toBeInstanceOf(PathgradError);
  for (const f of fragments) expect((err as Error).message).toContain(f);
}

describe('matmul', () => {
  it('multiplies 2x2 matrices by hand', () => {
    expect(matmul(f64([[1, 2], [3, 4]]), f64([[5, 6], [7, 8]])).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(f64([[1, 2], [3, 4]]).matmul(f64([[0, 1], [1, 0]])).toArray()).toEqual([[2, 1], [4, 3]]);
  });

  it('follows NumPy for vectors: dot, promoted row/column removed', () => {
    const d = matmul(f64([1, 2, 3]), f64([4, 5, 6]));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
    expect(matmul(f64([1, 1]), f64([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([5, 7, 9]);
    expect(matmul(f64([[1, 2, 3], [4, 5, 6]]), f64([1, 0, 1])).toArray()).toEqual([4, 10]);
    expect(matmul(zeros([5, 2, 3]), zeros([3])).shape).toEqual([5, 2]);
    expect(matmul(zeros([3]), zeros([5, 3, 4])).shape).toEqual([5, 4]);
  });

  it('broadcasts batch dimensions', () => {
    expect(matmul(zeros([2, 1, 3, 4]), zeros([5, 4, 6])).shape).toEqual([2, 5, 3, 6]);
    const a = f64([[[1, 0], [0, 1]], [[2, 0], [0, 2]]]); // [2, 2, 2]
    const b = f64([[1, 2], [3, 4]]);
    expect(matmul(a, b).toArray()).toEqual([[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
  });

  it('handles empty dimensions (k = 0 gives zeros)', () => {
    const y = matmul(zeros([2, 0]), zeros([0, 3]));
    expect(y.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('is exact in float64 and accumulates float32 in float32', () => {
    const big = 2 ** 30;
    expect(matmul(f64([big, 1, -big]), f64([1, 1, 1])).item()).toBe(1);
    const y = matmul(tensor([1e8, 1, -1e8]), tensor([1, 1, 1]));
    expect(y.dtype).toBe('float32');
    // 1e8 + 1 rounds back to 1e8 in float32, then the sum cancels to 0
    expect(y.item()).toBe(0);
  });

  it('reads transposed (strided) inputs correctly', () => {
    const a = f64([[1, 2, 3], [4, 5, 6]]).transpose(); // [3, 2] view
    expect(matmul(a, f64([[1], [1]])).toArray()).toEqual([[5], [7], [9]]);
  });

  it('rejects mismatched inner dimensions naming both', () => {
    expectError(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, ['matmul', '(3)', '(4)', '[2, 3]', '[4, 5]']);
    expectError(() => matmul(zeros([3]), zeros([2])), ShapeError, ['(3)', '(2)']);
    expectError(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 1])), ShapeError, ['batch', '[2]', '[3]']);
    expectError(() => matmul(tensor(2), zeros([2])), ShapeError, ['at least 1 dimension', 'shape []']);
    expectError(() => matmul(zeros([2]), [1, 2] as unknown as Tensor), ArgumentError, ['matmul', 'b']);
  });
});

describe('conv2d', () => {
  const x4 = () => arange(16, undefined, 1, 'float64').reshape([1, 1, 4, 4]);
  const sobel = () => f64([[1, 0, -1], [2, 0, -2], [1, 0, -1]]).reshape([1, 1, 3, 3]);

  it('computes a 3x3 convolution by hand (cross-correlation, as PyTorch)', () => {
    // each row contributes (x[r,c] - x[r,c+2]) * weight = -2 * (1 + 2 + 1)
    expect(conv2d(x4(), sobel()).toArray()).toEqual([[[[-8, -8], [-8, -8]]]]);
    const padded = conv2d(x4(), sobel(), null, { padding: 1 });
    expect(padded.shape).toEqual([1, 1, 4, 4]);
    // corner: -2*x[0,1] - x[1,1] = -2 - 5
    expect(padded.get(0, 0, 0, 0)).toBe(-7);
    expect(conv2d(x4(), ones([1, 1, 3, 3], 'float64')).toArray()).toEqual([[[[45, 54], [81, 90]]]]);
  });

  it('applies stride and dilation', () => {
    const x = arange(25, undefined, 1, 'float64').reshape([1, 1, 5, 5]);
    // y[i,j] = x[2i,2j] + x[2i,2j+2] + x[2i+2,2j] + x[2i+2,2j+2] with x[r,c] = 5r + c
    expect(conv2d(x, ones([1, 1, 2, 2], 'float64'), null, { stride: 2, dilation: 2 }).toArray()).toEqual([[[[24, 32], [64, 72]]]]);
    expect(conv2d(x, ones([1, 1, 2, 2], 'float64'), null, { stride: [1, 3] }).shape).toEqual([1, 1, 4, 2]);
  });

  it('keeps groups independent and adds a bias per output channel', () => {
    const x = f64([1, 1, 1, 1, 2, 2, 2, 2], [1, 2, 2, 2]);
    const w = f64([3, 5], [2, 1, 1, 1]);
    const y = conv2d(x, w, f64([0.5, -1]), { groups: 2 });
    expect(y.toArray()).toEqual([[[[3.5, 3.5], [3.5, 3.5]], [[9, 9], [9, 9]]]]);
  });

  it("pads 'same' like PyTorch, extra zero at the bottom/right for even kernels", () => {
    const x = f64([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).reshape([1, 1, 3, 3]);
    const y = conv2d(x, ones([1, 1, 2, 2], 'float64'), null, { padding: 'same' });
    expect(y.toArray()).toEqual([[[[12, 16, 9], [24, 28, 15], [15, 17, 9]]]]);
    expect(conv2d(x, ones([1, 1, 3, 3], 'float64'), null, { padding: 'same' }).get(0, 0, 0, 0)).toBe(12);
    expect(conv2d(x, ones([1, 1, 3, 3], 'float64'), null, { padding: 'valid' }).toArray()).toEqual([[[[45]]]]);
  });

  it('accepts unbatched [C, H, W] input', () => {
    const y = conv2d(x4().reshape([1, 4, 4]), sobel());
    expect(y.toArray()).toEqual([[[-8, -8], [-8, -8]]]);
  });

  it('computes both backward ops by hand', () => {
    const gi = conv2dBackwardInput(ones([1, 1, 2, 2], 'float64'), ones([1, 1, 2, 2], 'float64'), {
      stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, inputShape: [1, 1, 3, 3],
    });
    expect(gi.toArray()).toEqual([[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]);
    const gw = conv2dBackwardWeight(arange(9, undefined, 1, 'float64').reshape([1, 1, 3, 3]), ones([1, 1, 2, 2], 'float64'), {
      stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, weightShape: [1, 1, 2, 2],
    });
    expect(gw.toArray()).toEqual([[[[8, 12], [20, 24]]]]);
    // stride 2 leaves the last input row/column unread: its gradient is zero
    const gs = conv2dBackwardInput(ones([1, 1, 2, 2], 'float64'), ones([1, 1, 1, 1], 'float64'), {
      stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1, inputShape: [1, 1, 4, 4],
    });
    expect(gs.toArray()).toEqual([[[[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]]]);
  });

  it('matches the output-size formula', () => {
    expect(convOutputSize(28, 3, 1, 0, 1)).toBe(26);
    expect(convOutputSize(28, 5, 2, 2, 1)).toBe(14);
    expect(convOutputSize(7, 3, 2, 1, 2)).toBe(3);
    expect(conv2d(zeros([2, 4, 9, 8]), zeros([6, 2, 3, 2]), null, { stride: [2, 3], padding: [1, 0], dilation: [2, 1], groups: 2 }).shape).toEqual([
      2, 6, convOutputSize(9, 3, 2, 1, 2), convOutputSize(8, 2, 3, 0, 1),
    ]);
  });

  it('rejects hostile arguments with errors naming the argument and values', () => {
    expectError(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 2, 3, 3]), null, { groups: 2 }), ShapeError, ['C=3', '2 channels per group x 2 groups = 4']);
    expectError(() => conv2d(zeros([1, 4, 5, 5]), zeros([3, 2, 3, 3]), null, { groups: 2 }), ShapeError, ['weight.shape[0]=3', 'groups=2']);
    expectError(() => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 5, 5]), null, { padding: 1 }), ShapeError, ['kernel height 5', '2 + 2*1 = 4']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { dilation: 4 }), ShapeError, ['dilated to 5', '4 + 2*0 = 4']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { stride: 0 }), ArgumentError, ['stride', 'got 0']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { stride: [1, -2] }), ArgumentError, ['stride', '[1, -2]']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { padding: -1 }), ArgumentError, ['padding', '-1']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { groups: 0 }), ArgumentError, ['groups', '0']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { padding: 'same', stride: 2 }), ArgumentError, ["'same'", 'stride [2, 2]']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 2, 2]), null, { padding: 'full' as 'same' }), ArgumentError, ['padding', '"full"']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([2, 1, 2, 2]), zeros([3])), ShapeError, ['bias', '[2]', '[3]']);
    expectError(() => conv2d(zeros([4, 4]), zeros([1, 1, 2, 2])), ShapeError, ['x', '[4, 4]']);
    expectError(() => conv2d(zeros([1, 1, 4, 4]), zeros([2, 2])), ShapeError, ['weight', '[2, 2]']);
    expectError(() => conv2d(zeros([1, 1, 4, 4], 'int32'), zeros([1, 1, 2, 2])), DTypeError, ['x', 'int32']);
    expectError(
      () => conv2dBackwardInput(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]), { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, inputShape: [1, 1, 3, 3] }),
      ShapeError,
      ['[1, 1, 2, 2]', 'got [1, 1, 3, 3]'],
    );
  });
});

describe('pooling', () => {
  it('follows PyTorch output sizes, including ceil mode', () => {
    expect(poolOutputSize(28, 2, 2, 0, 1, false)).toBe(14);
    expect(poolOutputSize(5, 2, 2, 0, 1, false)).toBe(2);
    expect(poolOutputSize(5, 2, 2, 0, 1, true)).toBe(3);
    expect(poolOutputSize(6, 3, 2, 1, 1, false)).toBe(3);
    expect(poolOutputSize(6, 3, 2, 1, 1, true)).toBe(4);
    // ceil would give 4, but the 4th window would start in the right padding: PyTorch drops it
    expect(poolOutputSize(5, 2, 2, 1, 1, true)).toBe(3);
    expect(poolOutputSize(7, 2, 1, 0, 3, false)).toBe(4);
    expect(maxPool2d(zeros([1, 1, 5, 7]), { kernelSize: [2, 3], ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(avgPool2d(zeros([2, 3, 5, 7]), { kernelSize: 2, stride: 1 }).shape).toEqual([2, 3, 4, 6]);
  });

  it('max-pools by hand and pads with -inf', () => {
    const x = f64([[1, 2, -1], [3, 0, -5], [-2, -3, -4]]).reshape([1, 1, 3, 3]);
    expect(maxPool2d(x, { kernelSize: 2 }).toArray()).toEqual([[[[3]]]]);
    expect(maxPool2d(x, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([[[[3, -1], [-2, -4]]]]);
    expect(maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }).toArray()).toEqual([[[[3, 2], [3, 0]]]]);
    // padding is -inf: windows of negative values reaching into it are not lifted to 0
    expect(maxPool2d(x.sub(10), { kernelSize: 3, stride: 2, padding: 1 }).toArray()).toEqual([[[[-7, -8], [-7, -10]]]]);
    expect(maxPool2d(x.reshape([1, 3, 3]), { kernelSize: 3 }).toArray()).toEqual([[[3]]]);
  });

  it('sends the gradient to the first maximum of each window (row-major), as PyTorch', () => {
    const x = f64([[1, 3], [3, 0]]).reshape([1, 1, 2, 2]);
    const idx = maxPool2dIndices(x, { kernelSize: 2 });
    expect(idx.dtype).toBe('int32');
    expect(idx.toArray()).toEqual([[[[1]]]]);
    const g = maxPool2dBackward(ones([1, 1, 1, 1], 'float64'), idx, { inputShape: [1, 1, 2, 2] });
    expect(g.toArray()).toEqual([[[[0, 1], [0, 0]]]]);

    // a flat background (MNIST's zeros): every window ties, each picks its top-left element
    const flat = zeros([1, 1, 4, 4], 'float64');
    const def = differentiable(OPS.maxPool2d);
    const attrs = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false } as const;
    const y = runKernel(def, 'cpu', [flat], attrs)!;
    const [gx] = def.vjp(f64([1, 2, 3, 4], [1, 1, 2, 2]), { inputs: [flat], output: y, attrs, needs: [true] });
    expect(gx!.toArray()).toEqual([[[[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]]]);

    // overlapping windows add at a shared first maximum
    const row = f64([2, 2, 2], [1, 1, 1, 3]);
    const idx2 = maxPool2dIndices(row, { kernelSize: [1, 2], stride: 1 });
    expect(idx2.toArray()).toEqual([[[[0, 1]]]]);
    const line = f64([5, 1, 1], [1, 1, 1, 3]);
    const g2 = maxPool2dBackward(ones([1, 1, 1, 2], 'float64'), maxPool2dIndices(line, { kernelSize: [1, 2], stride: 1 }), { inputShape: [1, 1, 1, 3] });
    expect(g2.toArray()).toEqual([[[[1, 1, 0]]]]);
  });

  it('propagates NaN instead of hiding it', () => {
    const x = f64([1, NaN, 3, 0], [1, 1, 2, 2]);
    expect(Number.isNaN(maxPool2d(x, { kernelSize: 2 }).item())).toBe(true);
    expect(maxPool2dIndices(x, { kernelSize: 2 }).item()).toBe(1);
  });

  it('average-pools by hand with and without counting padding, and in ceil mode', () => {
    const x = f64([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).reshape([1, 1, 3, 3]);
    expect(avgPool2d(x, { kernelSize: 2, padding: 1 }).toArray()).toEqual([[[[0.25, 1.25], [2.75, 7]]]]);
    expect(avgPool2d(x, { kernelSize: 2, padding: 1, countIncludePad: false }).toArray()).toEqual([[[[1, 2.5], [5.5, 7]]]]);
    // the ceil-mode overhang past the input (no padding there) is not counted, as PyTorch
    expect(avgPool2d(x, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([[[[3, 4.5], [7.5, 9]]]]);
    const g = avgPool2dBackward(ones([1, 1, 1, 1], 'float64'), {
      kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true, inputShape: [1, 1, 2, 2],
    });
    expect(g.toArray()).toEqual([[[[0.25, 0.25], [0.25, 0.25]]]]);
  });

  it('rejects hostile arguments with errors naming the argument and values', () => {
    const x = zeros([1, 1, 4, 4]);
    expectError(() => maxPool2d(x, { kernelSize: 0 }), ArgumentError, ['kernelSize', 'got 0']);
    expectError(() => maxPool2d(x, { kernelSize: 2, stride: 0 }), ArgumentError, ['stride', 'got 0']);
    expectError(() => maxPool2d(x, { kernelSize: 2, stride: -1 }), ArgumentError, ['stride', '-1']);
    expectError(() => maxPool2d(x, { kernelSize: 2, padding: 2 }), ArgumentError, ['padding [2, 2]', 'kernelSize [2, 2]']);
    expectError(() => maxPool2d(x, { kernelSize: 5 }), ShapeError, ['kernel height 5', '4 + 2*0 = 4']);
    expectError(() => maxPool2d(x, { kernelSize: 2, dilation: 4 }), ShapeError, ['dilated to 5']);
    expectError(() => maxPool2d(zeros([4, 4]), { kernelSize: 2 }), ShapeError, ['4-D', '[4, 4]']);
    expectError(() => maxPool2d(x, undefined as unknown as { kernelSize: number }), ArgumentError, ['kernelSize', 'undefined']);
    expectError(() => maxPool2d(zeros([1, 1, 4, 4], 'int32'), { kernelSize: 2 }), DTypeError, ['int32']);
    expectError(() => avgPool2d(x, { kernelSize: 2, ceilMode: 1 as unknown as boolean }), ArgumentError, ['ceilMode', '1']);
    expectError(() => avgPool2d(x, { kernelSize: 2, dilation: 2 } as { kernelSize: number }), ArgumentError, ['dilation']);
    expectError(
      () => maxPool2dBackward(ones([1, 1, 1, 1]), tensor([7], { dtype: 'int32', shape: [1, 1, 1, 1] }), { inputShape: [1, 1, 2, 2] }),
      ArgumentError,
      ['indices', '[-1, 3]', 'got 7'],
    );
    expectError(() => maxPool2dBackward(ones([1, 1, 1, 1]), ones([1, 1, 1, 1]), { inputShape: [1, 1, 2, 2] }), DTypeError, ['indices', 'int32']);
  });
});

/** `<g, op(inputs)>` in float64 for the finite differences. */
function pairing(def: OpDef<any>, inputs: Tensor[], attrs: unknown, g: Tensor): number {
  const y = runKernel(def, 'cpu', inputs, attrs)!.toTypedArray();
  const gv = g.toTypedArray();
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * gv[i]!;
  return s;
}

/**
 * Checks an op's VJP against central differences of `<g, op(x)>` for every float input,
 * in float64. Ops here are linear or piecewise linear per input, so differences are exact
 * up to rounding and the tolerance can be tight.
 */
function checkVjp(op: OpDef<any>, sample: OpSample<any>, seed: number): void {
  const def = differentiable(op);
  const inputs = sample.inputs.map((t) => (t.dtype === 'int32' ? t : new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64')));
  const y = runKernel(def, 'cpu', inputs, sample.attrs)!;
  const g = randn([...y.shape], rng(seed), { dtype: 'float64' });
  const grads = def.vjp(g, { inputs, output: y, attrs: sample.attrs, needs: inputs.map(() => true) });
  inputs.forEach((x, k) => {
    if (x.dtype === 'int32') return;
    const got = grads[k];
    if (!got) throw new Error(`${def.name}: no gradient for input ${k}`);
    const gk = sumToShape(got, x.shape).toTypedArray();
    const base = x.toTypedArray() as Float64Array;
    const h = 1e-4;
    for (let i = 0; i < base.length; i++) {
      const plus = Float64Array.from(base);
      const minus = Float64Array.from(base);
      plus[i]! += h;
      minus[i]! -= h;
      const at = (d: Float64Array) => inputs.map((t, j) => (j === k ? new Tensor(d, x.shape, 'float64') : t));
      const num = (pairing(def, at(plus), sample.attrs, g) - pairing(def, at(minus), sample.attrs, g)) / (2 * h);
      if (Math.abs(num - gk[i]!) > 1e-6 * (1 + Math.abs(num))) {
        throw new Error(`${def.name}: d/d input${k}[${i}] numeric ${num} vs vjp ${gk[i]}`);
      }
    }
  });
}

describe('VJPs match finite differences', () => {
  const names = [
    'matmul',
    'conv2d',
    'conv2dBackwardInput',
    'conv2dBackwardWeight',
    'maxPool2d',
    'maxPool2dBackward',
    'maxPool2dGather',
    'avgPool2d',
    'avgPool2dBackward',
  ] as const;
  for (const name of names) {
    it(`${name} on random samples`, () => {
      const def = OPS[name] as OpDef<any>;
      fc.assert(
        fc.property(def.spec.sample(fc), fc.nat(1000), (sample, seed) => {
          fc.pre(!def.spec.gradcheckSkip?.(sample));
          checkVjp(def, sample, seed);
        }),
        { numRuns: 25 },
      );
    });
  }

  it('matmul with 1-D operands and broadcast batches (fixed shapes)', () => {
    const r = rng(7);
    const cases: [number[], number[]][] = [
      [[3], [3]],
      [[3], [2, 3, 4]],
      [[2, 1, 2, 3], [3, 4]],
      [[1, 2, 3], [5, 3, 2]],
      [[2, 3], [3]],
    ];
    for (const [sa, sb] of cases) {
      checkVjp(OPS.matmul, { inputs: [randn(sa, r, { dtype: 'float64' }), randn(sb, r, { dtype: 'float64' })], attrs: {} }, 3);
    }
  });

  it('conv2d in float32 stays close to float64', () => {
    const r = rng(11);
    const x = randn([2, 4, 9, 9], r, { dtype: 'float64' });
    const w = randn([6, 2, 3, 3], r, { dtype: 'float64' });
    const opts = { stride: 2, padding: 1, groups: 2 } as const;
    const y64 = conv2d(x, w, null, opts);
    const y32 = conv2d(new Tensor(Float32Array.from(x.toTypedArray()), x.shape, 'float32'), new Tensor(Float32Array.from(w.toTypedArray()), w.shape, 'float32'), null, opts);
    expect(y32.dtype).toBe('float32');
    expectClose(y32, y64, 1e-4);
  });
});
