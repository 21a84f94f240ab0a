import type * as FastCheck from 'fast-check';
import { getBackend, type BackendName } from './backend.js';
import type { DType } from './dtype.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/** Shape and dtype of an op's output, as computed by its shape rule. */
export interface OutputInfo {
  shape: Shape;
  dtype: DType;
}

/**
 * A kernel computes an op's output on one backend. It may return `undefined` to decline
 * (for example a float32-only kernel given float64), and the op then runs on `cpu`.
 */
export type Kernel<A> = (inputs: readonly Tensor[], attrs: A, out: OutputInfo) => Tensor | undefined;

/** What a vector-Jacobian product sees. */
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
 */
export type Vjp<A> = (g: Tensor, ctx: VjpContext<A>) => readonly (Tensor | null)[];

/** A sample for the generic tests: inputs (float64) and attributes. */
export interface OpSample<A> {
  inputs: Tensor[];
  attrs: A;
}

/**
 * How the generic tests exercise an op: random inputs, and a naive float64 reference
 * computed independently of the kernels.
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

/** A differentiable op carries its VJP. */
export interface DifferentiableOpDef<A> extends OpDefBase<A> {
  vjp: Vjp<A>;
  differentiable?: true;
}

/** A non-differentiable op says so and why (argmax, comparisons, integer casts). */
export interface NonDifferentiableOpDef<A> extends OpDefBase<A> {
  differentiable: false;
  /** Why it has no gradient. */
  why: string;
}

/**
 * The one definition of an op: shape rule, kernels, backward and test spec together.
 * Omitting both `vjp` and `differentiable: false` is a compile error.
 */
export type OpDef<A = Record<string, never>> = DifferentiableOpDef<A> | NonDifferentiableOpDef<A>;

/** Called for every op dispatched while a recorder is installed (autograd's tape). */
export type OpRecorder = (def: OpDef<any>, inputs: readonly Tensor[], attrs: unknown, output: Tensor) => void;

let recorder: OpRecorder | null = null;

/**
 * Installs (or removes, with `null`) the hook that sees every dispatched op. tensor knows
 * nothing about gradients; autograd installs a recorder while a gradient is being taken.
 * Returns the previous recorder so callers can restore it.
 */
export function setOpRecorder(r: OpRecorder | null): OpRecorder | null {
  const prev = recorder;
  recorder = r;
  return prev;
}

/** The recorder currently installed, if any. */
export function getOpRecorder(): OpRecorder | null {
  return recorder;
}

/** Runs one op: shape rule, then the current backend's kernel (or cpu's), then the recorder. */
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

/** Runs one op with a specific backend's kernel only (used by parity tests and benchmarks). */
export function runKernel<A>(def: OpDef<A>, backend: BackendName, inputs: readonly Tensor[], attrs: A): Tensor | undefined {
  const out = def.infer(inputs, attrs);
  const k = backend === 'cpu' ? def.kernels.cpu : def.kernels[backend];
  return k ? k(inputs, attrs, out) : undefined;
}

/** Helper to declare an op with its attribute type inferred. */
export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  return def;
}
