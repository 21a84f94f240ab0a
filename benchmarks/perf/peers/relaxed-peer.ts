/**
 * pathgrad with WebAssembly relaxed SIMD (run as a child process by peers.bench.ts under
 * `node --experimental-wasm-relaxed-simd`, which Node 20 needs and Node 22+ does not): the same
 * IG, matmul and training workloads as the main pathgrad rows, on the default backend, which
 * then picks the relaxed-SIMD kernels (fused multiply-add in the GEMMs). An extra row for
 * what engines with relaxed SIMD get; the targets use the main rows (plain SIMD in Node 20).
 *
 * usage: node --experimental-wasm-relaxed-simd --import tsx peers/relaxed-peer.ts config.json
 * config: { images: raw float32 file, count, labels, steps, imageCounts, trainBatch, quick }
 */
import { readFileSync } from 'node:fs';
import { integratedGradients } from '@pathgrad/attribution';
import { Adam, fit, loadPretrained, type Module } from '@pathgrad/nn';
import { Tensor, backendInfo, matmul, randn, rng } from '@pathgrad/tensor';
import { measure } from '../lib/measure.js';

interface Config {
  images: string;
  count: number;
  labels: number[];
  steps: number;
  imageCounts: number[];
  trainBatch: number;
  quick: boolean;
}

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
const raw = readFileSync(cfg.images);
const flat = new Float32Array(raw.buffer, raw.byteOffset, cfg.count * 784).slice();
const take = (n: number) => new Tensor(flat.slice(0, n * 784), [n, 1, 28, 28], 'float32');
const labels = Int32Array.from(cfg.labels);
const info = backendInfo();

const ig: { model: string; images: number; timing: unknown; attributions?: number[] }[] = [];
for (const name of ['mlp', 'cnn'] as const) {
  const model = loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module;
  for (const n of cfg.imageCounts) {
    let out: Tensor | undefined;
    const timing = await measure(`relaxed ig ${name} x${n}`, () => {
      out = integratedGradients(model, take(n), { target: labels.slice(0, n), steps: cfg.steps, method: 'riemannTrapezoid' }).attributions;
    }, cfg.quick);
    ig.push({ model: name, images: n, timing, ...(n === 1 ? { attributions: Array.from(out!.toTypedArray()) } : {}) });
  }
}
const g = rng(20240601);
const a = randn([512, 512], g);
const b = randn([512, 512], g);
const matmul512 = await measure('relaxed matmul 512', () => void matmul(a, b), cfg.quick);
const model = loadPretrained('mnist-cnn') as Module;
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const data = { images: take(cfg.count), labels: new Tensor(labels.slice(0, cfg.count), [cfg.count], 'int32') };
const train = await measure('relaxed train cnn', () => void fit(model, data, { epochs: 1, batchSize: cfg.trainBatch, optimizer, shuffle: false, progress: 'none' }), cfg.quick);
console.log(JSON.stringify({ mode: info.mode, note: info.note, ig, matmul512, train, batches: cfg.count / cfg.trainBatch }));
