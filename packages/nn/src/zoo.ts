/**
 * The MNIST model zoo: the two architectures of the issue with PyTorch's child names
 * (pretrained weights for them are in pretrained.ts).
 */
import { ShapeError, reshape, type Tensor } from '@pathgrad/tensor';
import { toRng, type RngOrSeed } from './init.js';
import { Conv2d } from './layers/conv2d.js';
import { Flatten } from './layers/flatten.js';
import { Linear } from './layers/linear.js';
import { MaxPool2d } from './layers/pooling.js';
import { ReLU } from './layers/activation.js';
import { Sequential } from './layers/sequential.js';
import { describeShape } from './tensorUtil.js';

/**
 * Options of the zoo constructors.
 * @example
 * ```ts
 * mnistCnn({ seed: 42 });
 * ```
 */
export interface ZooOptions {
  /** Generator or seed for PyTorch's default init of every layer (default seed 0). */
  seed?: RngOrSeed;
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
  constructor({ seed = 0 }: ZooOptions = {}) {
    const g = toRng(seed, 'mnistMlp');
    super(new Linear(784, 128, { rng: g }), new ReLU(), new Linear(128, 64, { rng: g }), new ReLU(), new Linear(64, 10, { rng: g }));
  }

  override forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.size !== (x.shape[0] ?? 0) * 784) {
      throw new ShapeError(`MnistMlp.forward: input must be [N, 1, 28, 28] or [N, 784], got ${describeShape(x.shape)}`);
    }
    return super.forward(reshape(x, [x.shape[0]!, 784]));
  }
}

/**
 * A new MNIST MLP with PyTorch's default init from `seed`.
 * @example
 * ```ts
 * mnistMlp().namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']
 * ```
 */
export function mnistMlp(options: ZooOptions = {}): MnistMlp {
  return new MnistMlp(options);
}

/**
 * A new MNIST CNN: Conv2d 1->16 5x5, ReLU, MaxPool2d 2, Conv2d 16->32 5x5, ReLU,
 * MaxPool2d 2, Flatten, Linear 512->64, ReLU, Linear 64->10, as a `Sequential` whose
 * parameters are `0.*`, `3.*`, `7.*`, `9.*`. Input `[N, 1, 28, 28]`.
 * @example
 * ```ts
 * mnistCnn().forward(zeros([2, 1, 28, 28])).shape; // [2, 10]
 * ```
 */
export function mnistCnn({ seed = 0 }: ZooOptions = {}): Sequential {
  const g = toRng(seed, 'mnistCnn');
  return new Sequential(
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
}
