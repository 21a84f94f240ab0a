/**
 * Second-order derivatives: grad(grad(f)) and hvp against finite differences of the
 * (analytic) first derivative, for smooth ops and small networks. Reverse-over-reverse
 * works because every VJP is written with differentiable ops and the outer tape records
 * the inner tape's backward.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2d, exp, gelu, log, matmul, mul, sigmoid, softplus, sum, tanh, Tensor, type Rng, rng } from '@pathgrad/tensor';
import { grad, gradcheck, hvp } from '../src/index.js';

const RUNS = 15;

function randomTensor(g: Rng, shape: number[], lo = -1.5, hi = 1.5): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, () => lo + (hi - lo) * g.uniform()), shape, 'float64');
}

/** H v by central differences of the analytic gradient. */
function fdHvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, eps = 1e-5): Float64Array {
  const df = grad(f);
  const xs = x.toTypedArray();
  const vs = v.toTypedArray();
  const at = (s: number) => df(new Tensor(Float64Array.from(xs, (xi, i) => xi + s * eps * vs[i]!), x.shape, 'float64')).toTypedArray();
  const p = at(1);
  const m = at(-1);
  return Float64Array.from(p, (pi, i) => (pi - m[i]!) / (2 * eps));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    if (!(err < tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (error ${err})`);
  }
}

interface Case {
  name: string;
  shape: number[];
  range?: [number, number];
  /** Builds the scalar function from random constants. */
  make: (g: Rng) => (x: Tensor) => Tensor;
}

const elementwise = (name: string, op: (x: Tensor) => Tensor, range?: [number, number]): Case => ({
  name,
  shape: [2, 3],
  ...(range ? { range } : {}),
  // random weights so the Hessian diagonal is not a plain sum of identical terms
  make: (g) => {
    const w = randomTensor(g, [2, 3]);
    return (x) => sum(mul(op(x), w));
  },
});

const CASES: Case[] = [
  elementwise('exp', exp),
  elementwise('tanh', tanh),
  elementwise('sigmoid', sigmoid),
  elementwise('softplus', (x) => softplus(x)),
  elementwise('gelu', gelu),
  elementwise('log', log, [0.3, 3]),
  {
    name: 'matmul chain (2-layer tanh MLP)',
    shape: [3, 4],
    make: (g) => {
      const w1 = randomTensor(g, [4, 5]);
      const w2 = randomTensor(g, [5, 2]);
      return (x) => sum(tanh(matmul(tanh(matmul(x, w1)), w2)));
    },
  },
  {
    name: 'matmul chain (x appears twice: x^T x)',
    shape: [3, 3],
    make: (g) => {
      const w = randomTensor(g, [3, 3]);
      return (x) => sum(mul(matmul(matmul(x, w), x), w));
    },
  },
  {
    name: 'conv2d + softplus',
    shape: [1, 2, 5, 5],
    make: (g) => {
      const w = randomTensor(g, [3, 2, 3, 3]);
      const b = randomTensor(g, [3]);
      return (x) => sum(softplus(conv2d(x, w, b, { padding: 1, stride: 2 })));
    },
  },
];

describe('grad(grad(f)): the Jacobian of the gradient matches finite differences (full Hessian)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
          const g = rng(seed);
          const f = c.make(g);
          const x = randomTensor(g, c.shape, ...(c.range ?? [-1.5, 1.5]));
          // gradcheck of x -> grad f(x) differentiates the gradient (reverse over reverse)
          const report = gradcheck(grad(f), [x], { eps: 1e-5, seed });
          if (!(report.ok && report.maxRelError < 1e-6)) {
            throw new Error(`${c.name}: ${report.mode} Hessian check failed, max rel error ${report.maxRelError}, worst ${report.worst}`);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('hvp matches finite differences of the gradient', () => {
  for (const c of CASES) {
    it(c.name, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
          const g = rng(seed);
          const f = c.make(g);
          const x = randomTensor(g, c.shape, ...(c.range ?? [-1.5, 1.5]));
          const v = randomTensor(g, c.shape);
          expectClose(hvp(f, x, v).toTypedArray(), fdHvp(f, x, v));
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('closed forms', () => {
  it('d2/dx2 of sum(exp(x)) is exp(x), and the third derivative too', () => {
    const x = new Tensor(Float64Array.of(-0.7, 0.2, 1.3), [3], 'float64');
    const d1 = grad((x: Tensor) => sum(exp(x)));
    const d2 = grad((x: Tensor) => sum(d1(x)));
    const d3 = grad((x: Tensor) => sum(d2(x)));
    expectClose(d2(x).toTypedArray(), [-0.7, 0.2, 1.3].map(Math.exp), 1e-14);
    expectClose(d3(x).toTypedArray(), [-0.7, 0.2, 1.3].map(Math.exp), 1e-14);
  });

  it('d2/dx2 of sum(tanh(x)) is -2 tanh(x) (1 - tanh(x)^2)', () => {
    const vals = [-1.1, 0.05, 0.9];
    const x = new Tensor(Float64Array.from(vals), [3], 'float64');
    const d2 = grad((x: Tensor) => sum(grad((y: Tensor) => sum(tanh(y)))(x)))(x);
    expectClose(d2.toTypedArray(), vals.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)), 1e-12);
  });

  it('mixed partials: d/dy (d/dx x*y) = 1 without perturbation confusion', () => {
    const x = new Tensor(Float64Array.of(2), [], 'float64');
    const y = new Tensor(Float64Array.of(5), [], 'float64');
    // inner grad wrt x of x*y*y is y^2; its gradient wrt y is 2y
    const dxy = grad((y: Tensor) => grad((x: Tensor) => mul(mul(x, y), y))(x))(y);
    expect(dxy.item()).toBe(10);
    // a nested grad over the same variable: d/dx (x * d/dx(x^2)) = d/dx (2x^2) = 4x
    const nested = grad((x: Tensor) => mul(x, grad((z: Tensor) => mul(z, z))(x)))(x);
    expect(nested.item()).toBe(8);
  });
});
