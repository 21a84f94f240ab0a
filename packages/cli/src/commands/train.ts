/**
 * `pathgrad train`: trains a zoo architecture on MNIST with nn's fit (progress bar on a TTY)
 * and saves the weights as safetensors, with the test accuracy in the metadata.
 */
import { Adam, evaluateAccuracy, fit, mnistCnn, mnistMlp, saveSafetensors, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { setBackend } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { checkOutputFile } from '../output.js';
import { ARCHS } from '../load.js';
import { isQuiet } from '../progress.js';

/** Parsed options of `train`. */
export interface TrainArgs {
  arch: string;
  epochs: string;
  seed: string;
  limit?: string;
  batchSize: string;
  lr: string;
  out: string;
}

function positiveInt(value: string, option: string): number {
  const v = Number(value);
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  return v;
}

/** `pathgrad train`. */
export function trainCommand(args: TrainArgs, log: (line: string) => void): void {
  if (!(ARCHS as readonly string[]).includes(args.arch)) throw new UsageError(`--arch must be one of ${ARCHS.join(', ')}, got '${args.arch}'`);
  if (!args.out.toLowerCase().endsWith('.safetensors')) throw new UsageError(`--out must be a .safetensors file, got '${args.out}'`);
  checkOutputFile(args.out); // before training, not after
  const epochs = positiveInt(args.epochs, '--epochs');
  const batchSize = positiveInt(args.batchSize, '--batch-size');
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  const lr = Number(args.lr);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr must be a positive number, got '${args.lr}'`);
  const limit = args.limit === undefined ? undefined : positiveInt(args.limit, '--limit');
  // float32 SIMD kernels for conv/matmul when available (falls back to cpu per op otherwise)
  try {
    setBackend('wasm');
  } catch {
    setBackend('cpu');
  }
  const model: Module = args.arch === 'mnist-mlp' ? mnistMlp({ seed }) : mnistCnn({ seed });
  const train = mnist({ split: 'train', ...(limit !== undefined ? { limit } : {}) });
  const test = mnist({ split: 'test' });
  log(`training ${args.arch} on ${train.images.shape[0]} MNIST images, ${epochs} epoch(s), batch ${batchSize}, Adam lr ${lr}, seed ${seed}`);
  fit(model, train, { epochs, batchSize, optimizer: new Adam(model.parameters(), { lr }), rng: seed, ...(isQuiet() ? { progress: 'none' as const } : {}) });
  model.eval();
  const accuracy = evaluateAccuracy(model, test.images, test.labels);
  log(`test accuracy ${(accuracy * 100).toFixed(2)}% on ${test.images.shape[0]} MNIST test images`);
  writeFileAtomic(args.out, saveSafetensors(model.stateDict(), { arch: args.arch, epochs: String(epochs), seed: String(seed), accuracy: accuracy.toFixed(4) }));
  log(`wrote ${args.out}`);
}
