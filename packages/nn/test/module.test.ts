import { grad } from '@pathgrad/autograd';
import { ArgumentError, DTypeError, ShapeError, mul, ones, rand, rng, sum, tensor, zeros, type Tensor } from '@pathgrad/tensor';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Linear, Module, Parameter, ReLU, Sequential, withForwardHook } from '../src/index.js';

class Block extends Module {
  conv = new Linear(3, 4, { rng: 1 });
  act = new ReLU();
  forward(x: Tensor): Tensor {
    return this.act.forward(this.conv.forward(x));
  }
}

class Net extends Module {
  features = new Sequential(new Linear(2, 3, { rng: 2 }), new ReLU(), new Block(), new BatchNorm2d(2));
  head = new Linear(4, 1, { bias: false, rng: 3 });
  scale = new Parameter(ones([1]));
  forward(x: Tensor): Tensor {
    const f = this.features.at(0).forward(x);
    return mul(this.head.forward((this.features.at(2) as Block).forward(f)), this.scale.value);
  }
}

describe('Module naming', () => {
  it('names parameters as PyTorch does: own first, then children depth first', () => {
    const names = new Net().namedParameters().map(([n]) => n);
    expect(names).toEqual([
      'scale',
      'features.0.weight',
      'features.0.bias',
      'features.2.conv.weight',
      'features.2.conv.bias',
      'features.3.weight',
      'features.3.bias',
      'head.weight',
    ]);
  });

  it('lists modules with the root as empty name and finds submodules by dotted path', () => {
    const net = new Net();
    const names = net.namedModules().map(([n]) => n);
    expect(names).toEqual(['', 'features', 'features.0', 'features.1', 'features.2', 'features.2.conv', 'features.2.act', 'features.3', 'head']);
    expect(net.getSubmodule('features.2.conv')).toBe((net.features.at(2) as Block).conv);
    expect(net.getSubmodule('')).toBe(net);
    expect(() => net.getSubmodule('features.7')).toThrow(/features\.7.*children there are \[0, 1, 2, 3\]/);
  });

  it('lists a shared parameter once', () => {
    const shared = new Linear(2, 2, { rng: 0 });
    const seq = new Sequential(shared, new ReLU(), shared);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(seq.parameters()).toHaveLength(2);
  });

  it('train/eval reach every descendant', () => {
    const net = new Net();
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
  });
});

describe('stateDict / loadStateDict', () => {
  it('includes buffers with PyTorch names and round-trips into a fresh model', () => {
    const a = new Net();
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual([
      'scale',
      'features.0.weight',
      'features.0.bias',
      'features.2.conv.weight',
      'features.2.conv.bias',
      'features.3.weight',
      'features.3.bias',
      'features.3.running_mean',
      'features.3.running_var',
      'features.3.num_batches_tracked',
      'head.weight',
    ]);
    const b = new Net();
    // different seeds would make this trivially pass if equal; perturb b first
    b.head.weight.value = zeros([1, 4]);
    const result = b.loadStateDict(sd);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, v] of Object.entries(b.stateDict())) expect(v.toArray()).toEqual(sd[k]!.toArray());
  });

  it('names the key, expected and actual shape on a mismatch, and changes nothing', () => {
    const net = new Net();
    const before = net.head.weight.value;
    const sd = { ...net.stateDict(), 'head.weight': zeros([1, 5]), scale: ones([1]).mul(7) };
    expect(() => net.loadStateDict(sd)).toThrow(ShapeError);
    expect(() => net.loadStateDict(sd)).toThrow(/"head\.weight" expected shape \[1, 4\], got \[1, 5\]/);
    expect(net.head.weight.value).toBe(before);
    expect(net.scale.value.toArray()).toEqual([1]);
  });

  it('reports missing and unexpected keys (strict throws, non-strict returns them)', () => {
    const net = new Net();
    const sd: Record<string, Tensor> = { ...net.stateDict(), extra: zeros([1]) };
    delete sd['head.weight'];
    expect(() => net.loadStateDict(sd)).toThrow(/missing keys \[head\.weight\]; unexpected keys \[extra\]/);
    expect(net.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['head.weight'], unexpectedKeys: ['extra'] });
  });

  it('refuses integer tensors for float parameters and converts float64 to the parameter dtype', () => {
    const lin = new Linear(2, 1, { rng: 0 });
    expect(() => lin.loadStateDict({ weight: zeros([1, 2], 'int32'), bias: zeros([1]) })).toThrow(DTypeError);
    lin.loadStateDict({ weight: tensor([[0.5, 0.25]], { dtype: 'float64' }), bias: zeros([1], 'float64') });
    expect(lin.weight.value.dtype).toBe('float32');
    expect(lin.weight.value.toArray()).toEqual([[0.5, 0.25]]);
  });

  it('to(dtype) converts parameters and float buffers, leaving integer buffers', () => {
    const net = new Net().to('float64');
    expect(net.parameters().every((p) => p.value.dtype === 'float64')).toBe(true);
    const sd = net.stateDict();
    expect(sd['features.3.running_mean']!.dtype).toBe('float64');
    expect(sd['features.3.num_batches_tracked']!.dtype).toBe('int32');
    expect(() => net.to('int32')).toThrow(DTypeError);
  });
});

describe('withForwardHook', () => {
  it('sees input and output of nested calls, can replace the output, and is removed afterwards', () => {
    const seq = new Sequential(new Linear(2, 2, { rng: 0 }), new ReLU(), new Linear(2, 1, { rng: 1 }));
    const x = tensor([[1, -2]]);
    const plain = seq.forward(x).toArray();
    const seen: Tensor[] = [];
    const replaced = withForwardHook(
      seq.getSubmodule('1'),
      (input, output) => {
        seen.push(input, output);
        return zeros(output.shape);
      },
      () => seq.forward(x),
    );
    expect(seen).toHaveLength(2);
    // zero hidden activations leave only the last bias
    expect(replaced.toArray()).toEqual([[(seq.getSubmodule('2') as Linear).bias!.value.item()]]);
    expect(seq.forward(x).toArray()).toEqual(plain);
    expect(Object.hasOwn(seq.getSubmodule('1'), 'forward')).toBe(false);
  });

  it('is removed when fn throws and rejects a non-tensor replacement', () => {
    const relu = new ReLU();
    expect(() => withForwardHook(relu, () => undefined, () => { throw new Error('boom'); })).toThrow('boom');
    expect(Object.hasOwn(relu, 'forward')).toBe(false);
    expect(() => withForwardHook(relu, () => 3 as unknown as Tensor, () => relu.forward(ones([1])))).toThrow(ArgumentError);
  });
});

describe('autograd through modules', () => {
  it('grad(x => model.forward(x).sum()) gives W^T 1 for a Linear', () => {
    const lin = new Linear(3, 2, { rng: 5 });
    const g = grad((x) => sum(lin.forward(x)))(tensor([[1, 2, 3]]));
    const w = lin.weight.value.toArray() as number[][];
    const expected = [0, 1, 2].map((j) => w[0]![j]! + w[1]![j]!);
    const got = g.toArray() as number[][];
    got[0]!.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 6));
  });

  it('differentiates with respect to the exact parameter tensors', () => {
    const lin = new Linear(2, 1, { rng: 5 });
    const x = tensor([[3, 4]]);
    const [gw, gb] = grad((w, b) => sum(lin.forward(x)), { argnums: [0, 1] })(lin.weight.value, lin.bias!.value);
    expect(gw!.toArray()).toEqual([[3, 4]]);
    expect(gb!.toArray()).toEqual([1]);
  });
});

describe('stateDict round trip (property)', () => {
  it('any stack of Linear/ReLU/BatchNorm-free layers reloads into a differently seeded twin and computes the same function', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }), fc.boolean(), (widths, bias) => {
        const build = (seed: number) => {
          const g = rng(seed);
          const layers: Module[] = [];
          for (let i = 0; i + 1 < widths.length; i++) {
            layers.push(new Linear(widths[i]!, widths[i + 1]!, { bias, rng: g }));
            if (i + 2 < widths.length) layers.push(new ReLU());
          }
          return new Sequential(...layers);
        };
        const a = build(1);
        const b = build(2);
        b.loadStateDict(a.stateDict());
        const x = rand([3, widths[0]!], rng(0));
        expect(Array.from(b.forward(x).toTypedArray())).toEqual(Array.from(a.forward(x).toTypedArray()));
        expect(Object.keys(b.stateDict())).toEqual(Object.keys(a.stateDict()));
      }),
      { numRuns: 30 },
    );
  });
});
