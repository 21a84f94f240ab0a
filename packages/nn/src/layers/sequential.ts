import { ArgumentError, type Tensor } from '@pathgrad/tensor';
import { Module } from '../module.js';
import { ReLU } from './activation.js';
import { Conv2d } from './conv2d.js';
import { MaxPool2d } from './pooling.js';
import { Linear } from './linear.js';

/**
 * Modules applied in order; children are named `0`, `1`, `2`, ... as PyTorch's
 * `nn.Sequential`, so parameter names (`0.weight`, `3.bias`) match PyTorch state dicts.
 * @example
 * ```ts
 * const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * net.namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export class Sequential extends Module {
  private readonly _layers: Module[];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new ArgumentError(`Sequential: argument ${i} must be a Module, got ${typeof m}`);
      this.registerModule(String(i), m);
    });
    this._layers = modules;
  }

  /** Number of children. */
  get length(): number {
    return this._layers.length;
  }

  /**
   * The child at position `i` (negative counts from the end).
   * @example
   * ```ts
   * net.at(-1); // the last layer
   * ```
   */
  at(i: number): Module {
    const m = this._layers.at(i);
    if (m === undefined || !Number.isInteger(i)) {
      throw new ArgumentError(`Sequential.at: index must be an integer in [${-this._layers.length}, ${this._layers.length - 1}], got ${i}`);
    }
    return m;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    const layers = this._layers;
    for (let i = 0; i < layers.length; i++) {
      const m = layers[i]!;
      const pool = layers[i + 2];
      if (i + 2 < layers.length && m instanceof Conv2d && fusesWithRelu(m, layers[i + 1]!) && pool instanceof MaxPool2d && pool.forward === MaxPool2d.prototype.forward) {
        // Conv2d, ReLU, MaxPool2d as one op: the full-size activations never leave the kernel
        y = m._forwardReluMaxPool(y, pool);
        i += 2;
      } else if (i + 1 < layers.length && fusesWithRelu(m, layers[i + 1]!)) {
        // Linear or Conv2d then ReLU as one op (one tape node, the bias and ReLU applied in
        // the kernel's epilogue); both children stay, with their names and parameters
        y = (m as Linear | Conv2d)._forwardRelu(y);
        i++;
      } else {
        y = m.forward(y);
      }
    }
    return y;
  }
}

/**
 * True when `m` is a Linear or Conv2d and `next` a ReLU that both run their own class's forward: a
 * forward hook (`withForwardHook` shadows `forward` on the instance) or a subclass that
 * overrides it must see the separate calls, so those are never fused.
 */
function fusesWithRelu(m: Module, next: Module): boolean {
  const fusable = (m instanceof Linear && m.forward === Linear.prototype.forward) || (m instanceof Conv2d && m.forward === Conv2d.prototype.forward);
  return fusable && next instanceof ReLU && next.forward === ReLU.prototype.forward;
}
