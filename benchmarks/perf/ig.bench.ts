/**
 * Integrated Gradients benchmark (issue 5): IG with 64 Gauss-Legendre steps on the pretrained
 * MNIST MLP and CNN, one image and 16 images, float32, for pathgrad's `integratedGradients`
 * on its default backend (no `setBackend`) and on each explicit backend where useful, and the
 * same computation in TensorFlow.js (cpu and wasm: the batched
 * interpolation points through `tf.grad`, weighted by the same nodes and weights), side by
 * side in one process. Each result is checked against pathgrad's float64 cpu reference
 * (relative L2, worst image): this is where tfjs-wasm's max-pool tie-breaking shows.
 * (Peak memory against steps is measured by the peers suite.) Writes docs/results/bench-ig-<date>.json and
 * the `ig` section of docs/benchmarks.md (unless --quick).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integratedGradients, quadrature } from '@pathgrad/attribution';
import { loadPretrained, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, backendInfo, cast, setBackend, withBackend, type BackendName } from '@pathgrad/tensor';
import { DEFAULT_BACKEND, defaultLabel, implLabel, machineInfo, measure, ms, repoRoot, restoreDefaultBackend, worstRelL2, writeDocSection, writeResult, type Timing } from './lib/measure.js';
import { loadTfjs, tfjsIG, tfjsModel } from './lib/models.js';
import { breakdown, readProfile, CATEGORIES, type Breakdown } from './lib/profile.js';
import type { BenchOptions } from './run.js';

const require = createRequire(import.meta.url);
const tf = loadTfjs();
const STEPS = 64;
type ModelName = 'mlp' | 'cnn';
const BACKENDS: BackendName[] = ['cpu', 'wasm', 'gpujs'];

interface Row {
  model: ModelName;
  images: number;
  impl: string;
  timing?: Timing;
  skipped?: string;
  worstRelL2?: number;
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
  const counts = opts.quick ? [1] : [1, 16];
  const q = quadrature('gaussLegendre', STEPS);
  for (const name of ['mlp', 'cnn'] as ModelName[]) {
    const model = loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module;
    const sd = model.stateDict();
    for (const n of counts) {
      const { images, labels } = mnist({ split: 'test', limit: n });
      const targets = Int32Array.from(labels.toTypedArray());
      // float64 reference on the exact cpu path
      const m64 = (loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module).to('float64');
      const ref = withBackend('cpu', () => integratedGradients(m64, cast(images, 'float64'), { target: targets, steps: STEPS }).attributions.toTypedArray());
      // the default backend (what a caller who never calls setBackend gets), then the others by name
      const explicit = opts.quick ? [] : BACKENDS.filter((b) => b !== DEFAULT_BACKEND);
      for (const backend of [undefined, ...explicit] as (BackendName | undefined)[]) {
        const impl = backend === undefined ? defaultLabel() : implLabel(backend);
        const info = backendInfo(backend ?? DEFAULT_BACKEND);
        if (!info.available) {
          rows.push({ model: name, images: n, impl, skipped: info.note ?? 'unavailable' });
          continue;
        }
        if (backend === 'gpujs' && name === 'cnn' && !['webgpu', 'headlessgl', 'webgl', 'webgl2', 'gpu'].includes(info.mode ?? '')) {
          rows.push({ model: name, images: n, impl, skipped: `gpu.js in mode '${info.mode ?? '?'}' (no GPU): seconds per CNN call, not run` });
          continue;
        }
        if (backend === 'cpu' && name === 'cnn' && n > 1) {
          rows.push({ model: name, images: n, impl, skipped: 'reference JS loops: too slow for 1,024 CNN points in this run' });
          continue;
        }
        if (backend !== undefined) setBackend(backend);
        let out: Tensor | undefined;
        const fn = () => {
          out = integratedGradients(model, images, { target: targets, steps: STEPS }).attributions;
        };
        const timing = await measure(`${impl} ${name} x${n}`, fn, opts.quick);
        rows.push({ model: name, images: n, impl, timing, worstRelL2: worstRelL2(out!.toTypedArray(), ref, n) });
        restoreDefaultBackend();
      }
      for (const backend of opts.quick ? (['wasm'] as const) : (['cpu', 'wasm'] as const)) {
        const impl = `tfjs-${backend}`;
        if (backend === 'cpu' && name === 'cnn') {
          rows.push({ model: name, images: n, impl, skipped: 'about 2.5 s per image: not run (tfjs-wasm is the faster tfjs here)' });
          continue;
        }
        await tf.setBackend(backend);
        await tf.ready();
        const { f, keep } = tfjsModel(name, sd);
        const x = tf.tensor(Float32Array.from(images.toTypedArray()), images.shape as number[]);
        let out: Float32Array | undefined;
        const timing = await measure(`${impl} ${name} x${n}`, () => {
          out = tfjsIG(f, x, targets, q);
        }, opts.quick);
        rows.push({ model: name, images: n, impl, timing, worstRelL2: worstRelL2(out!, ref, n) });
        [...keep, x].forEach((t) => t.dispose());
      }
    }
  }
  const profileBackend = DEFAULT_BACKEND;
  const PROFILE_REPS = 10;
  const profile = opts.quick ? undefined : profileIG(PROFILE_REPS, profileBackend);
  for (const r of rows) {
    console.log(
      `${r.model} x${r.images} ${r.impl.padEnd(14)} ${r.timing ? `${ms(r.timing.medianMs)} ms (±${ms(r.timing.madMs)})  worst rel L2 vs float64 ${r.worstRelL2!.toExponential(2)}` : `skipped: ${r.skipped}`}`,
    );
  }
  if (opts.quick) return;
  const file = writeResult('ig', { machine: machineInfo(), steps: STEPS, rows, profile });
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

PyTorch, onnxruntime-web and jax-js, measured in the same run, and peak memory against steps: the targets section at the top.

### Where the time goes: CPU profile of IG on the CNN

\`node --cpu-prof\` of ${PROFILE_REPS} calls of 64-step IG on one test image (benchmarks/perf/profile-ig.ts, default backend: ${profileBackend},
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
