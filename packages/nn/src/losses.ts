/**
 * Losses as PyTorch's `torch.nn.functional` ones, built from differentiable ops so that
 * `valueAndGrad` of a loss gives parameter gradients.
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, checkOptionKeys, describe, gather, isFloat, logSoftmax, mean, mul, neg, optionKeys, reshape, sub, sum } from '@pathgrad/tensor';
import { describeShape } from './tensorUtil.js';

/**
 * How per-example losses are combined: averaged (default), summed, or kept `[N]`.
 * @example
 * ```ts
 * crossEntropy(logits, labels, { reduction: 'none' }); // [N]
 * ```
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Options of the losses.
 * @example
 * ```ts
 * mse(pred, target, { reduction: 'sum' });
 * ```
 */
export interface LossOptions {
  /** Default `'mean'`. */
  reduction?: Reduction;
}

const LOSS_KEYS = optionKeys<LossOptions>({ reduction: true });

function reduce(perExample: Tensor, reduction: Reduction, where: string): Tensor {
  switch (reduction) {
    case 'mean':
      return mean(perExample);
    case 'sum':
      return sum(perExample);
    case 'none':
      return perExample;
    default:
      throw new ArgumentError(`${where}: reduction must be 'mean', 'sum' or 'none', got ${describe(reduction)}`);
  }
}

function checkClassInputs(scores: Tensor, targets: Tensor, where: string, scoresName: string): void {
  if (!(scores instanceof Tensor)) throw new ArgumentError(`${where}: ${scoresName} must be a Tensor, got ${describe(scores)}`);
  if (!(targets instanceof Tensor)) throw new ArgumentError(`${where}: targets must be an int32 Tensor, got ${describe(targets)}`);
  if (scores.rank !== 2) throw new ShapeError(`${where}: ${scoresName} must be [N, C], got ${describeShape(scores.shape)}`);
  if (!isFloat(scores.dtype)) throw new DTypeError(`${where}: ${scoresName} must be float32 or float64, got ${scores.dtype}`);
  if (targets.dtype !== 'int32') throw new DTypeError(`${where}: targets must be int32 class indices, got ${targets.dtype}`);
  const [n, c] = scores.shape as [number, number];
  if (targets.rank !== 1 || targets.shape[0] !== n) {
    throw new ShapeError(`${where}: targets must be [${n}] to match ${scoresName} ${describeShape(scores.shape)}, got ${describeShape(targets.shape)}`);
  }
  const t = targets.toTypedArray();
  for (let i = 0; i < t.length; i++) {
    const v = t[i]!;
    if (v < 0 || v >= c) throw new ArgumentError(`${where}: targets[${i}] must be a class index in [0, ${c - 1}], got ${v}`);
  }
}

/**
 * Negative log-likelihood of integer targets given log-probabilities `[N, C]`
 * (PyTorch's `nll_loss`): `-logProbs[i, targets[i]]`, then reduced.
 * @example
 * ```ts
 * nllLoss(logSoftmax(logits, 1), tensor([3, 1], { dtype: 'int32' }));
 * ```
 */
export function nllLoss(logProbs: Tensor, targets: Tensor, options: LossOptions = {}): Tensor {
  const { reduction = 'mean' } = checkOptionKeys(options, LOSS_KEYS, 'nllLoss');
  checkClassInputs(logProbs, targets, 'nllLoss', 'logProbs');
  const n = logProbs.shape[0]!;
  const picked = reshape(gather(logProbs, 1, reshape(targets, [n, 1])), [n]);
  return reduce(neg(picked), reduction, 'nllLoss');
}

/**
 * Cross-entropy from raw logits `[N, C]` and int32 class indices `[N]` (PyTorch's
 * `cross_entropy`), computed as `nllLoss(logSoftmax(logits))` so large logits never
 * overflow.
 * @example
 * ```ts
 * const loss = crossEntropy(model.forward(images), labels); // scalar, mean over the batch
 * ```
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: LossOptions = {}): Tensor {
  const { reduction = 'mean' } = checkOptionKeys(options, LOSS_KEYS, 'crossEntropy');
  checkClassInputs(logits, targets, 'crossEntropy', 'logits');
  return nllLoss(logSoftmax(logits, 1), targets, { reduction });
}

/**
 * Mean squared error between tensors of the same shape (PyTorch's `mse_loss`); with
 * `reduction: 'none'` the elementwise squared errors.
 * @example
 * ```ts
 * mse(tensor([1, 2]), tensor([1, 4])).item(); // 2
 * ```
 */
export function mse(predictions: Tensor, targets: Tensor, options: LossOptions = {}): Tensor {
  const { reduction = 'mean' } = checkOptionKeys(options, LOSS_KEYS, 'mse');
  if (!(predictions instanceof Tensor)) throw new ArgumentError(`mse: predictions must be a Tensor, got ${describe(predictions)}`);
  if (!(targets instanceof Tensor)) throw new ArgumentError(`mse: targets must be a Tensor, got ${describe(targets)}`);
  if (predictions.shape.length !== targets.shape.length || predictions.shape.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError(`mse: targets must have the predictions' shape ${describeShape(predictions.shape)}, got ${describeShape(targets.shape)}`);
  }
  const d = sub(predictions, targets);
  return reduce(mul(d, d), reduction, 'mse');
}
