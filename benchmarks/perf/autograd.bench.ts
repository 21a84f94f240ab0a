/**
 * Autograd benchmark: forward + backward-to-input of the MNIST MLP (784-128-64-10) and CNN
 * (lib/models.ts) at batch 1, 64 and 256 float32 images with seeded random weights, for
 * pathgrad (nn modules, every backend) and `tf.grad` in TensorFlow.js (cpu and wasm), side by
 * side in one process. Then a V8 CPU profile of pathgrad's forward+backward names the share
 * of time spent in the engine itself (tape recording and replay) against the kernels, copies,
 * allocation and the op layer. Writes docs/results/bench-autograd-<date>.json and the autograd
 * section of docs/benchmarks.md (unless `--quick`).
 *
 * The differentiated scalar is the sum of each example's logit for a fixed class (what an
 * attribution method asks for), so the backward pass starts from a one-hot cotangent.
 */
import { grad } from '@pathgrad/autograd';
import type { Module } from '@pathgrad/nn';
import { Tensor, backendInfo, mul, randn, rng, setBackend, sum, type BackendName } from '@pathgrad/tensor';
import { DEFAULT_BACKEND, defaultLabel, implLabel, machineInfo, measure, ms, relDiff, restoreDefaultBackend, writeDocSection, writeResult, type Timing } from './lib/measure.js';
import { loadTfjs, pathgradModel, tfjsModel, toTfjs, useTfjs, type ModelName } from './lib/models.js';
import { breakdown, profileFn, CATEGORIES, type Breakdown } from './lib/profile.js';
import { barChart, renderSvg } from './lib/charts.js';
import type { BenchOptions } from './run.js';

const TARGET_CLASS = 3;
const BACKENDS: BackendName[] = ['cpu', 'wasm', 'gpujs'];

function oneHot(batch: number): Tensor {
  const m = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) m[i * 10 + TARGET_CLASS] = 1;
  return new Tensor(m, [batch, 10], 'float32');
}

interface Row {
  model: ModelName;
  batch: number;
  impl: string;
  timing?: Timing;
  skipped?: string;
  speedVsFastestTfjs?: number;
  relDiffVsCpu?: number;
}

/** Runs the autograd benchmark. */
export async function run(opts: BenchOptions): Promise<void> {
  const { quick } = opts;
  const tf = loadTfjs();
  const rows: Row[] = [];
  const profiles: Record<string, Breakdown & { forwardOnlyMs: number; fwdBwdMs: number }> = {};
  const batches = quick ? [64] : [1, 64, 256];
  for (const name of ['mlp', 'cnn'] as ModelName[]) {
    const model: Module = pathgradModel(name, 7);
    const sd = model.stateDict();
    for (const batch of batches) {
      const x = randn([batch, 1, 28, 28], rng(11), { std: 0.5 });
      const mask = oneHot(batch);
      let reference: Float32Array | undefined;
      // the default backend (no setBackend) is the main row; explicit backends around it (cpu first: the reference)
      const order: (BackendName | undefined)[] = quick ? [undefined] : [...(DEFAULT_BACKEND === 'cpu' ? [] : ['cpu' as const]), undefined, ...BACKENDS.filter((b) => b !== 'cpu' && b !== DEFAULT_BACKEND)];
      for (const backend of order) {
        const impl = backend === undefined ? defaultLabel() : implLabel(backend);
        const info = backendInfo(backend ?? DEFAULT_BACKEND);
        if (!info.available) {
          rows.push({ model: name, batch, impl, skipped: info.note ?? 'unavailable' });
          continue;
        }
        if (backend === 'cpu' && name === 'cnn' && batch === 256) {
          rows.push({ model: name, batch, impl, skipped: 'reference JS loops; not timed at batch 256 (seconds per call)' });
          continue;
        }
        if (backend === 'gpujs' && batch > 1 && !['webgpu', 'headlessgl', 'webgl', 'webgl2', 'gpu'].includes(info.mode ?? '')) {
          rows.push({ model: name, batch, impl, skipped: `gpu.js in mode '${info.mode ?? '?'}' (no GPU): batch 1 only` });
          continue;
        }
        if (backend !== undefined) setBackend(backend);
        const inputGrad = grad((xx: Tensor) => sum(mul(model.forward(xx), mask)));
        let last: Tensor | undefined;
        const fn = () => {
          last = inputGrad(x);
        };
        try {
          const timing = await measure(`${name} b${batch} ${impl}`, fn, quick);
          const res = Float32Array.from(last!.toTypedArray());
          if ((backend ?? DEFAULT_BACKEND) === 'cpu') reference = res;
          rows.push({ model: name, batch, impl, timing, ...(reference ? { relDiffVsCpu: relDiff(res, reference) } : {}) });
          if (batch === 64 && backend === undefined && !quick) {
            // the engine's share: forward alone (nothing recorded) vs forward+backward, and a profile
            const fwd = await measure(`${name} ${impl} forward`, () => void model.forward(x), quick);
            const b = breakdown(await profileFn(fn, 10));
            profiles[`${name} ${impl}`] = { ...b, forwardOnlyMs: fwd.medianMs, fwdBwdMs: timing.medianMs };
          }
        } catch (e) {
          rows.push({ model: name, batch, impl, skipped: `error: ${e instanceof Error ? e.message : String(e)}` });
        }
        restoreDefaultBackend();
      }
      for (const backend of quick ? (['wasm'] as const) : (['cpu', 'wasm'] as const)) {
        const impl = `tfjs-${backend}`;
        if (backend === 'cpu' && name === 'cnn' && batch === 256) {
          rows.push({ model: name, batch, impl, skipped: 'not timed at batch 256 (seconds per call)' });
          continue;
        }
        if (!(await useTfjs(backend))) {
          rows.push({ model: name, batch, impl, skipped: `tfjs backend '${backend}' failed to initialise` });
          continue;
        }
        const { f, keep } = tfjsModel(name, sd);
        const tx = toTfjs(x);
        const tmask = toTfjs(mask);
        const g = tf.grad((xx: ReturnType<typeof toTfjs>) => tf.sum(tf.mul(f(xx), tmask)));
        let out: Float32Array | undefined;
        const timing = await measure(`${name} b${batch} ${impl}`, () => {
          out = tf.tidy(() => g(tx).dataSync() as Float32Array);
        }, quick);
        rows.push({ model: name, batch, impl, timing, ...(reference ? { relDiffVsCpu: relDiff(out!, reference) } : {}) });
        [...keep, tx, tmask].forEach((t) => t.dispose());
      }
      const tfBest = Math.min(...rows.filter((r) => r.model === name && r.batch === batch && r.impl.startsWith('tfjs') && r.timing).map((r) => r.timing!.medianMs));
      for (const r of rows) if (r.model === name && r.batch === batch && r.timing && r.impl.startsWith('pathgrad')) r.speedVsFastestTfjs = tfBest / r.timing.medianMs;
    }
  }
  restoreDefaultBackend();
  for (const r of rows) {
    console.log(`${r.model} b${String(r.batch).padEnd(3)} ${r.impl.padEnd(26)} ${r.timing ? `${ms(r.timing.medianMs).padStart(8)} ms ±${ms(r.timing.madMs)}${r.speedVsFastestTfjs ? `  ${r.speedVsFastestTfjs.toFixed(2)}x vs fastest tfjs` : ''}` : `skipped: ${r.skipped}`}`);
  }
  if (quick) return;
  const file = writeResult('autograd', { machine: machineInfo(), rows, profiles });
  const table = rows
    .map((r) =>
      r.timing
        ? `| ${r.model} | ${r.batch} | ${r.impl} | ${ms(r.timing.medianMs)} ± ${ms(r.timing.madMs)} | ${r.speedVsFastestTfjs ? `${r.speedVsFastestTfjs.toFixed(2)}×` : ''} | ${r.relDiffVsCpu?.toExponential(1) ?? ''} |`
        : `| ${r.model} | ${r.batch} | ${r.impl} | — (${r.skipped}) | | |`,
    )
    .join('\n');
  const pct = (b: Breakdown, c: (typeof CATEGORIES)[number]) => `${((100 * b.byCategory[c]) / Math.max(b.totalMs, 1e-9)).toFixed(1)}%`;
  const prof = Object.entries(profiles)
    .map(([k, p]) => `| ${k} | ${ms(p.fwdBwdMs)} | ${ms(p.forwardOnlyMs)} | ${CATEGORIES.map((c) => pct(p, c)).join(' | ')} |`)
    .join('\n');
  const chart = await renderSvg(
    'autograd',
    barChart('forward + backward to the input (ms, log scale)', 'ms', rows.filter((r) => r.timing).map((r) => ({ x: `${r.model} batch ${r.batch}`, y: r.timing!.medianMs, series: r.impl }))),
  );
  writeDocSection(
    'autograd',
    `## Autograd: forward + backward to the input

One call = forward of a batch of float32 MNIST-sized inputs through the nn module (seeded random weights) plus the
gradient of the sum of class-${TARGET_CLASS} logits with respect to the input (what one step of Integrated Gradients
costs). pathgrad uses \`grad\`; TensorFlow.js uses \`tf.grad\` inside \`tf.tidy\` and reads the result back with
\`dataSync()\`. "speed-up" = the fastest tfjs backend's median / this median (> 1: pathgrad faster), same run.
The last column checks that every implementation computed the same gradient (max abs diff / max abs value vs pathgrad-cpu).

| model | batch | implementation | median ms ± MAD | speed-up vs fastest tfjs | diff vs pathgrad-cpu |
| --- | --: | --- | --: | --: | --: |
${table}

![forward+backward](${chart})

### The engine's own share (batch 64)

A V8 CPU profile (sampling every 100 µs) of pathgrad's forward+backward, self time by source: **tape** is
packages/autograd (recording, walking the tape, accumulating gradients); **kernels** the typed-array loops and
WebAssembly; **copies** strided copies in/out of wasm memory and \`toTypedArray\`; **allocation** buffer and tensor
construction; **GC** garbage collection; **opLayer** the rest of packages/tensor and nn (dispatch, shape rules,
argument checks, VJP bodies). "forward only" is the same forward with nothing recorded.

| run | fwd+bwd ms | forward only ms | ${CATEGORIES.join(' | ')} |
| --- | --: | --: | ${CATEGORIES.map(() => '--:').join(' | ')} |
${prof}

Raw data: \`${file.slice(file.indexOf('results/'))}\`.`,
  );
}
