/**
 * The tape: a flat list of the ops run while a gradient is being taken, replayed in reverse.
 *
 * tensor knows nothing about gradients; it calls one recorder hook for every op it
 * dispatches. This module installs that hook only while at least one tape is active and
 * routes each op to every active tape that watches one of its inputs (tfjs-style tape,
 * PyTorch-style "only what needs a gradient is recorded").
 */
import {
  add,
  ArgumentError,
  checkOptionKeys,
  describe,
  DTypeError,
  isFloat,
  optionKeys,
  PathgradError,
  setOpRecorder,
  shapesEqual,
  sumToShape,
  Tensor,
  zeros,
  type OpDef,
  type OpRecorder,
  type Vjp,
  type VjpContext,
} from '@pathgrad/tensor';
import { resolveOverride } from './overrides.js';

/** One recorded op: what its backward needs, nothing more. */
interface TapeNode {
  readonly name: string;
  readonly vjp: Vjp<any>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
  readonly output: Tensor;
  readonly needs: readonly boolean[];
}

/**
 * Options of {@link Tape.gradient}.
 *
 * @example
 * ```ts
 * const options: GradientOptions = { retain: true };
 * const [dx1] = tape.gradient([y], [onesLike(y)], [x], options);
 * const [dx2] = tape.gradient([y], [onesLike(y)], [x]); // allowed: the nodes were retained
 * ```
 */
export interface GradientOptions {
  /**
   * Keep the recorded nodes so `gradient` can be called again (vjp pullbacks). By default
   * every node is dropped as soon as it has been replayed, so saved tensors can be freed.
   */
  retain?: boolean;
}

const GRADIENT_KEYS = optionKeys<GradientOptions>({ retain: true });

// Tapes that currently record, innermost last. noGrad swaps in an empty stack.
let active: Tape[] = [];
let installed = false;
let previousRecorder: OpRecorder | null = null;

const recorder: OpRecorder = (def, inputs, attrs, output) => {
  // copy-free loop: this runs for every op while a gradient is being taken
  for (let i = 0; i < active.length; i++) active[i]!.recordOp(def, inputs, attrs, output);
};

/** Keeps the hook installed exactly while some tape is active (no cost otherwise). */
function syncRecorder(): void {
  if (active.length > 0 && !installed) {
    previousRecorder = setOpRecorder(recorder);
    installed = true;
  } else if (active.length === 0 && installed) {
    setOpRecorder(previousRecorder);
    previousRecorder = null;
    installed = false;
  }
}

/**
 * Runs `fn` with no tape recording: ops inside are invisible to every gradient being
 * taken around it. Tapes started inside `fn` (a `grad` called within) work normally.
 * @example
 * ```ts
 * const y = noGrad(() => mul(x, x)); // y is a constant to any enclosing grad
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const saved = active;
  active = [];
  syncRecorder();
  try {
    return fn();
  } finally {
    active = saved;
    syncRecorder();
  }
}

/**
 * True while some tape is recording (outside noGrad).
 *
 * @example
 * ```ts
 * isRecording(); // false
 * grad((x: Tensor) => {
 *   isRecording(); // true while the gradient is being taken
 *   return sum(x);
 * })(tensor([1, 2]));
 * ```
 */
export function isRecording(): boolean {
  return active.length > 0;
}

/**
 * Records a synthetic node (customGrad) on every active tape that watches one of `inputs`,
 * as if an op with this VJP had produced `output`.
 */
export function recordCustom(name: string, vjp: Vjp<any>, inputs: readonly Tensor[], output: Tensor): void {
  const def = { name, vjp } as unknown as OpDef<any>;
  for (let i = 0; i < active.length; i++) active[i]!.recordOp(def, inputs, undefined, output, vjp);
}

/**
 * A gradient tape. It watches some tensors (the ones being differentiated, by identity);
 * while active (inside {@link Tape.run}) it records every op that has a watched input, and
 * the op's output becomes watched in turn. {@link Tape.gradient} replays the recorded VJPs
 * in reverse, iteratively, accumulating fan-out by addition.
 *
 * Tapes nest: the VJP ops run by an inner tape's backward are recorded by the outer tapes,
 * which is what makes `grad(grad(f))` work. Most users want `grad`/`vjp` instead.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { dtype: 'float64' });
 * const tape = new Tape().watch(x);
 * const y = tape.run(() => sum(mul(x, x)));
 * const [dx] = tape.gradient([y], [onesLike(y)], [x]); // 2x
 * ```
 */
export class Tape {
  private nodes: (TapeNode | undefined)[] = [];
  private watched = new Set<Tensor>();
  private running = false;
  private consumed = false;

  /** Marks tensors as differentiated; only float tensors can be watched. */
  watch(...xs: Tensor[]): this {
    for (const x of xs) {
      if (!(x instanceof Tensor)) throw new ArgumentError(`Tape.watch: expected Tensors, got ${describe(x)}`);
      if (!isFloat(x.dtype)) {
        throw new DTypeError(`Tape.watch: cannot differentiate with respect to a ${x.dtype} tensor; only float32/float64 tensors have gradients`);
      }
      this.watched.add(x);
    }
    return this;
  }

  /** True when `x` was watched or produced by an op recorded on this tape. */
  isWatched(x: Tensor): boolean {
    return this.watched.has(x);
  }

  /** Number of recorded nodes (ops that will be replayed by the backward pass). */
  get size(): number {
    return this.nodes.length;
  }

  /** Makes this tape record while `fn` runs (nested inside any tapes already active). */
  run<T>(fn: () => T): T {
    active = [...active, this];
    syncRecorder();
    try {
      return fn();
    } finally {
      active = active.filter((t) => t !== this);
      syncRecorder();
    }
  }

  /** @internal Called by the recorder for every dispatched op. */
  recordOp(def: OpDef<any>, inputs: readonly Tensor[], attrs: unknown, output: Tensor, custom?: Vjp<any>): void {
    if (this.running) return;
    const watched = this.watched;
    let any = false;
    const needs = new Array<boolean>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const w = watched.has(inputs[i]!);
      needs[i] = w;
      if (w) any = true;
    }
    if (!any) return;
    // an op that hands back one of its inputs unchanged is an identity for gradients
    for (let i = 0; i < inputs.length; i++) if (inputs[i] === output) return;
    // integers carry no gradient (argmax, casts to int...)
    if (!isFloat(output.dtype)) return;
    const vjp: Vjp<any> | undefined = custom ?? resolveOverride(def.name) ?? ('vjp' in def ? def.vjp : undefined);
    if (vjp === undefined) return; // differentiable: false
    this.nodes.push({ name: def.name, vjp, inputs, attrs, output, needs });
    watched.add(output);
  }

  /**
   * Reverse pass: the gradients of `sum_i <outputs[i], seeds[i]>` with respect to each of
   * `wrt` (zeros of its shape and dtype where there is no path). Iterative: the tape is
   * already in execution order, so walking it backwards is a topological order. Without
   * `retain`, nodes are freed as they are replayed and the tape cannot be replayed again.
   */
  gradient(outputs: readonly Tensor[], seeds: readonly Tensor[], wrt: readonly Tensor[], opts: GradientOptions = {}): Tensor[] {
    checkOptionKeys(opts, GRADIENT_KEYS, 'Tape.gradient');
    if (this.running) throw new PathgradError('Tape.gradient: this tape is already running its backward pass');
    if (this.consumed) {
      throw new PathgradError('Tape.gradient: this tape was already replayed and freed; pass { retain: true } to replay a tape more than once');
    }
    const grads = new Map<Tensor, Tensor>();
    const accumulate = (t: Tensor, g: Tensor): void => {
      const prev = grads.get(t);
      grads.set(t, prev === undefined ? g : add(prev, g));
    };
    for (let i = 0; i < outputs.length; i++) accumulate(outputs[i]!, seeds[i]!);
    this.running = true;
    const nodes = this.nodes;
    const retain = opts.retain === true;
    try {
      for (let n = nodes.length - 1; n >= 0; n--) {
        const node = nodes[n];
        if (node === undefined) continue;
        if (!retain) nodes[n] = undefined; // drop saved references as we go
        const g = grads.get(node.output);
        if (g === undefined) continue; // no gradient reaches this node
        grads.delete(node.output);
        const ctx: VjpContext<unknown> = { inputs: node.inputs, output: node.output, attrs: node.attrs, needs: node.needs };
        const inGrads = node.vjp(g, ctx);
        for (let i = 0; i < node.inputs.length; i++) {
          if (!node.needs[i]) continue;
          const gi = inGrads[i];
          if (gi === null || gi === undefined) continue;
          accumulate(node.inputs[i]!, fitGradient(gi, node.inputs[i]!, node.name, i));
        }
      }
    } finally {
      this.running = false;
      if (!retain) {
        this.nodes = [];
        this.consumed = true;
      }
    }
    return wrt.map((w) => grads.get(w) ?? zeros(w.shape, w.dtype));
  }
}

/** Sums a broadcast gradient back to the input's shape and checks it fits. */
function fitGradient(g: Tensor, input: Tensor, opName: string, index: number): Tensor {
  if (!(g instanceof Tensor)) {
    throw new PathgradError(`backward of '${opName}': gradient for input ${index} must be a Tensor or null, got ${describe(g)}`);
  }
  let out = g;
  if (!shapesEqual(g.shape, input.shape)) {
    try {
      out = sumToShape(g, input.shape);
    } catch {
      out = g;
    }
    if (!shapesEqual(out.shape, input.shape)) {
      throw new PathgradError(
        `backward of '${opName}': gradient for input ${index} has shape [${g.shape.join(', ')}], which does not reduce to the input's shape [${input.shape.join(', ')}]`,
      );
    }
  }
  return out;
}
