/**
 * The engine itself: fan-out, reuse, broadcasting, views, deep graphs, gradients through
 * where/gather, noGrad, overrides, customGrad, memory and bad input.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  add,
  ArgumentError,
  DTypeError,
  exp,
  gather,
  getOpRecorder,
  greater,
  matmul,
  mul,
  ones,
  relu,
  scalar,
  ShapeError,
  slice,
  sub,
  sum,
  tensor,
  Tensor,
  transpose,
  where,
  zeros,
  zerosLike,
} from '@pathgrad/tensor';
import { customGrad, grad, gradcheck, hvp, jvp, noGrad, stopGradient, Tape, valueAndGrad, vjp, withGradOverrides } from '../src/index.js';

const f64 = (values: Parameters<typeof tensor>[0]) => tensor(values, { dtype: 'float64' });
const arr = (t: Tensor) => Array.from(t.toTypedArray());

describe('accumulation', () => {
  it('fan-out: a tensor used on several paths gets the sum of their gradients', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 6 }), (vals) => {
        const x = f64(vals);
        // sum(x*x + exp(x)) -> 2x + exp(x)
        const g = grad((x: Tensor) => sum(add(mul(x, x), exp(x))))(x);
        arr(g).forEach((v, i) => expect(v).toBeCloseTo(2 * vals[i]! + Math.exp(vals[i]!), 10));
      }),
      { numRuns: 30 },
    );
  });

  it('diamond: y = 2x, z = y*y + y gives dz/dx = (2y + 1) * 2', () => {
    const g = grad((x: Tensor) => {
      const y = mul(x, 2);
      return sum(add(mul(y, y), y));
    })(f64([1, -3]));
    expect(arr(g)).toEqual([(2 * 2 + 1) * 2, (2 * -6 + 1) * 2]);
  });

  it('one tensor reused k times in a sum gets gradient k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), (k) => {
        const g = grad((x: Tensor) => {
          let acc = x;
          for (let i = 1; i < k; i++) acc = add(acc, x);
          return sum(acc);
        })(f64([0.5, 2, -1]));
        expect(arr(g)).toEqual([k, k, k]);
      }),
      { numRuns: 20 },
    );
  });

  it('an input the output does not use gets zeros of its shape and dtype', () => {
    const [da, db] = grad((a: Tensor, _b: Tensor) => sum(mul(a, a)), { argnums: [0, 1] })(f64([1, 2]), tensor([[1, 2, 3]]));
    expect(arr(da!)).toEqual([2, 4]);
    expect(db!.shape).toEqual([1, 3]);
    expect(db!.dtype).toBe('float32');
    expect(arr(db!)).toEqual([0, 0, 0]);
  });

  it('gradients keep their argument dtype (float32 stays float32)', () => {
    const g = grad((x: Tensor) => sum(mul(x, x)))(tensor([1, 2]));
    expect(g.dtype).toBe('float32');
    expect(arr(g)).toEqual([2, 4]);
  });
});

describe('broadcasting and views', () => {
  it('broadcasting in both operands sums gradients back to each shape', () => {
    const a = f64([[1], [2], [3]]); // [3,1]
    const b = f64([[10, 20, 30, 40]]); // [1,4]
    const [da, db] = grad((a: Tensor, b: Tensor) => sum(mul(a, b)), { argnums: [0, 1] })(a, b);
    expect(da!.shape).toEqual([3, 1]);
    expect(db!.shape).toEqual([1, 4]);
    expect(arr(da!)).toEqual([100, 100, 100]);
    expect(arr(db!)).toEqual([6, 6, 6, 6]);
  });

  it('broadcasting against a lower-rank operand and a scalar', () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    const v = f64([1, -1, 2]);
    const s = f64(3);
    const [dx, dv, ds] = grad((x: Tensor, v: Tensor, s: Tensor) => sum(mul(sub(x, v), s)), { argnums: [0, 1, 2] })(x, v, s);
    expect(arr(dx!)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(arr(dv!)).toEqual([-6, -6, -6]);
    expect(dv!.shape).toEqual([3]);
    expect(ds!.shape).toEqual([]);
    expect(ds!.item()).toBe(21 - 2 * 2);
  });

  it('transpose and slice views inside a graph', () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    const w = f64([[1, 2], [3, 4], [5, 6]]);
    const g = grad((x: Tensor) => sum(mul(transpose(x), w)))(x);
    expect(g.toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
    const gs = grad((x: Tensor) => sum(mul(slice(x, [null, [1, 3]]), 2)))(x);
    expect(gs.toArray()).toEqual([[0, 2, 2], [0, 2, 2]]);
  });

  it('a composite of views, broadcasting and matmul passes gradcheck', () => {
    const x = f64([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]]);
    const w = f64([[0.2, -0.3], [0.5, 0.1], [-0.4, 0.9]]);
    const f = (x: Tensor, w: Tensor) => sum(exp(mul(matmul(x, w), transpose(slice(w, [[0, 2]])))));
    const report = gradcheck(f, [x, w]);
    expect(report.ok).toBe(true);
    expect(report.maxRelError).toBeLessThan(1e-6);
  });
});

describe('deep graphs', () => {
  it('a 100,000-op chain runs backward without overflowing the stack', () => {
    const n = 100_000;
    const x = f64(0.5);
    const c = f64(1e-5);
    const { value, grad: g } = valueAndGrad(
      (x: Tensor, c: Tensor) => {
        let y = x;
        for (let i = 0; i < n; i++) y = add(y, c);
        return y;
      },
      { argnums: [0, 1] },
    )(x, c);
    expect(value.item()).toBeCloseTo(0.5 + n * 1e-5, 8);
    expect(g[0]!.item()).toBe(1);
    expect(g[1]!.item()).toBe(n);
  });
});

describe('gradients through selection ops', () => {
  it('where sends the gradient to the chosen branch only', () => {
    const cond = f64([1, 0, 1, 0]);
    const [da, db] = grad((a: Tensor, b: Tensor) => sum(mul(where(cond, a, b), f64([1, 2, 3, 4]))), { argnums: [0, 1] })(
      f64([5, 5, 5, 5]),
      f64([7, 7, 7, 7]),
    );
    expect(arr(da!)).toEqual([1, 0, 3, 0]);
    expect(arr(db!)).toEqual([0, 2, 0, 4]);
  });

  it('gather accumulates the gradient of repeated indices', () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    const idx = tensor([[0, 0, 2], [1, 1, 1]], { dtype: 'int32' });
    const g = grad((x: Tensor) => sum(gather(x, 1, idx)))(x);
    expect(g.toArray()).toEqual([[2, 0, 1], [0, 3, 0]]);
  });
});

describe('transforms', () => {
  it('vjp pullback gives J^T g and can be called twice', () => {
    const { value, pullback } = vjp((x: Tensor) => mul(x, x), f64([1, 2, 3]));
    expect(arr(value)).toEqual([1, 4, 9]);
    expect(arr(pullback(f64([1, 10, 100]))[0]!)).toEqual([2, 40, 600]);
    expect(arr(pullback(f64([1, 1, 1]))[0]!)).toEqual([2, 4, 6]);
  });

  it('jvp matches a central difference in the tangent direction', () => {
    const f = (x: Tensor) => exp(mul(x, f64([1, 2, 3])));
    const x = f64([0.1, -0.2, 0.3]);
    const t = f64([1, -1, 0.5]);
    const { tangent } = jvp(f, [x], [t]);
    const eps = 1e-6;
    const plus = arr(f(add(x, mul(t, eps))));
    const minus = arr(f(sub(x, mul(t, eps))));
    arr(tangent).forEach((v, i) => expect(v).toBeCloseTo((plus[i]! - minus[i]!) / (2 * eps), 7));
  });

  it('hvp of sum(x^3) is 6 x v', () => {
    const x = f64([1, -2, 0.5]);
    const v = f64([1, 2, 3]);
    expect(arr(hvp((x: Tensor) => sum(mul(mul(x, x), x)), x, v))).toEqual([6, -24, 9]);
  });

  it('the recorder is removed after grad, even when f throws', () => {
    expect(getOpRecorder()).toBeNull();
    grad((x: Tensor) => sum(x))(f64([1]));
    expect(getOpRecorder()).toBeNull();
    expect(() =>
      grad((x: Tensor) => {
        mul(x, x);
        throw new Error('boom');
      })(f64([1])),
    ).toThrow('boom');
    expect(getOpRecorder()).toBeNull();
  });
});

describe('noGrad and stopGradient', () => {
  it('noGrad records nothing on an active tape', () => {
    const x = f64([1, 2]);
    const tape = new Tape().watch(x);
    tape.run(() => {
      noGrad(() => exp(mul(add(x, 1), x)));
    });
    expect(tape.size).toBe(0);
    tape.run(() => exp(mul(add(x, 1), x)));
    expect(tape.size).toBe(3);
  });

  it('a value computed under noGrad is a constant to grad', () => {
    const g = grad((x: Tensor) => sum(mul(x, noGrad(() => mul(x, x)))))(f64([2, 3]));
    expect(arr(g)).toEqual([4, 9]);
  });

  it('grad called inside noGrad still works', () => {
    const g = noGrad(() => grad((x: Tensor) => sum(mul(x, x)))(f64([3])));
    expect(arr(g)).toEqual([6]);
  });

  it('stopGradient blocks the gradient but keeps the value', () => {
    const x = f64([3, 4]);
    const g = grad((x: Tensor) => sum(mul(x, stopGradient(x))))(x);
    expect(arr(g)).toEqual([3, 4]);
    expect(arr(stopGradient(x))).toEqual([3, 4]);
  });
});

describe('withGradOverrides', () => {
  const w = f64([1, -2, 3, -4]);
  const x = f64([1, 1, -1, 1]);
  const f = (x: Tensor) => sum(mul(relu(x), w));
  const guided = { relu: (g: Tensor, ctx: { inputs: readonly Tensor[] }) => [mul(relu(g), greater(ctx.inputs[0]!, 0))] };

  it('replaces the rule inside the scope only', () => {
    expect(arr(grad(f)(x))).toEqual([1, -2, 0, -4]);
    expect(arr(withGradOverrides(guided, () => grad(f)(x)))).toEqual([1, 0, 0, 0]);
    expect(arr(grad(f)(x))).toEqual([1, -2, 0, -4]);
  });

  it('restores the rules when fn throws', () => {
    expect(() =>
      withGradOverrides(guided, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(arr(grad(f)(x))).toEqual([1, -2, 0, -4]);
  });

  it('nested scopes: the innermost rule wins, the outer one comes back after', () => {
    const zero = { relu: (g: Tensor) => [zerosLike(g)] };
    withGradOverrides(guided, () => {
      expect(arr(withGradOverrides(zero, () => grad(f)(x)))).toEqual([0, 0, 0, 0]);
      expect(arr(grad(f)(x))).toEqual([1, 0, 0, 0]);
    });
  });

  it('rejects unknown op names and non-function rules', () => {
    expect(() => withGradOverrides({ notAnOp: (g: Tensor) => [g] } as never, () => 0)).toThrow(ArgumentError);
    expect(() => withGradOverrides({ relu: 3 } as never, () => 0)).toThrow(/relu/);
  });
});

describe('customGrad', () => {
  it('uses the hand-written backward', () => {
    const halfGrad = customGrad((x) => x, (g) => [mul(g, 0.5)]);
    const g = grad((x: Tensor) => sum(mul(halfGrad(x), 4)))(f64([1, 2]));
    expect(arr(g)).toEqual([2, 2]);
  });

  it('records one node and its backward is differentiable (second order)', () => {
    // forward exp(x) with the true derivative exp(x) written by hand
    const myExp = customGrad((x) => exp(x), (g, { output }) => [mul(g, output)]);
    const x = f64([0.3]);
    const tape = new Tape().watch(x);
    tape.run(() => myExp(x));
    expect(tape.size).toBe(1);
    const d2 = grad((x: Tensor) => sum(grad((y: Tensor) => sum(myExp(y)))(x)))(x);
    expect(d2.item()).toBeCloseTo(Math.exp(0.3), 12);
  });

  it('complains when backward returns the wrong number of gradients', () => {
    const bad = customGrad((a, b) => mul(a, b), (g) => [g]);
    expect(() => grad((a: Tensor) => sum(bad(a, a)))(f64([1]))).toThrow(/one gradient \(or null\) per input/);
  });
});

describe('memory', () => {
  it('does not grow across 1,000 repeated grad calls', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const w = f64(Array.from({ length: 64 }, (_, i) => Math.sin(i)));
    const step = () => grad((x: Tensor) => sum(exp(mul(matmul(x.reshape([8, 8]), w.reshape([8, 8])), 0.01))))(ones([64], 'float64'));
    for (let i = 0; i < 50; i++) step(); // warm up JIT and caches
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) step();
    gc();
    const after = process.memoryUsage().heapUsed;
    // each call allocates ~20 tensors; if tapes leaked they would keep >1000 * 20 tensors alive
    expect(after - before).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('bad input', () => {
  const x = f64([1, 2]);
  it('grad of a non-scalar output without a seed says to reduce or use vjp', () => {
    expect(() => grad((x: Tensor) => mul(x, x))(x)).toThrow(ShapeError);
    expect(() => grad((x: Tensor) => mul(x, x))(x)).toThrow(/scalar.*\[2\].*vjp/);
  });
  it('a seed of the wrong shape', () => {
    expect(() => grad((x: Tensor) => mul(x, x), { seed: f64([1, 2, 3]) })(x)).toThrow(/seed must have the output's shape \[2\], got \[3\]/);
    expect(arr(grad((x: Tensor) => mul(x, x), { seed: f64([1, 10]) })(x))).toEqual([2, 40]);
    const { pullback } = vjp((x: Tensor) => mul(x, x), x);
    expect(() => pullback(f64([1]))).toThrow(ShapeError);
  });
  it('argnums out of range', () => {
    expect(() => grad((a: Tensor) => sum(a), { argnums: 2 })(x)).toThrow(ArgumentError);
    expect(() => grad((a: Tensor) => sum(a), { argnums: [0, 1] })(x)).toThrow(/argnums 1 is out of range.*1 argument/);
  });
  it('non-Tensor arguments and outputs', () => {
    expect(() => grad((a: Tensor) => sum(a))([1, 2] as never)).toThrow(/argument 0 must be a Tensor/);
    expect(() => grad((() => 3) as never)(x)).toThrow(/must return a Tensor/);
    expect(() => grad(3 as never)).toThrow(ArgumentError);
  });
  it('differentiating with respect to an int32 tensor', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(() => grad((a: Tensor) => sum(a))(i)).toThrow(DTypeError);
    expect(() => grad((a: Tensor) => sum(a))(i)).toThrow(/int32/);
    // an int32 argument that is not differentiated is fine
    const g = grad((a: Tensor, idx: Tensor) => sum(gather(a, 0, idx)))(x, tensor([1, 1], { dtype: 'int32' }));
    expect(arr(g)).toEqual([0, 2]);
  });
  it('hvp and jvp validate shapes', () => {
    expect(() => hvp((a: Tensor) => sum(a), x, f64([1]))).toThrow(ShapeError);
    expect(() => jvp((a: Tensor) => a, [x], [f64([1, 2, 3])])).toThrow(ShapeError);
    expect(() => jvp((a: Tensor) => a, [x], [])).toThrow(ArgumentError);
  });
  it('zero-size tensors give zero-size gradients', () => {
    const g = grad((a: Tensor) => sum(a))(zeros([0, 3], 'float64'));
    expect(g.shape).toEqual([0, 3]);
    expect(scalar(1).item()).toBe(1);
  });
});

describe('Tape', () => {
  it('replays once unless asked to retain, and says so', () => {
    const x = f64([1, 2]);
    const tape = new Tape().watch(x);
    const y = tape.run(() => sum(mul(x, x)));
    expect(arr(tape.gradient([y], [f64(1)], [x])[0]!)).toEqual([2, 4]);
    expect(tape.size).toBe(0);
    expect(() => tape.gradient([y], [f64(1)], [x])).toThrow(/retain/);
    const kept = new Tape().watch(x);
    const z = kept.run(() => sum(mul(x, x)));
    expect(arr(kept.gradient([z], [f64(1)], [x], { retain: true })[0]!)).toEqual([2, 4]);
    expect(arr(kept.gradient([z], [f64(2)], [x], { retain: true })[0]!)).toEqual([4, 8]);
  });

  it('refuses to watch integer tensors', () => {
    expect(() => new Tape().watch(tensor([1], { dtype: 'int32' }))).toThrow(/int32/);
  });
});
