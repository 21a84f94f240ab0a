import type * as FastCheck from './sampling.js';
import { getBackend, type BackendName } from './backend.js';
import type { DType } from './dtype.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Shape and dtype of an op's output, as computed by its shape rule.
 *
 * @example
 * ```ts
 * const out: OutputInfo = { shape: [2, 3], dtype: 'float32' };
 * ```
 */
export interface OutputInfo {
  shape: Shape;
  dtype: DType;
}

/**
 * A kernel computes an op's output on one backend. It may return `undefined` to decline
 * (for example a float32-only kernel given float64), and the op then runs on `cpu`.
 *
 * @example
 * ```ts
 * // a cpu kernel for an elementwise square (contiguous output, any input strides)
 * const squareCpu: Kernel<Record<string, never>> = ([x], _attrs, out) => {
 *   const data = allocate(out.dtype, sizeOf(out.shape));
 *   forEachOffset(x!, (i, f) => (data[f] = x!.data[i]! * x!.data[i]!));
 *   return new Tensor(data, out.shape, out.dtype);
 * };
 * ```
 */
export type Kernel<A> = (inputs: readonly Tensor[], attrs: A, out: OutputInfo) => Tensor | undefined;

/**
 * What a vector-Jacobian product sees.
 *
 * @example
 * ```ts
 * const vjp: Vjp<Record<string, never>> = (g, ctx: VjpContext<Record<string, never>>) => [
 *   ctx.needs[0] ? mul(g, mul(ctx.inputs[0]!, 2)) : null, // d(x^2)/dx = 2x
 * ];
 * ```
 */
export interface VjpContext<A> {
  /** The op's inputs. */
  inputs: readonly Tensor[];
  /** The op's output. */
  output: Tensor;
  /** The op's attributes. */
  attrs: A;
  /** Which inputs need a gradient; skip the work for the others. */
  needs: readonly boolean[];
}

/**
 * A vector-Jacobian product: given the gradient `g` of the output, return one gradient per
 * input (or `null` where not needed). Written with other ops so it is itself differentiable.
 * Gradients of broadcast inputs may keep the broadcast shape: the engine sums them back.
 *
 * @example
 * ```ts
 * // the VJP of a * b, written with ops so that it is itself differentiable
 * const mulVjp: Vjp<Record<string, never>> = (g, { inputs: [a, b], needs }) => [
 *   needs[0] ? mul(g, b!) : null,
 *   needs[1] ? mul(g, a!) : null,
 * ];
 * ```
 */
export type Vjp<A> = (g: Tensor, ctx: VjpContext<A>) => readonly (Tensor | null)[];

/**
 * A sample for the generic tests: inputs (float64) and attributes.
 *
 * @example
 * ```ts
 * const sample: OpSample<{ axis: number }> = { inputs: [tensor([[1, 2], [3, 4]], { dtype: 'float64' })], attrs: { axis: 1 } };
 * ```
 */
export interface OpSample<A> {
  inputs: Tensor[];
  attrs: A;
}

/**
 * How the generic tests exercise an op: random inputs, and a naive float64 reference
 * computed independently of the kernels.
 *
 * @example
 * ```ts
 * const spec: OpSpec<Record<string, never>> = {
 *   sample: (fc) => arbTensor(fc).map((x) => ({ inputs: [x], attrs: {} })),
 *   reference: ([x]) => referenceElementwise([x!], (v) => v * v),
 * };
 * ```
 */
export interface OpSpec<A> {
  /** Random float64 inputs and attributes; for differentiable ops keep values away from kinks. */
  sample: (fc: typeof FastCheck) => FastCheck.Arbitrary<OpSample<A>>;
  /** Naive float64 reference result of the op on the sample. */
  reference: (inputs: readonly Tensor[], attrs: A) => Tensor;
  /** Relative tolerance of the float32 kernels against the reference (default 1e-5). */
  float32Tolerance?: number;
  /** Skip gradcheck on samples where this returns true (e.g. ties at a kink). */
  gradcheckSkip?: (sample: OpSample<A>) => boolean;
}

interface OpDefBase<A> {
  /** Registry name, e.g. `'matmul'`. */
  name: string;
  /** Shape rule: validates inputs and attributes and returns the output's shape and dtype. */
  infer: (inputs: readonly Tensor[], attrs: A) => OutputInfo;
  /** Kernels per backend; `cpu` is mandatory and is the reference. */
  kernels: { cpu: Kernel<A> } & Partial<Record<Exclude<BackendName, 'cpu'>, Kernel<A>>>;
  /** Test specification used by the generic suites. */
  spec: OpSpec<A>;
}

/**
 * A differentiable op carries its VJP.
 *
 * @example
 * ```ts
 * const squareOp: DifferentiableOpDef<Record<string, never>> = {
 *   name: 'square',
 *   infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
 *   kernels: { cpu: squareCpu },
 *   vjp: (g, { inputs: [x] }) => [mul(g, mul(x!, 2))],
 *   spec: squareSpec,
 * };
 * ```
 */
export interface DifferentiableOpDef<A> extends OpDefBase<A> {
  vjp: Vjp<A>;
  differentiable?: true;
}

/**
 * A non-differentiable op says so and why (argmax, comparisons, integer casts).
 *
 * @example
 * ```ts
 * const signOp: NonDifferentiableOpDef<Record<string, never>> = {
 *   name: 'sign',
 *   infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype }),
 *   kernels: { cpu: signCpu },
 *   differentiable: false,
 *   why: 'piecewise constant: the gradient is zero almost everywhere and undefined at 0',
 *   spec: signSpec,
 * };
 * ```
 */
export interface NonDifferentiableOpDef<A> extends OpDefBase<A> {
  differentiable: false;
  /** Why it has no gradient. */
  why: string;
}

/**
 * The one definition of an op: shape rule, kernels, backward and test spec together.
 * Omitting both `vjp` and `differentiable: false` is a compile error.
 *
 * @example
 * ```ts
 * // see mul.ts for a complete op; a missing vjp (without differentiable: false) does not compile
 * const ops: OpDef<any>[] = Object.values(OPS);
 * ```
 */
export type OpDef<A = Record<string, never>> = DifferentiableOpDef<A> | NonDifferentiableOpDef<A>;

/**
 * Called for every op dispatched while a recorder is installed (autograd's tape).
 *
 * @example
 * ```ts
 * const seen: string[] = [];
 * const recorder: OpRecorder = (def) => seen.push(def.name);
 * const previous = setOpRecorder(recorder);
 * mul(tensor([1, 2]), 3);
 * setOpRecorder(previous); // seen is ['mul']
 * ```
 */
export type OpRecorder = (def: OpDef<any>, inputs: readonly Tensor[], attrs: unknown, output: Tensor) => void;

let recorder: OpRecorder | null = null;

/**
 * Installs (or removes, with `null`) the hook that sees every dispatched op. tensor knows
 * nothing about gradients; autograd installs a recorder while a gradient is being taken.
 * Returns the previous recorder so callers can restore it.
 *
 * @example
 * ```ts
 * const previous = setOpRecorder((def, inputs, attrs, output) => console.log(def.name, output.shape));
 * try {
 *   sum(mul(tensor([1, 2]), 3)); // logs 'mul [2]' then 'sum []'
 * } finally {
 *   setOpRecorder(previous);
 * }
 * ```
 */
export function setOpRecorder(r: OpRecorder | null): OpRecorder | null {
  const prev = recorder;
  recorder = r;
  return prev;
}

/**
 * The recorder currently installed, if any.
 *
 * @example
 * ```ts
 * getOpRecorder(); // null outside a gradient computation
 * ```
 */
export function getOpRecorder(): OpRecorder | null {
  return recorder;
}

/**
 * Runs one op: shape rule, then the current backend's kernel (or cpu's), then the recorder.
 *
 * @example
 * ```ts
 * // the public free function of an op validates its arguments, then dispatches
 * export function mul(a: TensorLike, b: TensorLike): Tensor {
 *   return dispatch(mulOp, operands(a, b, 'mul'), NO_ATTRS);
 * }
 * ```
 */
export function dispatch<A>(def: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const out = def.infer(inputs, attrs);
  const backend = getBackend();
  let result: Tensor | undefined;
  if (backend !== 'cpu') {
    const k = def.kernels[backend];
    if (k) result = k(inputs, attrs, out);
  }
  result ??= def.kernels.cpu(inputs, attrs, out);
  if (result === undefined) throw new Error(`internal: cpu kernel of '${def.name}' declined`);
  if (recorder) recorder(def as OpDef<any>, inputs, attrs, result);
  return result;
}

/**
 * Runs one op with a specific backend's kernel only (used by parity tests and benchmarks).
 *
 * @example
 * ```ts
 * const a = rand([64, 64], rng(0));
 * const viaWasm = runKernel(OPS.matmul, 'wasm', [a, a], {}); // undefined when wasm declines
 * ```
 */
export function runKernel<A>(def: OpDef<A>, backend: BackendName, inputs: readonly Tensor[], attrs: A): Tensor | undefined {
  const out = def.infer(inputs, attrs);
  const k = backend === 'cpu' ? def.kernels.cpu : def.kernels[backend];
  return k ? k(inputs, attrs, out) : undefined;
}

/**
 * Helper to declare an op with its attribute type inferred.
 *
 * @example
 * ```ts
 * export const mulOp = defineOp<Record<string, never>>({
 *   name: 'mul',
 *   infer: binaryInfer('mul'),
 *   kernels: { cpu: binaryKernel((a, b) => a * b) },
 *   vjp: (g, { inputs: [a, b], needs }) => [needs[0] ? mul(g, b!) : null, needs[1] ? mul(g, a!) : null],
 *   spec: binarySpec((a, b) => a * b),
 * });
 * ```
 */
export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  return def;
}
