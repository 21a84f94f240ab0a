/**
 * Pretrained weights of the zoo models, trained by scripts/train-zoo.ts with pathgrad
 * itself and shipped as base64 safetensors bytes (generated modules under weights/), so
 * loading needs no file access and works in Node and in browsers alike.
 */
import { ArgumentError, describe } from '@pathgrad/tensor';
import type { Sequential } from './layers/sequential.js';
import type { PretrainedName } from './pretrainedBytes.js';
import { mnistCnn, mnistMlp } from './zoo.js';

export { pretrainedBytes, type PretrainedName } from './pretrainedBytes.js';

/**
 * A zoo model with the shipped pretrained weights, in eval mode (the same as
 * `mnistCnn({ pretrained: true })` / `mnistMlp({ pretrained: true })`). See
 * packages/nn/weights/README.md for how they were trained and their test accuracy.
 * @example
 * ```ts
 * const model = loadPretrained('mnist-cnn');
 * const logits = model.forward(mnist({ split: 'test', limit: 8 }).images); // [8, 10]
 * ```
 */
export function loadPretrained(name: PretrainedName): Sequential {
  if (name === 'mnist-mlp') return mnistMlp({ pretrained: true });
  if (name === 'mnist-cnn') return mnistCnn({ pretrained: true });
  throw new ArgumentError(`loadPretrained: name must be 'mnist-mlp' or 'mnist-cnn', got ${describe(name)}`);
}
