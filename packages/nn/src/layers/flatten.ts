import { normalizeAxis, reshape, type Tensor } from '@pathgrad/tensor';
import { Module } from '../module.js';

/**
 * Flattens dimensions `startDim..endDim` into one (PyTorch's `Flatten`, default `1..-1`,
 * so `[N, C, H, W]` becomes `[N, C*H*W]`). A view, no copy, for contiguous input.
 * @example
 * ```ts
 * new Flatten().forward(zeros([2, 32, 4, 4])).shape; // [2, 512]
 * ```
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    if (x.rank === 0) return reshape(x, [1]);
    const s = normalizeAxis(this.startDim, x.rank, 'Flatten startDim');
    const e = normalizeAxis(this.endDim, x.rank, 'Flatten endDim');
    if (s > e) return x;
    let merged = 1;
    for (let i = s; i <= e; i++) merged *= x.shape[i]!;
    return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
  }
}
