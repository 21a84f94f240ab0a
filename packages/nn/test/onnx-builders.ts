/**
 * Test helpers: ONNX model bytes built with protobufjs from plain objects (the same
 * message type the importer decodes).
 */
import { modelProtoType } from '../src/io/onnx-proto.js';

export type Attr = { name: string; type: number; f?: number; i?: number; ints?: number[]; floats?: number[]; s?: Uint8Array; t?: object };

export const A = {
  int: (name: string, i: number): Attr => ({ name, type: 2, i }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: 7, ints }),
  float: (name: string, f: number): Attr => ({ name, type: 1, f }),
};

/** A float or int64 TensorProto with raw_data. */
export function tp(name: string, dims: number[], values: number[], dataType = 1): object {
  const raw = dataType === 7 ? new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) : new Uint8Array(Float32Array.from(values).buffer);
  return { name, dims, data_type: dataType, raw_data: raw };
}

export function node(op: string, input: string[], output: string[], attribute: Attr[] = [], name = `${op}_node`): object {
  return { op_type: op, input, output, attribute, name };
}

function valueInfo(name: string, shape: (number | string)[] | undefined): object {
  return {
    name,
    type: { tensor_type: { elem_type: 1, ...(shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}) } },
  };
}

export interface ModelSpec {
  nodes: object[];
  initializers?: object[];
  /** The graph input's declared shape (strings are dynamic dimensions); none when omitted. */
  inputShape?: (number | string)[];
  output?: string;
}

/** Bytes of a model with input `x` and output `y` (or `output`), opset 13. */
export function onnxBytes({ nodes, initializers = [], inputShape, output = 'y' }: ModelSpec): Uint8Array {
  const T = modelProtoType();
  const msg = T.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    graph: { name: 'g', node: nodes, initializer: initializers, input: [valueInfo('x', inputShape)], output: [valueInfo(output, undefined)] },
  });
  return T.encode(msg).finish();
}

/** The error `fn` throws (a test failure when it returns). */
export function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}
