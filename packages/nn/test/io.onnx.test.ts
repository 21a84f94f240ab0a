import { readFileSync } from 'node:fs';
import { grad, gradcheck } from '@pathgrad/autograd';
import {
  ArgumentError,
  FormatError,
  ShapeError,
  Tensor,
  avgPool2d,
  conv2d,
  logSoftmax,
  matmul,
  maxPool2d,
  pad,
  relu,
  rand,
  reshape,
  rng,
  softmax,
  tensor,
  type DType,
} from '@pathgrad/tensor';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadOnnx, loadSafetensors, mnistMlp, saveSafetensors, withForwardHook } from '../src/index.js';
import { modelProtoType } from '../src/io/onnx-proto.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const reference = loadSafetensors(fixture('mlp-reference.safetensors')).tensors;
const mlpOnnx = fixture('mlp.onnx');

// ---------------------------------------------------------------------------------------
// building ONNX bytes with protobufjs
// ---------------------------------------------------------------------------------------

type Attr = { name: string; type: number; f?: number; i?: number; ints?: number[]; floats?: number[]; s?: Uint8Array; t?: object };
const A = {
  int: (name: string, i: number): Attr => ({ name, type: 2, i }),
  float: (name: string, f: number): Attr => ({ name, type: 1, f }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: 7, ints }),
  floats: (name: string, floats: number[]): Attr => ({ name, type: 6, floats }),
  string: (name: string, s: string): Attr => ({ name, type: 3, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: object): Attr => ({ name, type: 4, t }),
};

/** A TensorProto; floats go in raw_data unless `typed`, int64 (data type 7) likewise. */
function tp(name: string, dims: number[], values: number[], dataType = 1, typed = false): object {
  if (typed) {
    if (dataType === 1) return { name, dims, data_type: dataType, float_data: values };
    if (dataType === 11) return { name, dims, data_type: dataType, double_data: values };
    if (dataType === 7) return { name, dims, data_type: dataType, int64_data: values };
    return { name, dims, data_type: dataType, int32_data: values };
  }
  const raw =
    dataType === 1
      ? new Uint8Array(Float32Array.from(values).buffer)
      : dataType === 11
        ? new Uint8Array(Float64Array.from(values).buffer)
        : dataType === 7
          ? new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer)
          : new Uint8Array(Int32Array.from(values).buffer);
  return { name, dims, data_type: dataType, raw_data: raw };
}

function node(op: string, input: string[], output: string[], attribute: Attr[] = [], name = `${op}_node`): object {
  return { op_type: op, input, output, attribute, name };
}

function valueInfo(name: string, shape: (number | string)[] | undefined, elemType = 1): object {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}) } },
  };
}

interface ModelSpec {
  nodes: object[];
  initializers?: object[];
  inputShape?: (number | string)[];
  opset?: number;
  inputs?: object[];
  outputs?: object[];
}

function onnxBytes({ nodes, initializers = [], inputShape, opset = 13, inputs, outputs }: ModelSpec): Uint8Array {
  const T = modelProtoType();
  const msg = T.fromObject({
    ir_version: 8,
    producer_name: 'pathgrad-test',
    opset_import: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes,
      initializer: initializers,
      input: inputs ?? [valueInfo('x', inputShape)],
      output: outputs ?? [valueInfo('y', undefined)],
    },
  });
  return T.encode(msg).finish();
}

/** A one-node model `y = op(x, ...initializers)`. */
function single(op: string, attrs: Attr[] = [], initializers: object[] = [], inputShape?: (number | string)[], opset = 13): Uint8Array {
  const names = initializers.map((t) => (t as { name: string }).name);
  return onnxBytes({ nodes: [node(op, ['x', ...names], ['y'], attrs)], initializers, inputShape, opset });
}

function run(bytes: Uint8Array, x: Tensor): Tensor {
  return loadOnnx(bytes).forward(x);
}

function expectClose(actual: Tensor, expected: Tensor | number[] | number, tol = 1e-6): void {
  const e = expected instanceof Tensor ? expected : tensor(expected as number[]);
  if (expected instanceof Tensor) expect(actual.shape).toEqual(e.shape);
  const a = actual.toTypedArray();
  const b = e.toTypedArray();
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function arange(n: number, shape: number[], dtype: DType = 'float32'): Tensor {
  return tensor(Array.from({ length: n }, (_, i) => i), { shape, dtype });
}

// ---------------------------------------------------------------------------------------
// the reference PyTorch MLP
// ---------------------------------------------------------------------------------------

function maxRelativeError(actual: Tensor, expected: Tensor): number {
  const a = actual.toTypedArray();
  const b = expected.toTypedArray();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!));
  return worst;
}

/** The zoo's MNIST MLP with the PyTorch weights loaded from safetensors. */
function mlpFromSafetensors(dtype: DType): (x: Tensor) => Tensor {
  const model = mnistMlp();
  model.loadStateDict(loadSafetensors(fixture('mlp.safetensors')).tensors);
  model.to(dtype);
  return (x) => model.forward(x);
}

describe('ONNX: the reference PyTorch MLP', () => {
  it('imports with PyTorch parameter names and the exported weights', () => {
    const model = loadOnnx(mlpOnnx);
    expect(model.opset).toBe(13);
    expect(model.inputName).toBe('input');
    expect(model.outputName).toBe('logits');
    const weights = loadSafetensors(fixture('mlp.safetensors')).tensors;
    const params = model.namedParameters();
    expect(params.map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    for (const [name, p] of params) {
      expect(p.value.dtype).toBe('float32');
      expect(Array.from(p.value.toTypedArray())).toEqual(Array.from(weights[name]!.toTypedArray()));
    }
    expect(Object.keys(model.stateDict())).toEqual(params.map(([n]) => n));
  });

  it('gives PyTorch float64 logits to 1e-12 relative, from ONNX and from safetensors', () => {
    const x = reference['inputs.f64']!;
    const expected = reference['logits.f64']!;
    const fromOnnx = loadOnnx(mlpOnnx).to('float64').forward(x);
    expect(fromOnnx.dtype).toBe('float64');
    expect(fromOnnx.shape).toEqual([16, 10]);
    expect(maxRelativeError(fromOnnx, expected)).toBeLessThan(1e-12);
    const fromSafetensors = mlpFromSafetensors('float64')(x);
    expect(maxRelativeError(fromSafetensors, expected)).toBeLessThan(1e-12);
  });

  it('gives PyTorch float32 logits to float32 accuracy', () => {
    const expected = reference['logits.f32']!;
    const scale = Math.max(...Array.from(expected.toTypedArray(), Math.abs));
    for (const y of [loadOnnx(mlpOnnx).forward(reference['inputs.f32']!), mlpFromSafetensors('float32')(reference['inputs.f32']!)]) {
      expect(y.dtype).toBe('float32');
      const a = y.toTypedArray();
      const b = expected.toTypedArray();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6 * scale);
    }
  });

  it('is differentiable: input gradients through the ONNX graph equal those of the native layers', () => {
    const x = reference['inputs.f64']!;
    const onnx = loadOnnx(mlpOnnx).to('float64');
    const native = mlpFromSafetensors('float64');
    const targetLogit = (f: (x: Tensor) => Tensor) => (input: Tensor) => f(input).mul(tensor([0, 0, 0, 0, 0, 0, 0, 1, 0, 0], { dtype: 'float64' })).sum();
    const gOnnx = grad(targetLogit((t) => onnx.forward(t)))(x);
    const gNative = grad(targetLogit(native))(x);
    expect(gOnnx.shape).toEqual([16, 1, 28, 28]);
    expectClose(gOnnx, gNative, 1e-12);
    expect(Array.from(gOnnx.toTypedArray()).some((v) => v !== 0)).toBe(true);
  });

  it('routes each Gemm through its parameter scope, so forward hooks see the layer', () => {
    const model = loadOnnx(mlpOnnx);
    expect(model.namedModules().map(([n]) => n)).toEqual(['', '0', '2', '4']);
    let seen: number[][] = [];
    const y = withForwardHook(
      model.getSubmodule('2'),
      (input, output) => {
        seen = [input.shape.slice(), output.shape.slice()];
        return output.mul(0);
      },
      () => model.forward(reference['inputs.f32']!),
    );
    expect(seen).toEqual([[16, 128], [16, 64]]);
    // the hook's replacement flows on: with layer 2 zeroed the logits are relu(0)·W4 + b4 = b4
    const bias = model.stateDict()['4.bias']!.toTypedArray();
    expect(Array.from(y.toTypedArray().subarray(0, 10))).toEqual(Array.from(bias));
    // outside the model's forward a scope has nothing bound to run
    expect(() => model.getSubmodule('0').forward(tensor([[1]]))).toThrow(ArgumentError);
    expect(() => model.getSubmodule('0').forward(tensor([[1]]))).toThrow(/call the whole model/);
  });
});

// ---------------------------------------------------------------------------------------
// each op against hand-computed values or the pathgrad op it maps to
// ---------------------------------------------------------------------------------------

describe('ONNX ops', () => {
  it('Gemm with alpha, beta, transA, transB and a broadcast C', () => {
    // A^T is [[1, 2], [3, 4]], B^T is [[1, 0, 1], [0, 1, 1]]
    const a = tp('a', [2, 2], [1, 3, 2, 4]);
    const b = tp('b', [3, 2], [1, 0, 0, 1, 1, 1]);
    const c = tp('c', [3], [10, 20, 30]);
    const bytes = onnxBytes({
      nodes: [node('Gemm', ['a', 'b', 'c'], ['g'], [A.float('alpha', 2), A.float('beta', 0.5), A.int('transA', 1), A.int('transB', 1)]), node('Add', ['g', 'x'], ['y'])],
      initializers: [a, b, c],
      inputShape: [1],
    });
    // 2 * [[1, 2, 3], [3, 4, 7]] + 0.5 * [10, 20, 30]
    expectClose(run(bytes, tensor([0])), tensor([[7, 14, 21], [11, 18, 29]]));
  });

  it('MatMul, Add, Sub, Mul, Div broadcast like NumPy', () => {
    const w = tp('w', [3, 2], [1, 2, 3, 4, 5, 6]);
    const x = tensor([[1, 1, 1]]);
    expectClose(run(single('MatMul', [], [w]), x), tensor([[9, 12]]));
    const v = tp('v', [3], [1, 2, 4]);
    expectClose(run(single('Add', [], [v]), x), tensor([[2, 3, 5]]));
    expectClose(run(single('Sub', [], [v]), x), tensor([[0, -1, -3]]));
    expectClose(run(single('Mul', [], [v]), x), tensor([[1, 2, 4]]));
    expectClose(run(single('Div', [], [v]), x), tensor([[1, 0.5, 0.25]]));
  });

  it('Relu, LeakyRelu, Sigmoid, Tanh, Identity, Dropout', () => {
    const x = tensor([-2, -0.5, 0, 1.5]);
    expectClose(run(single('Relu'), x), [0, 0, 0, 1.5]);
    expectClose(run(single('LeakyRelu', [A.float('alpha', 0.1)]), x), [-0.2, -0.05, 0, 1.5]);
    expectClose(run(single('LeakyRelu'), x), [-0.02, -0.005, 0, 1.5]);
    expectClose(run(single('Sigmoid'), x), [-2, -0.5, 0, 1.5].map((v) => 1 / (1 + Math.exp(-v))));
    expectClose(run(single('Tanh'), x), [-2, -0.5, 0, 1.5].map(Math.tanh));
    expectClose(run(single('Identity'), x), [-2, -0.5, 0, 1.5]);
    const dropout = onnxBytes({ nodes: [node('Dropout', ['x'], ['y', 'mask'], [A.float('ratio', 0.5)])] });
    expectClose(run(dropout, x), [-2, -0.5, 0, 1.5]);
  });

  it('Softmax and LogSoftmax use the opset-13 axis, and opset-11 2-D coercion', () => {
    const x = rand([2, 3, 4], rng(1), { dtype: 'float64' });
    expectClose(run(single('Softmax'), x), softmax(x, -1), 1e-12);
    expectClose(run(single('LogSoftmax', [A.int('axis', 1)]), x), logSoftmax(x, 1), 1e-12);
    // opset 11, axis 1: normalize over the flattened [3*4] block of each example
    const old = run(single('Softmax', [A.int('axis', 1)], [], undefined, 11), x);
    expectClose(old, reshape(softmax(reshape(x, [2, 12]), 1), [2, 3, 4]), 1e-12);
    const oldLog = run(single('LogSoftmax', [], [], undefined, 11), x); // default axis 1 before opset 13
    expectClose(oldLog, reshape(logSoftmax(reshape(x, [2, 12]), 1), [2, 3, 4]), 1e-12);
  });

  it('Flatten, Reshape (0 and -1), Transpose, Concat', () => {
    const x = arange(24, [2, 3, 4]);
    expect(run(single('Flatten'), x).shape).toEqual([2, 12]);
    expect(run(single('Flatten', [A.int('axis', 0)]), x).shape).toEqual([1, 24]);
    expect(run(single('Flatten', [A.int('axis', -1)]), x).shape).toEqual([6, 4]);
    expect(run(single('Reshape', [], [tp('s', [3], [0, -1, 2], 7)]), x).shape).toEqual([2, 6, 2]);
    expect(run(single('Reshape', [], [tp('s', [2], [-1, 8], 7, true)]), x).shape).toEqual([3, 8]);
    const t = run(single('Transpose', [A.ints('perm', [2, 0, 1])]), x);
    expect(t.shape).toEqual([4, 2, 3]);
    expect(t.get(3, 1, 2)).toBe(x.get(1, 2, 3));
    expect(run(single('Transpose'), x).shape).toEqual([4, 3, 2]);
    const c = run(single('Concat', [A.int('axis', -1)], [tp('k', [2, 3, 1], [100, 101, 102, 103, 104, 105])]), x);
    expect(c.shape).toEqual([2, 3, 5]);
    expect(c.get(1, 2, 4)).toBe(105);
    expect(c.get(1, 2, 3)).toBe(23);
  });

  it('Constant in every value form feeds other nodes', () => {
    const viaTensor = onnxBytes({
      nodes: [node('Constant', [], ['s'], [A.tensor('value', tp('', [2], [4, -1], 7))]), node('Reshape', ['x', 's'], ['y'])],
    });
    expect(run(viaTensor, arange(8, [8])).shape).toEqual([4, 2]);
    const viaInts = onnxBytes({ nodes: [node('Constant', [], ['s'], [A.ints('value_ints', [2, 4])]), node('Reshape', ['x', 's'], ['y'])] });
    expect(run(viaInts, arange(8, [8])).shape).toEqual([2, 4]);
    const viaFloat = onnxBytes({ nodes: [node('Constant', [], ['c'], [A.float('value_float', 2.5)]), node('Mul', ['x', 'c'], ['y'])] });
    expectClose(run(viaFloat, tensor([2])), [5]);
    const viaFloats = onnxBytes({ nodes: [node('Constant', [], ['c'], [A.floats('value_floats', [1, 2])]), node('Add', ['x', 'c'], ['y'])] });
    expectClose(run(viaFloats, tensor([1, 1])), [2, 3]);
    const viaInt = onnxBytes({ nodes: [node('Constant', [], ['c'], [A.int('value_int', 3)]), node('Mul', ['x', 'c'], ['y'])] });
    expectClose(run(viaInt, tensor([2])), [6]);
  });

  it('typed TensorProto fields give the same values as raw_data', () => {
    const values = [0.1, -2, 3.5, 1e-3, 7, -0.25];
    for (const dataType of [1, 11]) {
      const raw = run(single('Add', [], [tp('w', [2, 3], values, dataType)]), tensor([[0, 0, 0]], { dtype: 'float64' }));
      const typed = run(single('Add', [], [tp('w', [2, 3], values, dataType, true)]), tensor([[0, 0, 0]], { dtype: 'float64' }));
      expect(Array.from(typed.toTypedArray())).toEqual(Array.from(raw.toTypedArray()));
    }
    const ints = run(single('Add', [], [tp('w', [3], [1, -2, 3], 6, true)]), tensor([0, 0, 0], { dtype: 'int32' }));
    expect(ints.toArray()).toEqual([1, -2, 3]);
  });

  it('Conv with pads, strides, dilations, groups and auto_pad', () => {
    const x = rand([1, 4, 7, 6], rng(2), { dtype: 'float64' });
    const wv = Array.from(rand([6, 2, 3, 3], rng(3), { dtype: 'float64' }).toTypedArray());
    const bv = [0.5, -1, 2, 0, 1, 3];
    const w = tp('w', [6, 2, 3, 3], wv, 11);
    const b = tp('b', [6], bv, 11);
    const wt = tensor(wv, { shape: [6, 2, 3, 3], dtype: 'float64' });
    const bt = tensor(bv, { dtype: 'float64' });
    const y = run(single('Conv', [A.ints('pads', [1, 2, 1, 2]), A.ints('strides', [2, 1]), A.int('group', 2)], [w, b]), x);
    expectClose(y, conv2d(x, wt, bt, { padding: [1, 2], stride: [2, 1], groups: 2 }), 1e-12);
    // asymmetric pads go through an explicit pad
    const asym = run(single('Conv', [A.ints('pads', [0, 1, 2, 0]), A.ints('dilations', [2, 1]), A.int('group', 2)], [w]), x);
    expectClose(asym, conv2d(pad(x, [[0, 2], [1, 0]]), wt, null, { dilation: [2, 1], groups: 2 }), 1e-12);
    // SAME_UPPER with stride 2: output ceil(in / 2), the odd padding at the end
    const same = run(single('Conv', [A.string('auto_pad', 'SAME_UPPER'), A.ints('strides', [2, 2]), A.int('group', 2), A.ints('kernel_shape', [3, 3])], [w]), x);
    expect(same.shape).toEqual([1, 6, 4, 3]);
    expectClose(same, conv2d(pad(x, [[1, 1], [0, 1]]), wt, null, { stride: 2, groups: 2 }), 1e-12);
    // SAME_LOWER puts the odd padding at the start
    const lower = run(single('Conv', [A.string('auto_pad', 'SAME_LOWER'), A.ints('strides', [2, 2]), A.int('group', 2)], [w]), x);
    expectClose(lower, conv2d(pad(x, [[1, 1], [1, 0]]), wt, null, { stride: 2, groups: 2 }), 1e-12);
    const valid = run(single('Conv', [A.string('auto_pad', 'VALID'), A.int('group', 2)], [w]), x);
    expect(valid.shape).toEqual([1, 6, 5, 4]);
    expect(caught(() => run(single('Conv', [A.ints('kernel_shape', [2, 2])], [w]), x)).message).toMatch(/kernel_shape \[2, 2\] does not match/);
  });

  it('MaxPool and AveragePool (count_include_pad both ways), GlobalAveragePool', () => {
    const x = arange(16, [1, 1, 4, 4]);
    expect(run(single('MaxPool', [A.ints('kernel_shape', [2, 2]), A.ints('strides', [2, 2])]), x).toArray()).toEqual([[[[5, 7], [13, 15]]]]);
    // ONNX's default stride is 1, not the kernel size
    expect(run(single('MaxPool', [A.ints('kernel_shape', [3, 3])]), x).toArray()).toEqual([[[[10, 11], [14, 15]]]]);
    // padded max ignores the padding; asymmetric pads work too
    // (windows: rows {-1, 0} and {1, 2}, columns likewise; output floor((4 + 1 - 2) / 2) + 1 = 2)
    expect(run(single('MaxPool', [A.ints('kernel_shape', [2, 2]), A.ints('pads', [1, 1, 0, 0]), A.ints('strides', [2, 2])]), x.neg()).toArray()).toEqual([
      [[[-0, -1], [-4, -5]]],
    ]);
    expect(run(single('MaxPool', [A.ints('kernel_shape', [2, 2]), A.ints('pads', [1, 1, 1, 1]), A.ints('strides', [2, 2])]), x).toArray()).toEqual([
      [[[0, 2, 3], [8, 10, 11], [12, 14, 15]]],
    ]);
    const avgIn = run(single('AveragePool', [A.ints('kernel_shape', [2, 2]), A.ints('pads', [1, 1, 1, 1]), A.ints('strides', [2, 2]), A.int('count_include_pad', 1)]), x);
    expectClose(avgIn, avgPool2d(x, { kernelSize: 2, stride: 2, padding: 1, countIncludePad: true }));
    expect(avgIn.get(0, 0, 0, 0)).toBe(0 / 4);
    const avgEx = run(single('AveragePool', [A.ints('kernel_shape', [2, 2]), A.ints('pads', [1, 1, 1, 1]), A.ints('strides', [2, 2])]), x);
    expect(avgEx.get(0, 0, 0, 0)).toBe(0); // one real pixel, value 0
    expect(avgEx.get(0, 0, 0, 1)).toBe(1.5); // pixels 1 and 2
    expect(avgEx.get(0, 0, 2, 2)).toBe(15);
    // asymmetric padding, excluded from the count: top-left window holds only pixel 0
    const asym = run(single('AveragePool', [A.ints('kernel_shape', [2, 2]), A.ints('pads', [1, 1, 0, 0])]), x);
    expect(asym.shape).toEqual([1, 1, 4, 4]);
    expect(asym.get(0, 0, 0, 0)).toBe(0);
    expect(asym.get(0, 0, 0, 1)).toBe(0.5);
    expect(asym.get(0, 0, 1, 1)).toBe(2.5);
    expect(run(single('GlobalAveragePool'), x).toArray()).toEqual([[[[7.5]]]]);
    // ceil_mode keeps the partial last window
    expect(run(single('MaxPool', [A.ints('kernel_shape', [3, 3]), A.ints('strides', [2, 2]), A.int('ceil_mode', 1)]), x).toArray()).toEqual([[[[10, 11], [14, 15]]]]);
    expect(run(single('MaxPool', [A.ints('kernel_shape', [3, 3]), A.ints('strides', [2, 2])]), x).toArray()).toEqual([[[[10]]]]);
  });

  it('BatchNormalization in inference form', () => {
    const x = arange(8, [2, 2, 1, 2], 'float64');
    const init = [tp('scale', [2], [1, 2], 11), tp('bias', [2], [0, 1], 11), tp('mean', [2], [1, 2], 11), tp('var', [2], [4, 1], 11)];
    const y = run(single('BatchNormalization', [A.float('epsilon', 0)], init), x);
    // channel 0: (x - 1) / 2, channel 1: 2 (x - 2) + 1
    expectClose(y, tensor([[[[-0.5, 0]], [[1, 3]]], [[[1.5, 2]], [[9, 11]]]], { dtype: 'float64' }), 1e-12);
  });
});

describe('ONNX: a PyTorch-style CNN graph', () => {
  // Conv 1->2 3x3, Relu, MaxPool 2, Conv 2->3 3x3 (pad 1), BatchNorm, Relu, Flatten, Gemm 12->4,
  // named as PyTorch's exporter names a Sequential's parameters
  const g = rng(7);
  const values = (shape: number[]) => Array.from(rand(shape, g, { low: -0.5, high: 0.5, dtype: 'float64' }).toTypedArray());
  const w0 = values([2, 1, 3, 3]);
  const b0 = values([2]);
  const w3 = values([3, 2, 3, 3]);
  const bn = [values([3]), values([3]), values([3]), values([3]).map((v) => v + 1)];
  const w7 = values([4, 12]);
  const b7 = values([4]);
  const bytes = onnxBytes({
    nodes: [
      node('Conv', ['x', '0.weight', '0.bias'], ['c0'], [A.ints('kernel_shape', [3, 3])], '/0/Conv'),
      node('Relu', ['c0'], ['r0'], [], '/1/Relu'),
      node('MaxPool', ['r0'], ['p0'], [A.ints('kernel_shape', [2, 2]), A.ints('strides', [2, 2])], '/2/MaxPool'),
      node('Conv', ['p0', '3.weight'], ['c3'], [A.ints('pads', [1, 1, 1, 1])], '/3/Conv'),
      node('BatchNormalization', ['c3', '4.weight', '4.bias', '4.running_mean', '4.running_var'], ['b4'], [A.float('epsilon', 1e-5)], '/4/BatchNormalization'),
      node('Relu', ['b4'], ['r5'], [], '/5/Relu'),
      node('Flatten', ['r5'], ['f6'], [], '/6/Flatten'),
      node('Gemm', ['f6', '7.weight', '7.bias'], ['y'], [A.int('transB', 1)], '/7/Gemm'),
    ],
    initializers: [
      tp('0.weight', [2, 1, 3, 3], w0, 11),
      tp('0.bias', [2], b0, 11),
      tp('3.weight', [3, 2, 3, 3], w3, 11),
      tp('4.weight', [3], bn[0]!, 11),
      tp('4.bias', [3], bn[1]!, 11),
      tp('4.running_mean', [3], bn[2]!, 11),
      tp('4.running_var', [3], bn[3]!, 11),
      tp('7.weight', [4, 12], w7, 11),
      tp('7.bias', [4], b7, 11),
    ],
    inputShape: ['batch', 1, 6, 6],
  });

  function direct(x: Tensor): Tensor {
    const t = (v: number[], shape: number[]) => tensor(v, { shape, dtype: 'float64' });
    let h = maxPool2d(relu(conv2d(x, t(w0, [2, 1, 3, 3]), t(b0, [2]))), { kernelSize: 2 });
    h = conv2d(h, t(w3, [3, 2, 3, 3]), null, { padding: 1 });
    const c = (v: number[]) => t(v, [1, 3, 1, 1]);
    h = h.sub(c(bn[2]!)).div(c(bn[3]!).add(1e-5).sqrt()).mul(c(bn[0]!)).add(c(bn[1]!));
    h = reshape(relu(h), [x.shape[0]!, 12]);
    return matmul(h, t(w7, [4, 12]).transpose()).add(t(b7, [4]));
  }

  it('matches the same network written with pathgrad ops, with PyTorch names', () => {
    const model = loadOnnx(bytes);
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '3.weight', '4.weight', '4.bias', '7.weight', '7.bias']);
    // BatchNormalization's running statistics are buffers, as in PyTorch
    expect(model.namedBuffers().map(([n]) => n)).toEqual(['4.running_mean', '4.running_var']);
    expect(Object.keys(model.stateDict())).toEqual([
      '0.weight', '0.bias', '3.weight', '4.weight', '4.bias', '4.running_mean', '4.running_var', '7.weight', '7.bias',
    ]);
    const x = rand([3, 1, 6, 6], rng(8), { dtype: 'float64' });
    const y = model.forward(x);
    expect(y.shape).toEqual([3, 4]);
    expect(y.dtype).toBe('float64');
    expectClose(y, direct(x), 1e-12);
  });

  it('hooks see each layer; stateDict round-trips through safetensors into a fresh import', () => {
    const model = loadOnnx(bytes);
    const x = rand([2, 1, 6, 6], rng(10), { dtype: 'float64' });
    const shapes: Record<string, number[]> = {};
    for (const name of ['0', '3', '4', '7']) {
      withForwardHook(model.getSubmodule(name), (_i, o) => void (shapes[name] = o.shape.slice()), () => model.forward(x));
    }
    expect(shapes).toEqual({ '0': [2, 2, 4, 4], '3': [2, 3, 2, 2], '4': [2, 3, 2, 2], '7': [2, 4] });
    // change the running variance through loadStateDict: the graph must read the new buffer
    const sd = loadSafetensors(saveSafetensors(model.stateDict())).tensors;
    const fresh = loadOnnx(bytes);
    sd['4.running_var'] = tensor([4, 4, 4], { dtype: 'float64' });
    fresh.loadStateDict(sd);
    const changed = fresh.forward(x);
    expect(Array.from(changed.toTypedArray())).not.toEqual(Array.from(model.forward(x).toTypedArray()));
    expect(Array.from(fresh.to('float32').forward(x).toTypedArray()).every(Number.isFinite)).toBe(true);
  });

  it('passes gradcheck through Conv, MaxPool, BatchNormalization and Gemm', () => {
    const model = loadOnnx(bytes);
    const x = rand([2, 1, 6, 6], rng(9), { dtype: 'float64' });
    const report = gradcheck((input) => model.forward(input).mul(tensor([1, -2, 0.5, 3], { dtype: 'float64' })).sum(), [x]);
    expect(report.ok).toBe(true);
  });

  it('refuses the graph at load when the declared input cannot pass through it', () => {
    const tooSmall = onnxBytes({
      nodes: [node('Conv', ['x', 'w'], ['y'], [], '/0/Conv')],
      initializers: [tp('w', [1, 1, 3, 3], new Array(9).fill(1))],
      inputShape: ['batch', 1, 2, 2],
    });
    const e = caught(() => loadOnnx(tooSmall));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/\/0\/Conv.*\[batch=1, 1, 2, 2\]/);
  });
});

// ---------------------------------------------------------------------------------------
// hostile and malformed models
// ---------------------------------------------------------------------------------------

describe('ONNX: hostile models are FormatErrors', () => {
  it('an unsupported op names the op type and the node', () => {
    const bytes = onnxBytes({ nodes: [node('Relu', ['x'], ['h'], [], 'first'), node('Erf', ['h'], ['y'], [], 'my_erf_node')] });
    const e = caught(() => loadOnnx(bytes));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain('"Erf"');
    expect(e.message).toContain('my_erf_node');
    const custom = onnxBytes({ nodes: [{ ...node('Relu', ['x'], ['y'], [], 'ms_relu'), domain: 'com.microsoft' }] });
    expect(caught(() => loadOnnx(custom)).message).toMatch(/ms_relu.*com\.microsoft/);
  });

  it('shapes that do not fit are reported at load, naming the node', () => {
    const w = tp('fc.weight', [10, 5], new Array(50).fill(0.1));
    const bytes = onnxBytes({ nodes: [node('Flatten', ['x'], ['f']), node('Gemm', ['f', 'fc.weight'], ['y'], [A.int('transB', 1)], 'bad_gemm')], initializers: [w], inputShape: ['N', 1, 28, 28] });
    const e = caught(() => loadOnnx(bytes));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain('bad_gemm');
    expect(e.message).toContain('[N=1, 1, 28, 28]');
    // without a declared input shape the same graph loads and fails at forward, still naming the node
    const lazy = onnxBytes({ nodes: [node('Flatten', ['x'], ['f']), node('Gemm', ['f', 'fc.weight'], ['y'], [A.int('transB', 1)], 'bad_gemm')], initializers: [w] });
    const fwd = caught(() => loadOnnx(lazy).forward(tensor([[1, 2, 3]])));
    expect(fwd).toBeInstanceOf(ShapeError);
    expect(fwd.message).toContain('bad_gemm');
    const conv = single('Conv', [], [tp('w', [4, 3, 3, 3], new Array(108).fill(0))], [1, 2, 8, 8]);
    expect(caught(() => loadOnnx(conv))).toBeInstanceOf(FormatError);
    const reshape = single('Reshape', [], [tp('s', [2], [5, -1], 7)], [2, 3]);
    expect(caught(() => loadOnnx(reshape)).message).toMatch(/Reshape/);
    const bn = single('BatchNormalization', [], [tp('a', [3], [1, 1, 1]), tp('b', [3], [0, 0, 0]), tp('c', [3], [0, 0, 0]), tp('d', [3], [1, 1, 1])], [1, 2, 4, 4]);
    expect(caught(() => loadOnnx(bn)).message).toMatch(/scale must have shape \[2\]/);
  });

  it('tensor data that does not match its dims, dtypes, external data', () => {
    const cases: [object, RegExp][] = [
      [{ name: 'w', dims: [3], data_type: 1, raw_data: new Uint8Array(8) }, /raw_data has 8 bytes.*need 12/],
      [{ name: 'w', dims: [3], data_type: 1, float_data: [1, 2] }, /float_data has 2 values.*need 3/],
      [{ name: 'w', dims: [2 ** 30, 2 ** 30], data_type: 1, raw_data: new Uint8Array(4) }, /more than \d+ elements/],
      [{ name: 'w', dims: [-1], data_type: 1 }, /non-negative/],
      [{ name: 'w', dims: [1], data_type: 8, string_data: [new Uint8Array([65])] }, /data type 8 is not supported/],
      [{ name: 'w', dims: [1], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] }, /external file/],
      [{ name: 'w', dims: [1], data_type: 7, int64_data: [2 ** 40] }, /does not fit int32/],
      [{ name: 'w', dims: [2], data_type: 1, float_data: [1, NaN] }, /not finite/],
      [{ name: 'w', dims: [1], data_type: 11, double_data: [Infinity] }, /not finite/],
    ];
    for (const [init, message] of cases) {
      const e = caught(() => loadOnnx(single('Add', [], [init])));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
      expect(e.message).toContain('"w"');
    }
    const nanConstant = onnxBytes({ nodes: [node('Constant', [], ['c'], [A.floats('value_floats', [NaN])], 'nan_const'), node('Add', ['x', 'c'], ['y'])] });
    expect(caught(() => loadOnnx(nanConstant)).message).toMatch(/nan_const.*not finite/);
  });

  it('graph structure: order, arity, attributes, inputs and outputs', () => {
    const unsorted = onnxBytes({ nodes: [node('Relu', ['h'], ['y'], [], 'second'), node('Relu', ['x'], ['h'], [], 'first')] });
    expect(caught(() => loadOnnx(unsorted)).message).toMatch(/second.*"h" is not produced/);
    const twice = onnxBytes({ nodes: [node('Relu', ['x'], ['y']), node('Relu', ['x'], ['y'])] });
    expect(caught(() => loadOnnx(twice)).message).toMatch(/already defined/);
    expect(caught(() => loadOnnx(onnxBytes({ nodes: [node('Relu', ['x', 'x'], ['y'])] }))).message).toMatch(/expected 1 inputs, got 2/);
    expect(caught(() => loadOnnx(single('Gemm', [A.floats('alpha', [1])], [tp('w', [1, 1], [1])]))).message).toMatch(/attribute "alpha" must be FLOAT, got FLOATS/);
    expect(caught(() => loadOnnx(single('MaxPool'))).message).toMatch(/kernel_shape is required/);
    expect(caught(() => loadOnnx(single('Conv', [A.string('auto_pad', 'SAME_MIDDLE')], [tp('w', [1, 1, 1, 1], [1])]))).message).toMatch(/auto_pad/);
    expect(caught(() => loadOnnx(single('Conv', [A.ints('strides', [0, 1])], [tp('w', [1, 1, 1, 1], [1])]))).message).toMatch(/strides/);
    expect(caught(() => loadOnnx(single('MaxPool', [A.ints('kernel_shape', [2, 2]), A.ints('pads', [-1, 0, 0, 0])]))).message).toMatch(/pads/);
    expect(caught(() => loadOnnx(single('Concat')))).toBeInstanceOf(FormatError);
    expect(caught(() => loadOnnx(onnxBytes({ nodes: [node('Constant', [], ['y'], [A.string('value_string', 'a')])] }))).message).toMatch(/value_string/);
    const twoInputs = onnxBytes({ nodes: [node('Add', ['x', 'z'], ['y'])], inputs: [valueInfo('x', [1]), valueInfo('z', [1])] });
    expect(caught(() => loadOnnx(twoInputs)).message).toMatch(/one input.*2/);
    const twoOutputs = onnxBytes({ nodes: [node('Relu', ['x'], ['y'])], outputs: [valueInfo('y', undefined), valueInfo('x', undefined)] });
    expect(caught(() => loadOnnx(twoOutputs)).message).toMatch(/one output/);
    const missingOutput = onnxBytes({ nodes: [node('Relu', ['x'], ['h'])] });
    expect(caught(() => loadOnnx(missingOutput)).message).toMatch(/"y" is produced by no node/);
    const noGraph = modelProtoType().encode(modelProtoType().fromObject({ ir_version: 8 })).finish();
    expect(caught(() => loadOnnx(noGraph)).message).toMatch(/no graph/);
    const maxIndices = onnxBytes({ nodes: [node('MaxPool', ['x'], ['p', 'idx'], [A.ints('kernel_shape', [1, 1])]), node('Add', ['p', 'idx'], ['y'])] });
    expect(caught(() => loadOnnx(maxIndices)).message).toMatch(/"idx" is not produced/);
  });

  it('random bytes, truncations and mutations of real models only ever throw FormatError (property)', () => {
    const small = onnxBytes({
      nodes: [
        node('Flatten', ['x'], ['f']),
        node('Gemm', ['f', 'l.weight', 'l.bias'], ['g'], [A.int('transB', 1)]),
        node('Relu', ['g'], ['r']),
        node('Constant', [], ['s'], [A.ints('value_ints', [-1, 2])]),
        node('Reshape', ['r', 's'], ['y']),
      ],
      initializers: [tp('l.weight', [4, 6], Array.from({ length: 24 }, (_, i) => i / 10)), tp('l.bias', [4], [1, 2, 3, 4], 1, true)],
      inputShape: ['N', 2, 3],
    });
    expect(loadOnnx(small).forward(rand([3, 2, 3], rng(0))).shape).toEqual([6, 2]);
    const mutate = (base: Uint8Array) =>
      fc
        .tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.integer({ min: -32, max: 32 }), fc.nat(base.length))
        .map(([flips, extend, cut]) => {
          const b = new Uint8Array(Math.max(0, Math.min(base.length, cut === 0 ? base.length : cut) + Math.max(0, extend)));
          b.set(base.subarray(0, Math.min(base.length, b.length)));
          for (const [i, v] of flips) if (i < b.length) b[i] = v;
          return b;
        });
    const mlpHead = mlpOnnx.subarray(0, 2048);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutate(small), mutate(mlpHead)), (bytes) => {
        try {
          const m = loadOnnx(bytes);
          let allocated = 0;
          for (const p of m.parameters()) allocated += p.value.data.byteLength;
          // varint int64 -> int32 is the widest growth per byte: 4x
          expect(allocated).toBeLessThanOrEqual(4 * bytes.length);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('deeply nested protobuf messages are a FormatError, not a stack overflow', () => {
    const varint = (n: number): number[] => {
      const out: number[] = [];
      for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
      out.push(n);
      return out;
    };
    const wrap = (field: number, body: Uint8Array): Uint8Array => {
      const head = [(field << 3) | 2, ...varint(body.length)];
      const out = new Uint8Array(head.length + body.length);
      out.set(head);
      out.set(body, head.length);
      return out;
    };
    // graph > node > attribute > g (a graph) > node > ... 20,000 levels
    let b: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 20000; i++) b = wrap(1, wrap(5, wrap(6, b)));
    expect(caught(() => loadOnnx(wrap(7, b)))).toBeInstanceOf(FormatError);
  });

  it('a truncated copy of the reference model is a FormatError at every tested length', () => {
    for (const n of [0, 1, 7, 100, 1000, 5000, 200_000, mlpOnnx.length - 1]) {
      expect(caught(() => loadOnnx(mlpOnnx.subarray(0, n)))).toBeInstanceOf(FormatError);
    }
  });
});
