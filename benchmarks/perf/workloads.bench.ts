/**
 * End-to-end workloads: every attribution method at its defaults on one MNIST test image
 * on the pretrained CNN (time and gradient evaluations); one training epoch of the MLP and
 * the CNN against the same loop in TensorFlow.js (cpu and wasm); IGC over the MNIST test
 * set (images per second, extrapolated from a measured subset), in one thread and with
 * `pathgrad igc --workers 2`. Writes the `workloads` section of docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { igcAccumulate } from '@pathgrad/attribution';
import { Adam, fit, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { backendInfo, setBackend, type BackendName } from '@pathgrad/tensor';
// benchmarks may import anything; the CLI's registry holds every method with its defaults
import { METHODS, resolveOptions } from '../../packages/cli/src/methods.js';
import { igcCommand } from '../../packages/cli/src/commands/igc.js';
import { DEFAULT_BACKEND, defaultLabel, implLabel, machineInfo, measure, ms, restoreDefaultBackend, writeDocSection, writeResult } from './lib/measure.js';
import { loadTfjs, pathgradModel, tfjsModel, useTfjs, type ModelName } from './lib/models.js';
import { barChart, renderSvg } from './lib/charts.js';
import type { BenchOptions } from './run.js';

const EPOCH = 60000;
const BATCH = 64;

/** Time of a possibly slow call: tinybench when a call is short, else the median of a few single runs. */
async function timeCall(name: string, fn: () => void, quick: boolean): Promise<{ medianMs: number; runs: number }> {
  const t0 = performance.now();
  fn();
  const once = performance.now() - t0;
  if (once < 300) {
    const t = await measure(name, fn, quick);
    return { medianMs: t.medianMs, runs: t.samples };
  }
  const times = [once];
  const budget = quick ? 0 : 4000;
  while (times.length < 3 && times.reduce((a, b) => a + b, 0) < budget) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, runs: times.length };
}

interface MethodRow {
  method: string;
  settings: string;
  ms?: number;
  runs?: number;
  evaluations?: number;
  msPerEvaluation?: number;
  skipped?: string;
}

async function methods(quick: boolean): Promise<MethodRow[]> {
  restoreDefaultBackend();
  const model = pathgradModel('cnn');
  const { images, labels } = mnist({ split: 'test', limit: 1 });
  const bg = mnist({ split: 'test', limit: 200 });
  const ctx = {
    model,
    inputs: images,
    target: Int32Array.from(labels.toTypedArray()),
    background: () => ({ images: bg.images, labels: Int32Array.from(bg.labels.toTypedArray()) }),
    seed: 0,
  };
  const rows: MethodRow[] = [];
  // warm up the backend (wasm instantiation, first-call compilation) outside every method's time
  for (let i = 0; i < 3; i++) METHODS.find((m) => m.name === 'ig')!.run(ctx, resolveOptions(METHODS.find((m) => m.name === 'ig')!, {}));
  for (const spec of METHODS) {
    // quick: the demo's reduced settings; full: every option at its default
    const opts = quick ? { ...resolveOptions(spec, {}), ...spec.demo } : resolveOptions(spec, {});
    const settings = quick ? `demo: ${JSON.stringify(spec.demo)}` : 'defaults';
    try {
      let evaluations = 0;
      const t = await timeCall(spec.name, () => {
        evaluations = spec.run(ctx, opts).evaluations;
      }, quick);
      rows.push({ method: spec.name, settings, ms: t.medianMs, runs: t.runs, evaluations, msPerEvaluation: t.medianMs / Math.max(1, evaluations) });
      console.log(`${spec.name.padEnd(20)} ${ms(t.medianMs).padStart(8)} ms  ${evaluations} evaluations`);
    } catch (e) {
      rows.push({ method: spec.name, settings, skipped: e instanceof Error ? e.message.split('\n')[0]! : String(e) });
      console.log(`${spec.name.padEnd(20)} error: ${rows[rows.length - 1]!.skipped}`);
    }
  }
  return rows;
}

interface TrainRow {
  model: ModelName;
  impl: string;
  batches: number;
  msPerBatch?: number;
  epochSeconds?: number;
  skipped?: string;
}

/** One epoch (60,000 images, batch 64, Adam 1e-3), measured over `nb` batches and extrapolated. */
async function training(quick: boolean): Promise<TrainRow[]> {
  const rows: TrainRow[] = [];
  const tf = loadTfjs();
  for (const name of ['mlp', 'cnn'] as ModelName[]) {
    const nb = quick ? 2 : name === 'mlp' ? 30 : 8;
    const data = mnist({ split: 'train', limit: nb * BATCH });
    // the default backend first, then the others by name (gpu.js without a GPU is its slow CPU fallback: not run)
    for (const backend of [undefined, ...(['cpu', 'wasm', 'gpujs'] as BackendName[]).filter((b) => b !== DEFAULT_BACKEND)]) {
      const impl = backend === undefined ? defaultLabel() : implLabel(backend);
      const info = backendInfo(backend ?? DEFAULT_BACKEND);
      if (!info.available) {
        rows.push({ model: name, impl, batches: nb, skipped: info.note ?? 'unavailable' });
        continue;
      }
      if (backend === 'gpujs' && !['webgpu', 'headlessgl', 'webgl', 'webgl2', 'gpu'].includes(info.mode ?? '')) {
        rows.push({ model: name, impl, batches: nb, skipped: `gpu.js in mode '${info.mode ?? '?'}' (no GPU): not run` });
        continue;
      }
      if (backend === 'cpu' && name === 'cnn') {
        rows.push({ model: name, impl, batches: nb, skipped: 'reference JS loops: seconds per batch, not run' });
        continue;
      }
      if (quick && backend !== undefined) continue;
      if (backend !== undefined) setBackend(backend);
      const model: Module = pathgradModel(name, 0);
      // one warm-up batch, then the timed pass over nb batches
      fit(model, { images: data.images, labels: data.labels }, { epochs: 1, batchSize: nb * BATCH, optimizer: new Adam(model.parameters(), { lr: 1e-3 }), rng: 0, progress: 'none' });
      const t0 = performance.now();
      fit(model, data, { epochs: 1, batchSize: BATCH, optimizer: new Adam(model.parameters(), { lr: 1e-3 }), rng: 0, progress: 'none' });
      const per = (performance.now() - t0) / nb;
      rows.push({ model: name, impl, batches: nb, msPerBatch: per, epochSeconds: (per * EPOCH) / BATCH / 1000 });
      restoreDefaultBackend();
    }
    for (const backend of ['cpu', 'wasm'] as const) {
      const impl = `tfjs-${backend}`;
      if (backend === 'cpu' && name === 'cnn') {
        rows.push({ model: name, impl, batches: 0, skipped: 'about 30 s per batch (its filter gradient): not run' });
        continue;
      }
      // --quick: pathgrad's default backend only
      if (quick) continue;
      await useTfjs(backend);
      const { f, vars } = tfjsModel(name, pathgradModel(name, 0).stateDict());
      const opt = tf.train.adam(1e-3);
      const x = tf.tensor(Float32Array.from(data.images.toTypedArray()), data.images.shape as number[]);
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(data.labels.toTypedArray()), 'int32'), 10);
      const step = (b: number) =>
        tf.tidy(() => {
          const xb = tf.slice(x, [b * BATCH, 0, 0, 0], [BATCH, 1, 28, 28]);
          const yb = tf.slice(y, [b * BATCH, 0], [BATCH, 10]);
          const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, f(xb)) as ReturnType<typeof tf.scalar>, true, vars);
          loss?.dataSync();
        });
      try {
        if (nb > 1) step(0);
        const t0 = performance.now();
        for (let b = 0; b < nb; b++) step(b);
        const per = (performance.now() - t0) / nb;
        rows.push({ model: name, impl, batches: nb, msPerBatch: per, epochSeconds: (per * EPOCH) / BATCH / 1000 });
      } catch (e) {
        rows.push({ model: name, impl, batches: nb, skipped: `cannot train: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` });
      }
      [x, y, ...vars].forEach((t) => t.dispose());
      opt.dispose();
    }
  }
  for (const r of rows) console.log(`train ${r.model} ${r.impl.padEnd(26)} ${r.msPerBatch !== undefined ? `${ms(r.msPerBatch)} ms/batch, epoch ≈ ${r.epochSeconds!.toFixed(0)} s` : r.skipped}`);
  return rows;
}

interface IgcRow {
  impl: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  extrapolatedTestSetSeconds: number;
}

/** IGC (64 trapezoid steps, all 10 classes, zero baseline) on the CNN over `n` test images. */
async function igcThroughput(quick: boolean): Promise<IgcRow[]> {
  const n = quick ? 4 : 10;
  const rows: IgcRow[] = [];
  restoreDefaultBackend();
  const model = pathgradModel('cnn');
  const { images, labels } = mnist({ split: 'test', limit: n });
  const t0 = performance.now();
  igcAccumulate(model, { inputs: images, targets: labels }, { steps: 64, internalBatchSize: 640 });
  const s1 = (performance.now() - t0) / 1000;
  rows.push({ impl: `${defaultLabel()}, one process`, images: n, seconds: s1, imagesPerSecond: n / s1, extrapolatedTestSetSeconds: (10000 * s1) / n });
  // the CLI's data-parallel path: the same IGC split over 2 worker threads (fixed-tree reduction)
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-bench-igc-'));
  const args = { model: 'cnn', data: `mnist:test:0-${n - 1}`, steps: '64', method: 'riemannTrapezoid', batchSize: String(Math.max(1, Math.ceil(n / 10))), internalBatchSize: '640', seed: '100', backend: DEFAULT_BACKEND, out: '' };
  // --quick: the in-process run only (the CLI's worker threads take seconds to start)
  for (const workers of quick ? [] : ['1', '2']) {
    const t = performance.now();
    try {
      await igcCommand({ ...args, workers, out: join(dir, `igc-${workers}.json`) }, () => {});
    } catch (e) {
      console.log(`igc --workers ${workers} failed: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const s = (performance.now() - t) / 1000;
    rows.push({ impl: `pathgrad igc --workers ${workers} (${DEFAULT_BACKEND})`, images: n, seconds: s, imagesPerSecond: n / s, extrapolatedTestSetSeconds: (10000 * s) / n });
  }
  rmSync(dir, { recursive: true, force: true });
  restoreDefaultBackend();
  for (const r of rows) console.log(`igc ${r.impl.padEnd(34)} ${r.images} images in ${r.seconds.toFixed(1)} s: ${r.imagesPerSecond.toFixed(1)} images/s, 10,000 ≈ ${r.extrapolatedTestSetSeconds.toFixed(0)} s`);
  return rows;
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
  const methodRows = await methods(opts.quick);
  const trainRows = await training(opts.quick);
  const igcRows = await igcThroughput(opts.quick);
  if (opts.quick) return;
  const file = writeResult('workloads', { machine: machineInfo(), methods: methodRows, training: trainRows, igc: igcRows });
  const methodTable = methodRows
    .map((r) => (r.ms !== undefined ? `| ${r.method} | ${ms(r.ms)} | ${r.runs} | ${r.evaluations} | ${r.msPerEvaluation!.toFixed(3)} |` : `| ${r.method} | — (${r.skipped}) | | | |`))
    .join('\n');
  const bestTf = (m: ModelName) => Math.min(...trainRows.filter((r) => r.model === m && r.impl.startsWith('tfjs') && r.msPerBatch !== undefined).map((r) => r.msPerBatch!));
  const trainTable = trainRows
    .map((r) =>
      r.msPerBatch !== undefined
        ? `| ${r.model} | ${r.impl} | ${ms(r.msPerBatch)} | ${r.epochSeconds!.toFixed(0)} | ${r.impl.startsWith('pathgrad') && Number.isFinite(bestTf(r.model)) ? `${(bestTf(r.model) / r.msPerBatch).toFixed(2)}×` : ''} |`
        : `| ${r.model} | ${r.impl} | — (${r.skipped}) | | |`,
    )
    .join('\n');
  const igcTable = igcRows.map((r) => `| ${r.impl} | ${r.images} | ${r.seconds.toFixed(1)} | ${r.imagesPerSecond.toFixed(1)} | ${(r.extrapolatedTestSetSeconds / 60).toFixed(1)} |`).join('\n');
  const chart = await renderSvg(
    'methods',
    barChart('attribution methods at their defaults, one CNN image (ms, log scale)', 'ms', methodRows.filter((r) => r.ms !== undefined).map((r) => ({ x: r.method, y: r.ms!, series: defaultLabel() }))),
  );
  writeDocSection(
    'workloads',
    `## Attribution methods, training, IGC over the test set

### Every method at its defaults, one image, pretrained CNN (${defaultLabel()})

Each method exactly as \`pathgrad attribute --method <name>\` runs it with no options (the CLI's registry,
packages/cli/src/methods.ts), explaining the true label of MNIST test image 0. "evaluations" = gradient evaluations
(forward+backward of one point; exact Shapley: forward evaluations) per image, as each method reports it. Calls over
300 ms are timed as the median of up to 3 single runs, shorter ones with tinybench. There is no tfjs counterpart
for these methods; the cost per evaluation compares with the forward+backward rows above.

| method | ms | runs | evaluations | ms per evaluation |
| --- | --: | --: | --: | --: |
${methodTable}

![methods](${chart})

### One training epoch (60,000 images, batch ${BATCH}, Adam 1e-3, cross-entropy)

Measured over the first batches of the training set (${[...new Set(trainRows.map((r) => `${r.model} ${r.impl}: ${r.batches}`))].join(', ')} batches)
and extrapolated to the 938 batches of an epoch (time per batch does not depend on the data).
pathgrad: \`fit\` from @pathgrad/nn; tfjs: \`optimizer.minimize\` over the same network (lib/models.ts).
"speed-up" = fastest tfjs backend's time per batch / pathgrad's.

| model | implementation | ms per batch | epoch (s) | speed-up vs fastest tfjs |
| --- | --- | --: | --: | --: |
${trainTable}

tfjs-wasm 4.22 has no \`Conv2DBackpropFilter\` kernel, so it cannot train the CNN (recorded above as the error it gives).

### IGC over the 10,000 MNIST test images (CNN, 64 trapezoid steps, all 10 classes = 640 gradient evaluations per image)

Measured on the first ${igcRows[0]?.images ?? 0} test images and extrapolated linearly to 10,000 (the work per image is fixed).
\`--workers 2\` splits the batches over two worker threads (fixed-tree reduction: the result is bit-identical).

| implementation | images | seconds | images / s | 10,000 images (min, extrapolated) |
| --- | --: | --: | --: | --: |
${igcTable}

Raw data: \`${file.slice(file.indexOf('results/'))}\`.`,
  );
}
