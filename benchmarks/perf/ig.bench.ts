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
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { integratedGradients, quadrature } from '@pathgrad/attribution';
import { loadPretrained, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, backendInfo, cast, setBackend, type BackendName } from '@pathgrad/tensor';
import { implLabel, machineInfo, measure, ms, repoRoot, writeDocSection, writeResult, type Timing } from './lib/measure.js';
import { loadTfjs, tfjsModel } from './lib/models.js';
import { breakdown, readProfile, CATEGORIES, type Breakdown } from './lib/profile.js';
import type { BenchOptions } from './run.js';

const require = createRequire(import.meta.url);
const tf = loadTfjs();
const STEPS = 64;
type ModelName = 'mlp' | 'cnn';
const BACKENDS: BackendName[] = ['cpu', 'wasm', 'gpujs'];

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

/** `node --cpu-prof` of 64-step IG on one image on the CNN (profile-ig.ts), broken down by category. */
function profileIG(reps: number, backend: string): Breakdown & { msPerCall: number } {
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-prof-'));
  const tsx = require.resolve('tsx', { paths: [repoRoot] });
  const out = execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--import', tsx, join(repoRoot, 'benchmarks', 'perf', 'profile-ig.ts'), '--reps', String(reps), '--backend', backend], {
    cwd: join(repoRoot, 'benchmarks'),
    encoding: 'utf8',
  });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  // only the IG calls: drop module loading (tsx's transform, the MNIST and weights decoding)
  const b = breakdown(readProfile(join(dir, file)), (url) => !url.includes('/tsx/') && !url.includes('esbuild'));
  rmSync(dir, { recursive: true, force: true });
  const { msPerCall } = JSON.parse(out.trim().split('\n').pop()!) as { msPerCall: number };
  return { ...b, msPerCall };
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
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
      for (const backend of opts.quick ? (['wasm'] as BackendName[]) : BACKENDS) {
        const impl = implLabel(backend);
        const info = backendInfo(backend);
        if (!info.available) {
          rows.push({ model: name, images: n, impl, skipped: info.note ?? 'unavailable' });
          continue;
        }
        if (backend === 'gpujs' && name === 'cnn' && n > 1 && !['webgpu', 'headlessgl', 'webgl', 'webgl2', 'gpu'].includes(info.mode ?? '')) {
          rows.push({ model: name, images: n, impl, skipped: `gpu.js in mode '${info.mode ?? '?'}' (no GPU): about 90 s per call for 6,400 CNN points, not run` });
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
      for (const backend of opts.quick ? (['wasm'] as const) : (['cpu', 'wasm'] as const)) {
        const impl = `tfjs-${backend}`;
        if (backend === 'cpu' && name === 'cnn' && n > 1) {
          rows.push({ model: name, images: n, impl, skipped: 'about 2.5 s per image: not run for 100 images' });
          continue;
        }
        await tf.setBackend(backend);
        await tf.ready();
        const { f, keep } = tfjsModel(name, sd);
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
  const profileBackend = backendInfo('wasm').available ? 'wasm' : 'cpu';
  const profile = opts.quick ? undefined : profileIG(20, profileBackend);
  for (const r of rows) {
    console.log(
      `${r.model} x${r.images} ${r.impl.padEnd(14)} ${r.timing ? `${ms(r.timing.medianMs)} ms (±${ms(r.timing.madMs)})  worst rel L2 vs float64 ${r.worstRelL2!.toExponential(2)}` : `skipped: ${r.skipped}`}`,
    );
  }
  for (const m of memory) console.log(`steps ${m.steps}: maxRSS ${m.maxRssMB.toFixed(0)} MB, heap ${m.heapUsedMB.toFixed(0)} MB`);
  if (opts.quick) return;
  const file = writeResult('ig', { machine: machineInfo(), steps: STEPS, rows, memory, profile });
  const pct = (c: (typeof CATEGORIES)[number]) => `${((100 * profile!.byCategory[c]) / Math.max(profile!.totalMs, 1e-9)).toFixed(1)}%`;
  const profTable = `| ${CATEGORIES.join(' | ')} |\n| ${CATEGORIES.map(() => '--:').join(' | ')} |\n| ${CATEGORIES.map(pct).join(' | ')} |`;
  const topTable = profile!.top
    .slice(0, 12)
    .map((t) => `| ${t.fn} | ${t.where} | ${t.category} | ${((100 * t.ms) / profile!.totalMs).toFixed(1)}% |`)
    .join('\n');
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

### Where the time goes: CPU profile of IG on the CNN

\`node --cpu-prof\` of 20 calls of 64-step IG on one test image (benchmarks/perf/profile-ig.ts, ${profileBackend} backend,
${ms(profile!.msPerCall)} ms per call under the profiler), self time by category (lib/profile.ts): **kernels** =
typed-array loops of packages/tensor/src/kernels and WebAssembly; **copies** = strided copies into and out of wasm
memory, \`toTypedArray\`, \`contiguous\`; **allocation** = buffer and tensor construction; **gc** = garbage
collection; **tape** = packages/autograd; **attribution** = packages/attribution (point construction, gradient
accumulation); **opLayer** = the rest of packages/tensor and nn (dispatch, shape rules, checks); **other** = the
rest (tinybench, Node internals).

${profTable}

Heaviest functions (self time):

| function | file | category | share |
| --- | --- | --- | --: |
${topTable}

Raw results: \`${file.slice(repoRoot.length + 1)}\`.`,
  );
}
