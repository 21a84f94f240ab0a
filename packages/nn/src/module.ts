/**
 * Parameter and Module: the mutable shell around immutable tensors. A model's learnable
 * state lives in `Parameter.value`; an optimizer step swaps in a new tensor. Because the
 * forward pass reads exactly those tensor objects, differentiating a closure over
 * `p.value` (the autograd tape watches tensors by identity) gives parameter gradients.
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, checkOptionKeys, isFloat, optionKeys, type DType } from '@pathgrad/tensor';
import { convertDType, describeShape } from './tensorUtil.js';

/**
 * A learnable tensor slot of a module. Tensors are immutable, so training replaces
 * `value` rather than writing into it.
 *
 * @example
 * ```ts
 * const p = new Parameter(zeros([3]));
 * p.value = p.value.add(1); // an optimizer step in miniature
 * ```
 */
export class Parameter {
  /** The current tensor. */
  value: Tensor;

  /** Wraps a tensor. */
  constructor(value: Tensor) {
    this.value = value;
  }

  /** Shape of the current value. */
  get shape(): readonly number[] {
    return this.value.shape;
  }
}

/**
 * What `loadStateDict` reports when `strict` is false (and verifies when it is true).
 * @example
 * ```ts
 * const { missingKeys } = model.loadStateDict(sd, { strict: false });
 * ```
 */
export interface LoadStateDictResult {
  /** Keys the module expects but the state dict lacks. */
  missingKeys: string[];
  /** Keys in the state dict the module does not have. */
  unexpectedKeys: string[];
}

/**
 * A hook that sees a module's input and output and may replace the output.
 * @example
 * ```ts
 * const capture: ForwardHook = (_input, output) => { saved = output; };
 * ```
 */
export type ForwardHook = (input: Tensor, output: Tensor) => Tensor | void;

/**
 * Base class of every layer and model. Subclasses implement `forward`. Children and
 * parameters are found two ways, giving PyTorch's names: explicitly registered ones
 * (`registerModule`, `registerParameter`, in registration order; `Sequential` uses these
 * for `0`, `1`, ...), then any own field holding a `Module` or `Parameter` (in definition
 * order; names starting with `_` are private and skipped). Buffers (non-learnable state
 * such as BatchNorm's running statistics) are registered with `registerBuffer`.
 *
 * @example
 * ```ts
 * class TwoLayer extends Module {
 *   fc1 = new Linear(4, 8, { seed: 0 });
 *   fc2 = new Linear(8, 2, { seed: 1 });
 *   forward(x: Tensor): Tensor { return this.fc2.forward(relu(this.fc1.forward(x))); }
 * }
 * new TwoLayer().namedParameters().map(([n]) => n); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module {
  /** True in training mode (Dropout masks, BatchNorm uses batch statistics). */
  training = true;
  private readonly _registeredModules = new Map<string, Module>();
  private readonly _registeredParameters = new Map<string, Parameter | null>();
  private readonly _buffers = new Map<string, Tensor>();

  /** The computation: a function of tensors built from differentiable ops. */
  abstract forward(x: Tensor): Tensor;

  /**
   * Registers a child module under `name` (PyTorch's `add_module`).
   * @example
   * ```ts
   * seq.registerModule('0', new ReLU());
   * ```
   */
  registerModule<M extends Module>(name: string, module: M): M {
    checkName(name, 'registerModule');
    if (!(module instanceof Module)) throw new ArgumentError(`registerModule: module must be a Module, got ${typeof module}`);
    this._registeredModules.set(name, module);
    return module;
  }

  /**
   * Registers a parameter under `name` (`null` registers an absent one, like `bias=False`).
   * @example
   * ```ts
   * this.registerParameter('scale', new Parameter(ones([1])));
   * ```
   */
  registerParameter(name: string, parameter: Parameter | null): Parameter | null {
    checkName(name, 'registerParameter');
    this._registeredParameters.set(name, parameter);
    return parameter;
  }

  /**
   * Registers (or replaces) a buffer: state saved in `stateDict` but not learned.
   * @example
   * ```ts
   * this.registerBuffer('running_mean', zeros([16]));
   * ```
   */
  registerBuffer(name: string, value: Tensor): void {
    checkName(name, 'registerBuffer');
    this._buffers.set(name, value);
  }

  /**
   * The buffer registered under `name`.
   * @example
   * ```ts
   * bn.getBuffer('running_var').toArray();
   * ```
   */
  getBuffer(name: string): Tensor {
    const b = this._buffers.get(name);
    if (b === undefined) throw new ArgumentError(`getBuffer: no buffer named ${JSON.stringify(name)}; buffers are [${[...this._buffers.keys()].join(', ')}]`);
    return b;
  }

  /**
   * Direct children as `[name, module]` pairs.
   * @example
   * ```ts
   * mnistCnn().namedChildren().map(([n]) => n); // ['0', '1', ..., '9']
   * ```
   */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [...this._registeredModules];
    const seen = new Set<Module>(this._registeredModules.values());
    for (const [k, v] of Object.entries(this)) {
      if (k.startsWith('_') || !(v instanceof Module) || seen.has(v)) continue;
      seen.add(v);
      out.push([k, v]);
    }
    return out;
  }

  /** This module's own parameters (not its children's), `null` entries skipped. */
  private ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [k, v] of this._registeredParameters) {
      if (v !== null && !seen.has(v)) {
        seen.add(v);
        out.push([k, v]);
      }
    }
    for (const [k, v] of Object.entries(this)) {
      if (k.startsWith('_') || !(v instanceof Parameter) || seen.has(v) || this._registeredParameters.has(k)) continue;
      seen.add(v);
      out.push([k, v]);
    }
    return out;
  }

  /**
   * Every module in the tree, depth first, as `[dottedName, module]`; the root is `''`.
   * @example
   * ```ts
   * mnistCnn().namedModules()[1]; // ['0', Conv2d]
   * ```
   */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (prefix: string, m: Module): void => {
      if (seen.has(m)) return; // a shared module is listed once, as in PyTorch
      seen.add(m);
      out.push([prefix, m]);
      for (const [name, child] of m.namedChildren()) visit(prefix === '' ? name : `${prefix}.${name}`, child);
    };
    visit('', this);
    return out;
  }

  /**
   * Every parameter with its PyTorch name (`0.weight`, `features.3.bias`); a parameter
   * shared by two modules is listed once.
   * @example
   * ```ts
   * mnistMlp().namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', ...]
   * ```
   */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix === '' ? name : `${prefix}.${name}`, p]);
      }
    }
    return out;
  }

  /**
   * Every parameter, in `namedParameters` order (what an optimizer takes).
   * @example
   * ```ts
   * const opt = new Adam(model.parameters(), { lr: 1e-3 });
   * ```
   */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Every buffer with its dotted name (`1.running_mean`).
   * @example
   * ```ts
   * new BatchNorm2d(3).namedBuffers().map(([n]) => n); // ['running_mean', 'running_var', 'num_batches_tracked']
   * ```
   */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m._buffers) out.push([prefix === '' ? name : `${prefix}.${name}`, b]);
    }
    return out;
  }

  /**
   * The descendant at a dotted path (`'features.3'`); `''` is this module.
   * @example
   * ```ts
   * mnistCnn().getSubmodule('3'); // the second Conv2d
   * ```
   */
  getSubmodule(name: string): Module {
    if (typeof name !== 'string') throw new ArgumentError(`getSubmodule: name must be a string, got ${typeof name}`);
    if (name === '') return this;
    let m: Module = this;
    const parts = name.split('.');
    for (let i = 0; i < parts.length; i++) {
      const child = m.namedChildren().find(([n]) => n === parts[i]);
      if (!child) {
        const have = m.namedChildren().map(([n]) => n);
        throw new ArgumentError(
          `getSubmodule: no submodule ${JSON.stringify(parts.slice(0, i + 1).join('.'))} in ${JSON.stringify(name)}; children there are [${have.join(', ')}]`,
        );
      }
      m = child[1];
    }
    return m;
  }

  /**
   * Switches this module and all descendants to training mode (or eval with `false`).
   * @example
   * ```ts
   * model.train(); // Dropout active, BatchNorm updates running stats
   * ```
   */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /**
   * Switches to evaluation mode (`train(false)`).
   * @example
   * ```ts
   * model.eval(); // deterministic inference
   * ```
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Parameters and buffers by PyTorch name, in PyTorch's order (each module's own
   * parameters, then its buffers, then its children). The tensors are the live ones
   * (immutable, so sharing them is safe).
   * @example
   * ```ts
   * saveSafetensors(model.stateDict());
   * ```
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const seenParams = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      const at = (n: string): string => (prefix === '' ? n : `${prefix}.${n}`);
      for (const [name, p] of m.ownParameters()) {
        if (seenParams.has(p)) continue;
        seenParams.add(p);
        out[at(name)] = p.value;
      }
      for (const [name, b] of m._buffers) out[at(name)] = b;
    }
    return out;
  }

  /**
   * Loads parameters and buffers by name. Shapes must match exactly; float tensors are
   * converted to the parameter's dtype (as PyTorch's `copy_`), integer tensors are refused
   * for float parameters. With `strict` (default) missing or unexpected keys throw;
   * otherwise they are reported. Nothing is changed unless every check passes.
   * @example
   * ```ts
   * model.loadStateDict(loadSafetensors(bytes).tensors);
   * ```
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadStateDictResult {
    const { strict = true } = checkOptionKeys(options, optionKeys<{ strict?: boolean }>({ strict: true }), 'loadStateDict');
    if (typeof stateDict !== 'object' || stateDict === null) {
      throw new ArgumentError(`loadStateDict: stateDict must be an object of tensors, got ${stateDict === null ? 'null' : typeof stateDict}`);
    }
    type Slot = { kind: 'param'; p: Parameter } | { kind: 'buffer'; m: Module; name: string };
    const slots = new Map<string, Slot>();
    const seenParams = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      const at = (n: string): string => (prefix === '' ? n : `${prefix}.${n}`);
      for (const [name, p] of m.ownParameters()) {
        if (seenParams.has(p)) continue;
        seenParams.add(p);
        slots.set(at(name), { kind: 'param', p });
      }
      for (const name of m._buffers.keys()) slots.set(at(name), { kind: 'buffer', m, name });
    }
    const missingKeys = [...slots.keys()].filter((k) => !Object.hasOwn(stateDict, k));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !slots.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length > 0) parts.push(`missing keys [${missingKeys.join(', ')}]`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys [${unexpectedKeys.join(', ')}]`);
      throw new ArgumentError(`loadStateDict: ${parts.join('; ')} (expected keys [${[...slots.keys()].join(', ')}])`);
    }
    // Validate everything first so a failed load leaves the module untouched.
    const updates: (() => void)[] = [];
    for (const [key, slot] of slots) {
      if (!Object.hasOwn(stateDict, key)) continue;
      const t = stateDict[key];
      const current = slot.kind === 'param' ? slot.p.value : slot.m.getBuffer(slot.name);
      if (t === null || typeof t !== 'object' || !('shape' in t) || !('dtype' in t)) {
        throw new ArgumentError(`loadStateDict: ${JSON.stringify(key)} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
      }
      if (t.shape.length !== current.shape.length || t.shape.some((d, i) => d !== current.shape[i])) {
        throw new ShapeError(`loadStateDict: ${JSON.stringify(key)} expected shape ${describeShape(current.shape)}, got ${describeShape(t.shape)}`);
      }
      if (isFloat(current.dtype) && !isFloat(t.dtype)) {
        throw new DTypeError(`loadStateDict: ${JSON.stringify(key)} expected a float tensor (${current.dtype}), got ${t.dtype}`);
      }
      const value = convertDType(t, current.dtype);
      if (slot.kind === 'param') updates.push(() => (slot.p.value = value));
      else updates.push(() => slot.m._buffers.set(slot.name, value));
    }
    for (const u of updates) u();
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Converts every float parameter and float buffer to `dtype` in place (integer buffers
   * such as `num_batches_tracked` keep theirs) and returns this module.
   * @example
   * ```ts
   * const model64 = loadPretrained('mnist-mlp').to('float64');
   * ```
   */
  to(dtype: DType): this {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new DTypeError(`to: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
    }
    for (const p of this.parameters()) p.value = convertDType(p.value, dtype);
    for (const [, m] of this.namedModules()) {
      for (const [name, b] of m._buffers) if (isFloat(b.dtype)) m._buffers.set(name, convertDType(b, dtype));
    }
    return this;
  }

  /**
   * Runs `forward`; the same as calling it, offered so a module reads like a function.
   * @example
   * ```ts
   * const logits = model.call(images);
   * ```
   */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }
}

function checkName(name: string, where: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new ArgumentError(`${where}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
  }
}

/**
 * Runs `fn` with `hook` attached to `module.forward`: every call of that module's forward
 * while `fn` runs (also from a parent such as `Sequential`) passes its input and output to
 * `hook`, and a tensor returned by the hook replaces the output. The hook is removed when
 * `fn` returns or throws, so no global state outlives the call.
 *
 * @example
 * ```ts
 * const model = mnistCnn();
 * let activation: Tensor | undefined;
 * withForwardHook(model.getSubmodule('3'), (_in, out) => { activation = out; }, () => model.forward(x));
 * ```
 */
export function withForwardHook<T>(module: Module, hook: ForwardHook, fn: () => T): T {
  if (!(module instanceof Module)) throw new ArgumentError(`withForwardHook: module must be a Module, got ${typeof module}`);
  if (typeof hook !== 'function') throw new ArgumentError(`withForwardHook: hook must be a function, got ${typeof hook}`);
  if (typeof fn !== 'function') throw new ArgumentError(`withForwardHook: fn must be a function, got ${typeof fn}`);
  // Shadow `forward` with an own property and restore what was there, so nested hooks
  // on the same module compose and unwind in order.
  const hadOwn = Object.hasOwn(module, 'forward');
  const previous = module.forward;
  const hooked = function (this: Module, x: Tensor): Tensor {
    const out = previous.call(this, x);
    const replaced = hook(x, out);
    if (replaced === undefined) return out;
    if (!(replaced instanceof Tensor)) {
      throw new ArgumentError(`withForwardHook: hook must return a Tensor or nothing, got ${typeof replaced}`);
    }
    return replaced;
  };
  Object.defineProperty(module, 'forward', { value: hooked, configurable: true, writable: true, enumerable: false });
  try {
    return fn();
  } finally {
    if (hadOwn) Object.defineProperty(module, 'forward', { value: previous, configurable: true, writable: true, enumerable: false });
    else delete (module as { forward?: unknown }).forward;
  }
}
