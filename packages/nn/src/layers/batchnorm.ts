import { ArgumentError, Tensor, add, allocate, checkOptionKeys, describe, div, mul, ones, optionKeys, reshape, sqrt, sub, sum, zeros, type DType } from '@pathgrad/tensor';
import { Module, Parameter } from '../module.js';
import { describeShape } from '../tensorUtil.js';
import { checkPositiveInt } from './checks.js';

/**
 * Options of {@link BatchNorm2d}.
 * @example
 * ```ts
 * new BatchNorm2d(16, { eps: 1e-3, momentum: 0.01 });
 * ```
 */
export interface BatchNorm2dOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1); `null` = cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` and shift `bias` (default true). */
  affine?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

const BATCH_NORM_KEYS = optionKeys<BatchNorm2dOptions>({ eps: true, momentum: true, affine: true, dtype: true });

/**
 * Batch normalisation over `[N, C, H, W]` per channel, as PyTorch's `BatchNorm2d`. In
 * training it normalises with the batch mean and biased variance and updates
 * `running_mean`/`running_var` (the latter with the unbiased variance, as PyTorch) and
 * `num_batches_tracked`; in eval it uses the running statistics. Buffers carry PyTorch's
 * names so state dicts move between the two unchanged.
 * @example
 * ```ts
 * const bn = new BatchNorm2d(16);
 * bn.eval().forward(x); // (x - running_mean) / sqrt(running_var + eps) * weight + bias
 * ```
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  /** Per-channel scale `[C]` (null without affine). */
  weight: Parameter | null;
  /** Per-channel shift `[C]` (null without affine). */
  bias: Parameter | null;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    const { eps = 1e-5, momentum = 0.1, affine = true, dtype = 'float32' } = checkOptionKeys(options, BATCH_NORM_KEYS, 'BatchNorm2d');
    this.numFeatures = checkPositiveInt(numFeatures, 'numFeatures', 'BatchNorm2d');
    if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new ArgumentError(`BatchNorm2d: eps must be a finite number >= 0, got ${describe(eps)}`);
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
      throw new ArgumentError(`BatchNorm2d: momentum must be in [0, 1] or null, got ${describe(momentum)}`);
    }
    this.eps = eps;
    this.momentum = momentum;
    this.weight = affine ? new Parameter(ones([numFeatures], dtype)) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures], dtype)) : null;
    this.registerBuffer('running_mean', zeros([numFeatures], dtype));
    this.registerBuffer('running_var', ones([numFeatures], dtype));
    this.registerBuffer('num_batches_tracked', zeros([], 'int32'));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.numFeatures) {
      throw new ArgumentError(`BatchNorm2d.forward: input must be [N, ${this.numFeatures}, H, W], got ${describeShape(x.shape)}`);
    }
    const c = this.numFeatures;
    const perChannel = [1, c, 1, 1];
    let mean: Tensor;
    let variance: Tensor;
    if (this.training) {
      const n = x.size / c;
      if (n <= 1) throw new ArgumentError(`BatchNorm2d.forward: expected more than 1 value per channel when training, got input ${describeShape(x.shape)}`);
      mean = div(sum(x, { axis: [0, 2, 3], keepDims: true }), n);
      const centred = sub(x, mean);
      variance = div(sum(mul(centred, centred), { axis: [0, 2, 3], keepDims: true }), n);
      this.updateRunningStats(mean, variance, n);
    } else {
      mean = reshape(this.getBuffer('running_mean'), perChannel);
      variance = reshape(this.getBuffer('running_var'), perChannel);
    }
    let y = div(sub(x, mean), sqrt(add(variance, this.eps)));
    if (this.weight) y = mul(y, reshape(this.weight.value, perChannel));
    if (this.bias) y = add(y, reshape(this.bias.value, perChannel));
    return y;
  }

  /** Plain-array update of the buffers, so it never enters a gradient tape. */
  private updateRunningStats(mean: Tensor, variance: Tensor, n: number): void {
    const tracked = this.getBuffer('num_batches_tracked').item() + 1;
    const count = allocate('int32', 1);
    count[0] = tracked;
    this.registerBuffer('num_batches_tracked', new Tensor(count, [], 'int32'));
    const m = this.momentum === null ? 1 / tracked : this.momentum;
    const rm = this.getBuffer('running_mean');
    const rv = this.getBuffer('running_var');
    const bm = mean.toTypedArray();
    const bv = variance.toTypedArray();
    const newMean = allocate(rm.dtype, this.numFeatures);
    const newVar = allocate(rv.dtype, this.numFeatures);
    const oldMean = rm.toTypedArray();
    const oldVar = rv.toTypedArray();
    const unbias = n / (n - 1);
    for (let i = 0; i < this.numFeatures; i++) {
      newMean[i] = (1 - m) * oldMean[i]! + m * bm[i]!;
      newVar[i] = (1 - m) * oldVar[i]! + m * bv[i]! * unbias;
    }
    this.registerBuffer('running_mean', new Tensor(newMean, rm.shape, rm.dtype));
    this.registerBuffer('running_var', new Tensor(newVar, rv.shape, rv.dtype));
  }
}
