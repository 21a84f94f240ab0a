/**
 * Linear runs as one fused `linear` op, and Sequential runs a Linear directly followed by a
 * ReLU as one op with the ReLU applied in it. Checked here: values and gradients are
 * bit-identical to the unfused ops (cpu float64 and float32, wasm float32), hooks on either child and gradient overrides still see
 * the separate layers and ops, and the fused model records one tape node per layer pair.
 */
import { Tape, gradOverridesActive, valueAndGrad, withGradOverrides } from '@pathgrad/autograd';
import { add, greater, matmul, mul, randn, relu, rng, sum, transpose, withBackend, type DType, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { Linear, ReLU, Sequential, Tanh, loadOnnx, withForwardHook } from '../src/index.js';
import { A, node, onnxBytes, tp } from './onnx-builders.js';

const bits = (t: Tensor) => Array.from(t.toTypedArray());

function mlp(dtype: DType = 'float64', sizes = [7, 6, 5, 3]): Sequential {
  const [a, b, c, d] = sizes as [number, number, number, number];
  return new Sequential(new Linear(a, b, { dtype, rng: 1 }), new ReLU(), new Linear(b, c, { dtype, rng: 2 }), new ReLU(), new Linear(c, d, { dtype, rng: 3 }));
}

/** The same network written with the unfused ops. */
function unfusedForward(model: Sequential, x: Tensor): Tensor {
  let y = x;
  for (const i of [0, 2, 4]) {
    const l = model.at(i) as Linear;
    y = add(matmul(y, transpose(l.weight.value)), l.bias!.value);
    if (i < 4) y = relu(y);
  }
  return y;
}

describe('fused Linear (+ ReLU) in Sequential', () => {
  const x = randn([9, 7], rng(0), { dtype: 'float64' });

  // the wasm cases are large enough for the packed, threaded GEMM, and include 1-row inputs (the unpacked small-row one)
  const cases: [string, 'cpu' | 'wasm', DType, number[], number][] = [
    ['cpu float64', 'cpu', 'float64', [7, 6, 5, 3], 9],
    ['cpu float32', 'cpu', 'float32', [7, 6, 5, 3], 9],
    ['wasm float32', 'wasm', 'float32', [300, 130, 40, 10], 70],
    ['wasm float32, one row', 'wasm', 'float32', [300, 130, 40, 10], 1],
  ];
  for (const [label, backend, dtype, sizes, rows] of cases) {
    it(`${label}: outputs, input gradients and parameter gradients are bit-identical to matmul, add and relu`, () => {
      withBackend(backend, () => {
        const model = mlp(dtype, sizes);
        const xx0 = randn([rows, sizes[0]!], rng(0), { dtype });
        expect(bits(model.forward(xx0))).toEqual(bits(unfusedForward(model, xx0)));
        const params = model.parameters();
        const argnums = params.map((_, i) => i + 1);
        const lossOf = (f: (x: Tensor) => Tensor) => (xx: Tensor) => sum(mul(f(xx), f(xx)));
        const fused = valueAndGrad(lossOf((xx) => model.forward(xx)), { argnums: [0, ...argnums] })(xx0, ...params.map((p) => p.value));
        const plain = valueAndGrad(lossOf((xx) => unfusedForward(model, xx)), { argnums: [0, ...argnums] })(xx0, ...params.map((p) => p.value));
        expect(bits(fused.value)).toEqual(bits(plain.value));
        expect(fused.grad.map(bits)).toEqual(plain.grad.map(bits));
        // the input gradient alone (attribution) takes the one-op ReLU backward
        const gx = valueAndGrad(lossOf((xx) => model.forward(xx)))(xx0);
        const gxPlain = valueAndGrad(lossOf((xx) => unfusedForward(model, xx)))(xx0);
        expect(bits(gx.grad)).toEqual(bits(gxPlain.grad));
      });
    });
  }

  it('a 1-D input gives the same bits as the unfused ops', () => {
    const model = mlp();
    const v = randn([7], rng(5), { dtype: 'float64' });
    expect(bits(model.forward(v))).toEqual(bits(unfusedForward(model, v)));
  });

  it('records one tape node per Linear (+ ReLU) pair', () => {
    const tape = new Tape().watch(x);
    tape.run(() => mlp().forward(x));
    expect(tape.size).toBe(3);
  });

  it('forward hooks on the Linear or the ReLU child still see their own input and output', () => {
    const model = mlp();
    const l0 = model.at(0) as Linear;
    const pre = add(matmul(x, transpose(l0.weight.value)), l0.bias!.value);
    let seenLinear: Tensor | undefined;
    let seenRelu: Tensor | undefined;
    withForwardHook(model.at(0), (_i, out) => void (seenLinear = out), () => model.forward(x));
    withForwardHook(model.at(1), (_i, out) => void (seenRelu = out), () => model.forward(x));
    expect(bits(seenLinear!)).toEqual(bits(pre));
    expect(bits(seenRelu!)).toEqual(bits(relu(pre)));
    // a hook that replaces the ReLU's output changes the model's output
    const zeroed = withForwardHook(model.at(1), (_i, out) => mul(out, 0), () => model.forward(x));
    const l2 = model.at(2) as Linear;
    const l4 = model.at(4) as Linear;
    const after = add(matmul(relu(add(matmul(mul(relu(pre), 0), transpose(l2.weight.value)), l2.bias!.value)), transpose(l4.weight.value)), l4.bias!.value);
    expect(bits(zeroed)).toEqual(bits(after));
  });

  it('a Linear followed by another activation, or a ReLU subclass, is not fused', () => {
    class MyRelu extends ReLU {
      override forward(t: Tensor): Tensor {
        return mul(relu(t), 2);
      }
    }
    const o = { dtype: 'float64' as const, rng: 1 };
    const a = new Sequential(new Linear(7, 4, o), new MyRelu());
    const l = a.at(0) as Linear;
    expect(bits(a.forward(x))).toEqual(bits(mul(relu(add(matmul(x, transpose(l.weight.value)), l.bias!.value)), 2)));
    const b = new Sequential(new Linear(7, 4, o), new Tanh());
    expect(b.forward(x).shape).toEqual([9, 4]);
  });

  it('gradient overrides for relu still apply (the layers run unfused inside withGradOverrides)', () => {
    const model = mlp();
    // guided backprop: only positive gradients flow back through positive activations
    const rules = { relu: (g: Tensor, ctx: { inputs: readonly Tensor[] }) => [mul(relu(g), greater(ctx.inputs[0]!, 0))] };
    const f = (m: (t: Tensor) => Tensor) => valueAndGrad((xx: Tensor) => sum(m(xx)))(x).grad;
    const guided = withGradOverrides(rules, () => {
      expect(gradOverridesActive()).toBe(true);
      return f((xx) => model.forward(xx));
    });
    const want = withGradOverrides(rules, () => f((xx) => unfusedForward(model, xx)));
    expect(bits(guided)).toEqual(bits(want));
    expect(bits(guided)).not.toEqual(bits(f((xx) => model.forward(xx))));
    expect(gradOverridesActive()).toBe(false);
  });
});

describe('ONNX Gemm as the fused linear op', () => {
  it("PyTorch's Linear export (transB 1, bias [N]) and transB 0 give the unfused ops' float64 bits in one tape node each", () => {
    const g = rng(7);
    const vals = (n: number) => Array.from(randn([n], g).toTypedArray());
    const bytes = onnxBytes({
      nodes: [
        node('Gemm', ['x', '0.weight', '0.bias'], ['h'], [A.int('transB', 1)]),
        node('Relu', ['h'], ['r']),
        node('Gemm', ['r', 'w2'], ['y']), // transB 0: w2 is [in, out]
      ],
      initializers: [tp('0.weight', [4, 5], vals(20)), tp('0.bias', [4], vals(4)), tp('w2', [4, 3], vals(12))],
      inputShape: ['N', 5],
    });
    const model = loadOnnx(bytes).to('float64');
    const p = model.stateDict();
    const x = randn([6, 5], g, { dtype: 'float64' });
    const want = matmul(relu(add(matmul(x, transpose(p['0.weight']!)), p['0.bias']!)), p['w2']!);
    expect(bits(model.forward(x))).toEqual(bits(want));
    const tape = new Tape().watch(x);
    tape.run(() => model.forward(x));
    expect(tape.size).toBe(3); // linear, relu, linear
  });
});
