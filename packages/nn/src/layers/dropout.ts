import { ArgumentError, Tensor, allocate, describe, mul, type Rng } from '@pathgrad/tensor';
import { toRng, type RngOrSeed } from '../init.js';
import { Module } from '../module.js';

/**
 * Dropout with inverted scaling: in training each element is zeroed with probability `p`
 * and the survivors are scaled by `1 / (1 - p)`, so evaluation is the identity. The mask
 * comes from a seeded generator (advanced on every training call), never global randomness.
 * @example
 * ```ts
 * const drop = new Dropout(0.5, rng(0));
 * drop.eval().forward(x); // x itself
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly _rng: Rng;

  constructor(p = 0.5, generator?: RngOrSeed) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be a probability in [0, 1], got ${describe(p)}`);
    this.p = p;
    this._rng = toRng(generator, 'Dropout');
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const dtype = x.dtype === 'float64' ? 'float64' : 'float32';
    const mask = allocate(dtype, x.size);
    // p = 1 drops everything (PyTorch returns zeros rather than 0 * inf).
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < mask.length; i++) mask[i] = this._rng.uniform() < this.p ? 0 : scale;
    return mul(x, new Tensor(mask, x.shape, dtype));
  }
}
