/**
 * Shape inference for the ONNX importer: the output shape of every supported node computed
 * from its input shapes alone, so a graph's intermediate tensors can be measured, and
 * refused, before anything is allocated. The rules mirror pathgrad's ops (broadcasting,
 * matmul, conv2d and pooling output sizes); a shape the op would refuse throws here with
 * the same error class.
 */
import { ArgumentError, ShapeError, broadcastShapes, resolveShape, type Tensor } from '@pathgrad/tensor';

/** What inference knows of one value: its shape and, for constants, the value itself. */
export interface ValueMeta {
  shape: readonly number[];
  /** Known at load time for initializers and Constant outputs (Reshape needs it). */
  value?: Tensor;
}

/** Output shapes of a node plus the shapes of temporaries its evaluation allocates. */
export interface InferResult {
  outputs: (readonly number[])[];
  /** Temporaries (a padded copy of the input, partial results of a composite op). */
  scratch?: (readonly number[])[];
  /**
   * Multiply-adds the node costs, where that is more than one per element of its outputs
   * and temporaries (the default): matmul, convolution and pooling windows.
   */
  work?: number;
}

/** A node's shape rule; `undefined` means the output shape depends on values not known yet. */
export type InferFn = (inputs: (ValueMeta | undefined)[]) => InferResult | undefined;

/** Number of elements of `shape` (a float: huge products stay comparable with a limit). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function broadcast(a: readonly number[], b: readonly number[], where: string): number[] {
  return broadcastShapes(a, b, where);
}

/** numpy.matmul's shape rule (as pathgrad's matmul: 1-D operands promoted, batch broadcast). */
export function matmulShape(a: readonly number[], b: readonly number[], where: string): number[] {
  if (a.length === 0 || b.length === 0) throw new ShapeError(`${where}: matmul needs operands of at least 1 dimension, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const as = a.length === 1 ? [1, a[0]!] : [...a];
  const bs = b.length === 1 ? [b[0]!, 1] : [...b];
  const k = as[as.length - 1]!;
  const kb = bs[bs.length - 2]!;
  if (k !== kb) throw new ShapeError(`${where}: matmul: a's last dimension (${k}) must equal b's contraction dimension (${kb}); shapes [${a.join(', ')}] and [${b.join(', ')}]`);
  const out = broadcast(as.slice(0, -2), bs.slice(0, -2), `${where}: matmul batch dimensions`);
  if (a.length > 1) out.push(as[as.length - 2]!);
  if (b.length > 1) out.push(bs[bs.length - 1]!);
  return out;
}

/** Concatenation along `axis` (already normalised): equal ranks, equal dims off the axis. */
export function concatShape(shapes: readonly (readonly number[])[], axis: number, where: string): number[] {
  const first = shapes[0]!;
  const out = [...first];
  for (const [i, s] of shapes.entries()) {
    if (i === 0) continue;
    if (s.length !== first.length || s.some((d, j) => j !== axis && d !== first[j])) {
      throw new ShapeError(`${where}: input ${i} of shape [${s.join(', ')}] does not fit input 0 of shape [${first.join(', ')}] off axis ${axis}`);
    }
    out[axis] = out[axis]! + s[axis]!;
  }
  return out;
}

/** Validates a permutation of `rank` axes and applies it. */
export function permuteShape(shape: readonly number[], perm: readonly number[], where: string): number[] {
  const r = shape.length;
  const seen = new Set<number>();
  for (const p of perm) {
    const a = p < 0 ? p + r : p;
    if (!Number.isInteger(p) || a < 0 || a >= r || seen.has(a)) {
      throw new ArgumentError(`${where}: perm [${perm.join(', ')}] is not a permutation of the ${r} axes of an input of shape [${shape.join(', ')}]`);
    }
    seen.add(a);
  }
  if (perm.length !== r) throw new ArgumentError(`${where}: perm [${perm.join(', ')}] must have ${r} entries for an input of shape [${shape.join(', ')}]`);
  return perm.map((p) => shape[p < 0 ? p + r : p]!);
}

/** ONNX Reshape: 0 copies the input dimension (unless allowzero), one -1 is inferred. */
export function reshapeShape(shape: readonly number[], requested: readonly number[], allowZero: boolean, where: string): number[] {
  const target = requested.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= shape.length) throw new ShapeError(`${where}: shape[${i}] = 0 copies input dimension ${i}, but the input has rank ${shape.length}`);
      return shape[i]!;
    }
    if (d < -1) throw new ShapeError(`${where}: shape[${i}] must be >= -1, got ${d}`);
    return d;
  });
  return resolveShape(target, elementCount(shape), `${where}: reshape`);
}

/**
 * Output size of one windowed dimension: pathgrad's (and PyTorch's) rule, with the
 * padding given as the two sides' sum. Throws when the (dilated) window does not fit.
 */
export function windowOutputSize(size: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceilMode: boolean, what: string): number {
  const eff = dilation * (kernel - 1) + 1;
  const padded = size + padBegin + padEnd;
  if (padded < eff) throw new ShapeError(`${what}: the window (${eff} wide with dilation) is larger than the padded input (${size} + ${padBegin} + ${padEnd} = ${padded})`);
  const num = padded - eff + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  // in ceil mode the last window must start inside the input or its left padding
  if (ceilMode && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

/**
 * Refuses padding out of proportion to the input: each side may be at most the larger of
 * the input's size along that axis and the window's (dilated) extent. Anything more only
 * computes windows that see nothing but padding, and is how a tiny file asks for a huge
 * tensor.
 */
export function checkPads(pads: readonly number[], inSize: readonly number[], kernel: readonly number[], dilations: readonly number[], where: string): void {
  const r = inSize.length;
  for (let i = 0; i < 2 * r; i++) {
    const axis = i % r;
    const limit = Math.max(inSize[axis]!, dilations[axis]! * (kernel[axis]! - 1) + 1);
    if (pads[i]! > limit) {
      throw new ShapeError(
        `${where}: pads [${pads.join(', ')}]: ${pads[i]} on spatial axis ${axis} is more than both the input's size there (${inSize[axis]}) and the window's extent; at most ${limit} is accepted`,
      );
    }
  }
}

/**
 * The element budget of a graph: every intermediate tensor and the sum of all of them in one
 * forward pass, each bounded; checked from inferred shapes, before allocating.
 */
export class ElementBudget {
  private total = 0;
  private operations = 0;
  constructor(
    private readonly maxTensor: number,
    private readonly maxTotal: number,
    /** Most multiply-adds per example; the work of a pass is divided by `examples`. */
    private readonly maxOperations: number,
    private readonly examples: number,
    /** Builds the error (FormatError at load, ArgumentError for a forward input). */
    private readonly fail: (message: string) => Error,
    /** How to raise the limits, appended to messages. */
    private readonly hint: string,
  ) {}

  /** Counts one tensor named `what` (e.g. `output "y"`) of `where` (the node). */
  add(shape: readonly number[], what: string, where: string): void {
    const n = elementCount(shape);
    if (n > this.maxTensor) {
      throw this.fail(
        `${where}: ${what} would have shape [${shape.join(', ')}] = ${formatCount(n)} elements, over the limit of ${formatCount(this.maxTensor)} per tensor (maxTensorElements${this.hint})`,
      );
    }
    this.total += n;
    if (this.total > this.maxTotal) {
      throw this.fail(
        `${where}: ${what} of shape [${shape.join(', ')}] brings the graph's intermediate tensors to ${formatCount(this.total)} elements, over the limit of ${formatCount(this.maxTotal)} in all (maxTotalElements${this.hint})`,
      );
    }
  }

  /**
   * Counts a node's work: `operations` multiply-adds for the whole pass, of which one
   * example's share (the pass's work over the batch size) must stay within the limit.
   */
  addWork(operations: number, where: string): void {
    this.operations += operations;
    const perExample = this.operations / Math.max(1, this.examples);
    if (perExample > this.maxOperations) {
      throw this.fail(
        `${where}: brings the graph's work to ${formatCount(perExample)} multiply-adds per example, over the limit of ${formatCount(this.maxOperations)} (maxOperations${this.hint})`,
      );
    }
  }

  /** Elements counted so far. */
  get used(): number {
    return this.total;
  }
}

function formatCount(n: number): string {
  return Number.isFinite(n) && n < 1e21 ? Math.round(n).toLocaleString('en-US') : n.toExponential(3);
}
