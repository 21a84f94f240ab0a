/**
 * The MNIST model zoo: the two architectures of the issue with PyTorch's child names,
 * freshly initialised or with the shipped pretrained weights (`{ pretrained: true }`).
 */
import { ArgumentError, ShapeError, checkOptionKeys, optionKeys, reshape, type Tensor } from '@pathgrad/tensor';
import { toRng, type RngOrSeed } from './init.js';
import { loadSafetensors } from './io/safetensors.js';
import { Conv2d } from './layers/conv2d.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { MaxPool2d } from './layers/pooling.js';
import { ReLU } from './layers/activation.js';
import { Sequential } from './layers/sequential.js';
import { pretrainedBytes, type PretrainedName } from './pretrainedBytes.js';
import { describeShape } from './tensorUtil.js';

/**
 * Options of the zoo constructors.
 * @example
 * ```ts
 * mnistCnn({ seed: 42 }); // a fresh model, PyTorch's default init from seed 42
 * mnistCnn({ pretrained: true }); // the shipped trained weights, in eval mode
 * ```
 */
export interface ZooOptions {
  /** Generator or seed for PyTorch's default init of every layer (default seed 0). */
  seed?: RngOrSeed;
  /**
   * Load the shipped pretrained weights (as `loadPretrained`) and return the model in
   * eval mode (default false: a freshly initialised model in training mode). Together
   * with `seed` it is refused, as the seed would have no effect.
   */
  pretrained?: boolean;
}

const ZOO_KEYS = optionKeys<ZooOptions>({ seed: true, pretrained: true });

/** Validated zoo options: the init seed and whether to load the shipped weights. */
function zooOptions(options: ZooOptions, where: string): { seed: RngOrSeed; pretrained: boolean } {
  const { seed, pretrained = false } = checkOptionKeys(options, ZOO_KEYS, where);
  if (typeof pretrained !== 'boolean') throw new ArgumentError(`${where}: pretrained must be true or false, got ${String(pretrained)}`);
  if (pretrained && seed !== undefined) {
    throw new ArgumentError(`${where}: seed has no effect with pretrained: true (the weights are loaded, not initialised); pass one or the other`);
  }
  return { seed: seed ?? 0, pretrained };
}

/** Loads the shipped weights of `name` into `model` and switches it to eval mode. */
function loadShipped<M extends Sequential>(model: M, name: PretrainedName): M {
  model.loadStateDict(loadSafetensors(pretrainedBytes(name)).tensors);
  return model.eval();
}

/**
 * The MNIST MLP: flattens `[N, 1, 28, 28]` (or `[N, 784]`) to `[N, 784]`, then
 * Linear 784->128, ReLU, Linear 128->64, ReLU, Linear 64->10. The flatten is part of
 * `forward`, not a child, so parameters are `0.*`, `2.*`, `4.*` exactly as the PyTorch
 * `nn.Sequential` that is applied to `x.flatten(1)`.
 * @example
 * ```ts
 * const mlp = new MnistMlp();
 * mlp.forward(zeros([2, 1, 28, 28])).shape; // [2, 10]
 * ```
 */
export class MnistMlp extends Sequential {
  constructor(options: ZooOptions = {}) {
    const { seed, pretrained } = zooOptions(options, 'MnistMlp');
    const g = toRng(seed, 'mnistMlp');
    super(new Linear(784, 128, { rng: g }), new ReLU(), new Linear(128, 64, { rng: g }), new ReLU(), new Linear(64, 10, { rng: g }));
    if (pretrained) loadShipped(this, 'mnist-mlp');
  }

  override forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.size !== (x.shape[0] ?? 0) * 784) {
      throw new ShapeError(`MnistMlp.forward: input must be [N, 1, 28, 28] or [N, 784], got ${describeShape(x.shape)}`);
    }
    return super.forward(reshape(x, [x.shape[0]!, 784]));
  }
}

/**
 * A new MNIST MLP with PyTorch's default init from `seed`, or with the shipped weights
 * when `pretrained` is true.
 * @example
 * ```ts
 * mnistMlp().namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']
 * mnistMlp({ pretrained: true }).training; // false (eval mode)
 * ```
 */
export function mnistMlp(options: ZooOptions = {}): MnistMlp {
  zooOptions(options, 'mnistMlp');
  return new MnistMlp(options);
}

/**
 * A new MNIST CNN: Conv2d 1->16 5x5, ReLU, MaxPool2d 2, Conv2d 16->32 5x5, ReLU,
 * MaxPool2d 2, Flatten, Linear 512->64, ReLU, Linear 64->10, as a `Sequential` whose
 * parameters are `0.*`, `3.*`, `7.*`, `9.*`. Input `[N, 1, 28, 28]`. PyTorch's default init
 * from `seed`, or the shipped trained weights (eval mode) with `{ pretrained: true }`.
 * @example
 * ```ts
 * mnistCnn().forward(zeros([2, 1, 28, 28])).shape; // [2, 10]
 * mnistCnn({ pretrained: true }); // the same as loadPretrained('mnist-cnn')
 * ```
 */
export function mnistCnn(options: ZooOptions = {}): Sequential {
  const { seed, pretrained } = zooOptions(options, 'mnistCnn');
  const g = toRng(seed, 'mnistCnn');
  const model = new Sequential(
    new Conv2d(1, 16, 5, { rng: g }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 5, { rng: g }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(512, 64, { rng: g }),
    new ReLU(),
    new Linear(64, 10, { rng: g }),
  );
  return pretrained ? loadShipped(model, 'mnist-cnn') : model;
}
