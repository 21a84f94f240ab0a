/**
 * Conv2d runs as one conv2dBiasAct op, and Sequential runs Conv2d, ReLU (, MaxPool2d) in a
 * row as one fused op. Checked here: float64 values and gradients are bit-identical to
 * conv2d, add, relu and maxPool2d in turn, on cpu and on wasm in float32 too, and hooks on
 * any of the children and gradient overrides still see the separate layers and ops.
 */
import { Tape, valueAndGrad, withGradOverrides } from '@pathgrad/autograd';
import { conv2d, getBackend, maxPool2d, mul, randn, relu, reshape, rng, setBackend, sum, type Tensor } from '@pathgrad/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, withForwardHook } from '../src/index.js';

const bits = (t: Tensor) => Array.from(t.toTypedArray());
const initial = getBackend();
afterEach(() => setBackend(initial));

function cnn(dtype: 'float32' | 'float64' = 'float64'): Sequential {
  const o = { dtype };
  return new Sequential(
    new Conv2d(2, 3, 3, { ...o, rng: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(3, 4, 3, { ...o, rng: 2, padding: 1 }),
    new ReLU(),
    new Conv2d(4, 2, 1, { ...o, rng: 3, bias: false }),
    new ReLU(),
    new Flatten(),
    new Linear(2 * 5 * 5, 3, { ...o, rng: 4 }),
  );
}

/** The same network written with the unfused ops. */
function unfusedForward(model: Sequential, x: Tensor): Tensor {
  const c = (i: number) => model.at(i) as Conv2d;
  let y = maxPool2d(relu(conv2d(x, c(0).weight.value, c(0).bias!.value)), { kernelSize: 2 });
  y = relu(conv2d(y, c(3).weight.value, c(3).bias!.value, { padding: 1 }));
  y = relu(conv2d(y, c(5).weight.value, null));
  return model.at(8).forward(model.at(7).forward(y));
}

function valueAndGrads(model: Sequential, f: (x: Tensor) => Tensor, x: Tensor) {
  const params = model.parameters();
  const lossOf = (xx: Tensor) => {
    const y = f(xx);
    return sum(mul(y, y));
  };
  return valueAndGrad(lossOf, { argnums: [0, ...params.map((_, i) => i + 1)] })(x, ...params.map((p) => p.value));
}

describe('fused Conv2d (+ ReLU (+ MaxPool2d)) in Sequential', () => {
  const x = randn([3, 2, 12, 12], rng(0), { dtype: 'float64' });

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${backend} ${dtype}: outputs, input and parameter gradients are bit-identical to conv2d, add, relu and maxPool2d`, () => {
        setBackend(backend);
        const model = cnn(dtype);
        const xi = randn([3, 2, 12, 12], rng(0), { dtype });
        expect(bits(model.forward(xi))).toEqual(bits(unfusedForward(model, xi)));
        const fused = valueAndGrads(model, (xx) => model.forward(xx), xi);
        const plain = valueAndGrads(model, (xx) => unfusedForward(model, xx), xi);
        expect(bits(fused.value)).toEqual(bits(plain.value));
        expect(fused.grad.map(bits)).toEqual(plain.grad.map(bits));
      });
    }
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${backend} ${dtype}: the input gradient alone (as attribution asks) is bit-identical too`, () => {
        setBackend(backend);
        const model = cnn(dtype);
        const xi = randn([3, 2, 12, 12], rng(4), { dtype });
        const lossOf = (f: (x: Tensor) => Tensor) => (xx: Tensor) => sum(mul(f(xx), f(xx)));
        const fused = valueAndGrad(lossOf((xx) => model.forward(xx)))(xi);
        const plain = valueAndGrad(lossOf((xx) => unfusedForward(model, xx)))(xi);
        expect(bits(fused.grad)).toEqual(bits(plain.grad));
      });
    }
  }

  it('records one tape node for Conv2d, ReLU, MaxPool2d and one for Conv2d, ReLU', () => {
    const tape = new Tape().watch(x);
    const model = new Sequential(new Conv2d(2, 3, 3, { dtype: 'float64', rng: 1 }), new ReLU(), new MaxPool2d(2), new Conv2d(3, 4, 3, { dtype: 'float64', rng: 2 }), new ReLU());
    tape.run(() => model.forward(x));
    expect(tape.size).toBe(2);
  });

  it('forward hooks on the ReLU or the pool still see their own input and output', () => {
    const model = cnn();
    const c0 = model.at(0) as Conv2d;
    const act = relu(conv2d(x, c0.weight.value, c0.bias!.value));
    let seenRelu: Tensor | undefined;
    withForwardHook(model.at(1), (_in, out) => void (seenRelu = out), () => model.forward(x));
    expect(bits(seenRelu!)).toEqual(bits(act));
    let seenPoolIn: Tensor | undefined;
    const y = withForwardHook(model.at(2), (inp) => void (seenPoolIn = inp), () => model.forward(x));
    expect(bits(seenPoolIn!)).toEqual(bits(act));
    expect(bits(y)).toEqual(bits(unfusedForward(model, x)));
  });

  it('gradient overrides for relu apply to the conv layers ReLUs (the ops stay separate)', () => {
    const model = cnn();
    const halve = { relu: (g: Tensor) => [mul(g, 0.5)] };
    const f = (xx: Tensor) => sum(model.forward(xx));
    const g = (xx: Tensor) => sum(unfusedForward(model, xx));
    const a = withGradOverrides(halve, () => valueAndGrad(f)(x));
    const b = withGradOverrides(halve, () => valueAndGrad(g)(x));
    expect(bits(a.grad)).toEqual(bits(b.grad));
    expect(bits(reshape(a.value, [1]))).toEqual(bits(reshape(b.value, [1])));
  });
});
