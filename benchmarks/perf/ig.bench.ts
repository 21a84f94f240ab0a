/**
 * Integrated Gradients benchmark (issue 5): IG with 64 Gauss-Legendre steps on the pretrained
 * MNIST MLP and CNN, one image and 100 images, float32, for pathgrad's `integratedGradients`
 * on each backend and the same computation in TensorFlow.js (cpu and wasm: the batched
 * interpolation points through `tf.grad`, weighted by the same nodes and weights), side by
 * side in one process. Each result is checked against pathgrad's float64 cpu reference
 * (relative L2, worst image): this is where tfjs-wasm's max-pool tie-breaking shows.
 * Then the peak memory (maxRSS of a fresh process) of IG for steps 64..4096 at a fixed
 * internalBatchSize, which must stay flat. Writes docs/results/bench-ig-<date>.json and
 * the `ig` section of docs/benchmarks.md (unless --quick).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { integratedGradients, quadrature } from '@pathgrad/attribution';
import { loadPretrained, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, backendInfo, cast, setBackend, type BackendName } from '@pathgrad/tensor';
import { machineInfo, measure, ms, repoRoot, writeDocSection, writeResult, type Timing } from './lib/measure.js';
import type { BenchOptions } from './run.js';

const require = createRequire(import.meta.url);
// tfjs's ESM build cannot register its gradients under Node's ESM loader; its CJS bundle can
const tf = require('@tensorflow/tfjs') as typeof TF;
const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths: (p: string) => void };
const STEPS = 64;
type ModelName = 'mlp' | 'cnn';
const BACKENDS: BackendName[] = ['cpu', 'wasm', 'gpujs'];

function tfjsForward(name: ModelName, sd: Record<string, Tensor>): { f: (x: TF.Tensor) => TF.Tensor; keep: TF.Tensor[] } {
  const T = (k: string) => tf.tensor(Float32Array.from(sd[k]!.toTypedArray()), sd[k]!.shape as number[]);
  const lin = (k: string) => tf.transpose(T(`${k}.weight`)) as TF.Tensor2D;
  if (name === 'mlp') {
    const [w0, w2, w4] = ['0', '2', '4'].map(lin);
    const [b0, b2, b4] = ['0', '2', '4'].map((k) => T(`${k}.bias`));
    const f = (x: TF.Tensor) => {
      const h0 = tf.reshape(x, [x.shape[0]!, 784]) as TF.Tensor2D;
      const h1 = tf.relu(tf.add(tf.matMul(h0, w0!), b0!)) as TF.Tensor2D;
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2!), b2!)) as TF.Tensor2D;
      return tf.add(tf.matMul(h2, w4!), b4!);
    };
    return { f, keep: [w0!, w2!, w4!, b0!, b2!, b4!] };
  }
  const conv = (k: string) => tf.transpose(T(`${k}.weight`), [2, 3, 1, 0]) as TF.Tensor4D;
  const [c0, c3] = [conv('0'), conv('3')];
  const [cb0, cb3, b7, b9] = ['0', '3', '7', '9'].map((k) => T(`${k}.bias`));
  const [w7, w9] = [lin('7'), lin('9')];
  const f = (x: TF.Tensor) => {
    const n = x.shape[0]!;
    const nhwc = tf.transpose(x, [0, 2, 3, 1]) as TF.Tensor4D;
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(nhwc, c0, 1, 'valid'), cb0!)) as TF.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c3, 1, 'valid'), cb3!)) as TF.Tensor4D, 2, 2, 'valid');
    const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [n, 512]) as TF.Tensor2D;
    return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w7), b7!)) as TF.Tensor2D, w9), b9!);
  };
  return { f, keep: [c0, c3, cb0!, cb3!, b7!, b9!, w7, w9] };
}

/** IG in tfjs: all (steps × examples) points in one batch, one tf.grad, weighted sum, × (x − 0). */
function tfjsIG(f: (x: TF.Tensor) => TF.Tensor, x: TF.Tensor, labels: Int32Array): Float32Array {
  const q = quadrature('gaussLegendre', STEPS);
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const alphas = tf.tensor(Float32Array.from(q.alphas), [STEPS, 1, 1, 1, 1]);
    const pts = tf.reshape(tf.mul(alphas, tf.expandDims(x, 0)), [STEPS * n, ...x.shape.slice(1)]);
    const mask = tf.tile(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), [STEPS, 1]);
    const g = tf.grad((p: TF.Tensor) => tf.sum(tf.mul(f(p), mask)))(pts);
    const w = tf.tensor(Float32Array.from(q.weights), [STEPS, 1, 1, 1, 1]);
    const total = tf.sum(tf.mul(tf.reshape(g, [STEPS, n, ...x.shape.slice(1)]), w), 0);
    return tf.mul(total, x).dataSync() as Float32Array;
  });
}

function worstRelL2(got: ArrayLike<number>, want: ArrayLike<number>, n: number): number {
  const per = want.length / n;
  let worst = 0;
  for (let e = 0; e < n; e++) {
    let num = 0;
    let den = 0;
    for (let d = 0; d < per; d++) {
      num += (got[e * per + d]! - want[e * per + d]!) ** 2;
      den += want[e * per + d]! ** 2;
    }
    worst = Math.max(worst, Math.sqrt(num / (den || 1)));
  }
  return worst;
}

interface Row {
  model: ModelName;
  images: number;
  impl: string;
  timing?: Timing;
  skipped?: string;
  worstRelL2?: number;
}

/** Peak RSS of a fresh process running IG with `steps` at internalBatchSize 256 on the CNN. */
function peakMemory(steps: number): { steps: number; maxRssMB: number; heapUsedMB: number } {
  const script = `
    import { integratedGradients } from '@pathgrad/attribution';
    import { loadPretrained } from '@pathgrad/nn';
    import { mnist } from '@pathgrad/nn/node';
    import { setBackend, backendInfo } from '@pathgrad/tensor';
    if (backendInfo('wasm').available) setBackend('wasm');
    const model = loadPretrained('mnist-cnn');
    const { images, labels } = mnist({ split: 'test', limit: 1 });
    integratedGradients(model, images, { target: labels, steps: ${steps}, internalBatchSize: 256 });
    const m = process.memoryUsage();
    console.log(JSON.stringify({ maxRss: process.resourceUsage().maxRSS, heap: m.heapUsed }));`;
  const tsx = require.resolve('tsx/cli', { paths: [repoRoot] });
  const out = execFileSync(process.execPath, [tsx, '--eval', script], { cwd: join(repoRoot, 'benchmarks'), encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { maxRss: number; heap: number };
  return { steps, maxRssMB: r.maxRss / 1024, heapUsedMB: r.heap / 2 ** 20 };
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
  const wasmDir = join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..', '..', 'wasm-out') + '/';
  setWasmPaths(wasmDir);
  const rows: Row[] = [];
  const counts = opts.quick ? [1] : [1, 100];
  for (const name of ['mlp', 'cnn'] as ModelName[]) {
    const model = loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module;
    const sd = model.stateDict();
    for (const n of counts) {
      const { images, labels } = mnist({ split: 'test', limit: n });
      const targets = Int32Array.from(labels.toTypedArray());
      // float64 reference on cpu
      setBackend('cpu');
      const m64 = (loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module).to('float64');
      const ref = integratedGradients(m64, cast(images, 'float64'), { target: targets, steps: STEPS, internalBatchSize: 4096 }).attributions.toTypedArray();
      for (const backend of BACKENDS) {
        const impl = `pathgrad-${backend}`;
        const info = backendInfo(backend);
        if (!info.available) {
          rows.push({ model: name, images: n, impl, skipped: info.note ?? 'unavailable' });
          continue;
        }
        if (backend === 'cpu' && name === 'cnn' && n > 1 && !opts.quick) {
          rows.push({ model: name, images: n, impl, skipped: 'reference JS loops: too slow for 6,400 CNN points in this run' });
          continue;
        }
        setBackend(backend);
        let out: Tensor | undefined;
        const fn = () => {
          out = integratedGradients(model, images, { target: targets, steps: STEPS, internalBatchSize: 1024 }).attributions;
        };
        const timing = await measure(`${impl} ${name} x${n}`, fn, opts.quick);
        rows.push({ model: name, images: n, impl, timing, worstRelL2: worstRelL2(out!.toTypedArray(), ref, n) });
        setBackend('cpu');
      }
      for (const backend of ['cpu', 'wasm'] as const) {
        const impl = `tfjs-${backend}`;
        if (backend === 'cpu' && name === 'cnn' && n > 1) {
          rows.push({ model: name, images: n, impl, skipped: 'about 2.5 s per image: not run for 100 images' });
          continue;
        }
        await tf.setBackend(backend);
        await tf.ready();
        const { f, keep } = tfjsForward(name, sd);
        const x = tf.tensor(Float32Array.from(images.toTypedArray()), images.shape as number[]);
        let out: Float32Array | undefined;
        const timing = await measure(`${impl} ${name} x${n}`, () => {
          out = tfjsIG(f, x, targets);
        }, opts.quick);
        rows.push({ model: name, images: n, impl, timing, worstRelL2: worstRelL2(out!, ref, n) });
        [...keep, x].forEach((t) => t.dispose());
      }
    }
  }
  const memory = opts.quick ? [] : [64, 256, 1024, 4096].map(peakMemory);
  for (const r of rows) {
    console.log(
      `${r.model} x${r.images} ${r.impl.padEnd(14)} ${r.timing ? `${ms(r.timing.medianMs)} ms (±${ms(r.timing.madMs)})  worst rel L2 vs float64 ${r.worstRelL2!.toExponential(2)}` : `skipped: ${r.skipped}`}`,
    );
  }
  for (const m of memory) console.log(`steps ${m.steps}: maxRSS ${m.maxRssMB.toFixed(0)} MB, heap ${m.heapUsedMB.toFixed(0)} MB`);
  if (opts.quick) return;
  const file = writeResult('ig', { machine: machineInfo(), steps: STEPS, rows, memory });
  const fastestTf = (model: ModelName, n: number) =>
    Math.min(...rows.filter((r) => r.model === model && r.images === n && r.impl.startsWith('tfjs') && r.timing).map((r) => r.timing!.medianMs));
  const table = rows
    .map((r) => {
      const ratio = r.timing ? (fastestTf(r.model, r.images) / r.timing.medianMs).toFixed(2) : '';
      return `| ${r.model} | ${r.images} | ${r.impl} | ${r.timing ? `${ms(r.timing.medianMs)} ± ${ms(r.timing.madMs)}` : `— (${r.skipped})`} | ${r.impl.startsWith('pathgrad') ? ratio : ''} | ${r.worstRelL2 !== undefined ? r.worstRelL2.toExponential(1) : ''} |`;
    })
    .join('\n');
  const mem = memory.map((m) => `| ${m.steps} | ${m.maxRssMB.toFixed(0)} | ${m.heapUsedMB.toFixed(0)} |`).join('\n');
  writeDocSection(
    'ig',
    `## Integrated Gradients (64 Gauss-Legendre steps, float32)

Pretrained MNIST models, real test digits, target = true label, zero baseline; medians over
repeated runs after warm-up (± median absolute deviation), all measured in one process
(${new Date().toISOString().slice(0, 10)}, ${machineInfo().cpus} cores, load ${(machineInfo().loadavg as number[])[0]!.toFixed(1)}).
"speed-up" = fastest tfjs backend's time / pathgrad's time for the same workload (> 1: pathgrad faster).
"rel L2" = worst per-image relative L2 distance to pathgrad's float64 cpu result.

| model | images | implementation | time (ms) | speed-up vs fastest tfjs | rel L2 vs float64 |
| --- | --- | --- | --- | --- | --- |
${table}

PyTorch (2 threads, same machine type, not this run): about 1.2-3.4 ms (MLP) and 14-18 ms (CNN) for one image.

### Peak memory against steps (CNN, one image, internalBatchSize 256, fresh process each)

| steps | maxRSS (MB) | heap after (MB) |
| --- | --- | --- |
${mem}

Raw results: \`${file.slice(repoRoot.length + 1)}\`.`,
  );
}
