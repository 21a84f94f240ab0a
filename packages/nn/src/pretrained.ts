/**
 * Pretrained weights of the zoo models, trained by scripts/train-zoo.ts with pathgrad
 * itself and shipped as base64 safetensors bytes (generated modules under weights/), so
 * loading needs no file access and works in Node and in browsers alike.
 */
import { ArgumentError, describe } from '@pathgrad/tensor';
import { loadSafetensors } from './io/safetensors.js';
import type { Sequential } from './layers/sequential.js';
import { MNIST_CNN_SAFETENSORS_BASE64 } from './weights/mnistCnn.js';
import { MNIST_MLP_SAFETENSORS_BASE64 } from './weights/mnistMlp.js';
import { mnistCnn, mnistMlp } from './zoo.js';

/**
 * Names of the shipped pretrained models.
 * @example
 * ```ts
 * const name: PretrainedName = 'mnist-cnn';
 * ```
 */
export type PretrainedName = 'mnist-mlp' | 'mnist-cnn';

function decodeBase64(text: string): Uint8Array {
  // atob exists in Node >= 16 and in browsers; Buffer is avoided for browser bundles.
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The safetensors bytes of a shipped model (what `loadPretrained` reads), for saving or
 * inspecting them.
 * @example
 * ```ts
 * loadSafetensors(pretrainedBytes('mnist-mlp')).metadata; // { accuracy: '0.97..', ... }
 * ```
 */
export function pretrainedBytes(name: PretrainedName): Uint8Array {
  let b64: string;
  switch (name) {
    case 'mnist-mlp':
      b64 = MNIST_MLP_SAFETENSORS_BASE64;
      break;
    case 'mnist-cnn':
      b64 = MNIST_CNN_SAFETENSORS_BASE64;
      break;
    default:
      throw new ArgumentError(`loadPretrained: name must be 'mnist-mlp' or 'mnist-cnn', got ${describe(name)}`);
  }
  if (b64 === '') throw new ArgumentError(`loadPretrained: no weights have been trained for ${JSON.stringify(name)} yet (run packages/nn/scripts/train-zoo.ts)`);
  return decodeBase64(b64);
}

/**
 * A zoo model with the shipped pretrained weights, in eval mode. See
 * packages/nn/weights/README.md for how they were trained and their test accuracy.
 * @example
 * ```ts
 * const model = loadPretrained('mnist-cnn');
 * const logits = model.forward(mnist({ split: 'test', limit: 8 }).images); // [8, 10]
 * ```
 */
export function loadPretrained(name: PretrainedName): Sequential {
  const bytes = pretrainedBytes(name);
  const model = name === 'mnist-mlp' ? mnistMlp() : mnistCnn();
  model.loadStateDict(loadSafetensors(bytes).tensors);
  return model.eval();
}
