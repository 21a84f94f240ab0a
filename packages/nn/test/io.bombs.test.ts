/**
 * Resource bombs and fuzzing for the nn loaders (ONNX, safetensors, IDX): small files that
 * ask for huge tensors are refused before anything is allocated, with an error naming the
 * node or field and the limit; random, truncated, bit-flipped and crafted files end quickly
 * in a documented error class. Set FC_NUM_RUNS for a long run, FC_SEED to replay a failure
 * (fast-check prints both the seed and the path of a failing case).
 */
import {
  ArgumentError,
  FormatError,
  PathgradError,
  ShapeError,
  Tensor,
  add,
  avgPool2d,
  concat,
  conv2d,
  div,
  maxPool2d,
  ones,
  mul,
  neg,
  pad,
  permute,
  rand,
  relu,
  rng,
  sigmoid,
  sub,
  tensor,
  zeros,
} from '@pathgrad/tensor';
import { boundedRefusal, fuzzRuns, fuzzSeed, fuzzTimeout, hostileBytes } from '@pathgrad/tensor/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ONNX_DEFAULT_LIMITS, loadOnnx, loadSafetensors, readIdx, saveSafetensors } from '../src/index.js';
import { A, caught, node, onnxBytes, tp } from './onnx-builders.js';

/** Runs `fn`, which must throw; checks the class, that it was quick and that memory stayed small. */
function refusedQuickly(fn: () => unknown, cls: typeof FormatError | typeof ArgumentError): Error {
  const start = performance.now();
  const e = caught(fn);
  const ms = performance.now() - start;
  expect(e, e.message).toBeInstanceOf(cls);
  // generous bounds against a hang or a huge allocation, not speed measurements
  expect(ms).toBeLessThan(2000);
  expect(process.memoryUsage().rss).toBeLessThan(1.5e9);
  return e;
}

// ---------------------------------------------------------------------------------------
// ONNX: crafted graphs from the issue
// ---------------------------------------------------------------------------------------

/** x -> Concat(x, x) -> Concat(c1, c1) -> ...: each node doubles the last axis. */
function concatChain(depth: number, inputShape?: (number | string)[]): Uint8Array {
  const nodes: object[] = [];
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    const out = i === depth - 1 ? 'y' : `c${i}`;
    nodes.push(node('Concat', [prev, prev], [out], [A.int('axis', 1)], `double_${i}`));
    prev = out;
  }
  return onnxBytes({ nodes, inputShape });
}

/** y = x + transpose(x): an [n, 1] input broadcasts to [n, n]. */
function transposeAdd(n: number | string): Uint8Array {
  return onnxBytes({ nodes: [node('Transpose', ['x'], ['t']), node('Add', ['x', 't'], ['y'])], inputShape: [n, 1] });
}

function convWithPads(pads: number[], extra: object[] = [], inputShape: (number | string)[] = [1, 1, 28, 28], weightShape = [1, 1, 3, 3]): Uint8Array {
  const count = weightShape.reduce((a, b) => a * b, 1);
  return onnxBytes({
    nodes: [node('Conv', ['x', 'w'], ['y'], [A.ints('pads', pads), ...(extra as never[])], 'conv')],
    initializers: [tp('w', weightShape, new Array<number>(count).fill(0.5))],
    inputShape,
  });
}

describe('ONNX bombs are refused at load, before allocating', () => {
  it('a ~1.3 KB chain of doubling Concat nodes: FormatError naming the node, the shape and the limit', () => {
    const bytes = concatChain(30, [1, 1]);
    expect(bytes.length).toBeLessThan(1500);
    const e = refusedQuickly(() => loadOnnx(bytes), FormatError);
    // 2^27 elements is the default per-tensor limit: the 28th doubling ([1, 2^28]) is refused
    expect(e.message).toContain('node "double_27" (Concat)');
    expect(e.message).toContain('[1, 268435456]');
    expect(e.message).toContain('maxTensorElements');
  });

  it('the same chain without a declared input shape loads, and forward refuses before allocating', () => {
    const model = loadOnnx(concatChain(30));
    const e = refusedQuickly(() => model.forward(zeros([1, 1])), ArgumentError);
    expect(e.message).toMatch(/double_\d+/);
    expect(e.message).toContain('maxT');
  });

  it('a 113-byte Transpose+Add graph broadcasting to [30000, 30000]', () => {
    const bytes = transposeAdd(30000);
    expect(bytes.length).toBeLessThan(130);
    const e = refusedQuickly(() => loadOnnx(bytes), FormatError);
    expect(e.message).toContain('node "Add_node" (Add)');
    expect(e.message).toContain('[30000, 30000]');
    expect(e.message).toContain('900,000,000');
  });

  it('broadcast to [1e6, 1e6] is a FormatError, not "Invalid typed array length"', () => {
    const e = refusedQuickly(() => loadOnnx(transposeAdd(1_000_000)), FormatError);
    expect(e.message).toContain('[1000000, 1000000]');
    expect(e.message).not.toMatch(/typed array/i);
  });

  it('with a dynamic batch dimension the forward pass refuses the same blow-up as ArgumentError', () => {
    const model = loadOnnx(transposeAdd('N'));
    const e = refusedQuickly(() => model.forward(zeros([30000, 1])), ArgumentError);
    expect(e.message).toContain('[30000, 30000]');
    expect(model.forward(zeros([3, 1])).shape).toEqual([3, 3]);
  });

  it('Conv pads of 1e6 (all sides, or one side only) name the pads', () => {
    for (const pads of [
      [1e6, 1e6, 1e6, 1e6],
      [0, 1e6, 0, 0],
      [29, 0, 0, 0],
    ]) {
      const e = refusedQuickly(() => loadOnnx(convWithPads(pads)), FormatError);
      expect(e.message).toContain('node "conv" (Conv)');
      expect(e.message).toContain('pads');
    }
    // padding up to the input's size is accepted (and computes)
    expect(loadOnnx(convWithPads([28, 1, 2, 3])).forward(zeros([1, 1, 28, 28])).shape).toEqual([1, 1, 28 + 28 + 2 - 2, 28 + 1 + 3 - 2]);
  });

  it('strides, dilations, pads and group out of range are FormatErrors naming the attribute', () => {
    const cases: [object[], number[], RegExp][] = [
      [[A.ints('strides', [0, 1])], [0, 0, 0, 0], /strides/],
      [[A.ints('dilations', [1, 0])], [0, 0, 0, 0], /dilations/],
      [[], [-1, 0, 0, 0], /pads/],
      [[A.ints('strides', [-2, 1])], [0, 0, 0, 0], /strides/],
      [[A.int('group', 0)], [0, 0, 0, 0], /group/],
      [[A.int('group', -3)], [0, 0, 0, 0], /group/],
    ];
    for (const [extra, pads, pattern] of cases) {
      expect(refusedQuickly(() => loadOnnx(convWithPads(pads, extra)), FormatError).message).toMatch(pattern);
    }
    // group must divide the input channels: 3 channels, weight of 1 channel per group, 2 groups
    const e = refusedQuickly(() => loadOnnx(convWithPads([0, 0, 0, 0], [A.int('group', 2)], [1, 3, 8, 8], [2, 1, 3, 3])), FormatError);
    expect(e.message).toMatch(/group 2 must divide the input channels/);
  });

  it('MaxPool and AveragePool pads out of proportion are refused too', () => {
    for (const op of ['MaxPool', 'AveragePool']) {
      const bytes = onnxBytes({ nodes: [node(op, ['x'], ['y'], [A.ints('kernel_shape', [2, 2]), A.ints('pads', [0, 0, 100000, 0])], 'pool')], inputShape: [1, 1, 8, 8] });
      expect(refusedQuickly(() => loadOnnx(bytes), FormatError).message).toContain('pads');
    }
  });

  it('the limits are options of loadOnnx: lower ones refuse, higher ones accept', () => {
    const bytes = transposeAdd(2000); // 4,000,000 elements
    expect(loadOnnx(bytes).forward(zeros([2000, 1])).shape).toEqual([2000, 2000]);
    expect(refusedQuickly(() => loadOnnx(bytes, { maxTensorElements: 1_000_000 }), FormatError).message).toContain('1,000,000 per tensor');
    expect(refusedQuickly(() => loadOnnx(bytes, { maxTotalElements: 3_999_999 }), FormatError).message).toContain('maxTotalElements');
    const big = transposeAdd(16384); // 2^28 elements: over the default per-tensor limit
    expect(caught(() => loadOnnx(big))).toBeInstanceOf(FormatError);
    // raised limits: the graph loads (running it would need 1 GiB; inference alone is enough)
    expect(() => loadOnnx(big, { maxTensorElements: 2 ** 28, maxTotalElements: 2 ** 29 })).not.toThrow();
    expect(ONNX_DEFAULT_LIMITS).toEqual({ maxTensorElements: 2 ** 27, maxTotalElements: 2 ** 28, maxOperations: 2 ** 34 });
  });

  it('options refuse unknown keys with the nearest valid one, arrays and bad values', () => {
    const bytes = transposeAdd(4);
    expect(caught(() => loadOnnx(bytes, { maxTensorElement: 5 } as never)).message).toMatch(/unknown option 'maxTensorElement'.*did you mean 'maxTensorElements'/);
    expect(caught(() => loadOnnx(bytes, [1] as never))).toBeInstanceOf(ArgumentError);
    for (const bad of [0, -1, 1.5, NaN, '100']) {
      expect(caught(() => loadOnnx(bytes, { maxTotalElements: bad as number })).message).toContain('options.maxTotalElements must be a positive integer');
    }
  });

  it('a ~190 KB chain of 1000 convolutions sharing one weight: the work per example is refused (a time bomb)', () => {
    // each Conv: [1, 64, 28, 28] -> same, 64 x 3 x 3 = 576 multiply-adds per output element,
    // 2.9e7 per node, 2.9e10 in all: minutes of CPU, while memory stays small (5e7 elements)
    const nodes: object[] = [];
    for (let i = 0; i < 1000; i++) nodes.push(node('Conv', [i === 0 ? 'x' : `h${i - 1}`, 'w'], [i === 999 ? 'y' : `h${i}`], [A.ints('pads', [1, 1, 1, 1])], `conv_${i}`));
    const bytes = onnxBytes({ nodes, initializers: [tp('w', [64, 64, 3, 3], new Array<number>(64 * 64 * 9).fill(0.01))], inputShape: ['N', 64, 28, 28] });
    expect(bytes.length).toBeLessThan(200_000);
    const e = refusedQuickly(() => loadOnnx(bytes), FormatError);
    // 2^34 / 28,901,376 per node: the 595th node (conv_594) passes the limit
    expect(e.message).toContain('node "conv_594" (Conv)');
    expect(e.message).toContain('multiply-adds per example');
    expect(e.message).toContain('maxOperations');
    // per example: a batch of 8 costs 8x as much and is allowed as much (the budget is per example)
    const small = onnxBytes({ nodes: nodes.slice(0, 3).map((n, i) => (i === 2 ? { ...n, output: ['y'] } : n)), initializers: [tp('w', [64, 64, 3, 3], new Array<number>(64 * 64 * 9).fill(0.01))], inputShape: ['N', 64, 28, 28] });
    expect(loadOnnx(small, { maxOperations: 3 * 28_901_376 }).forward(zeros([8, 64, 28, 28])).shape).toEqual([8, 64, 28, 28]);
    expect(caught(() => loadOnnx(small, { maxOperations: 3 * 28_901_376 - 1 })).message).toContain('conv_2');
  });

  it('the total counts every intermediate: a chain under the per-tensor limit can exceed the total', () => {
    // ten [4096, 4096] Add outputs: 16.8M each, 168M in all; a 100M total refuses at the 6th
    const nodes = [node('Transpose', ['x'], ['t']), node('Add', ['x', 't'], ['a0'], [], 'add_0')];
    for (let i = 1; i < 10; i++) nodes.push(node('Add', [`a${i - 1}`, 'x'], [i === 9 ? 'y' : `a${i}`], [], `add_${i}`));
    const bytes = onnxBytes({ nodes, inputShape: [4096, 1] });
    const e = refusedQuickly(() => loadOnnx(bytes, { maxTotalElements: 100_000_000 }), FormatError);
    expect(e.message).toContain('node "add_5" (Add)');
    expect(e.message).toContain('100,000,000 in all');
  });
});

// ---------------------------------------------------------------------------------------
// ONNX: inference agrees with evaluation
// ---------------------------------------------------------------------------------------

type GraphOp =
  | { op: 'Conv'; k: number; s: number; d: number; pads: number[]; o: number }
  | { op: 'MaxPool' | 'AveragePool'; k: number; s: number; p: number; ceil: boolean }
  | { op: 'Relu' | 'LeakyRelu' | 'Sigmoid' | 'Identity' }
  | { op: 'Concat'; axis: number }
  | { op: 'Transpose'; perm: number[] }
  | { op: 'AddSelfT' };

/** Random chains of the supported ops on a [1, C, H, W] input; shapes may well not fit. */
const arbGraph = fc.record({
  c: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  ops: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('Conv' as const), k: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), pads: fc.array(fc.nat(3), { minLength: 4, maxLength: 4 }), o: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ op: fc.constantFrom('MaxPool' as const, 'AveragePool' as const), k: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 3 }), p: fc.nat(2), ceil: fc.boolean() }),
      fc.record({ op: fc.constantFrom('Relu' as const, 'LeakyRelu' as const, 'Sigmoid' as const, 'Identity' as const) }),
      fc.record({ op: fc.constant('Concat' as const), axis: fc.integer({ min: -5, max: 4 }) }),
      fc.record({ op: fc.constant('Transpose' as const), perm: fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }) }),
      fc.record({ op: fc.constant('AddSelfT' as const) }),
    ),
    { minLength: 1, maxLength: 5 },
  ),
});

/** Weights of the i-th Conv: [o, c, k, k] (c is whatever channel count reaches it). */
function convWeight(i: number, o: number, c: number, k: number): number[] {
  return Array.from({ length: o * c * k * k }, (_, j) => (((j + i) % 7) - 3) / 4);
}

/** The chain as ONNX bytes; a Conv's weight takes the channel count the input has at that point. */
function graphBytes(g: { c: number; h: number; w: number; ops: GraphOp[] }, channelsAt: (number | undefined)[]): Uint8Array {
  const nodes: object[] = [];
  const inits: object[] = [];
  let prev = 'x';
  g.ops.forEach((o, i) => {
    const out = i === g.ops.length - 1 ? 'y' : `v${i}`;
    const name = `n${i}`;
    switch (o.op) {
      case 'Conv': {
        const c = channelsAt[i] ?? 1;
        inits.push(tp(`w${i}`, [o.o, c, o.k, o.k], convWeight(i, o.o, c, o.k)));
        nodes.push(node('Conv', [prev, `w${i}`], [out], [A.ints('strides', [o.s, o.s]), A.ints('dilations', [o.d, o.d]), A.ints('pads', o.pads)], name));
        break;
      }
      case 'MaxPool':
      case 'AveragePool':
        nodes.push(node(o.op, [prev], [out], [A.ints('kernel_shape', [o.k, o.k]), A.ints('strides', [o.s, o.s]), A.ints('pads', [o.p, o.p, o.p, o.p]), A.int('ceil_mode', o.ceil ? 1 : 0)], name));
        break;
      case 'Concat':
        nodes.push(node('Concat', [prev, prev], [out], [A.int('axis', o.axis)], name));
        break;
      case 'Transpose':
        nodes.push(node('Transpose', [prev], [out], [A.ints('perm', o.perm)], name));
        break;
      case 'AddSelfT':
        // x + x^T over the last two axes: broadcasts where one of them is 1
        nodes.push(node('Transpose', [prev], [`t${i}`], [A.ints('perm', [0, 1, 3, 2])], `${name}_t`), node('Add', [prev, `t${i}`], [out], [], name));
        break;
      default:
        nodes.push(node(o.op, [prev], [out], [], name));
    }
    prev = out;
  });
  return onnxBytes({ nodes, initializers: inits, inputShape: [1, g.c, g.h, g.w] });
}

/**
 * The same chain evaluated directly with pathgrad's ops (the ground truth for shapes):
 * the output, or the first PathgradError. Records the channel count reaching each node.
 */
function reference(g: { ops: GraphOp[] }, x0: Tensor, channelsAt: (number | undefined)[], flags: { padsRefused: boolean }): Tensor | PathgradError {
  let x = x0;
  try {
    g.ops.forEach((o, i) => {
      channelsAt[i] = x.rank === 4 ? x.shape[1] : undefined;
      switch (o.op) {
        case 'Conv': {
          const c = x.shape[1]!;
          const w = tensor(convWeight(i, o.o, c, o.k), { shape: [o.o, c, o.k, o.k] });
          const [t, l, b, r] = o.pads as [number, number, number, number];
          // the loader's rule: no pad beyond both the input's size and the window's extent
          if (o.pads.some((p, j) => p > Math.max(x.shape[2 + (j % 2)] ?? 0, o.d * (o.k - 1) + 1))) flags.padsRefused = true;
          x = conv2d(pad(x, [[t, b], [l, r]]), w, null, { stride: o.s, dilation: o.d });
          break;
        }
        case 'MaxPool':
        case 'AveragePool': {
          const { k, s, p, ceil: ceilMode } = o;
          if (p > Math.max(Math.min(x.shape[2] ?? 0, x.shape[3] ?? 0), k)) flags.padsRefused = true;
          if (2 * p <= k) {
            x = o.op === 'MaxPool' ? maxPool2d(x, { kernelSize: k, stride: s, padding: p, ceilMode }) : avgPool2d(x, { kernelSize: k, stride: s, padding: p, ceilMode, countIncludePad: false });
          } else if (o.op === 'MaxPool') {
            // ONNX allows more padding than PyTorch's half kernel: pad with -inf explicitly
            x = maxPool2d(pad(x, [[p, p], [p, p]], -Infinity), { kernelSize: k, stride: s, ceilMode });
          } else {
            // the mean over the real pixels: window sums over the share of each window inside
            const sums = avgPool2d(pad(x, [[p, p], [p, p]]), { kernelSize: k, stride: s, ceilMode });
            const inside = avgPool2d(pad(ones([1, 1, x.shape[2]!, x.shape[3]!], x.dtype), [[p, p], [p, p]]), { kernelSize: k, stride: s, ceilMode });
            x = div(sums, inside);
          }
          break;
        }
        case 'Concat':
          if (o.axis < -x.rank || o.axis >= x.rank) throw new ShapeError('axis out of range');
          x = concat([x, x], o.axis);
          break;
        case 'Transpose':
          x = permute(x, o.perm);
          break;
        case 'AddSelfT':
          x = add(x, permute(x, [0, 1, 3, 2]));
          break;
        case 'Relu':
          x = relu(x);
          break;
        case 'LeakyRelu':
          x = sub(relu(x), mul(relu(neg(x)), 0.01));
          break;
        case 'Sigmoid':
          x = sigmoid(x);
          break;
        default:
          break;
      }
    });
  } catch (e) {
    if (e instanceof PathgradError) return e;
    throw e;
  }
  return x;
}

describe('ONNX shape inference', () => {
  it('refuses at load exactly the graphs the ops refuse, and the rest compute what the ops compute (property)', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(arbGraph, (g) => {
        const x = rand([1, g.c, g.h, g.w], rng(1), { dtype: 'float64' });
        const channelsAt: (number | undefined)[] = [];
        const flags = { padsRefused: false };
        const expected = reference(g, x, channelsAt, flags);
        const bytes = graphBytes(g, channelsAt);
        if (flags.padsRefused && !(expected instanceof PathgradError)) {
          expect(caught(() => loadOnnx(bytes)).message).toContain('pads');
          return;
        }
        if (expected instanceof PathgradError) {
          // a graph the ops cannot run is refused at load (pads beyond the input's size also are)
          expect(caught(() => loadOnnx(bytes))).toBeInstanceOf(FormatError);
          return;
        }
        const y = loadOnnx(bytes).to('float64').forward(x);
        expect(y.shape).toEqual(expected.shape);
        const a = y.toTypedArray();
        const b = expected.toTypedArray();
        for (let i = 0; i < a.length; i++) {
          // -inf padding of MaxPool can reach the output (and NaN from inf - inf after it)
          if (a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
          expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[i]!)));
        }
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed() },
    );
  });

  it('a budget check that counted one output too few would let the chain through: the limit is exact', () => {
    // [1, 2^k] for k = 1..: with maxTensorElements = 2^10 the node making 2^11 is the first refused
    const e = caught(() => loadOnnx(concatChain(20, [1, 1]), { maxTensorElements: 1024, maxTotalElements: 1e9 }));
    expect(e.message).toContain('node "double_10" (Concat)');
    expect(() => loadOnnx(concatChain(10, [1, 1]), { maxTensorElements: 1024, maxTotalElements: 1e9 })).not.toThrow();
    // the total: 2 + 4 + ... + 2^10 = 2046 elements fits 2046 exactly, not 2045
    expect(() => loadOnnx(concatChain(10, [1, 1]), { maxTensorElements: 1024, maxTotalElements: 2046 })).not.toThrow();
    expect(caught(() => loadOnnx(concatChain(10, [1, 1]), { maxTensorElements: 1024, maxTotalElements: 2045 })).message).toContain('double_9');
  });
});

// ---------------------------------------------------------------------------------------
// safetensors: crafted headers
// ---------------------------------------------------------------------------------------

function safetensorsWithHeader(header: string | Uint8Array, data: Uint8Array = new Uint8Array()): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors: crafted headers', () => {
  it('10,000 nested [ give a FormatError, not a stack overflow (as a shape and as an entry)', () => {
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    for (const header of [`{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`, `{"a":${deep}}`, `{"__metadata__":{"k":${deep}}}`]) {
      const e = refusedQuickly(() => loadSafetensors(safetensorsWithHeader(header)), FormatError);
      expect(e.message).toContain('[[[[[...]]]]]');
    }
  });

  it('a byte-order mark before { is refused (the format requires { first)', () => {
    const valid = saveSafetensors({ w: zeros([2]) });
    const n = Number(new DataView(valid.buffer).getBigUint64(0, true));
    const header = valid.subarray(8, 8 + n);
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf, ...header);
    const e = refusedQuickly(() => loadSafetensors(safetensorsWithHeader(bom, valid.subarray(8 + n))), FormatError);
    expect(e.message).toContain('byte-order mark');
  });

  it('duplicate keys are refused, at the top level, inside an entry and in __metadata__', () => {
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const four = new Uint8Array(4);
    const cases: [string, string][] = [
      [`{"w":${entry},"w":${entry}}`, 'key "w" appears twice in the header'],
      [`{"w":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}`, 'key "shape" appears twice'],
      [`{"__metadata__":{"a":"1","a":"2"},"w":${entry}}`, 'key "a" appears twice'],
      // the same key written two ways is still the same key
      [`{"w":${entry},"\\u0077":${entry}}`, 'key "w" appears twice'],
    ];
    for (const [header, message] of cases) {
      expect(refusedQuickly(() => loadSafetensors(safetensorsWithHeader(header, four)), FormatError).message).toContain(message);
    }
    // equal keys in different objects, and keys equal to string values, are fine
    const ok = `{"__metadata__":{"dtype":"w"},"w":${entry},"x":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`;
    expect(Object.keys(loadSafetensors(safetensorsWithHeader(ok, four)).tensors)).toEqual(['w', 'x']);
  });
});

// ---------------------------------------------------------------------------------------
// IDX: crafted headers
// ---------------------------------------------------------------------------------------

function idx(typeCode: number, dims: number[], body = new Uint8Array()): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = typeCode;
  head[3] = dims.length;
  dims.forEach((d, i) => new DataView(head.buffer).setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe('IDX: crafted headers', () => {
  it('a huge declared shape with few bytes is a FormatError before allocating', () => {
    for (const dims of [[0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 28, 28], new Array<number>(255).fill(2)]) {
      refusedQuickly(() => readIdx(idx(0x0e, dims, new Uint8Array(16))), FormatError);
    }
  });

  it('a zero-size array of declared shape (4e9, 0) is read in O(1)', () => {
    const start = performance.now();
    const t = readIdx(idx(0x08, [4_000_000_000, 0]));
    expect(t.shape).toEqual([4_000_000_000, 0]);
    expect(t.size).toBe(0);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

// ---------------------------------------------------------------------------------------
// fuzzing
// ---------------------------------------------------------------------------------------

describe('fuzzing the loaders (FC_NUM_RUNS for a long run, FC_SEED to replay)', () => {
  const onnxSamples = [transposeAdd(3), concatChain(3, [1, 2]), convWithPads([1, 1, 1, 1]), convWithPads([0, 1, 2, 0], [A.ints('strides', [2, 1])])];

  it('ONNX: random, truncated, bit-flipped and spliced models load or throw FormatError, quickly', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(hostileBytes(fc, onnxSamples), (bytes) => boundedRefusal(() => loadOnnx(bytes), [FormatError])),
      { numRuns: fuzzRuns(400), seed: fuzzSeed() },
    );
  });

  it('ONNX: crafted bombs (random dims, pads, chains) load or refuse quickly; what loads runs within its budget', { timeout: fuzzTimeout() }, () => {
    const arbBomb = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 60 }), fc.array(fc.integer({ min: 1, max: 2 ** 20 }), { minLength: 2, maxLength: 2 })).map(([d, s]) => concatChain(d, s)),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((n) => transposeAdd(n)),
      fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 4, maxLength: 4 }).map((p) => convWithPads(p)),
    );
    const limits = { maxTensorElements: 1 << 16, maxTotalElements: 1 << 18 };
    fc.assert(
      fc.property(arbBomb, (bytes) =>
        boundedRefusal(() => {
          const model = loadOnnx(bytes, limits);
          // every input the graph declares is small here; what loaded must run within its budget
          for (const shape of [[1, 1], [1, 1, 28, 28]]) {
            try {
              model.forward(zeros(shape));
            } catch (e) {
              if (!(e instanceof PathgradError)) throw e;
            }
          }
        }, [FormatError]),
      ),
      { numRuns: fuzzRuns(200), seed: fuzzSeed() },
    );
  });

  it('safetensors: hostile files load or throw FormatError, quickly', { timeout: fuzzTimeout() }, () => {
    const samples = [saveSafetensors({ a: zeros([2, 3]), b: zeros([4], 'int32') }, { format: 'pt' }), saveSafetensors({ 'x.weight': zeros([1]) })];
    fc.assert(
      fc.property(hostileBytes(fc, samples), (bytes) => boundedRefusal(() => loadSafetensors(bytes), [FormatError])),
      { numRuns: fuzzRuns(400), seed: fuzzSeed() },
    );
  });

  it('safetensors: crafted headers (deep nesting, huge shapes and offsets, duplicates) throw FormatError, quickly', { timeout: fuzzTimeout() }, () => {
    const arbHeader = fc.oneof(
      fc.integer({ min: 1, max: 20000 }).map((d) => `{"a":{"dtype":"F32","shape":${'['.repeat(d)}${']'.repeat(d)},"data_offsets":[0,0]}}`),
      fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: 6 }).map((s) => `{"a":{"dtype":"F64","shape":[${s.join(',')}],"data_offsets":[0,8]}}`),
      fc.tuple(fc.nat(), fc.nat()).map(([b, e]) => `{"a":{"dtype":"U8","shape":[1],"data_offsets":[${b},${e}]}}`),
      fc.string({ maxLength: 8 }).map((k) => `{${JSON.stringify(k)}:{"dtype":"U8","shape":[0],"data_offsets":[0,0]},${JSON.stringify(k)}:{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`),
    );
    fc.assert(
      fc.property(arbHeader, (header) => boundedRefusal(() => loadSafetensors(safetensorsWithHeader(header, new Uint8Array(8))), [FormatError])),
      { numRuns: fuzzRuns(200), seed: fuzzSeed() },
    );
  });

  it('IDX: hostile files read or throw FormatError, quickly, never larger than the bytes allow', { timeout: fuzzTimeout() }, () => {
    const samples = [idx(0x08, [2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6)), idx(0x0e, [1, 2], new Uint8Array(16)), idx(0x0b, [3], new Uint8Array(6))];
    fc.assert(
      fc.property(hostileBytes(fc, samples), (bytes) =>
        boundedRefusal(() => {
          const t = readIdx(bytes);
          if (t.size * t.data.BYTES_PER_ELEMENT > 8 * bytes.length) throw new Error(`read ${t.size} elements from ${bytes.length} bytes`);
        }, [FormatError]),
      ),
      { numRuns: fuzzRuns(400), seed: fuzzSeed() },
    );
  });
});
