/**
 * Movement and indexing ops: hand-computed cases, zero-copy views (and views of views),
 * the adjoint identity of every VJP, and hostile input.
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
  concat,
  expand,
  flip,
  gather,
  indexAdd,
  indexSelect,
  oneHot,
  pad,
  permute,
  reshape,
  runKernel,
  scatterAdd,
  setOpRecorder,
  slice,
  sliceScatter,
  stack,
  tensor,
  transpose,
  zeros,
  type OpDef,
} from '../src/index.js';
import { compareTensors } from '../src/testing/index.js';

const int = (values: number[] | number[][], shape?: number[]): Tensor =>
  tensor(values, shape ? { dtype: 'int32', shape } : { dtype: 'int32' });

/** Runs `fn` and returns the PathgradError it throws (failing the test if it does not). */
function thrown(fn: () => unknown): PathgradError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PathgradError);
    return e as PathgradError;
  }
  throw new Error('expected a PathgradError, nothing was thrown');
}

describe('permute and transpose', () => {
  it('transposes a matrix by default and swaps any two axes', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(transpose(x).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(x.transpose().toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    const y = arange(24).reshape([2, 3, 4]);
    const t = transpose(y, 0, 2);
    expect(t.shape).toEqual([4, 3, 2]);
    expect(t.get(3, 1, 0)).toBe(y.get(0, 1, 3));
    expect(transpose(y, -1, 0).get(2, 2, 1)).toBe(y.get(1, 2, 2));
  });

  it('permutes axes with negative entries', () => {
    const y = arange(24).reshape([2, 3, 4]);
    const p = permute(y, [2, -3, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.get(3, 1, 2)).toBe(y.get(1, 2, 3));
    expect(y.permute([1, 2, 0]).shape).toEqual([3, 4, 2]);
  });

  it('is a zero-copy view and transposing twice gives the original layout', () => {
    const x = arange(6).reshape([2, 3]);
    const t = transpose(x);
    expect(t.data).toBe(x.data);
    expect(t.strides).toEqual([1, 3]);
    expect(t.isContiguous).toBe(false);
    const back = transpose(t);
    expect(back.data).toBe(x.data);
    expect(back.strides).toEqual([3, 1]);
    expect(back.toArray()).toEqual(x.toArray());
    expect(permute(x, [0, 1])).toBe(x);
  });

  it('rejects bad permutations and axes, naming them', () => {
    const x = zeros([2, 3, 4]);
    let e = thrown(() => permute(x, [0, 0, 1]));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/dims/);
    expect(e.message).toContain('[0, 0, 1]');
    expect(e.message).toMatch(/axis 0 repeats/);
    e = thrown(() => permute(x, [0, 1]));
    expect(e.message).toMatch(/permutation of the 3 axes.*got \[0, 1\]/);
    e = thrown(() => permute(x, [0, 1, 3]));
    expect(e.message).toMatch(/dims\[2\].*\[-3, 2\].*got 3/);
    e = thrown(() => permute(x, [0, 1, 1.5]));
    expect(e.message).toMatch(/got 1\.5/);
    e = thrown(() => transpose(zeros([3])));
    expect(e.message).toMatch(/rank >= 2.*\[3\].*rank 1/);
    e = thrown(() => transpose(x, 0, 5));
    expect(e.message).toMatch(/dim1.*\[-3, 2\].*got 5/);
  });
});

describe('slice', () => {
  const x = arange(12).reshape([3, 4]);

  it('indexes, takes ranges and steps like Python slicing', () => {
    expect(slice(x, [1]).toArray()).toEqual([4, 5, 6, 7]);
    expect(slice(x, [-1]).toArray()).toEqual([8, 9, 10, 11]);
    expect(slice(x, [null, [1, 3]]).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(slice(x, [[null, null, 2], -1]).toArray()).toEqual([3, 11]);
    expect(slice(x, [[1], [-3, -1]]).toArray()).toEqual([[5, 6], [9, 10]]);
    expect(slice(x, [null, [null, null, 3]]).toArray()).toEqual([[0, 3], [4, 7], [8, 11]]);
    expect(slice(x, [1, 2]).shape).toEqual([]);
    expect(slice(x, [1, 2]).item()).toBe(6);
    expect(x.slice([[0, 1]]).toArray()).toEqual([[0, 1, 2, 3]]);
  });

  it('clamps out-of-range bounds and gives empty results as Python does', () => {
    expect(slice(x, [[-100, 100]]).shape).toEqual([3, 4]);
    expect(slice(x, [[2, 1]]).shape).toEqual([0, 4]);
    expect(slice(x, [[5, 9]]).shape).toEqual([0, 4]);
    expect(slice(x, [null, [10]]).shape).toEqual([3, 0]);
    expect(slice(x, [null, [-2, 100, 5]]).toArray()).toEqual([[2], [6], [10]]);
    expect(slice(zeros([0, 2]), [[0, 5]]).shape).toEqual([0, 2]);
  });

  it('empty views share the buffer with a row-major layout, so later reshapes stay simple', () => {
    const a = arange(24).reshape([2, 3, 4]);
    const views = [slice(a, [null, [0, 3, 2], [3, 0]]), permute(slice(a, [[1, 1]]), [2, 0, 1]), flip(slice(a, [null, [5]]), [0, 1])];
    for (const v of views) {
      expect(v.size).toBe(0);
      expect(v.data).toBe(a.data);
      expect(v.isContiguous).toBe(true);
      expect(reshape(v, [-1, 2]).shape).toEqual([0, 2]);
      expect(v.toTypedArray().length).toBe(0);
    }
  });

  it('is a zero-copy view with offset and scaled strides', () => {
    const s = slice(x, [[1, 3], [null, null, 2]]);
    expect(s.data).toBe(x.data);
    expect(s.offset).toBe(4);
    expect(s.strides).toEqual([4, 2]);
    expect(s.toArray()).toEqual([[4, 6], [8, 10]]);
    expect(slice(x, [])).toBe(x);
    expect(slice(x, [null, [0, 4]])).toBe(x);
  });

  it('views of views: slice of a transpose of an expand, and a slice of a slice', () => {
    const base = tensor([1, 2, 3]);
    const e = expand(base, [4, 3]); // rows repeat (stride 0)
    const t = transpose(e); // [3, 4]
    const s = slice(t, [[1, 3], [null, null, 2]]); // [2, 2]
    expect(s.data).toBe(base.data);
    expect(s.toArray()).toEqual([[2, 2], [3, 3]]);
    const a = arange(60).reshape([3, 4, 5]);
    const s1 = slice(a, [[1], null, [1, 5, 2]]); // [2, 4, 2]
    const s2 = slice(s1, [-1, [1, 3]]); // [2, 2]
    expect(s2.data).toBe(a.data);
    // a[2, 1:3, 1:5:2]
    expect(s2.toArray()).toEqual([[46, 48], [51, 53]]);
    const f = flip(permute(a, [2, 0, 1]), [0]);
    const s3 = slice(f, [[0, 2], 1, -1]);
    expect(s3.data).toBe(a.data);
    expect(s3.toArray()).toEqual([a.get(1, 3, 4), a.get(1, 3, 3)]);
    // a reshape of a strided view copies only when it must, and agrees with the values
    const r = reshape(slice(a, [null, 1]), [15]);
    expect(r.toArray()).toEqual([5, 6, 7, 8, 9, 25, 26, 27, 28, 29, 45, 46, 47, 48, 49]);
  });

  it('rejects bad specs, naming the entry, the expectation and the value', () => {
    let e = thrown(() => slice(x, [3]));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/spec\[0\] index.*\[-3, 2\].*size 3.*got 3/);
    e = thrown(() => slice(x, [null, [0, 2, 0]]));
    expect(e.message).toMatch(/spec\[1\] step.*positive integer.*got 0/);
    e = thrown(() => slice(x, [null, [0, 2, -1]]));
    expect(e.message).toMatch(/spec\[1\] step.*got -1/);
    e = thrown(() => slice(x, [[0.5]]));
    expect(e.message).toMatch(/spec\[0\] start.*integer.*got 0\.5/);
    e = thrown(() => slice(x, [null, null, null]));
    expect(e.message).toMatch(/3 entries.*only 2 axes.*\[3, 4\]/);
    e = thrown(() => slice(x, ['a' as unknown as number]));
    expect(e.message).toMatch(/spec\[0\].*got "a"/);
    e = thrown(() => slice(x, [[0, 1, 1, 1] as unknown as [number]]));
    expect(e.message).toMatch(/at most 3/);
  });
});

describe('sliceScatter', () => {
  it('replaces the sliced region of a copy of base', () => {
    const base = zeros([2, 3]);
    const out = sliceScatter(base, tensor([7, 8]), [null, 1]);
    expect(out.toArray()).toEqual([[0, 7, 0], [0, 8, 0]]);
    expect(base.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    const y = sliceScatter(arange(5), tensor([-1, -2]), [[0, 5, 3]]);
    expect(y.toArray()).toEqual([-1, 1, 2, -2, 4]);
  });

  it('rejects a src of the wrong shape or dtype', () => {
    let e = thrown(() => sliceScatter(zeros([2, 3]), zeros([3]), [null, 1]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/src.*\[2\].*got \[3\]/);
    e = thrown(() => sliceScatter(zeros([2, 3]), zeros([2], 'float64'), [null, 1]));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/float32.*got float64/);
  });
});

describe('concat and stack', () => {
  it('joins along an axis, negative axes included', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4], [5, 6]]);
    expect(concat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(concat([tensor([[1], [2]]), tensor([[3, 4], [5, 6]])], -1).toArray()).toEqual([[1, 3, 4], [2, 5, 6]]);
    expect(concat([zeros([0, 2]), a], 0).toArray()).toEqual([[1, 2]]);
    expect(concat([a]).toArray()).toEqual([[1, 2]]);
    // inputs that are views (transpose, flip) are read through their strides
    expect(concat([transpose(b), flip(b, 0)], 1).toArray()).toEqual([[3, 5, 5, 6], [4, 6, 3, 4]]);
  });

  it('promotes dtypes as binary ops do', () => {
    const out = concat([int([1, 2]), tensor([0.5], { dtype: 'float64' })]);
    expect(out.dtype).toBe('float64');
    expect(out.toArray()).toEqual([1, 2, 0.5]);
  });

  it('stacks along a new axis', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expect(stack([a, b]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([a, b], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([a, b], -1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
    expect(stack([transpose(tensor([[1, 2], [3, 4]]))], 0).toArray()).toEqual([[[1, 3], [2, 4]]]);
  });

  it('rejects mismatched shapes, empty lists and bad axes', () => {
    let e = thrown(() => concat([zeros([2, 3]), zeros([2, 4])], 0));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/tensors\[1\].*\[\*, 3\].*got \[2, 4\]/);
    e = thrown(() => concat([zeros([2, 3]), zeros([2, 3, 1])], 1));
    expect(e.message).toMatch(/tensors\[1\].*got \[2, 3, 1\]/);
    e = thrown(() => concat([], 0));
    expect(e.message).toMatch(/non-empty array.*got \[\]/);
    e = thrown(() => concat([zeros([2]), 3 as unknown as Tensor]));
    expect(e.message).toMatch(/tensors\[1\] must be a Tensor, got 3/);
    e = thrown(() => concat([zeros([2]), zeros([2])], 1));
    expect(e.message).toMatch(/axis.*\[-1, 0\].*got 1/);
    e = thrown(() => concat([tensor(1), tensor(2)]));
    expect(e.message).toMatch(/rank >= 1/);
    e = thrown(() => stack([zeros([2]), zeros([3])]));
    expect(e.message).toMatch(/tensors\[1\].*\[2\].*got \[3\]/);
    e = thrown(() => stack([zeros([2])], 2));
    expect(e.message).toMatch(/stack axis.*\[-2, 1\].*got 2/);
  });
});

describe('pad', () => {
  it('pads trailing axes with a constant', () => {
    expect(pad(tensor([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).toArray()).toEqual([[0, 0, 0], [1, 2, 0], [3, 4, 0]]);
    expect(pad(tensor([1, 2]), [[1, 1]], -1).toArray()).toEqual([-1, 1, 2, -1]);
    // one pair pads only the last axis
    expect(pad(tensor([[1], [2]]), [[0, 2]], 9).toArray()).toEqual([[1, 9, 9], [2, 9, 9]]);
    expect(pad(zeros([0]), [[1, 1]], 5).toArray()).toEqual([5, 5]);
    expect(pad(tensor([1]), [[1, 0]], -Infinity).toArray()).toEqual([-Infinity, 1]);
    expect(transpose(tensor([[1, 2]])).pad([[0, 0], [1, 0]]).toArray()).toEqual([[0, 1], [0, 2]]);
    const i = pad(int([1]), [[0, 1]], 3);
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual([1, 3]);
  });

  it('rejects negative, fractional or too many pads and bad values', () => {
    let e = thrown(() => pad(zeros([2]), [[-1, 0]]));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/pads\[0\]\[0\] \(before\).*non-negative integer.*got -1/);
    e = thrown(() => pad(zeros([2]), [[0, 1.5]]));
    expect(e.message).toMatch(/pads\[0\]\[1\] \(after\).*got 1\.5/);
    e = thrown(() => pad(zeros([2]), [[0, 1], [0, 1]]));
    expect(e.message).toMatch(/at most 1.*\[2\]/);
    e = thrown(() => pad(zeros([2]), [[0, 1, 2] as unknown as [number, number]]));
    expect(e.message).toMatch(/pads\[0\].*pair.*got \[0, 1, 2\]/);
    e = thrown(() => pad(zeros([2]), [[0, 1]], NaN));
    expect(e.message).toMatch(/value.*got NaN/);
    e = thrown(() => pad(int([2]), [[0, 1]], 0.5));
    expect(e.message).toMatch(/value.*integer.*int32.*got 0\.5/);
  });
});

describe('gather and scatterAdd', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);

  it('gathers along an axis (torch.gather)', () => {
    expect(gather(x, 1, int([[2, 0], [1, 1]])).toArray()).toEqual([[3, 1], [5, 5]]);
    expect(gather(x, 0, int([[1, 0, 1]])).toArray()).toEqual([[4, 2, 6]]);
    expect(x.gather(-1, int([[0], [2]])).toArray()).toEqual([[1], [6]]);
    // indices smaller than x off the axis, and a transposed x
    expect(gather(transpose(x), 1, int([[1], [0]])).toArray()).toEqual([[4], [2]]);
    expect(gather(x, 1, zeros([2, 0], 'int32')).shape).toEqual([2, 0]);
  });

  it('scatter-adds with accumulation at repeated indices', () => {
    const out = scatterAdd(zeros([1, 3]), 1, int([[0, 0, 2]]), tensor([[1, 2, 3]]));
    expect(out.toArray()).toEqual([[3, 0, 3]]);
    const base = tensor([[1, 1], [1, 1]]);
    expect(scatterAdd(base, 0, int([[1, 0]]), tensor([[5, 7]])).toArray()).toEqual([[1, 8], [6, 1]]);
    expect(base.toArray()).toEqual([[1, 1], [1, 1]]);
  });

  it('rejects out-of-range, non-int32 and misshapen indices, naming the bad entry', () => {
    let e = thrown(() => gather(x, 1, int([[0, 1], [3, 0]])));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('indices[1, 0] = 3');
    expect(e.message).toMatch(/axis 1 of x with size 3.*\[0, 2\]/);
    e = thrown(() => gather(x, 1, int([[-1]])));
    expect(e.message).toContain('indices[0, 0] = -1');
    e = thrown(() => gather(x, 1, tensor([[0]])));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/indices.*int32.*got float32/);
    e = thrown(() => gather(x, 1, int([0])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/rank of x \(2\).*got shape \[1\]/);
    e = thrown(() => gather(x, 1, int([[0], [0], [0]])));
    expect(e.message).toMatch(/no larger than \[2, \*\].*got shape \[3, 1\]/);
    e = thrown(() => gather(x, 2, int([[0]])));
    expect(e.message).toMatch(/axis.*\[-2, 1\].*got 2/);
    e = thrown(() => scatterAdd(zeros([2]), 0, int([0, 1]), zeros([3])));
    expect(e.message).toMatch(/src.*shape of indices, \[2\].*got \[3\]/);
    e = thrown(() => scatterAdd(zeros([2]), 0, int([0, 2]), zeros([2])));
    expect(e.message).toContain('indices[1] = 2');
  });
});

describe('indexSelect and indexAdd', () => {
  const x = tensor([[1, 2], [3, 4], [5, 6]]);

  it('selects whole slices in any order, with repeats', () => {
    expect(indexSelect(x, 0, int([2, 0, 2])).toArray()).toEqual([[5, 6], [1, 2], [5, 6]]);
    expect(indexSelect(x, -1, int([1])).toArray()).toEqual([[2], [4], [6]]);
    expect(x.indexSelect(0, zeros([0], 'int32')).shape).toEqual([0, 2]);
    expect(indexSelect(transpose(x), 1, int([0, 2])).toArray()).toEqual([[1, 5], [2, 6]]);
  });

  it('adds slices back with accumulation', () => {
    expect(indexAdd(zeros([3]), 0, int([1, 1]), tensor([2, 5])).toArray()).toEqual([0, 7, 0]);
    expect(indexAdd(zeros([2, 2]), 1, int([1]), tensor([[1], [2]])).toArray()).toEqual([[0, 1], [0, 2]]);
  });

  it('rejects bad indices, naming them', () => {
    let e = thrown(() => indexSelect(x, 0, int([0, 3])));
    expect(e.message).toContain('indices[1] = 3');
    expect(e.message).toMatch(/size 3.*\[0, 2\]/);
    e = thrown(() => indexSelect(x, 0, int([[0]])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/1-D.*got shape \[1, 1\]/);
    e = thrown(() => indexSelect(x, 0, tensor([0])));
    expect(e).toBeInstanceOf(DTypeError);
    e = thrown(() => indexAdd(zeros([3]), 0, int([0]), zeros([2])));
    expect(e.message).toMatch(/src must have shape \[1\].*got \[2\]/);
  });
});

describe('oneHot', () => {
  it('encodes class indices along a new last axis', () => {
    const o = oneHot(int([2, 0]), 3);
    expect(o.dtype).toBe('float32');
    expect(o.toArray()).toEqual([[0, 0, 1], [1, 0, 0]]);
    expect(oneHot(int([[1], [0]]), 2, 'int32').toArray()).toEqual([[[0, 1]], [[1, 0]]]);
    expect(oneHot(zeros([0], 'int32'), 4).shape).toEqual([0, 4]);
    expect(oneHot(tensor(1, { dtype: 'int32' }), 2).toArray()).toEqual([0, 1]);
  });

  it('rejects classes out of range and bad arguments', () => {
    let e = thrown(() => oneHot(int([0, 3]), 3));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('indices[1] = 3');
    expect(e.message).toMatch(/numClasses 3.*\[0, 2\]/);
    e = thrown(() => oneHot(int([-1]), 3));
    expect(e.message).toContain('indices[0] = -1');
    e = thrown(() => oneHot(tensor([0.5]), 3));
    expect(e).toBeInstanceOf(DTypeError);
    e = thrown(() => oneHot(int([0]), 2.5));
    expect(e.message).toMatch(/numClasses.*integer >= 0.*got 2\.5/);
    e = thrown(() => oneHot(int([0]), 2, 'int8' as 'int32'));
    expect(e.message).toMatch(/dtype.*got "int8"/);
  });
});

describe('flip', () => {
  it('reverses axes as a negative-stride view', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const f = flip(x, 1);
    expect(f.toArray()).toEqual([[2, 1], [4, 3]]);
    expect(f.data).toBe(x.data);
    expect(f.strides).toEqual([2, -1]);
    expect(flip(x, [0, -1]).toArray()).toEqual([[4, 3], [2, 1]]);
    expect(x.flip([]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(flip(flip(x, 0), 0).toArray()).toEqual(x.toArray());
    expect(flip(zeros([0, 3]), 0).shape).toEqual([0, 3]);
    // a flipped tensor reshapes to the right values (copy or view)
    expect(reshape(flip(x, [0, 1]), [4]).toArray()).toEqual([4, 3, 2, 1]);
    expect(reshape(flip(x, 1), [4]).toArray()).toEqual([2, 1, 4, 3]);
  });

  it('rejects bad axes', () => {
    let e = thrown(() => flip(zeros([2]), 1));
    expect(e.message).toMatch(/flip axes.*\[-1, 0\].*got 1/);
    e = thrown(() => flip(zeros([2, 2]), [0, -2]));
    expect(e.message).toMatch(/repeat.*\[0, -2\]/);
    e = thrown(() => flip(zeros([2]), 'x' as unknown as number));
    expect(e.message).toMatch(/axes.*got "x"/);
  });
});

// ---------------------------------------------------------------------------------------
// VJPs. Every differentiable op here is linear (pad affine) in its float inputs, so its
// VJP must satisfy the adjoint identity <f(u) - f(0), g> = sum_i <u_i, vjp_i(g)> exactly
// (up to rounding) for any u and g. The ops the VJPs use are themselves registered, so
// this also checks the backward of the backward.

const MOVEMENT = ['permute', 'slice', 'sliceScatter', 'concat', 'pad', 'gather', 'scatterAdd', 'indexSelect', 'indexAdd', 'flip'] as const;

function dot(a: Tensor, b: Tensor): number {
  const x = a.toTypedArray();
  const y = b.toTypedArray();
  expect(a.shape).toEqual(b.shape);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

describe('VJPs satisfy the adjoint identity and record differentiable ops', () => {
  for (const name of MOVEMENT) {
    const def = OPS[name] as OpDef<any>;
    it(name, () => {
      expect('vjp' in def).toBe(true);
      if (!('vjp' in def)) return;
      fc.assert(
        fc.property(
          def.spec.sample(fc).chain((sample) => {
            const out = runKernel(def, 'cpu', sample.inputs, sample.attrs)!;
            return fc
              .array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: out.size, maxLength: out.size })
              .map((g) => ({ sample, out, g: new Tensor(Float64Array.from(g), out.shape, 'float64') }));
          }),
          ({ sample: { inputs, attrs }, out, g }) => {
            const isFloat = inputs.map((t) => t.dtype !== 'int32');
            const zeroed = inputs.map((t, i) => (isFloat[i] ? zeros(t.shape, 'float64') : t));
            const f0 = runKernel(def, 'cpu', zeroed, attrs)!;
            const recorded: string[] = [];
            const prev = setOpRecorder((d) => recorded.push(d.name));
            let grads: readonly (Tensor | null)[];
            try {
              grads = def.vjp(g, { inputs, output: out, attrs, needs: isFloat });
            } finally {
              setOpRecorder(prev);
            }
            expect(grads.length).toBe(inputs.length);
            const lhs = dot(out, g) - dot(f0, g);
            let rhs = 0;
            grads.forEach((gi, i) => {
              if (!isFloat[i]) return;
              expect(gi).not.toBeNull();
              expect(gi!.shape).toEqual(inputs[i]!.shape);
              rhs += dot(inputs[i]!, gi!);
            });
            expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(lhs)));
            // the backward went through dispatch, so a tape would see it (second order works)
            if (g.size > 0 && grads.some((gi) => gi !== null && gi !== g)) expect(recorded.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('oneHot is declared non-differentiable with a reason', () => {
    const def = OPS.oneHot as OpDef<any>;
    expect(def.differentiable).toBe(false);
    expect('why' in def && def.why.length > 10).toBe(true);
  });
});

describe('view kernels agree with materialised copies on random views of views', () => {
  it('permute(slice(flip(x))) equals the same ops on a contiguous copy', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 3 }),
        fc.nat(),
        fc.boolean(),
        (shape, seed, flipFirst) => {
          const x = reshape(arange(shape.reduce((a, b) => a * b, 1), undefined, 1, 'float64'), shape);
          const dims = shape.map((_, i) => i).reverse();
          const spec = shape.map((d, i) => ((seed >> i) & 1 ? [(seed >> 3) % d, d, 1 + (i % 2)] : null)) as ([number, number, number] | null)[];
          const viewed = permute(slice(flip(x, flipFirst ? 0 : -1), spec), dims);
          expect(viewed.data).toBe(x.data);
          // the same ops with every intermediate materialised into a fresh buffer
          const copy = (t: Tensor) => new Tensor(t.toTypedArray(), t.shape, t.dtype);
          const copied = copy(permute(copy(slice(copy(flip(x, flipFirst ? 0 : -1)), spec)), dims));
          expect(copied.isContiguous).toBe(true);
          expect(compareTensors(viewed, copied).ok).toBe(true);
          expect(viewed.toArray()).toEqual(copied.toArray());
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('reshape of empty views', () => {
  it('does not hang on an empty, non-contiguous tensor and keeps sharing the buffer', () => {
    const x = new Tensor(new Float32Array(8), [2, 2, 0], 'float32', [4, 2, 1]);
    const y = reshape(x, [0]);
    expect(y.shape).toEqual([0]);
    expect(reshape(y, [0, 5]).shape).toEqual([0, 5]);
  });
});
