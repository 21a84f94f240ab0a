/**
 * A small training loop: seeded batching, one `valueAndGrad` over the parameter tensors
 * per batch, an optimizer step, and progress on the terminal (a bar on a TTY, plain lines
 * otherwise, so logs and CI output stay readable).
 */
import { noGrad, valueAndGrad } from '@pathgrad/autograd';
import { ArgumentError, ShapeError, Tensor, allocate, checkOptionKeys, describe, optionKeys, wasmScope, type Rng } from '@pathgrad/tensor';
import type * as CliProgress from 'cli-progress';
import { toRng, type RngOrSeed } from './init.js';
import { crossEntropy } from './losses.js';
import type { Module } from './module.js';
import { Adam } from './optim/adam.js';
import type { Optimizer } from './optim/optimizer.js';
import { describeShape } from './tensorUtil.js';

/**
 * One mini-batch.
 * @example
 * ```ts
 * for (const { images, labels, indices } of batches(x, y, { batchSize: 64 })) step(images, labels);
 * ```
 */
export interface Batch {
  /** `[B, ...]` rows of the images. */
  images: Tensor;
  /** `[B]` labels. */
  labels: Tensor;
  /** Positions of the rows in the full data set. */
  indices: Int32Array;
}

/**
 * Options of {@link batches}.
 * @example
 * ```ts
 * batches(x, y, { batchSize: 64, shuffle: true, rng: rng(0), dropLast: true });
 * ```
 */
export interface BatchOptions {
  /** Rows per batch (the last one may be smaller unless `dropLast`). */
  batchSize: number;
  /** Visit rows in a random order (default false). */
  shuffle?: boolean;
  /** Generator or seed for the shuffle (required when shuffling, so runs are reproducible). */
  rng?: RngOrSeed;
  /** Skip a final partial batch (default false). */
  dropLast?: boolean;
}

const BATCH_KEYS = optionKeys<BatchOptions>({ batchSize: true, shuffle: true, rng: true, dropLast: true });

function checkPair(images: Tensor, labels: Tensor, where: string): number {
  if (!(images instanceof Tensor)) throw new ArgumentError(`${where}: images must be a Tensor, got ${describe(images)}`);
  if (!(labels instanceof Tensor)) throw new ArgumentError(`${where}: labels must be a Tensor, got ${describe(labels)}`);
  if (images.rank < 1 || labels.rank < 1 || images.shape[0] !== labels.shape[0]) {
    throw new ShapeError(`${where}: images and labels must have the same first dimension, got images ${describeShape(images.shape)} and labels ${describeShape(labels.shape)}`);
  }
  return images.shape[0]!;
}

/** Copies rows `order[start..end)` of `t` into a new contiguous tensor. */
function takeRows(t: Tensor, order: Int32Array, start: number, end: number): Tensor {
  const src = t.contiguous();
  const rowSize = src.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = allocate(src.dtype, (end - start) * rowSize);
  for (let i = start; i < end; i++) {
    const r = order[i]!;
    out.set(src.data.subarray(r * rowSize, (r + 1) * rowSize), (i - start) * rowSize);
  }
  return new Tensor(out, [end - start, ...src.shape.slice(1)], src.dtype);
}

/**
 * Splits `(images, labels)` into mini-batches along the first dimension, optionally in a
 * seeded random order (the same seed gives the same batches everywhere).
 * @example
 * ```ts
 * for (const { images, labels } of batches(train.images, train.labels, { batchSize: 64, shuffle: true, rng: rng(0) })) {
 *   // one step per batch
 * }
 * ```
 */
export function* batches(images: Tensor, labels: Tensor, options: BatchOptions): Generator<Batch> {
  const { batchSize, shuffle = false, rng, dropLast = false } = checkOptionKeys(options, BATCH_KEYS, 'batches') ?? ({} as Partial<BatchOptions>);
  const n = checkPair(images, labels, 'batches');
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new ArgumentError(`batches: batchSize must be a positive integer, got ${describe(batchSize)}`);
  }
  let order: Int32Array;
  if (shuffle) {
    if (rng === undefined) throw new ArgumentError('batches: shuffle needs rng (an Rng or a seed), so the order is reproducible');
    order = toRng(rng, 'batches').permutation(n);
  } else {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (dropLast && end - start < batchSize) return;
    yield { images: takeRows(images, order, start, end), labels: takeRows(labels, order, start, end), indices: order.slice(start, end) };
  }
}

/**
 * Progress reported after every batch.
 * @example
 * ```ts
 * fit(model, data, { onProgress: (p) => { if (p.batch === p.batches) console.log(p.meanLoss); } });
 * ```
 */
export interface TrainProgress {
  /** 1-based epoch. */
  epoch: number;
  /** Total epochs. */
  epochs: number;
  /** 1-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Loss of this batch. */
  loss: number;
  /** Mean loss over the epoch so far. */
  meanLoss: number;
}

/**
 * Summary of one finished epoch.
 * @example
 * ```ts
 * const [first] = fit(model, data, { epochs: 1 }); first.loss;
 * ```
 */
export interface EpochSummary {
  epoch: number;
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  loss: number;
  /** Seconds the epoch took. */
  seconds: number;
}

/**
 * Options of {@link fit}.
 * @example
 * ```ts
 * fit(model, data, { epochs: 2, batchSize: 64, rng: 0, progress: 'lines' });
 * ```
 */
export interface FitOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Rows per batch (default 64). */
  batchSize?: number;
  /** Optimizer over `model.parameters()` (default `new Adam(model.parameters(), { lr: 1e-3 })`). */
  optimizer?: Optimizer;
  /** Loss of (model output, labels) (default {@link crossEntropy}). */
  loss?: (output: Tensor, labels: Tensor) => Tensor;
  /** Generator or seed for the shuffling (default seed 0). */
  rng?: RngOrSeed;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Called after every batch. */
  onProgress?: (p: TrainProgress) => void;
  /** `'auto'` (default): a bar on a TTY, lines otherwise; `'bar'`, `'lines'`, or `'none'`. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Where progress goes (default `process.stderr`). */
  stream?: ProgressStream;
}

/**
 * Where {@link fit} writes its progress: any text stream with `write` (`process.stderr`, a
 * file stream). Typed structurally so the declarations need no Node types.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const stream: ProgressStream = { write: (text) => lines.push(text) };
 * fit(model, data, { progress: 'lines', stream });
 * ```
 */
export interface ProgressStream {
  write(text: string): unknown;
  /** A terminal: progress is drawn as a bar. */
  isTTY?: boolean;
}

const FIT_KEYS = optionKeys<FitOptions>({ epochs: true, batchSize: true, optimizer: true, loss: true, rng: true, shuffle: true, onProgress: true, progress: true, stream: true });

/** A bar on a TTY, a line per ~10% otherwise, or nothing. */
interface ProgressSink {
  start(epoch: number, epochs: number, total: number): void;
  update(done: number, meanLoss: number): void;
  stop(summary: EpochSummary): void;
}

/**
 * cli-progress is a Node terminal library (it imports readline and events), so it is loaded
 * only when a bar is drawn, through `process.getBuiltinModule` (Node >= 20.16), which bundlers
 * do not follow: the main entry stays browser-safe. It is an optional peer dependency of
 * @pathgrad/nn: where it is not installed, or outside Node, the sink falls back to lines.
 */
function loadCliProgress(): typeof CliProgress | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeModule = proc?.getBuiltinModule?.('node:module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  try {
    return nodeModule?.createRequire(import.meta.url)('cli-progress') as typeof CliProgress | undefined;
  } catch {
    // an optional peer dependency: without it the bar becomes lines
    return undefined;
  }
}

function makeSink(mode: FitOptions['progress'], stream: FitOptions['stream']): ProgressSink {
  const out = stream ?? (typeof process !== 'undefined' ? process.stderr : undefined);
  if (mode === 'none' || out === undefined) return { start() {}, update() {}, stop() {} };
  const useBar = mode === 'bar' || (mode !== 'lines' && out.isTTY === true);
  const cliProgress = useBar ? loadCliProgress() : undefined;
  if (cliProgress) {
    let bar: CliProgress.SingleBar | undefined;
    return {
      start(epoch, epochs, total) {
        bar = new cliProgress.SingleBar(
          { format: `epoch ${epoch}/${epochs} {bar} {percentage}% | {value}/{total} batches | loss {loss} | eta {eta_formatted}`, stream: out as unknown as NodeJS.WritableStream, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { loss: '-' });
      },
      update(done, meanLoss) {
        bar?.update(done, { loss: meanLoss.toFixed(4) });
      },
      stop() {
        bar?.stop();
      },
    };
  }
  let total = 0;
  let nextReport = 0;
  let label = '';
  return {
    start(epoch, epochs, n) {
      total = n;
      nextReport = Math.ceil(n / 10);
      label = `epoch ${epoch}/${epochs}`;
    },
    update(done, meanLoss) {
      if (done >= nextReport && done < total) {
        out.write(`${label}: ${done}/${total} batches, loss ${meanLoss.toFixed(4)}\n`);
        nextReport += Math.ceil(total / 10);
      }
    },
    stop(s) {
      out.write(`${label}: done, loss ${s.loss.toFixed(4)}, ${s.seconds.toFixed(1)} s\n`);
    },
  };
}

/**
 * Trains `model` on `(images, labels)`: for each epoch, seeded shuffled mini-batches, the
 * loss and its gradient with respect to every parameter tensor (one `valueAndGrad`), and an
 * optimizer step. Puts the model in training mode while it runs and returns per-epoch
 * summaries. Throws if the loss becomes NaN or infinite, rather than training on garbage.
 * Each batch's forward and backward pass runs in a `wasmScope` (float32 activations stay in
 * WebAssembly memory): a model that keeps a tensor made in its forward pass for later must
 * read it (its `data`) during the pass.
 * @example
 * ```ts
 * const train = mnist({ split: 'train' });
 * const model = mnistMlp({ seed: 0 });
 * fit(model, train, { epochs: 2, batchSize: 64, optimizer: new Adam(model.parameters(), { lr: 1e-3 }), rng: 0 });
 * ```
 */
export function fit(model: Module, data: { images: Tensor; labels: Tensor }, options: FitOptions = {}): EpochSummary[] {
  checkOptionKeys(options, FIT_KEYS, 'fit');
  const { epochs = 1, batchSize = 64, loss = crossEntropy, shuffle = true, onProgress, progress = 'auto', stream } = options;
  if (typeof data !== 'object' || data === null) throw new ArgumentError(`fit: data must be { images, labels }, got ${describe(data)}`);
  const n = checkPair(data.images, data.labels, 'fit');
  if (!Number.isInteger(epochs) || epochs < 1) throw new ArgumentError(`fit: epochs must be a positive integer, got ${describe(epochs)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ArgumentError(`fit: batchSize must be a positive integer, got ${describe(batchSize)}`);
  const params = model.parameters();
  const optimizer = options.optimizer ?? new Adam(params, { lr: 1e-3 });
  if (optimizer.params.length !== params.length || optimizer.params.some((p, i) => p !== params[i])) {
    throw new ArgumentError(`fit: optimizer must be built over model.parameters() (${params.length} parameters, same order), got one over ${optimizer.params.length}`);
  }
  const generator: Rng = toRng(options.rng, 'fit');
  const argnums = params.map((_, i) => i);
  const perEpoch = Math.ceil(n / batchSize);
  const sink = makeSink(progress, stream);
  const history: EpochSummary[] = [];
  const wasTraining = model.training;
  model.train();
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const t0 = Date.now();
      sink.start(epoch, epochs, perEpoch);
      let lossSum = 0;
      let seen = 0;
      let b = 0;
      for (const batch of batches(data.images, data.labels, { batchSize, shuffle, rng: generator })) {
        // The closure reads p.value, which are exactly the tensors passed in, so the tape
        // attributes the gradient to them. Forward and backward run in a wasmScope: on the
        // wasm backend the activations stay in WebAssembly memory between ops; the loss and
        // the gradients are returned from it, so they outlive it for the optimizer's step.
        const [value, ...grad] = wasmScope(() => {
          const r = valueAndGrad(() => loss(model.forward(batch.images), batch.labels), { argnums })(...params.map((p) => p.value));
          return [r.value, ...r.grad];
        });
        const l = value!.item();
        if (!Number.isFinite(l)) throw new ArgumentError(`fit: the loss became ${l} at epoch ${epoch}, batch ${b + 1}; lower the learning rate or check the data`);
        noGrad(() => optimizer.step(grad));
        const size = batch.indices.length;
        lossSum += l * size;
        seen += size;
        b++;
        sink.update(b, lossSum / seen);
        onProgress?.({ epoch, epochs, batch: b, batches: perEpoch, loss: l, meanLoss: lossSum / seen });
      }
      const summary = { epoch, loss: lossSum / seen, seconds: (Date.now() - t0) / 1000 };
      sink.stop(summary);
      history.push(summary);
    }
  } finally {
    model.train(wasTraining);
  }
  return history;
}

/**
 * Options of {@link evaluateAccuracy} and {@link predict}.
 * @example
 * ```ts
 * evaluateAccuracy(model, images, labels, { batchSize: 500 });
 * ```
 */
export interface EvaluateOptions {
  /** Rows per forward pass (default 256), bounding memory. */
  batchSize?: number;
}

const EVALUATE_KEYS = optionKeys<EvaluateOptions>({ batchSize: true });

/**
 * Predicted class (argmax of the output row) for every image, in eval mode and without
 * recording gradients; the model's mode is restored afterwards.
 * @example
 * ```ts
 * predict(model, test.images).slice(0, 3); // Int32Array [7, 2, 1]
 * ```
 */
export function predict(model: Module, images: Tensor, options: EvaluateOptions = {}): Int32Array {
  const { batchSize = 256 } = checkOptionKeys(options, EVALUATE_KEYS, 'predict');
  if (!(images instanceof Tensor)) throw new ArgumentError(`predict: images must be a Tensor, got ${describe(images)}`);
  const n = images.shape[0] ?? 0;
  const out = new Int32Array(n);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      const dummy = new Tensor(new Int32Array(n), [n], 'int32');
      for (const batch of batches(images, dummy, { batchSize })) {
        // in a wasmScope: the activations stay in WebAssembly memory; the logits are read inside
        wasmScope(() => {
          const logits = model.forward(batch.images);
          if (logits.rank !== 2 || logits.shape[0] !== batch.indices.length) {
            throw new ShapeError(`predict: model output must be [N, C], got ${describeShape(logits.shape)} for ${batch.indices.length} images`);
          }
          const c = logits.shape[1]!;
          const v = logits.toTypedArray();
          for (let i = 0; i < batch.indices.length; i++) {
            let best = 0;
            for (let j = 1; j < c; j++) if (v[i * c + j]! > v[i * c + best]!) best = j;
            out[batch.indices[i]!] = best;
          }
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/**
 * Fraction of images whose predicted class equals the label.
 * @example
 * ```ts
 * evaluateAccuracy(loadPretrained('mnist-cnn'), test.images, test.labels); // ~0.99
 * ```
 */
export function evaluateAccuracy(model: Module, images: Tensor, labels: Tensor, options: EvaluateOptions = {}): number {
  checkOptionKeys(options, EVALUATE_KEYS, 'evaluateAccuracy');
  const n = checkPair(images, labels, 'evaluateAccuracy');
  if (n === 0) throw new ArgumentError('evaluateAccuracy: no examples (images has 0 rows)');
  const pred = predict(model, images, options);
  const y = labels.toTypedArray();
  let correct = 0;
  for (let i = 0; i < n; i++) if (pred[i] === y[i]) correct++;
  return correct / n;
}
