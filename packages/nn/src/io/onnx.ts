/**
 * ONNX import: a feed-forward ONNX graph becomes a Module whose forward evaluates the
 * graph node by node with pathgrad's ops, so autograd (and every attribution method)
 * works through an imported PyTorch model exactly as through a native one.
 *
 * Everything the bytes say is checked when the model is loaded: the protobuf itself
 * (parsed by protobufjs), tensor byte lengths against dims (before anything is
 * allocated), the node order, attribute types and values, and, when the graph input
 * declares its shape, the shape of every node, inferred without computing anything (dynamic
 * dimensions set to 1) and bounded by an element budget, then, for small graphs, confirmed
 * by running the graph once on zeros. Failures are FormatErrors naming the node. The
 * budget is checked again at every forward, on the real input, before a node allocates.
 */
import {
  ArgumentError,
  FormatError,
  PathgradError,
  checkOptionKeys,
  optionKeys,
  ShapeError,
  Tensor,
  add,
  shapesEqual,
  avgPool2d,
  concat,
  conv2d,
  div,
  linear,
  logSoftmax,
  matmul,
  maxPool2d,
  mean,
  mul,
  neg,
  ones,
  pad,
  permute,
  relu,
  reshape,
  sigmoid,
  softmax,
  sqrt,
  sub,
  tanh,
  transpose,
  zeros,
  describe,
  type DType,
  type TypedArray,
} from '@pathgrad/tensor';
import { gradOverridesActive } from '@pathgrad/autograd';
import { Module, Parameter } from '../module.js';
import { convertDType } from '../tensorUtil.js';
import { checkedProduct, copyBytes } from './bytes.js';
import { halfToFloat } from './safetensors.js';
import {
  ElementBudget,
  broadcast,
  checkPads,
  concatShape,
  elementCount,
  matmulShape,
  permuteShape,
  reshapeShape,
  windowOutputSize,
  type InferFn,
  type InferResult,
  type ValueMeta,
} from './onnx-shapes.js';
import { modelProtoType, type AttributeMsg, type Int64, type ModelMsg, type NodeMsg, type TensorMsg } from './onnx-proto.js';

/**
 * ONNX op types {@link loadOnnx} understands (default domain).
 *
 * @example
 * ```ts
 * ONNX_SUPPORTED_OPS.includes('Conv'); // true
 * // loadOnnx names the first unsupported op of a graph in its FormatError
 * ```
 */
export const ONNX_SUPPORTED_OPS = [
  'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Conv', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape', 'Transpose', 'BatchNormalization', 'Dropout',
  'Identity', 'Constant', 'Concat',
] as const;

/**
 * Options of {@link loadOnnx}: the element budget that shape inference enforces.
 *
 * @example
 * ```ts
 * // a graph with larger intermediate tensors than the defaults allow
 * const model = loadOnnx(bytes, { maxTensorElements: 2 ** 29, maxTotalElements: 2 ** 31 });
 * ```
 */
export interface LoadOnnxOptions {
  /**
   * Most elements any one intermediate tensor may have (default
   * {@link ONNX_DEFAULT_LIMITS}.maxTensorElements, 2^27 = 134,217,728: 512 MiB of float32).
   */
  maxTensorElements?: number;
  /**
   * Most elements all intermediate tensors of one forward pass may have together (default
   * {@link ONNX_DEFAULT_LIMITS}.maxTotalElements, 2^28 = 268,435,456: 1 GiB of float32).
   */
  maxTotalElements?: number;
  /**
   * Most multiply-adds one example may cost (default {@link ONNX_DEFAULT_LIMITS}.maxOperations,
   * 2^34, about 1.7e10: some seconds of CPU; a ResNet-18 at 224 x 224 needs 1.8e9). The work
   * of a forward pass is divided by its batch size (the input's first dimension).
   */
  maxOperations?: number;
}

/**
 * Default element limits of {@link loadOnnx}. At load they are checked on the graph input's
 * declared shape (dynamic dimensions as 1); at every forward, on the actual input, before
 * each node allocates its output.
 *
 * @example
 * ```ts
 * ONNX_DEFAULT_LIMITS.maxTensorElements; // 134217728 (2^27)
 * ONNX_DEFAULT_LIMITS.maxTotalElements; // 268435456 (2^28)
 * ONNX_DEFAULT_LIMITS.maxOperations; // 17179869184 (2^34 multiply-adds per example)
 * ```
 */
export const ONNX_DEFAULT_LIMITS: Readonly<Required<LoadOnnxOptions>> = Object.freeze({
  maxTensorElements: 2 ** 27,
  maxTotalElements: 2 ** 28,
  maxOperations: 2 ** 34,
});

const ONNX_OPTION_KEYS = optionKeys<LoadOnnxOptions>({ maxTensorElements: true, maxTotalElements: true, maxOperations: true });

function resolveLimits(options: LoadOnnxOptions | undefined): Required<LoadOnnxOptions> {
  checkOptionKeys(options, ONNX_OPTION_KEYS, 'loadOnnx');
  const out = { ...ONNX_DEFAULT_LIMITS };
  for (const key of ONNX_OPTION_KEYS) {
    const v = options?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new ArgumentError(`loadOnnx: options.${key} must be a positive integer (a number of elements), got ${describe(v)}`);
    }
    out[key] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// int64 and TensorProto decoding
// ---------------------------------------------------------------------------------------

/** An int64 from protobufjs as a JS number, or a FormatError if it is not a safe integer. */
function int64(v: Int64 | undefined | null, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const { low, high, unsigned } = v;
  // exact whenever the result is a safe integer; a rounded sum is never one
  const value = (unsigned ? high >>> 0 : high | 0) * 2 ** 32 + (low >>> 0);
  if (!Number.isSafeInteger(value)) {
    throw new FormatError(`${what}: integer does not fit a JS number (high word ${high}, low word ${low >>> 0})`);
  }
  return value;
}

/** ONNX TensorProto.DataType codes: element size in raw_data and the pathgrad dtype. */
const ONNX_DTYPES: Record<number, { name: string; size: number; to: DType }> = {
  1: { name: 'FLOAT', size: 4, to: 'float32' },
  2: { name: 'UINT8', size: 1, to: 'int32' },
  3: { name: 'INT8', size: 1, to: 'int32' },
  4: { name: 'UINT16', size: 2, to: 'int32' },
  5: { name: 'INT16', size: 2, to: 'int32' },
  6: { name: 'INT32', size: 4, to: 'int32' },
  7: { name: 'INT64', size: 8, to: 'int32' },
  9: { name: 'BOOL', size: 1, to: 'int32' },
  10: { name: 'FLOAT16', size: 2, to: 'float32' },
  11: { name: 'DOUBLE', size: 8, to: 'float64' },
  12: { name: 'UINT32', size: 4, to: 'int32' },
  13: { name: 'UINT64', size: 8, to: 'int32' },
  16: { name: 'BFLOAT16', size: 2, to: 'float32' },
};

function hasBytes(v: Uint8Array | undefined): v is Uint8Array {
  return v instanceof Uint8Array && v.length > 0;
}

/**
 * A TensorProto as a pathgrad tensor. Raw little-endian `raw_data` and the typed fields
 * (`float_data`, `int32_data`, `int64_data`, `double_data`, `uint64_data`) are both read;
 * their lengths are checked against `dims` before the result is allocated. 64-bit and
 * unsigned 32-bit integers must fit int32 (pathgrad's integer dtype).
 */
function decodeTensor(t: TensorMsg, what: string): Tensor {
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw new FormatError(`${what}: tensor data stored in an external file is not supported; export with the weights inside the model`);
  }
  const code = t.data_type ?? 0;
  const info = ONNX_DTYPES[code];
  if (!info) throw new FormatError(`${what}: tensor data type ${code} is not supported (supported: ${Object.values(ONNX_DTYPES).map((d) => d.name).join(', ')})`);
  const shape = (t.dims ?? []).map((d, i) => {
    const v = int64(d, `${what}: dims[${i}]`);
    if (v < 0) throw new FormatError(`${what}: dims must be non-negative, got ${v} at dims[${i}]`);
    return v;
  });
  const count = checkedProduct(shape, 2 ** 50, what);
  const out = decodeValues(t, info, count, what);
  return new Tensor(out, shape, info.to);
}

function decodeValues(t: TensorMsg, info: { name: string; size: number; to: DType }, count: number, what: string): TypedArray {
  const fitInt32 = (v: number | bigint, i: number): number => {
    if (v < -2147483648 || v > 2147483647) {
      throw new FormatError(`${what}: ${info.name} value ${v} at flat index ${i} does not fit int32 (pathgrad's integer dtype)`);
    }
    return Number(v);
  };
  if (hasBytes(t.raw_data)) {
    const raw = t.raw_data;
    if (raw.length !== count * info.size) {
      throw new FormatError(`${what}: raw_data has ${raw.length} bytes, ${info.name} dims [${t.dims.join(', ')}] need ${count * info.size}`);
    }
    const buf = copyBytes(raw, 0, raw.length, info.size, true);
    switch (info.name) {
      case 'FLOAT':
        return new Float32Array(buf);
      case 'DOUBLE':
        return new Float64Array(buf);
      case 'INT32':
        return new Int32Array(buf);
      case 'FLOAT16': {
        const src = new Uint16Array(buf);
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]!);
        return out;
      }
      case 'BFLOAT16': {
        const src = new Uint16Array(buf);
        const bits = new Uint32Array(count);
        for (let i = 0; i < count; i++) bits[i] = src[i]! << 16;
        return new Float32Array(bits.buffer);
      }
      case 'UINT8':
      case 'BOOL':
        return Int32Array.from(new Uint8Array(buf));
      case 'INT8':
        return Int32Array.from(new Int8Array(buf));
      case 'UINT16':
        return Int32Array.from(new Uint16Array(buf));
      case 'INT16':
        return Int32Array.from(new Int16Array(buf));
      case 'UINT32':
        return Int32Array.from(new Uint32Array(buf), fitInt32);
      case 'INT64':
        return Int32Array.from(new BigInt64Array(buf), fitInt32);
      default:
        return Int32Array.from(new BigUint64Array(buf), fitInt32);
    }
  }
  // Typed fields: which one holds the values depends on the data type (onnx.proto).
  const field: [string, ArrayLike<unknown>] =
    info.name === 'FLOAT'
      ? ['float_data', t.float_data]
      : info.name === 'DOUBLE'
        ? ['double_data', t.double_data]
        : info.name === 'INT64'
          ? ['int64_data', t.int64_data]
          : info.name === 'UINT32' || info.name === 'UINT64'
            ? ['uint64_data', t.uint64_data]
            : ['int32_data', t.int32_data];
  const [fieldName, values] = field;
  const n = values?.length ?? 0;
  if (n !== count) {
    throw new FormatError(`${what}: ${fieldName} has ${n} values, ${info.name} dims [${t.dims.join(', ')}] need ${count}`);
  }
  switch (info.name) {
    case 'FLOAT':
      return Float32Array.from(values as number[]);
    case 'DOUBLE':
      return Float64Array.from(values as number[]);
    case 'FLOAT16':
      return Float32Array.from(values as number[], (v) => halfToFloat(v & 0xffff));
    case 'BFLOAT16':
      return Float32Array.from(values as number[], (v) => new Float32Array(new Uint32Array([(v & 0xffff) << 16]).buffer)[0]!);
    case 'INT64':
    case 'UINT32':
    case 'UINT64':
      return Int32Array.from(values as Int64[], (v, i) => fitInt32(int64(v, `${what}: ${fieldName}[${i}]`), i));
    default:
      return Int32Array.from(values as number[]);
  }
}

// ---------------------------------------------------------------------------------------
// attributes
// ---------------------------------------------------------------------------------------

const ATTR_TYPES: Record<number, string> = { 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS', 9: 'TENSORS', 10: 'GRAPHS' };

class Attributes {
  private readonly map = new Map<string, AttributeMsg>();
  constructor(
    node: NodeMsg,
    private readonly where: string,
  ) {
    for (const a of node.attribute ?? []) {
      if (a.ref_attr_name) throw new FormatError(`${where}: attribute ${JSON.stringify(a.name)} refers to a function attribute, which is not supported`);
      this.map.set(a.name ?? '', a);
    }
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  private get(name: string, type: number): AttributeMsg | undefined {
    const a = this.map.get(name);
    if (a === undefined) return undefined;
    if (a.type !== undefined && a.type !== 0 && a.type !== type) {
      throw new FormatError(`${this.where}: attribute ${JSON.stringify(name)} must be ${ATTR_TYPES[type]}, got ${ATTR_TYPES[a.type] ?? `type ${a.type}`}`);
    }
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.get(name, 2);
    return a === undefined ? fallback : int64(a.i, `${this.where}: attribute ${name}`);
  }

  float(name: string, fallback: number): number {
    const a = this.get(name, 1);
    return a === undefined ? fallback : (a.f ?? 0);
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, 7);
    return a === undefined ? undefined : (a.ints ?? []).map((v, i) => int64(v, `${this.where}: attribute ${name}[${i}]`));
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, 6);
    return a === undefined ? undefined : [...(a.floats ?? [])];
  }

  string(name: string, fallback: string): string {
    const a = this.get(name, 3);
    return a === undefined ? fallback : new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  tensor(name: string): TensorMsg | undefined {
    const a = this.get(name, 4);
    if (a !== undefined && !a.t) throw new FormatError(`${this.where}: attribute ${JSON.stringify(name)} has no tensor`);
    return a?.t;
  }

  /** The first attribute set among `names` (Constant's value_* family). */
  present(names: readonly string[]): string | undefined {
    const found = names.filter((n) => this.map.has(n));
    if (found.length > 1) throw new FormatError(`${this.where}: exactly one of ${names.join(', ')} may be set, got ${found.join(', ')}`);
    return found[0];
  }
}

// ---------------------------------------------------------------------------------------
// ops
// ---------------------------------------------------------------------------------------

/** A node ready to run: its inputs by value (undefined for omitted optional inputs). */
type NodeFn = (inputs: (Tensor | undefined)[]) => Tensor[];

interface Compiled {
  fn: NodeFn;
  /** The output shapes (and temporaries) from the input shapes, without computing anything. */
  infer: InferFn;
  /** How many of the node's outputs the op produces (extra declared outputs are unusable). */
  produces: number;
  /** A constant value known at load time (Constant nodes). */
  constant?: Tensor;
}

interface NodeContext {
  node: NodeMsg;
  where: string;
  attrs: Attributes;
  opset: number;
}

function need<T extends Tensor | ValueMeta>(inputs: (T | undefined)[], i: number, ctx: NodeContext, what: string): T {
  const t = inputs[i];
  if (!t) throw new FormatError(`${ctx.where}: input ${i} (${what}) is required`);
  return t;
}

function checkArity(ctx: NodeContext, min: number, max: number): void {
  const n = ctx.node.input.length;
  if (n < min || n > max) {
    throw new FormatError(`${ctx.where}: expected ${min === max ? min : `${min} to ${max}`} inputs, got ${n}`);
  }
}

function checkRange(values: number[] | undefined, name: string, ctx: NodeContext, min: number, length?: number): void {
  if (values === undefined) return;
  if (length !== undefined && values.length !== length) {
    throw new FormatError(`${ctx.where}: attribute ${name} must have ${length} values, got [${values.join(', ')}]`);
  }
  for (const v of values) {
    if (v < min || v > 1_000_000) throw new FormatError(`${ctx.where}: attribute ${name} values must be integers in [${min}, 1000000], got [${values.join(', ')}]`);
  }
}

function axisOf(axis: number, rank: number, ctx: NodeContext, allowEnd = false): number {
  const hi = allowEnd ? rank : rank - 1;
  if (!Number.isInteger(axis) || axis < -rank || axis > hi) {
    throw new ShapeError(`${ctx.where}: axis ${axis} is out of range for a rank-${rank} input`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Flattens to 2-D at `axis`, as ONNX Flatten and the pre-13 Softmax coercion. */
function flatten2d(x: Tensor, axis: number): Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis).reduce((a, b) => a * b, 1);
  return reshape(x, [outer, inner]);
}

/** Spatial padding [begin..., end...] for the ONNX auto_pad modes, given the input size. */
function resolveAutoPad(
  ctx: NodeContext,
  autoPad: string,
  pads: number[] | undefined,
  inSize: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): number[] {
  const r = kernel.length;
  switch (autoPad) {
    case 'NOTSET':
      return pads ?? new Array<number>(2 * r).fill(0);
    case 'VALID':
      return new Array<number>(2 * r).fill(0);
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const out = new Array<number>(2 * r).fill(0);
      for (let i = 0; i < r; i++) {
        const o = Math.ceil(inSize[i]! / strides[i]!);
        const total = Math.max(0, (o - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inSize[i]!);
        const small = Math.floor(total / 2);
        out[i] = autoPad === 'SAME_UPPER' ? small : total - small;
        out[i + r] = total - out[i]!;
      }
      return out;
    }
    default:
      throw new FormatError(`${ctx.where}: auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got ${JSON.stringify(autoPad)}`);
  }
}

interface WindowAttrs {
  kernel: number[] | undefined;
  strides: number[];
  dilations: number[];
  pads: number[] | undefined;
  autoPad: string;
}

function windowAttrs(ctx: NodeContext, withKernel: boolean): WindowAttrs {
  const { attrs } = ctx;
  const kernel = attrs.ints('kernel_shape');
  if (withKernel && kernel === undefined) throw new FormatError(`${ctx.where}: attribute kernel_shape is required`);
  checkRange(kernel, 'kernel_shape', ctx, 1, 2);
  const strides = attrs.ints('strides') ?? [1, 1];
  checkRange(strides, 'strides', ctx, 1, 2);
  const dilations = attrs.ints('dilations') ?? [1, 1];
  checkRange(dilations, 'dilations', ctx, 1, 2);
  const pads = attrs.ints('pads');
  checkRange(pads, 'pads', ctx, 0, 4);
  // the bound relative to the input (checkPads) needs the input's shape: see windowPads
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  resolveAutoPad(ctx, autoPad, pads, [1, 1], [1, 1], [1, 1], [1, 1]); // validates the mode
  if (autoPad !== 'NOTSET' && pads !== undefined && pads.some((p) => p !== 0)) {
    throw new FormatError(`${ctx.where}: pads must not be given together with auto_pad ${autoPad}`);
  }
  return { kernel, strides, dilations, pads, autoPad };
}

function check4d(x: { shape: readonly number[] }, ctx: NodeContext, what: string): void {
  if (x.shape.length !== 4) {
    throw new ShapeError(`${ctx.where}: ${what} must be 4-D [N, C, H, W] (pathgrad supports 2-D spatial ops), got shape [${x.shape.join(', ')}]`);
  }
}

/** [[top, bottom], [left, right]] from ONNX's [top, left, bottom, right]. */
function padPairs(p: number[]): [[number, number], [number, number]] {
  return [
    [p[0]!, p[2]!],
    [p[1]!, p[3]!],
  ];
}

/** `shape` with its spatial dims (2 and 3) padded by ONNX pads [top, left, bottom, right]. */
function paddedShape(shape: readonly number[], p: readonly number[]): number[] {
  return [shape[0]!, shape[1]!, shape[2]! + p[0]! + p[2]!, shape[3]! + p[1]! + p[3]!];
}

/** Resolved pads of a window op on an input of `shape`, refused when out of proportion. */
function windowPads(ctx: NodeContext, w: WindowAttrs, shape: readonly number[], kernel: readonly number[]): number[] {
  const inSize = shape.slice(2);
  const p = resolveAutoPad(ctx, w.autoPad, w.pads, inSize, kernel, w.strides, w.dilations);
  checkPads(p, inSize, kernel, w.dilations, ctx.where);
  return p;
}

function compileNode(ctx: NodeContext): Compiled {
  const { node, attrs, where } = ctx;
  const op = node.op_type ?? '';
  const one = (fn: (inputs: (Tensor | undefined)[]) => Tensor, infer: InferFn): Compiled => ({ fn: (xs) => [fn(xs)], infer, produces: 1 });
  /** Elementwise: the output has the input's shape; `temps` intermediates of that size. */
  const unary = (f: (x: Tensor) => Tensor, temps = 0): Compiled => {
    checkArity(ctx, 1, 1);
    return one(
      (xs) => f(need(xs, 0, ctx, 'X')),
      (ms) => {
        const s = need(ms, 0, ctx, 'X').shape;
        return { outputs: [s], scratch: new Array<readonly number[]>(temps).fill(s) };
      },
    );
  };
  const binary = (f: (a: Tensor, b: Tensor) => Tensor, shape: (a: readonly number[], b: readonly number[]) => number[]): Compiled => {
    checkArity(ctx, 2, 2);
    return one(
      (xs) => f(need(xs, 0, ctx, 'A'), need(xs, 1, ctx, 'B')),
      (ms) => ({ outputs: [shape(need(ms, 0, ctx, 'A').shape, need(ms, 1, ctx, 'B').shape)] }),
    );
  };
  const broadcasting = (f: (a: Tensor, b: Tensor) => Tensor): Compiled => binary(f, (a, b) => broadcast(a, b, where));
  switch (op) {
    case 'Identity':
      return unary((x) => x);
    case 'Relu':
      return unary(relu);
    case 'Sigmoid':
      return unary(sigmoid);
    case 'Tanh':
      return unary(tanh);
    case 'LeakyRelu': {
      const alpha = attrs.float('alpha', 0.01);
      // relu(x) - alpha * relu(-x) is exactly x for x > 0 and alpha * x otherwise
      return unary((x) => sub(relu(x), mul(relu(neg(x)), alpha)), 4);
    }
    case 'Add':
      return broadcasting(add);
    case 'Sub':
      return broadcasting(sub);
    case 'Mul':
      return broadcasting(mul);
    case 'Div':
      return broadcasting(div);
    case 'MatMul': {
      checkArity(ctx, 2, 2);
      return one(
        (xs) => matmul(need(xs, 0, ctx, 'A'), need(xs, 1, ctx, 'B')),
        (ms) => {
          const a = need(ms, 0, ctx, 'A').shape;
          const out = matmulShape(a, need(ms, 1, ctx, 'B').shape, where);
          return { outputs: [out], work: elementCount(out) * a[a.length - 1]! };
        },
      );
    }
    case 'Gemm': {
      checkArity(ctx, 2, 3);
      const alpha = attrs.float('alpha', 1);
      const beta = attrs.float('beta', 1);
      const transA = attrs.int('transA', 0);
      const transB = attrs.int('transB', 0);
      const gemmShape = (a: readonly number[], b: readonly number[], c: readonly number[] | undefined): InferResult => {
        if (a.length !== 2 || b.length !== 2) {
          throw new ShapeError(`${where}: A and B must be 2-D, got [${a.join(', ')}] and [${b.join(', ')}]`);
        }
        const y = matmulShape(transA ? [a[1]!, a[0]!] : a, transB ? [b[1]!, b[0]!] : b, where);
        const scratch: (readonly number[])[] = [];
        if (alpha !== 1) scratch.push(y);
        if (c) {
          // C broadcasts one way only, onto [M, N]
          if (c.length > 2 || c.some((d, i) => d !== 1 && d !== y[y.length - c.length + i])) {
            throw new ShapeError(`${where}: C of shape [${c.join(', ')}] does not broadcast to the output [${y.join(', ')}]`);
          }
          scratch.push(y);
          if (beta !== 1) scratch.push(c);
        }
        return { outputs: [y], scratch, work: elementCount(y) * (transA ? a[0]! : a[1]!) };
      };
      return one(
        (xs) => {
          let a = need(xs, 0, ctx, 'A');
          let b = need(xs, 1, ctx, 'B');
          const c = xs[2];
          gemmShape(a.shape, b.shape, c?.shape);
          // PyTorch's Linear (transB 1, alpha = beta = 1, C a bias [N]) as one fused linear op:
          // the same float64 bits as matmul then add, one tape node, W read as stored
          if (!transA && alpha === 1 && beta === 1 && (c === undefined || (c.rank === 1 && c.shape[0] === (transB ? b.shape[0] : b.shape[1]))) && !gradOverridesActive()) {
            return linear(a, transB ? b : transpose(b), c);
          }
          if (transA) a = transpose(a);
          if (transB) b = transpose(b);
          let y = matmul(a, b);
          if (alpha !== 1) y = mul(y, alpha);
          if (c) y = add(y, beta === 1 ? c : mul(c, beta));
          return y;
        },
        (ms) => gemmShape(need(ms, 0, ctx, 'A').shape, need(ms, 1, ctx, 'B').shape, ms[2]?.shape),
      );
    }
    case 'Softmax':
    case 'LogSoftmax': {
      checkArity(ctx, 1, 1);
      const f = op === 'Softmax' ? softmax : logSoftmax;
      const axis = attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
      return one(
        (xs) => {
          const x = need(xs, 0, ctx, 'input');
          const a = axisOf(axis, x.rank, ctx);
          if (ctx.opset >= 13) return f(x, a);
          // before opset 13 the input is coerced to 2-D at `axis` and normalized over the rest
          return reshape(f(flatten2d(x, a), 1), x.shape);
        },
        (ms) => {
          const s = need(ms, 0, ctx, 'input').shape;
          axisOf(axis, s.length, ctx);
          // the normalisation keeps a few temporaries of the input's size (max, exp, sum)
          return { outputs: [s], scratch: [s, s] };
        },
      );
    }
    case 'Flatten': {
      checkArity(ctx, 1, 1);
      const axis = attrs.int('axis', 1);
      return one(
        (xs) => {
          const x = need(xs, 0, ctx, 'input');
          return flatten2d(x, axisOf(axis, x.rank, ctx, true));
        },
        (ms) => {
          const s = need(ms, 0, ctx, 'input').shape;
          const a = axisOf(axis, s.length, ctx, true);
          return { outputs: [[elementCount(s.slice(0, a)), elementCount(s.slice(a))]] };
        },
      );
    }
    case 'Reshape': {
      checkArity(ctx, 2, 2);
      const allowZero = attrs.int('allowzero', 0) !== 0;
      const requestedShape = (s: Tensor): number[] => {
        if (s.rank !== 1 || s.dtype !== 'int32') {
          throw new ShapeError(`${where}: shape must be a 1-D integer tensor, got ${describe(s)}`);
        }
        return Array.from(s.toTypedArray());
      };
      return one(
        (xs) => {
          const x = need(xs, 0, ctx, 'data');
          return reshape(x, reshapeShape(x.shape, requestedShape(need(xs, 1, ctx, 'shape')), allowZero, where));
        },
        (ms) => {
          const x = need(ms, 0, ctx, 'data');
          const s = need(ms, 1, ctx, 'shape');
          if (!s.value) return undefined; // computed by the graph: known only when it runs
          return { outputs: [reshapeShape(x.shape, requestedShape(s.value), allowZero, where)] };
        },
      );
    }
    case 'Transpose': {
      checkArity(ctx, 1, 1);
      const perm = attrs.ints('perm');
      const permOf = (rank: number): number[] => perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
      return one(
        (xs) => {
          const x = need(xs, 0, ctx, 'data');
          return permute(x, permOf(x.rank));
        },
        (ms) => {
          const s = need(ms, 0, ctx, 'data').shape;
          return { outputs: [permuteShape(s, permOf(s.length), where)] };
        },
      );
    }
    case 'Concat': {
      if (!attrs.has('axis')) throw new FormatError(`${where}: attribute axis is required`);
      const axis = attrs.int('axis', 0);
      if (node.input.length < 1) throw new FormatError(`${where}: expected at least one input`);
      return one(
        (xs) => {
          const ts = xs.map((t, i) => need(xs, i, ctx, `input ${i}`));
          return concat(ts, axisOf(axis, ts[0]!.rank, ctx));
        },
        (ms) => {
          const shapes = ms.map((_, i) => need(ms, i, ctx, `input ${i}`).shape);
          return { outputs: [concatShape(shapes, axisOf(axis, shapes[0]!.length, ctx), where)] };
        },
      );
    }
    case 'Dropout': {
      checkArity(ctx, 1, 3);
      // inference: the identity, and an all-true mask
      const wantsMask = (node.output[1] ?? '') !== '';
      return {
        fn: (xs) => {
          const x = need(xs, 0, ctx, 'data');
          return wantsMask ? [x, ones(x.shape, 'int32')] : [x];
        },
        infer: (ms) => {
          const s = need(ms, 0, ctx, 'data').shape;
          return { outputs: wantsMask ? [s, s] : [s] };
        },
        produces: wantsMask ? 2 : 1,
      };
    }
    case 'Constant': {
      checkArity(ctx, 0, 0);
      const names = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'] as const;
      const which = attrs.present(names);
      let value: Tensor;
      switch (which) {
        case 'value':
          value = decodeTensor(attrs.tensor('value')!, `${where}: attribute value`);
          break;
        case 'value_float':
          value = new Tensor(Float32Array.of(attrs.float('value_float', 0)), [], 'float32');
          break;
        case 'value_floats': {
          const v = attrs.floats('value_floats')!;
          value = new Tensor(Float32Array.from(v), [v.length], 'float32');
          break;
        }
        case 'value_int':
          value = int32Tensor([attrs.int('value_int', 0)], [], ctx);
          break;
        case 'value_ints': {
          const v = attrs.ints('value_ints')!;
          value = int32Tensor(v, [v.length], ctx);
          break;
        }
        case undefined:
          throw new FormatError(`${where}: a Constant needs one of the attributes ${names.join(', ')}`);
        default:
          throw new FormatError(`${where}: Constant attribute ${which} is not supported (strings and sparse tensors have no pathgrad dtype)`);
      }
      checkFinite(value, `${where}: value`);
      // the value is stored in the file, so it is not an intermediate: nothing to count
      return { fn: () => [value], infer: () => ({ outputs: [] }), produces: 1, constant: value };
    }
    case 'GlobalAveragePool': {
      const rank3 = (s: readonly number[]): void => {
        if (s.length < 3) throw new ShapeError(`${where}: input must be [N, C, ...spatial], got shape [${s.join(', ')}]`);
      };
      checkArity(ctx, 1, 1);
      return one(
        (xs) => {
          const x = need(xs, 0, ctx, 'X');
          rank3(x.shape);
          return mean(x, { axis: x.shape.slice(2).map((_, i) => i + 2), keepDims: true });
        },
        (ms) => {
          const s = need(ms, 0, ctx, 'X').shape;
          rank3(s);
          return { outputs: [[s[0]!, s[1]!, ...s.slice(2).map(() => 1)]], work: elementCount(s) };
        },
      );
    }
    case 'BatchNormalization': {
      checkArity(ctx, 5, 5);
      if (attrs.int('training_mode', 0) !== 0) throw new FormatError(`${where}: training_mode=1 is not supported (import models exported for inference)`);
      const epsilon = attrs.float('epsilon', 1e-5);
      if (!(epsilon >= 0)) throw new FormatError(`${where}: epsilon must be >= 0, got ${epsilon}`);
      const paramNames = ['scale', 'B', 'input_mean', 'input_var'];
      const checkShapes = (x: readonly number[], params: (readonly number[])[]): void => {
        if (x.length < 2) throw new ShapeError(`${where}: X must be [N, C, ...], got shape [${x.join(', ')}]`);
        const c = x[1]!;
        params.forEach((t, i) => {
          if (t.length !== 1 || t[0] !== c) throw new ShapeError(`${where}: ${paramNames[i]} must have shape [${c}] (the channels of X), got [${t.join(', ')}]`);
        });
      };
      return one(
        (xs) => {
          const x = need(xs, 0, ctx, 'X');
          const [scale, bias, runMean, runVar] = [1, 2, 3, 4].map((i) => need(xs, i, ctx, paramNames[i - 1]!));
          checkShapes(x.shape, [scale!.shape, bias!.shape, runMean!.shape, runVar!.shape]);
          const perChannel = [x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
          const r = (t: Tensor): Tensor => reshape(t, perChannel);
          const invStd = div(1, sqrt(add(r(runVar!), epsilon)));
          return add(mul(mul(sub(x, r(runMean!)), invStd), r(scale!)), r(bias!));
        },
        (ms) => {
          const x = need(ms, 0, ctx, 'X').shape;
          checkShapes(x, [1, 2, 3, 4].map((i) => need(ms, i, ctx, paramNames[i - 1]!).shape));
          return { outputs: [x], scratch: [x, x, x] };
        },
      );
    }
    case 'Conv': {
      checkArity(ctx, 2, 3);
      const w = windowAttrs(ctx, false);
      const group = attrs.int('group', 1);
      if (group < 1 || group > 1_000_000) throw new FormatError(`${where}: group must be a positive integer, got ${group}`);
      /** Validates X, W, B and the window against each other; pads and the output shape. */
      const convShape = (x: readonly number[], weight: readonly number[], bias: readonly number[] | undefined): { p: number[]; out: number[]; padded?: number[] } => {
        check4d({ shape: x }, ctx, 'X');
        check4d({ shape: weight }, ctx, 'W');
        const kernel = weight.slice(2);
        if (w.kernel && (w.kernel[0] !== kernel[0] || w.kernel[1] !== kernel[1])) {
          throw new ShapeError(`${where}: kernel_shape [${w.kernel.join(', ')}] does not match W's spatial shape [${kernel.join(', ')}]`);
        }
        const [c, o, cg] = [x[1]!, weight[0]!, weight[1]!];
        if (c !== cg * group || o % group !== 0) {
          throw new ShapeError(
            `${where}: group ${group} must divide the input channels (X has ${c}, W expects ${cg} per group = ${cg * group}) and the output channels (W has ${o})`,
          );
        }
        if (bias && (bias.length !== 1 || bias[0] !== o)) throw new ShapeError(`${where}: B must have shape [${o}] (W's output channels), got [${bias.join(', ')}]`);
        const p = windowPads(ctx, w, x, kernel);
        const out = [x[0]!, o];
        for (const i of [0, 1]) out.push(windowOutputSize(x[2 + i]!, kernel[i]!, w.strides[i]!, p[i]!, p[i + 2]!, w.dilations[i]!, false, `${where}: spatial axis ${i}`));
        const symmetric = p[0] === p[2] && p[1] === p[3];
        return { p, out, padded: symmetric ? undefined : paddedShape(x, p) };
      };
      return one(
        (xs) => {
          let x = need(xs, 0, ctx, 'X');
          const weight = need(xs, 1, ctx, 'W');
          const { p } = convShape(x.shape, weight.shape, xs[2]?.shape);
          let padding: [number, number] = [0, 0];
          if (p[0] === p[2] && p[1] === p[3]) padding = [p[0]!, p[1]!];
          else x = pad(x, padPairs(p));
          return conv2d(x, weight, xs[2] ?? null, { stride: [w.strides[0]!, w.strides[1]!], padding, dilation: [w.dilations[0]!, w.dilations[1]!], groups: group });
        },
        (ms) => {
          const weight = need(ms, 1, ctx, 'W').shape;
          const { out, padded } = convShape(need(ms, 0, ctx, 'X').shape, weight, ms[2]?.shape);
          return { outputs: [out], scratch: padded ? [padded] : [], work: elementCount(out) * elementCount(weight.slice(1)) };
        },
      );
    }
    case 'MaxPool':
    case 'AveragePool': {
      checkArity(ctx, 1, 1);
      const w = windowAttrs(ctx, true);
      const ceilMode = attrs.int('ceil_mode', 0) !== 0;
      const kernel = w.kernel!;
      if (op === 'MaxPool' && attrs.int('storage_order', 0) !== 0) throw new FormatError(`${where}: storage_order=1 is not supported`);
      if (op === 'AveragePool' && w.dilations.some((d) => d !== 1)) throw new FormatError(`${where}: dilations other than 1 are not supported for AveragePool`);
      const countIncludePad = attrs.int('count_include_pad', 0) !== 0;
      /** Pads, whether the pool can pad itself (PyTorch allows at most half the kernel), and the shapes. */
      const poolShape = (x: readonly number[]): { p: number[]; symmetric: boolean; out: number[]; scratch: number[][] } => {
        check4d({ shape: x }, ctx, 'X');
        const p = windowPads(ctx, w, x, kernel);
        const symmetric = p[0] === p[2] && p[1] === p[3] && 2 * p[0]! <= kernel[0]! && 2 * p[1]! <= kernel[1]!;
        const out = [x[0]!, x[1]!];
        for (const i of [0, 1]) {
          // explicit padding (below) makes the padded border part of the input for ceil mode's last-window rule
          const [size, begin, end] = symmetric ? [x[2 + i]!, p[i]!, p[i + 2]!] : [x[2 + i]! + p[i]! + p[i + 2]!, 0, 0];
          out.push(windowOutputSize(size, kernel[i]!, w.strides[i]!, begin, end, w.dilations[i]!, ceilMode, `${where}: spatial axis ${i}`));
        }
        const scratch: number[][] = [];
        if (!symmetric) {
          scratch.push(paddedShape(x, p));
          if (op === 'AveragePool' && !countIncludePad) {
            const plane = paddedShape([1, 1, x[2]!, x[3]!], p);
            scratch.push(plane, plane, [1, 1, out[2]!, out[3]!], out);
          }
        }
        return { p, symmetric, out, scratch };
      };
      return one(
        (xs) => {
          let x = need(xs, 0, ctx, 'X');
          const { p, symmetric } = poolShape(x.shape);
          const stride: [number, number] = [w.strides[0]!, w.strides[1]!];
          const kernelSize: [number, number] = [kernel[0]!, kernel[1]!];
          if (op === 'MaxPool') {
            const dilation: [number, number] = [w.dilations[0]!, w.dilations[1]!];
            if (symmetric) return maxPool2d(x, { kernelSize, stride, padding: [p[0]!, p[1]!], dilation, ceilMode });
            return maxPool2d(pad(x, padPairs(p), -Infinity), { kernelSize, stride, dilation, ceilMode });
          }
          if (symmetric) return avgPool2d(x, { kernelSize, stride, padding: [p[0]!, p[1]!], ceilMode, countIncludePad });
          x = pad(x, padPairs(p));
          const sums = avgPool2d(x, { kernelSize, stride, ceilMode });
          if (countIncludePad) return sums;
          // average over the real pixels only: divide by the share of each window inside the input
          const inside = pad(ones([1, 1, x.shape[2]! - p[0]! - p[2]!, x.shape[3]! - p[1]! - p[3]!], x.dtype), padPairs(p));
          return div(sums, avgPool2d(inside, { kernelSize, stride, ceilMode }));
        },
        (ms) => {
          const { out, scratch } = poolShape(need(ms, 0, ctx, 'X').shape);
          return { outputs: [out], scratch, work: elementCount(out) * kernel[0]! * kernel[1]! * (scratch.length > 1 ? 2 : 1) };
        },
      );
    }
    default:
      throw new FormatError(
        `${where}: op type ${JSON.stringify(op)}${node.domain ? ` (domain ${JSON.stringify(node.domain)})` : ''} is not supported; supported ops are ${ONNX_SUPPORTED_OPS.join(', ')}`,
      );
  }
}

function int32Tensor(values: number[], shape: number[], ctx: NodeContext): Tensor {
  for (const v of values) {
    if (v < -2147483648 || v > 2147483647) throw new FormatError(`${ctx.where}: integer ${v} does not fit int32 (pathgrad's integer dtype)`);
  }
  return new Tensor(Int32Array.from(values), shape, 'int32');
}

/** Non-finite weights would silently turn every output into NaN; refuse them at load. */
function checkFinite(t: Tensor, what: string): void {
  if (t.dtype === 'int32') return;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new FormatError(`${what}: value ${d[i]} at flat index ${i} is not finite; a model with non-finite weights computes NaN silently`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// the module
// ---------------------------------------------------------------------------------------

/**
 * A scope of parameters sharing a dotted prefix (`0` in `0.weight`). When one graph node
 * uses exactly this scope's parameters (PyTorch's exporter names a Linear's Gemm inputs
 * `0.weight` and `0.bias`), the node runs through this module's `forward`, so
 * `withForwardHook(model.getSubmodule('0'), ...)` sees that layer's input and output as
 * it would in PyTorch.
 *
 * @example
 * ```ts
 * const model = loadOnnx(readFileSync('mlp.onnx'));
 * const first = model.getSubmodule('0'); // an OnnxScope running the first Gemm
 * withForwardHook(first, (_input, output) => void console.log(output.shape), () => model.forward(x));
 * ```
 */
export class OnnxScope extends Module {
  /** The node this scope runs, with the graph's other inputs bound. */
  _run: ((x: Tensor) => Tensor) | undefined;
  /** The node's name, for messages. */
  _label = '';

  /**
   * Runs the bound node on `x` (only meaningful inside the imported model's forward).
   * @example
   * ```ts
   * const layer = loadOnnx(bytes).getSubmodule('0'); // the first Gemm, via withForwardHook
   * ```
   */
  forward(x: Tensor): Tensor {
    if (!this._run) {
      throw new ArgumentError(`forward: this ONNX parameter scope runs no single node${this._label ? ` (${this._label})` : ''}; call the whole model instead`);
    }
    return this._run(x);
  }
}

interface PlanStep {
  compiled: Compiled;
  inputs: string[];
  outputs: string[];
  where: string;
  /** When set, the node's one graph-computed input goes through this scope's forward. */
  scope?: { module: OnnxScope; dynamicIndex: number };
}

/**
 * An ONNX graph as a Module (what {@link loadOnnx} returns). Float initializers are its
 * Parameters, named by their ONNX names (`0.weight`, `onnx::Gemm_12`), except
 * BatchNormalization's running statistics, which are buffers as in PyTorch; integer
 * initializers and Constant nodes are fixed. It evaluates with inference semantics
 * (Dropout is the identity, BatchNormalization uses the stored statistics) in train and
 * eval mode alike.
 *
 * @example
 * ```ts
 * const model: OnnxModel = loadOnnx(readFileSync('cnn.onnx'));
 * model.inputName; // e.g. 'input'
 * model.namedParameters().map(([name]) => name); // ['0.weight', '0.bias', ...], as in PyTorch
 * model.forward(images).shape; // [N, 10]
 * ```
 */
export class OnnxModel extends Module {
  /** The graph's input name. */
  readonly inputName: string;
  /** The graph's output name. */
  readonly outputName: string;
  /** Default-domain opset version the model declares. */
  readonly opset: number;
  private readonly _steps: PlanStep[];
  private readonly _parameters: Map<string, Parameter>;
  private _constants: Map<string, Tensor>;
  private readonly _limits: Required<LoadOnnxOptions>;
  /** Where each buffer lives (set by registerTree), read at forward so `to()` and loadStateDict apply. */
  _bufferSlots = new Map<string, { module: Module; key: string }>();

  /** @internal built by {@link loadOnnx}. */
  constructor(init: {
    inputName: string;
    outputName: string;
    opset: number;
    steps: PlanStep[];
    parameters: Map<string, Parameter>;
    constants: Map<string, Tensor>;
    limits: Required<LoadOnnxOptions>;
  }) {
    super();
    this._limits = init.limits;
    this.inputName = init.inputName;
    this.outputName = init.outputName;
    this.opset = init.opset;
    this._steps = init.steps;
    this._parameters = init.parameters;
    this._constants = init.constants;
  }

  /**
   * Evaluates the graph on `x` with pathgrad ops (differentiable end to end). A node whose
   * shapes do not fit throws the op's error class, prefixed with the node's name. Before each
   * node runs, its output shape is inferred and checked against the element limits given to
   * {@link loadOnnx}: an input that would make an intermediate tensor (or all of them
   * together) too large is an ArgumentError before anything is allocated.
   * @example
   * ```ts
   * const logits = loadOnnx(readFileSync('mlp.onnx')).forward(images);
   * ```
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`forward: x must be a Tensor, got ${describe(x)}`);
    const { maxTensorElements, maxTotalElements, maxOperations } = this._limits;
    const hint = ', an option of loadOnnx; or pass fewer examples at a time';
    const examples = x.rank > 0 ? x.shape[0]! : 1;
    return this._evaluate(x, new ElementBudget(maxTensorElements, maxTotalElements, maxOperations, examples, (m) => new ArgumentError(m), hint));
  }

  /** @internal forward with a given element budget (the load-time probe uses a small one). */
  _evaluate(x: Tensor, budget: ElementBudget): Tensor {
    const env = new Map<string, Tensor>([[this.inputName, x]]);
    const lookup = (name: string): Tensor | undefined => {
      if (name === '') return undefined;
      const slot = this._bufferSlots.get(name);
      return env.get(name) ?? this._parameters.get(name)?.value ?? (slot ? slot.module.getBuffer(slot.key) : this._constants.get(name));
    };
    // every shape that follows from the input's is inferred and counted before anything runs
    const stored = (name: string): ValueMeta | undefined => {
      const t = name === this.inputName ? undefined : lookup(name);
      return t ? { shape: t.shape, value: t } : undefined;
    };
    const { inferred: before } = inferGraph(this._steps, this.inputName, x.shape, stored, budget, (e, step) => withNode(e, step.where));
    for (const step of this._steps) {
      const args = step.inputs.map(lookup);
      let outs: Tensor[];
      try {
        let inferred = before.get(step);
        if (!inferred) {
          // after a Reshape to a computed shape: inferred and counted now, still before running
          inferred = step.compiled.infer(args.map((t) => (t ? { shape: t.shape, value: t } : undefined)));
          if (inferred) countNode(budget, inferred, step);
        }
        if (step.scope) {
          const { module, dynamicIndex } = step.scope;
          module._run = (input) => {
            const a = [...args];
            a[dynamicIndex] = input;
            return step.compiled.fn(a)[0]!;
          };
          try {
            outs = [module.forward(args[dynamicIndex]!)];
          } finally {
            module._run = undefined; // bound only while the graph runs; keeps no activations alive
          }
        } else {
          outs = step.compiled.fn(args);
        }
      } catch (e) {
        throw withNode(e, step.where);
      }
      step.outputs.forEach((name, i) => {
        if (name !== '' && i < outs.length) env.set(name, outs[i]!);
      });
      const inferred = before.get(step);
      inferred?.outputs.forEach((shape, i) => {
        // inference bounds memory only if it is right: a disagreement is a bug of ours
        if (!shapesEqual(shape, outs[i]!.shape)) {
          throw new Error(`internal: ${step.where}: shape inference gave [${shape.join(', ')}] for output ${i}, the op computed [${outs[i]!.shape.join(', ')}]`);
        }
      });
    }
    return env.get(this.outputName)!;
  }

  /**
   * Converts float parameters and float constants to `dtype` (see Module.to).
   * @example
   * ```ts
   * const model64 = loadOnnx(bytes).to('float64');
   * ```
   */
  override to(dtype: DType): this {
    super.to(dtype);
    const next = new Map<string, Tensor>();
    for (const [k, v] of this._constants) next.set(k, v.dtype === 'int32' ? v : convertDType(v, dtype));
    this._constants = next;
    return this;
  }
}

/** Counts a node's outputs and temporaries against the budget. */
function countNode(budget: ElementBudget, inferred: InferResult, step: PlanStep): void {
  inferred.outputs.forEach((shape, i) => budget.add(shape, `output ${JSON.stringify(step.outputs[i] ?? '')}`, step.where));
  for (const shape of inferred.scratch ?? []) budget.add(shape, 'a temporary', step.where);
  const elements = [...inferred.outputs, ...(inferred.scratch ?? [])].reduce((n, s) => n + elementCount(s), 0);
  budget.addWork(Math.max(elements, inferred.work ?? 0), step.where);
}

/** Re-throws a pathgrad error with the node's name in front, keeping its class. */
function withNode(e: unknown, where: string): Error {
  if (e instanceof PathgradError) {
    if (e.message.startsWith(where)) return e;
    const Ctor = e.constructor as new (message: string) => PathgradError;
    return new Ctor(`${where}: ${e.message}`);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Registers parameters and buffers on `root` under their dotted names: `features.3.weight`
 * becomes parameter `weight` of scope `3` of scope `features`, so namedParameters() and
 * stateDict() give back the ONNX names. A name with an empty segment, or one that would make
 * a tensor and a scope share a name, is registered on the root with its dots replaced by `_`.
 */
function registerTree(root: OnnxModel, parameters: Map<string, Parameter>, buffers: Map<string, Tensor>): Map<string, OnnxScope> {
  const scopes = new Map<string, OnnxScope>();
  const names = new Set([...parameters.keys(), ...buffers.keys()]);
  const place = (owner: Module, key: string, name: string): void => {
    const p = parameters.get(name);
    if (p) owner.registerParameter(key, p);
    else {
      owner.registerBuffer(key, buffers.get(name)!);
      root._bufferSlots.set(name, { module: owner, key });
    }
  };
  for (const name of names) {
    const parts = name.split('.');
    if (parts.length === 1) {
      place(root, name, name);
      continue;
    }
    const prefixes = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
    if (parts.some((seg) => seg === '') || prefixes.some((pre) => names.has(pre))) {
      place(root, name.replaceAll('.', '_'), name);
      continue;
    }
    let parent: Module = root;
    for (const prefix of prefixes) {
      let scope = scopes.get(prefix);
      if (!scope) {
        scope = new OnnxScope();
        parent.registerModule(prefix.slice(prefix.lastIndexOf('.') + 1), scope);
        scopes.set(prefix, scope);
      }
      parent = scope;
    }
    place(parent, parts[parts.length - 1]!, name);
  }
  return scopes;
}

/**
 * Turns ONNX bytes (a feed-forward graph with one input and one output) into a Module.
 * Supported ops: see {@link ONNX_SUPPORTED_OPS} (Conv and pooling in 2-D; Softmax and
 * LogSoftmax with the axis semantics of the model's opset). Float initializers become
 * Parameters (BatchNormalization statistics: buffers) named by their ONNX names, so
 * `stateDict()` has PyTorch's names for a PyTorch export; call `.to('float64')` for a
 * float64 model.
 *
 * @throws FormatError when the bytes are not an ONNX model, a tensor's data does not match
 *   its dims, an initializer or Constant holds NaN or infinity (it would make every output
 *   NaN silently), a node has an unsupported op type (the message names the op and the
 *   node), bad attributes (pads out of proportion to the input included), inputs produced
 *   by no earlier node, or, when the graph input declares its shape, shapes that do not fit
 *   or an intermediate tensor over the element limits (the message names the node, the
 *   shape and the limit; see {@link LoadOnnxOptions}). Nothing is allocated for a refused
 *   graph: shapes are inferred, not computed.
 * @throws ArgumentError for options that are not {@link LoadOnnxOptions} (an unknown key
 *   names the nearest valid one).
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const model = loadOnnx(readFileSync('mlp.onnx'));
 * model.namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', ...]
 * model.forward(images).shape;             // [16, 10]
 * // a graph with larger intermediate tensors than the default budget allows
 * const big = loadOnnx(readFileSync('large.onnx'), { maxTensorElements: 2 ** 29, maxTotalElements: 2 ** 30 });
 * ```
 */
export function loadOnnx(bytes: Uint8Array, options?: LoadOnnxOptions): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError(`loadOnnx: bytes must be a Uint8Array (or Buffer), got ${describe(bytes)}`);
  const limits = resolveLimits(options);
  let model: ModelMsg;
  try {
    model = modelProtoType().decode(bytes) as unknown as ModelMsg;
  } catch (e) {
    throw new FormatError(`loadOnnx: the bytes are not an ONNX protobuf (${(e as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new FormatError('loadOnnx: the model has no graph');
  let opset = 13;
  for (const o of model.opset_import ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') opset = int64(o.version, 'loadOnnx: opset_import version');
  }

  // initializers: float ones are parameters, integer ones constants
  const parameters = new Map<string, Parameter>();
  const constants = new Map<string, Tensor>();
  const known = new Set<string>();
  for (const [i, init] of (graph.initializer ?? []).entries()) {
    const name = init.name ?? '';
    const what = `loadOnnx: initializer ${JSON.stringify(name)}`;
    if (name === '') throw new FormatError(`loadOnnx: initializer ${i} has no name`);
    if (known.has(name)) throw new FormatError(`${what} is defined twice`);
    known.add(name);
    const t = decodeTensor(init, what);
    checkFinite(t, what);
    if (t.dtype === 'int32') constants.set(name, t);
    else parameters.set(name, new Parameter(t));
  }

  const inputs = (graph.input ?? []).filter((v) => !known.has(v.name ?? ''));
  if (inputs.length !== 1) {
    throw new FormatError(`loadOnnx: a Module takes one input, but the graph has ${inputs.length} non-initializer inputs [${inputs.map((v) => JSON.stringify(v.name)).join(', ')}]`);
  }
  const input = inputs[0]!;
  const inputName = input.name ?? '';
  if (inputName === '') throw new FormatError('loadOnnx: the graph input has no name');
  const outputs = graph.output ?? [];
  if (outputs.length !== 1 || !outputs[0]!.name) {
    throw new FormatError(`loadOnnx: a Module returns one output, but the graph has ${outputs.length} outputs [${outputs.map((v) => JSON.stringify(v.name)).join(', ')}]`);
  }
  const outputName = outputs[0]!.name!;

  // nodes, in order: each input must already exist (ONNX graphs are topologically sorted)
  const available = new Set<string>([...known, inputName]);
  const steps: PlanStep[] = [];
  const usesOf = new Map<string, number>();
  for (const [k, node] of (graph.node ?? []).entries()) {
    const where = `loadOnnx: node ${JSON.stringify(node.name || `#${k}`)} (${node.op_type || 'no op type'})`;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new FormatError(`${where}: op type ${JSON.stringify(node.op_type)} in domain ${JSON.stringify(node.domain)} is not supported; supported ops (default domain) are ${ONNX_SUPPORTED_OPS.join(', ')}`);
    }
    const compiled = compileNode({ node, where, attrs: new Attributes(node, where), opset });
    for (const name of node.input) {
      if (name !== '' && !available.has(name)) {
        throw new FormatError(`${where}: input ${JSON.stringify(name)} is not produced by any earlier node, initializer or the graph input`);
      }
      usesOf.set(name, (usesOf.get(name) ?? 0) + 1);
    }
    node.output.forEach((name, i) => {
      if (name === '') return;
      if (available.has(name)) throw new FormatError(`${where}: output ${JSON.stringify(name)} is already defined (ONNX values are assigned once)`);
      if (i < compiled.produces) available.add(name);
    });
    if (compiled.constant) constants.set(node.output[0] ?? '', compiled.constant);
    steps.push({ compiled, inputs: [...node.input], outputs: [...node.output], where });
  }
  if (!available.has(outputName)) throw new FormatError(`loadOnnx: the graph output ${JSON.stringify(outputName)} is produced by no node`);

  // BatchNormalization's running statistics are state, not learned: buffers, as in PyTorch
  const buffers = new Map<string, Tensor>();
  for (const step of steps) {
    if (step.where.endsWith('(BatchNormalization)')) {
      for (const name of step.inputs.slice(3, 5)) {
        const p = parameters.get(name);
        if (p) {
          buffers.set(name, p.value);
          parameters.delete(name);
        }
      }
    }
  }
  const declared = declaredInput(input);
  const inference = inferAtLoad(steps, inputName, declared, parameters, constants, limits);
  const module = new OnnxModel({ inputName, outputName, opset, steps: steps.filter((s) => !s.compiled.constant), parameters, constants, limits });
  const scopes = registerTree(module, parameters, buffers);
  bindScopes(steps, scopes, new Set([...parameters.keys(), ...buffers.keys()]), new Set(constants.keys()), usesOf);
  if (declared) probeShapes(module, declared, inference);
  return module;
}

/** Routes a node through the scope whose tensors it alone uses (see {@link OnnxScope}). */
function bindScopes(steps: PlanStep[], scopes: Map<string, OnnxScope>, stored: Set<string>, constants: Set<string>, usesOf: Map<string, number>): void {
  const claimed = new Set<string>();
  for (const step of steps) {
    const own = step.inputs.filter((n) => stored.has(n));
    const dynamic = step.inputs.map((n, i) => [n, i] as const).filter(([n]) => n !== '' && !stored.has(n) && !constants.has(n));
    if (own.length === 0 || dynamic.length !== 1) continue;
    const prefix = own[0]!.slice(0, own[0]!.lastIndexOf('.'));
    const scope = scopes.get(prefix);
    if (!scope || claimed.has(prefix) || scope.namedChildren().length > 0) continue;
    const members = [...stored].filter((n) => n.startsWith(`${prefix}.`) && !n.slice(prefix.length + 1).includes('.'));
    const exact = members.length === new Set(own).size && own.every((n) => members.includes(n) && usesOf.get(n) === 1);
    if (!exact) continue;
    claimed.add(prefix);
    scope._label = step.where.replace(/^loadOnnx: /, '');
    step.scope = { module: scope, dynamicIndex: dynamic[0]![1] };
  }
}

/** The graph input's declared shape (dynamic dimensions as 1), if it declares one. */
interface DeclaredInput {
  shape: number[];
  /** The shape as shown in messages (`N=1` for a dynamic dimension). */
  shown: string;
  dtype: DType | undefined;
}

function declaredInput(input: NonNullable<ModelMsg['graph']>['input'][number]): DeclaredInput | undefined {
  const type = input.type?.tensor_type;
  const dims = type?.shape?.dim;
  if (!type || !dims) return undefined;
  const dtype: DType | undefined = type.elem_type === 1 ? 'float32' : type.elem_type === 11 ? 'float64' : undefined;
  const shape: number[] = [];
  const shown: string[] = [];
  for (const [i, d] of dims.entries()) {
    // protobufjs leaves unset fields on the prototype: only an own dim_value is a fixed size
    const v = Object.hasOwn(d, 'dim_value') ? int64(d.dim_value, `loadOnnx: graph input dims[${i}]`) : 1;
    if (v < 0) throw new FormatError(`loadOnnx: graph input ${JSON.stringify(input.name ?? '')} has a negative dimension ${v}`);
    shape.push(v);
    shown.push(Object.hasOwn(d, 'dim_param') && d.dim_param ? `${d.dim_param}=${v}` : String(v));
  }
  return { shape, shown: `[${shown.join(', ')}]`, dtype };
}

/** What shape inference found. */
interface Inference {
  /** False when some shape depends on values computed by the graph (or no input shape). */
  complete: boolean;
  /** Elements of all intermediate tensors counted. */
  elements: number;
  /** The inferred outputs (and temporaries) of each node whose inputs' shapes were known. */
  inferred: Map<PlanStep, InferResult>;
}

/**
 * Infers every node's output shape from the input's shape and the stored tensors (`stored`
 * gives their shapes and values), counting each intermediate tensor against `budget`, so a
 * graph that would blow up is refused without allocating anything. A node whose inputs
 * depend on a shape known only at run time (a Reshape to a computed shape) is left out,
 * and so is everything after it that depends on it. `wrap` turns a shape error into the
 * caller's error.
 */
function inferGraph(
  steps: readonly PlanStep[],
  inputName: string,
  inputShape: readonly number[],
  stored: (name: string) => ValueMeta | undefined,
  budget: ElementBudget,
  wrap: (e: PathgradError, step: PlanStep) => Error,
): Inference {
  const known = new Map<string, ValueMeta>([[inputName, { shape: inputShape }]]);
  const inferred = new Map<PlanStep, InferResult>();
  let complete = true;
  for (const step of steps) {
    if (step.compiled.constant) continue;
    const ins = step.inputs.map((n) => (n === '' ? undefined : (known.get(n) ?? stored(n))));
    if (step.inputs.some((n, i) => n !== '' && ins[i] === undefined)) {
      complete = false;
      continue;
    }
    let result: InferResult | undefined;
    try {
      result = step.compiled.infer(ins);
      if (result) countNode(budget, result, step);
    } catch (e) {
      if (e instanceof PathgradError) throw wrap(e, step);
      throw e;
    }
    if (!result) {
      complete = false;
      continue;
    }
    inferred.set(step, result);
    result.outputs.forEach((shape, i) => {
      const name = step.outputs[i] ?? '';
      if (name !== '') known.set(name, { shape });
    });
  }
  return { complete, elements: budget.used, inferred };
}

/**
 * Load-time inference on the declared input shape (dynamic dimensions as 1): shapes that do
 * not fit and intermediate tensors over the limits are FormatErrors naming the node.
 */
function inferAtLoad(
  steps: PlanStep[],
  inputName: string,
  declared: DeclaredInput | undefined,
  parameters: Map<string, Parameter>,
  constants: Map<string, Tensor>,
  limits: Required<LoadOnnxOptions>,
): Inference {
  if (!declared) return { complete: false, elements: 0, inferred: new Map() };
  const stored = (name: string): ValueMeta | undefined => {
    const t = parameters.get(name)?.value ?? constants.get(name);
    return t ? { shape: t.shape, value: t } : undefined;
  };
  const examples = declared.shape.length > 0 ? declared.shape[0]! : 1;
  const budget = new ElementBudget(limits.maxTensorElements, limits.maxTotalElements, limits.maxOperations, examples, (m) => new FormatError(m), ', an option of loadOnnx');
  return inferGraph(steps, inputName, declared.shape, stored, budget, (e, step) => {
    if (e instanceof FormatError) return e;
    const m = e.message.startsWith(step.where) ? e.message : `${step.where}: ${e.message}`;
    return new FormatError(`${m} (checked on the graph input ${JSON.stringify(inputName)}'s declared shape ${declared.shown})`);
  });
}

/** Past this many elements (input plus intermediates) the load-time probe is skipped. */
const PROBE_ELEMENTS = 1 << 22;

/** Thrown by the probe's budget: the probe is skipped, the model is not at fault. */
class ProbeTooLarge extends Error {}

/**
 * Runs the graph once on zeros of the declared input shape, so that what inference cannot
 * see (a Reshape to a computed shape, an op's own checks) is reported at load time too, as
 * FormatErrors naming the node. Only small graphs are probed: past {@link PROBE_ELEMENTS}
 * the shapes were checked by inference alone, and the rest surfaces at forward time.
 */
function probeShapes(module: OnnxModel, declared: DeclaredInput, inference: Inference): void {
  if (!declared.dtype) return;
  const inputSize = elementCount(declared.shape);
  if (inputSize > PROBE_ELEMENTS || (inference.complete && inference.elements > PROBE_ELEMENTS)) return;
  const budget = new ElementBudget(PROBE_ELEMENTS, PROBE_ELEMENTS, PROBE_ELEMENTS * 64, 1, () => new ProbeTooLarge(), '');
  try {
    module._evaluate(zeros(declared.shape, declared.dtype), budget);
  } catch (e) {
    if (e instanceof ProbeTooLarge) return;
    if (e instanceof PathgradError && !(e instanceof FormatError)) {
      throw new FormatError(`${e.message} (checked on zeros of the graph input ${JSON.stringify(module.inputName)}'s declared shape ${declared.shown})`);
    }
    throw e;
  }
}
