/**
 * The shipped pretrained weights as bytes: base64 safetensors (generated modules under
 * weights/), decoded without file access so they load in Node and in browsers alike. Kept
 * apart from pretrained.ts so the zoo constructors can load them without an import cycle.
 */
import { ArgumentError, describe } from '@pathgrad/tensor';
import { MNIST_CNN_SAFETENSORS_BASE64 } from './weights/mnistCnn.js';
import { MNIST_MLP_SAFETENSORS_BASE64 } from './weights/mnistMlp.js';

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
