/**
 * What the commands load: models (shipped zoo names, .onnx, .safetensors + --arch) and inputs
 * (.npy, PNG/JPEG, `mnist:<split>:<range>`), with bad input turned into one-line fixes.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { ONNX_DEFAULT_LIMITS, loadOnnx, loadPretrained, loadSafetensors, mnistCnn, mnistMlp, pretrainedBytes, type LoadOnnxOptions, type Module, type OnnxModel } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { ArgumentError, FormatError, Tensor, cast, concat, readNpy } from '@pathgrad/tensor';
import { UsageError } from './errors.js';
import { readUserFile } from './files.js';
import { IMAGE_MAX_PIXELS, imageToMnist, maxImagePixels } from './images.js';

/**
 * Built-in architectures a .safetensors file can be loaded into.
 *
 * @example
 * ```ts
 * ARCHS; // ['mnist-mlp', 'mnist-cnn']: what `--arch` accepts with a .safetensors model
 * ```
 */
export const ARCHS = ['mnist-mlp', 'mnist-cnn'] as const;
/**
 * One of {@link ARCHS}.
 *
 * @example
 * ```ts
 * const arch: Arch = 'mnist-cnn';
 * loadModel('weights.safetensors', arch);
 * ```
 */
export type Arch = (typeof ARCHS)[number];

/**
 * Float dtypes the commands compute in.
 *
 * @example
 * ```ts
 * const dtype: FloatDType = 'float64'; // to compare with Captum's float64 numbers
 * loadModel('model.onnx', undefined, dtype);
 * ```
 */
export type FloatDType = 'float32' | 'float64';

/**
 * A loaded model and how it was named.
 *
 * @example
 * ```ts
 * const { model, description }: LoadedModel = loadModel('model.onnx', undefined);
 * model.forward(inputs);
 * ```
 */
export interface LoadedModel {
  model: Module;
  /** What the user passed, for reports. */
  description: string;
}

/**
 * Parses `--dtype`.
 * @example
 * ```ts
 * parseDType('float64'); // 'float64'
 * ```
 */
export function parseDType(value: string): FloatDType {
  if (value !== 'float32' && value !== 'float64') throw new UsageError(`--dtype must be float32 or float64, got '${value}'`);
  return value;
}

/** The flag that raises each {@link LoadOnnxOptions} budget. */
const ONNX_FLAGS: Record<keyof LoadOnnxOptions, string> = {
  maxTensorElements: '--max-tensor-elements',
  maxTotalElements: '--max-total-elements',
  maxOperations: '--max-operations',
};

/**
 * The budgets a command's flags set for what `--model` and `--input` may cost: the
 * {@link LoadOnnxOptions} of an `.onnx` model and the pixel limit of PNG/JPEG inputs. An
 * absent key keeps the default (for images: `PATHGRAD_MAX_IMAGE_PIXELS`, else 4096 x 4096).
 *
 * @example
 * ```ts
 * const limits: LoadLimits = { onnx: { maxTensorElements: 2 ** 29 }, maxImagePixels: 8192 * 8192 };
 * loadModel('big.onnx', undefined, 'float32', limits);
 * ```
 */
export interface LoadLimits {
  onnx?: LoadOnnxOptions;
  maxImagePixels?: number;
}

/**
 * The limit flags as commander gives them (strings), before {@link parseLoadLimits}.
 *
 * @example
 * ```ts
 * const args: LoadLimitArgs = { maxTensorElements: '536870912', maxImagePixels: '67108864' };
 * ```
 */
export interface LoadLimitArgs {
  maxTensorElements?: string;
  maxTotalElements?: string;
  maxOperations?: string;
  maxImagePixels?: string;
}

function limitValue(value: string, flag: string, unit: string): number {
  // Number('') is 0 and Number('0x10') is 16: only plain decimal or exponent notation
  const v = /^\s*[0-9][0-9_]*(\.[0-9]*)?(e\+?[0-9]+)?\s*$/i.test(value) ? Number(value.replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`${flag} must be a positive integer (${unit}), got '${value}'`);
  return v;
}

/**
 * Validates the limit flags: each a positive integer (`1e9` and `1_000_000` are accepted),
 * refused naming the flag otherwise.
 *
 * @throws UsageError naming the flag and the value given.
 * @example
 * ```ts
 * parseLoadLimits({ maxTensorElements: '1e9' }); // { onnx: { maxTensorElements: 1000000000 } }
 * parseLoadLimits({ maxImagePixels: 'lots' }); // throws: --max-image-pixels must be a positive integer ...
 * ```
 */
export function parseLoadLimits(args: LoadLimitArgs): LoadLimits {
  const onnx: LoadOnnxOptions = {};
  for (const key of Object.keys(ONNX_FLAGS) as (keyof LoadOnnxOptions)[]) {
    const raw = args[key];
    if (raw !== undefined) onnx[key] = limitValue(raw, ONNX_FLAGS[key], key === 'maxOperations' ? 'multiply-adds per example' : 'a number of elements');
  }
  const limits: LoadLimits = {};
  if (Object.keys(onnx).length > 0) limits.onnx = onnx;
  if (args.maxImagePixels !== undefined) limits.maxImagePixels = limitValue(args.maxImagePixels, '--max-image-pixels', 'a number of pixels');
  return limits;
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Adds `--max-tensor-elements`, `--max-total-elements` and `--max-operations` (the ONNX
 * budgets of `--model`) to a command.
 *
 * @example
 * ```ts
 * addModelLimitOptions(program.command('attribute')); // then parseLoadLimits(opts)
 * ```
 */
export function addModelLimitOptions(command: Command): Command {
  const d = ONNX_DEFAULT_LIMITS;
  return command
    .option('--max-tensor-elements <n>', `most elements one intermediate tensor of an .onnx --model may have (default ${count(d.maxTensorElements)})`)
    .option('--max-total-elements <n>', `most elements all intermediate tensors of an .onnx --model may have in one pass (default ${count(d.maxTotalElements)})`)
    .option('--max-operations <n>', `most multiply-adds per example an .onnx --model may cost (default ${count(d.maxOperations)})`);
}

/**
 * Adds `--max-image-pixels` (the pixel limit of PNG/JPEG `--input` files) to a command.
 *
 * @example
 * ```ts
 * addInputLimitOptions(program.command('evaluate')); // then parseLoadLimits(opts)
 * ```
 */
export function addInputLimitOptions(command: Command): Command {
  return command.option('--max-image-pixels <n>', `most pixels a PNG/JPEG --input may have, read from its header (default ${count(IMAGE_MAX_PIXELS)} or PATHGRAD_MAX_IMAGE_PIXELS)`);
}

/** loadOnnx's budget messages name its option; the CLI's name the flag that raises it. */
function withFlagHint(message: string): string {
  return message.replace(
    /\((maxTensorElements|maxTotalElements|maxOperations), an option of loadOnnx(; or pass fewer examples at a time)?\)/,
    (_, key: keyof LoadOnnxOptions, fewer: string | undefined) => `(raise it with ${ONNX_FLAGS[key]}${fewer ? ', or explain fewer examples or points at a time' : ''})`,
  );
}

/** An .onnx model refused by a budget, at load or for an input, names the flag that raises it. */
function loadOnnxModel(bytes: Uint8Array, spec: string, options: LoadOnnxOptions | undefined): Module {
  let model: OnnxModel;
  try {
    model = loadOnnx(bytes, options);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    throw new UsageError(`--model ${spec}: ${withFlagHint(err.message)}`);
  }
  // the budget is checked again for every input (a batch of path points can exceed it)
  const forward = model.forward.bind(model);
  model.forward = (x: Tensor): Tensor => {
    try {
      return forward(x);
    } catch (err) {
      if (err instanceof ArgumentError && err.message !== withFlagHint(err.message)) throw new ArgumentError(withFlagHint(err.message));
      throw err;
    }
  };
  return model;
}

function newArch(arch: string | undefined, file: string): Module {
  if (arch === undefined) {
    throw new UsageError(`--model ${file}: a .safetensors file holds only weights; add --arch ${ARCHS.join('|')} to say which architecture they belong to`);
  }
  if (arch === 'mnist-mlp') return mnistMlp();
  if (arch === 'mnist-cnn') return mnistCnn();
  throw new UsageError(`--arch must be one of ${ARCHS.join(', ')}, got '${arch}'`);
}

/** The shipped zoo models by the names `--model` accepts. */
const ZOO: Record<string, 'mnist-mlp' | 'mnist-cnn'> = { mlp: 'mnist-mlp', cnn: 'mnist-cnn', 'mnist-mlp': 'mnist-mlp', 'mnist-cnn': 'mnist-cnn' };

/**
 * Loads `--model`: `mlp`/`cnn`/`mnist-mlp`/`mnist-cnn` (the shipped pretrained zoo
 * models), an `.onnx` file, or a `.safetensors` file with `--arch`. The model is in eval
 * mode and converted to `dtype`. `limits.onnx` raises or lowers an `.onnx` model's budgets
 * (a refusal names the flag that raises it, e.g. `--max-tensor-elements`).
 * @example
 * ```ts
 * const { model } = loadModel('model.safetensors', 'mnist-mlp', 'float64');
 * ```
 */
export function loadModel(spec: string, arch: string | undefined, dtype: FloatDType = 'float32', limits: LoadLimits = {}): LoadedModel {
  let model: Module;
  let description = spec;
  const zooName = ZOO[spec];
  if (zooName !== undefined) {
    try {
      model = loadPretrained(zooName);
    } catch (err) {
      throw new UsageError(`--model ${spec}: ${(err as Error).message}`);
    }
    description = `${zooName} (shipped pretrained weights)`;
  } else {
    const ext = extname(spec).toLowerCase();
    if (ext !== '.onnx' && ext !== '.safetensors') {
      throw new UsageError(`--model must be mlp, cnn, an .onnx file or a .safetensors file (with --arch), got '${spec}'`);
    }
    const bytes = readUserFile(spec, '--model');
    if (ext === '.onnx') {
      model = loadOnnxModel(bytes, spec, limits.onnx);
    } else {
      model = newArch(arch, spec);
      const { tensors } = loadSafetensors(bytes);
      model.loadStateDict(tensors, { strict: true });
      description = `${spec} (${arch})`;
    }
  }
  model.eval();
  if (dtype === 'float64') model.to('float64');
  return { model, description };
}

/**
 * The sha256 (hex) of the bytes behind `--model`: the file, or the shipped weights of a zoo
 * model. Parts computed on different machines are matched by this, not by the path, so two
 * different weight files saved under one name are never merged.
 * @example
 * ```ts
 * modelSha256('cnn'); // sha256 of the shipped mnist-cnn.safetensors
 * ```
 */
export function modelSha256(spec: string): string {
  const zoo = ZOO[spec];
  const bytes = zoo !== undefined ? pretrainedBytes(zoo) : readUserFile(spec, '--model');
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Inputs and, where known, their labels.
 *
 * @example
 * ```ts
 * const { inputs, labels, names }: LoadedInputs = loadInputs('mnist:test:0-7', 'float32');
 * inputs.shape; // [8, 1, 28, 28]
 * ```
 */
export interface LoadedInputs {
  inputs: Tensor;
  labels?: Int32Array;
  /** Where each row came from, for reports. */
  names: string[];
}

/**
 * Parses `mnist:<split>:<range>` where range is `i`, `a-b` (inclusive) or a comma list of
 * those, e.g. `mnist:test:0-15`, `mnist:test:3,7,10-12`. At most `maxImages` images (commands
 * that hold every input's work in memory at once keep the default; `attribute`, which works
 * block by block, allows a whole split).
 * @example
 * ```ts
 * parseMnistSpec('mnist:test:0-3'); // { split: 'test', indices: [0, 1, 2, 3] }
 * ```
 */
export function parseMnistSpec(spec: string, maxImages = 4096): { split: 'train' | 'test'; indices: number[] } {
  const m = /^mnist:(train|test):([0-9,\- ]+)$/.exec(spec);
  if (m === null) throw new UsageError(`--input '${spec}': MNIST inputs are written mnist:test:0-15 or mnist:train:3,7,10-12`);
  const split = m[1] as 'train' | 'test';
  const size = split === 'test' ? 10000 : 60000;
  const indices: number[] = [];
  for (const part of m[2]!.split(',')) {
    const r = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (r === null) throw new UsageError(`--input '${spec}': bad index range '${part}' (use a, a-b or a list like 0-3,7)`);
    const a = Number(r[1]);
    const b = r[2] === undefined ? a : Number(r[2]);
    if (b < a) throw new UsageError(`--input '${spec}': range ${a}-${b} is empty (write the smaller index first)`);
    if (b >= size) throw new UsageError(`--input '${spec}': index ${b} is out of range, the ${split} split has ${size} images (0-${size - 1})`);
    if (b - a + 1 + indices.length > maxImages) throw new UsageError(`--input '${spec}': at most ${maxImages} images at a time`);
    for (let i = a; i <= b; i++) indices.push(i);
  }
  return { split, indices };
}

/** Rows `indices` of an `[N, ...]` tensor. */
export function takeRows(t: Tensor, indices: readonly number[]): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const src = t.toTypedArray();
  const out = t.dtype === 'float64' ? new Float64Array(indices.length * per) : t.dtype === 'int32' ? new Int32Array(indices.length * per) : new Float32Array(indices.length * per);
  indices.forEach((r, i) => out.set(src.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(out, [indices.length, ...t.shape.slice(1)], t.dtype);
}

/**
 * Loads `--input`: a `.npy` array `[N, ...]`, one or more PNG/JPEG files (comma
 * separated; each converted to a `[1, 28, 28]` gray MNIST-like image), or MNIST indices.
 * `limits.maxImagePixels` overrides the image pixel limit (`--max-image-pixels`).
 * @example
 * ```ts
 * const { inputs, labels } = loadInputs('mnist:test:0-15', 'float64');
 * ```
 */
export function loadInputs(spec: string, dtype: FloatDType, maxImages = 4096, limits: LoadLimits = {}): LoadedInputs {
  if (spec.startsWith('mnist:')) {
    const { split, indices } = parseMnistSpec(spec, maxImages);
    const data = mnist({ split, limit: Math.max(...indices) + 1, dtype });
    const labels = Int32Array.from(takeRows(data.labels, indices).toTypedArray());
    return { inputs: takeRows(data.images, indices), labels, names: indices.map((i) => `mnist ${split} #${i}`) };
  }
  const files = spec.split(',').filter((s) => s !== '');
  if (files.length === 0) throw new UsageError('--input is empty (give a .npy file, PNG/JPEG files or mnist:test:0-15)');
  const exts = files.map((f) => extname(f).toLowerCase());
  if (exts.length === 1 && exts[0] === '.npy') {
    const t = readNpy(readUserFile(files[0]!, '--input'));
    if (t.rank < 2) throw new UsageError(`--input ${files[0]}: expected a batch [N, ...] (N examples), got shape [${t.shape.join(', ')}]`);
    // an empty batch has nothing to explain; refusing it also keeps (1e8, 0) from making 1e8 row names
    if (t.size === 0) throw new UsageError(`--input ${files[0]}: holds no values (shape [${t.shape.join(', ')}]); give at least one example with at least one feature`);
    const data = t.toTypedArray();
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new UsageError(`--input ${files[0]}: value ${data[i]} at flat index ${i}; inputs must be finite`);
    }
    return { inputs: t.dtype === dtype ? t : cast(t, dtype), names: Array.from({ length: t.shape[0]! }, (_, i) => `${files[0]} row ${i}`) };
  }
  const images: Tensor[] = [];
  files.forEach((f, i) => {
    const ext = exts[i]!;
    if (ext !== '.png' && ext !== '.jpg' && ext !== '.jpeg') {
      throw new UsageError(`--input ${f}: unsupported input type '${ext || '(none)'}'; use .npy, .png, .jpg/.jpeg or mnist:test:0-15`);
    }
    const img = imageToMnist(readUserFile(f, '--input'), f, 28, { maxPixels: limits.maxImagePixels ?? maxImagePixels() });
    images.push(new Tensor(img.data, [1, ...img.shape], 'float32'));
  });
  const batch = images.length === 1 ? images[0]! : concat(images, 0);
  return { inputs: dtype === 'float32' ? batch : cast(batch, dtype), names: files };
}
