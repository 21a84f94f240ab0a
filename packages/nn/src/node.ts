/**
 * @pathgrad/nn/node: the Node-only part of @pathgrad/nn, the loaders that read files.
 * They sit behind their own entry point so that the main entry (`@pathgrad/nn`) imports no
 * Node built-ins and bundles for browsers unchanged. Everything that takes bytes
 * (`readIdx`, `loadSafetensors`, `loadOnnx`) stays in the main entry.
 *
 * @example
 * ```ts
 * import { loadPretrained } from '@pathgrad/nn';
 * import { mnist } from '@pathgrad/nn/node';
 * const { images, labels } = mnist({ split: 'test', limit: 8 });
 * loadPretrained('mnist-cnn').forward(images).shape; // [8, 10]
 * ```
 *
 * @module @pathgrad/nn/node
 */
export { mnist, mnistDataDir, type MnistOptions, type MnistData } from './data/mnist.js';
