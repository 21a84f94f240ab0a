/**
 * onnxruntime-web peer (run as a child process by peers.bench.ts: its WebAssembly thread count is
 * fixed once per process). Loads the ONNX exports of the MNIST MLP and CNN (written by
 * pytorch_peer.py from the same weights) and times forward passes at the batch sizes asked for.
 *
 * usage: tsx peers/ort-peer.ts config.json  (prints one JSON object)
 * config: { threads, models: { mlp: path, cnn: path }, images: raw float32 file, count, batches, timeMs }
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { measureAsync } from '../lib/measure.js';

interface Config {
  threads: number;
  models: Record<string, string>;
  images: string;
  count: number;
  batches: number[];
  timeMs: number;
}

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
ort.env.wasm.numThreads = cfg.threads;
ort.env.logLevel = 'error';
const raw = readFileSync(cfg.images);
const all = new Float32Array(raw.buffer, raw.byteOffset, cfg.count * 784);
const rows: { model: string; batch: number; medianMs: number; madMs: number; minMs: number; samples: number }[] = [];
const logits: Record<string, number[]> = {};
for (const [model, path] of Object.entries(cfg.models)) {
  const session = await ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  for (const batch of cfg.batches) {
    const x = new ort.Tensor('float32', all.slice(0, batch * 784), [batch, 1, 28, 28]);
    const run = () => session.run({ [session.inputNames[0]!]: x });
    const out = await run();
    if (batch === Math.max(...cfg.batches)) logits[model] = Array.from(out[session.outputNames[0]!]!.data as Float32Array);
    rows.push({ model, batch, ...(await measureAsync(run, cfg.timeMs)) });
  }
  await session.release();
}
console.log(JSON.stringify({ version: ort.env.versions.web, threads: ort.env.wasm.numThreads, rows, logits }));
