import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  argmax,
  argmin,
  avgPool2d,
  checkOptionKeys,
  configureGpujs,
  conv2d,
  conv2dBiasAct,
  conv2dReluMaxPool,
  editDistance,
  fromNdarray,
  linear,
  logsumexp,
  max,
  maxPool2d,
  maxPool2dIndices,
  mean,
  min,
  nearestKey,
  optionKeys,
  rand,
  randn,
  resolveConv2dOptions,
  rng,
  softplus,
  sum,
  tensor,
  toNdarray,
  variance,
  writeNpy,
  zeros,
  type Tensor,
} from '../src/index.js';
import * as api from '../src/index.js';
import { compareTensors } from '../src/testing/index.js';

/** Naive float64 reduction of `x` over exactly `axes` (keepDims false), by walking every index. */
function naiveReduce(x: Tensor, axes: number[], fold: (values: number[]) => number): { shape: number[]; values: number[] } {
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const groups = new Map<string, number[]>();
  const order: string[] = [];
  const idx = x.shape.map(() => 0);
  for (let flat = 0; flat < x.size; flat++) {
    let r = flat;
    for (let d = x.rank - 1; d >= 0; d--) {
      idx[d] = r % x.shape[d]!;
      r = Math.floor(r / x.shape[d]!);
    }
    const key = idx.filter((_, i) => !axes.includes(i)).join(',');
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
    groups.get(key)!.push(x.get(...idx));
  }
  return { shape, values: order.map((k) => fold(groups.get(k)!)) };
}

const total = (v: number[]) => v.reduce((a, b) => a + b, 0);
const average = (v: number[]) => total(v) / v.length;
const populationVar = (v: number[]) => {
  const m = average(v);
  return total(v.map((e) => (e - m) ** 2)) / v.length;
};
const lse = (v: number[]) => {
  const m = Math.max(...v);
  return m + Math.log(total(v.map((e) => Math.exp(e - m))));
};

describe('reductions take the axes alone, as NumPy and PyTorch do', () => {
  const x = rand([3, 4, 5], rng(7), { dtype: 'float64' });
  const cases: [string, (t: Tensor, a: number | number[]) => Tensor, (v: number[]) => number][] = [
    ['sum', (t, a) => sum(t, a), total],
    ['mean', (t, a) => mean(t, a), average],
    ['max', (t, a) => max(t, a), (v) => Math.max(...v)],
    ['min', (t, a) => min(t, a), (v) => Math.min(...v)],
    ['variance', (t, a) => variance(t, a), populationVar],
    ['logsumexp', (t, a) => logsumexp(t, a), lse],
  ];
  for (const [name, op, fold] of cases) {
    for (const axes of [[0, 2], [1], [2, 0], [0, 1, 2], [-1, 0]]) {
      it(`${name}(x, [${axes.join(', ')}]) reduces exactly those axes`, () => {
        const norm = axes.map((a) => (a < 0 ? a + x.rank : a));
        const ref = naiveReduce(x, norm, fold);
        const got = op(x, axes);
        expect(got.shape).toEqual(ref.shape);
        const values = Array.from(got.toTypedArray());
        // float64 accumulation of at most 60 terms in [0, 1): rounding error below 1e-13
        values.forEach((v, i) => expect(Math.abs(v - ref.values[i]!)).toBeLessThan(1e-12));
        // the positional form is the same as { axis }
        expect(Array.from(op(x, axes).toTypedArray())).toEqual(Array.from((name === 'sum' ? sum(x, { axis: axes }) : got).toTypedArray()));
      });
    }
    it(`${name}(x, 1) takes one axis`, () => {
      const ref = naiveReduce(x, [1], fold);
      Array.from(op(x, 1).toTypedArray()).forEach((v, i) => expect(Math.abs(v - ref.values[i]!)).toBeLessThan(1e-12));
    });
  }

  it('sum(x, [0, 2]) differs from the total (the reported silent bug)', () => {
    const s = sum(x, [0, 2]);
    expect(s.shape).toEqual([4]);
    expect(sum(x).shape).toEqual([]);
  });

  it('refuses repeated or out-of-range axes in the list', () => {
    expect(() => sum(x, [0, 0])).toThrow(/must not repeat/);
    expect(() => sum(x, [0, 3])).toThrow(ArgumentError);
    expect(() => sum(x, [0.5] as never)).toThrow(ArgumentError);
  });

  it('argmax/argmin take one axis: a number works, a list is refused by name', () => {
    expect(argmax(x, 1).toArray()).toEqual(argmax(x, { axis: 1 }).toArray());
    expect(argmin(x, -1).toArray()).toEqual(argmin(x, { axis: -1 }).toArray());
    expect(() => argmax(x, [0, 2] as never)).toThrow(/argmax: takes a single axis .* got an array \[0, 2\]/);
    expect(() => argmin(x, { axis: [0, 2] } as never)).toThrow(/argmin: axis must be a single integer/);
  });

  it('refuses unknown keys and non-boolean keepDims', () => {
    expect(() => sum(x, { axes: [0, 2] } as never)).toThrow("sum: unknown option 'axes' (did you mean 'axis'?)");
    expect(() => mean(x, { axis: 0, keepdims: true } as never)).toThrow("mean: unknown option 'keepdims' (did you mean 'keepDims'?)");
    expect(() => variance(x, { axis: 0, corection: 1 } as never)).toThrow("variance: unknown option 'corection' (did you mean 'correction'?)");
    expect(() => argmax(x, { dim: 0 } as never)).toThrow(/argmax: unknown option 'dim'/);
    expect(() => sum(x, { keepDims: 1 } as never)).toThrow(/keepDims must be true or false, got 1/);
    expect(() => sum(x, 'all' as never)).toThrow(/sum: options must be an object/);
  });
});

describe('tensor option objects refuse unknown keys and arrays', () => {
  const img = zeros([1, 1, 4, 4]);
  const calls: [string, () => unknown, string][] = [
    ['tensor', () => tensor([1, 2], { dtyp: 'float64' } as never), 'dtype'],
    ['softplus', () => softplus(zeros([2]), { betta: 2 } as never), 'beta'],
    ['conv2d', () => conv2d(img, zeros([1, 1, 3, 3]), null, { strides: 1 } as never), 'stride'],
    ['conv2dBiasAct', () => conv2dBiasAct(img, zeros([1, 1, 3, 3]), zeros([1]), { activaton: 'relu' } as never), 'activation'],
    ['conv2dReluMaxPool', () => conv2dReluMaxPool(img, zeros([1, 1, 3, 3]), zeros([1]), { pool: { kernelSize: 1 }, strides: 1 } as never), 'stride'],
    ['linear', () => linear(zeros([1, 2]), zeros([3, 2]), null, { activaton: 'relu' } as never), 'activation'],
    ['maxPool2d', () => maxPool2d(img, { kernelSize: 2, ceilmode: true } as never), 'ceilMode'],
    ['avgPool2d', () => avgPool2d(img, { kernelSize: 2, countIncludePads: false } as never), 'countIncludePad'],
    ['writeNpy', () => writeNpy(zeros([2]), { fortranorder: true } as never), 'fortranOrder'],
    ['toNdarray', () => toNdarray(zeros([2]), { cpy: true } as never), 'copy'],
    ['rand', () => rand([2], rng(0), { hihg: 2 } as never), 'high'],
    ['randn', () => randn([2], rng(0), { sdt: 2 } as never), 'std'],
    ['sum', () => sum(zeros([2]), { Axis: 0 } as never), 'axis'],
    ['argmax', () => argmax(zeros([2]), { keepDim: true } as never), 'keepDims'],
    ['argmin', () => argmin(zeros([2]), { axs: 0 } as never), 'axis'],
    ['mean', () => mean(zeros([2]), { keepdim: true } as never), 'keepDims'],
    ['max', () => max(zeros([2]), { axes: 0 } as never), 'axis'],
    ['min', () => min(zeros([2]), { axes: 0 } as never), 'axis'],
    ['logsumexp', () => logsumexp(zeros([2]), { axes: 0 } as never), 'axis'],
    ['variance', () => variance(zeros([2]), { corection: 1 } as never), 'correction'],
    ['maxPool2dIndices', () => maxPool2dIndices(img, { kernelSize: 2, dilations: 1 } as never), 'dilation'],
    ['fromNdarray', () => fromNdarray({} as never, { dytpe: 'float32' } as never), 'dtype'],
    ['resolveConv2dOptions', () => resolveConv2dOptions({ dilations: 2 } as never, [3, 3], 'resolveConv2dOptions'), 'dilation'],
    ['configureGpujs', () => configureGpujs({ mdoe: 'cpu' } as never), 'mode'],
  ];
  for (const [name, call, suggestion] of calls) {
    it(`${name} names the unknown key and suggests '${suggestion}'`, () => {
      expect(call).toThrow(ArgumentError);
      expect(call).toThrow(new RegExp(`^${name}: unknown option '\\w+' \\(did you mean '${suggestion}'\\?\\)$`));
    });
  }
  it('every public function with an options parameter is in the table above', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    const found = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(src + f, 'utf8').matchAll(/^export function (\w+)\(([^)]*)\)/gm)) {
        if (/\b(opts|options)\??:/.test(m[2]!) && m[1]! in api) found.add(m[1]!);
      }
    }
    const tested = new Set(calls.map(([name]) => name));
    expect([...found].filter((name) => !tested.has(name)), 'options-taking exports without a row').toEqual([]);
    expect(found.size).toBeGreaterThan(15);
  });
  it('the testing kit refuses unknown keys too', () => {
    expect(() => compareTensors(zeros([2]), zeros([2]), { rTol: 1e-3 } as never)).toThrow("compareTensors: unknown option 'rTol' (did you mean 'rtol'?)");
  });
  it('an array where the options object belongs is refused', () => {
    expect(() => tensor([1, 2, 3, 4], [2, 2] as never)).toThrow(/tensor: options must be an object .* got an array \[2, 2\]/);
    expect(() => conv2d(img, zeros([1, 1, 3, 3]), null, [1, 1] as never)).toThrow(/conv2d: options must be an object/);
    expect(() => maxPool2d(img, [2] as never)).toThrow(/maxPool2d: options must be an object/);
  });
  it('an options object from a class (a Tensor, a Map) is refused', () => {
    expect(() => softplus(zeros([2]), zeros([2]) as never)).toThrow(/softplus: options must be an object .* got Tensor/);
    expect(() => softplus(zeros([2]), new Map([['beta', 2]]) as never)).toThrow(/softplus: options must be an object .* got an instance of Map \(pass a plain/);
  });
});

describe('checkOptionKeys', () => {
  it('suggests the case-insensitive match first, then the nearest by edit distance', () => {
    expect(nearestKey('INTERNALBATCHSIZE', ['internalBatchSize', 'internalBatchSizes'])).toBe('internalBatchSize');
    expect(nearestKey('stpes', ['steps', 'seed'])).toBe('steps');
    expect(nearestKey('pretrained', ['seed'])).toBeUndefined();
  });
  it('lists the valid keys when nothing is close, and says when none are taken', () => {
    expect(() => checkOptionKeys({ pretrained: true }, ['seed'], 'mnistCnn')).toThrow("mnistCnn: unknown option 'pretrained' (valid options: seed)");
    expect(() => checkOptionKeys({ a: 1 }, [], 'f')).toThrow("f: unknown option 'a' (it takes no options)");
  });
  it('accepts undefined, a null-prototype object and values set to undefined', () => {
    expect(checkOptionKeys(undefined, ['a'], 'f')).toBeUndefined();
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(checkOptionKeys(bare, ['a'], 'f')).toBe(bare);
    expect(() => checkOptionKeys({ a: undefined }, ['a'], 'f')).not.toThrow();
  });
  it('edit distance matches hand-computed values', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ca', 'ac')).toBe(1); // one transposition
    expect(editDistance('abc', 'abc')).toBe(0);
  });
  it('optionKeys is checked by the compiler against the options type', () => {
    interface O {
      a?: number;
      b: string;
    }
    expect(optionKeys<O>({ a: true, b: true })).toEqual(['a', 'b']);
    // @ts-expect-error: 'b' is missing, so a new option cannot be forgotten
    optionKeys<O>({ a: true });
    // @ts-expect-error: 'c' is not an option of O
    optionKeys<O>({ a: true, b: true, c: true });
  });
});
