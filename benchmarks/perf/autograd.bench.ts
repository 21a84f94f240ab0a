/**
 * Autograd benchmark: forward + backward-to-input of the MNIST MLP (784-128-64-10) and
 * CNN (conv 1->16 5x5, relu, maxpool 2, conv 16->32 5x5, relu, maxpool 2, linear 512->64,
 * relu, linear 64->10) on a batch of 64 float32 images with seeded random weights, for
 * pathgrad (cpu and wasm backends) and `tf.grad` in TensorFlow.js (cpu and wasm backends),
 * side by side in one process. Then a V8 CPU profile of pathgrad's forward+backward names
 * the share of time spent in the engine itself (tape recording and replay) against the
 * kernels and the op layer. Writes docs/results/bench-autograd-<date>.json and the
 * autograd section of docs/benchmarks.md (unless `--quick`).
 *
 * The differentiated scalar is the sum of each example's logit for a fixed class (what an
 * attribution method asks for), so the backward pass starts from a one-hot cotangent.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node bundle has no gradient functions; the union package registers them all
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  add,
  backendInfo,
  conv2d,
  matmul,
  maxPool2d,
  mul,
  randn,
  relu,
  reshape,
  rng,
  setBackend,
  sum,
  Tensor,
  type BackendName,
} from '@pathgrad/tensor';
// benchmarks may import anything; a relative path keeps this suite out of benchmarks/package.json
import { grad } from '../../packages/autograd/src/index.js';
import { Bench } from 'tinybench';
import type { BenchOptions } from './run.js';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const BATCH = 64;
const TARGET_CLASS = 3;
type ModelName = 'mlp' | 'cnn';
type ImplName = `pathgrad-${BackendName}` | 'tfjs-cpu' | 'tfjs-wasm';
const IMPLS: ImplName[] = ['pathgrad-cpu', 'pathgrad-wasm', 'tfjs-cpu', 'tfjs-wasm'];

/** Seeded weights in PyTorch layouts (Linear [out, in], Conv2d [out, in, kh, kw]). */
interface Weights {
  [name: string]: Tensor;
}

function makeWeights(model: ModelName): Weights {
  const g = rng(7);
  const lin = (o: number, i: number) => randn([o, i], g, { std: Math.sqrt(2 / i) });
  const bias = (o: number) => randn([o], g, { std: 0.01 });
  if (model === 'mlp') return { w1: lin(128, 784), b1: bias(128), w2: lin(64, 128), b2: bias(64), w3: lin(10, 64), b3: bias(10) };
  return {
    c1: randn([16, 1, 5, 5], g, { std: Math.sqrt(2 / 25) }),
    cb1: bias(16),
    c2: randn([32, 16, 5, 5], g, { std: Math.sqrt(2 / 400) }),
    cb2: bias(32),
    w3: lin(64, 512),
    b3: bias(64),
    w4: lin(10, 64),
    b4: bias(10),
  };
}

function makeInput(model: ModelName): Tensor {
  const g = rng(11);
  return randn(model === 'mlp' ? [BATCH, 784] : [BATCH, 1, 28, 28], g, { std: 0.5 });
}

/** Linear layers store [out, in]; pre-transpose once so the forward is a plain matmul. */
function pathgradModel(model: ModelName, w: Weights): (x: Tensor) => Tensor {
  const t = transposeCopy;
  if (model === 'mlp') {
    const [w1, w2, w3] = [t(w.w1!), t(w.w2!), t(w.w3!)];
    return (x) => add(matmul(relu(add(matmul(relu(add(matmul(x, w1), w.b1!)), w2), w.b2!)), w3), w.b3!);
  }
  const [w3, w4] = [t(w.w3!), t(w.w4!)];
  return (x) => {
    let h = maxPool2d(relu(conv2d(x, w.c1!, w.cb1!)), { kernelSize: 2 });
    h = maxPool2d(relu(conv2d(h, w.c2!, w.cb2!)), { kernelSize: 2 });
    h = reshape(h, [BATCH, 512]);
    return add(matmul(relu(add(matmul(h, w3), w.b3!)), w4), w.b4!);
  };
}

function transposeCopy(m: Tensor): Tensor {
  const [r, c] = m.shape as [number, number];
  const src = m.toTypedArray();
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j]!;
  return new Tensor(out, [c, r], 'float32');
}

function oneHotMask(): Tensor {
  const m = new Float32Array(BATCH * 10);
  for (let i = 0; i < BATCH; i++) m[i * 10 + TARGET_CLASS] = 1;
  return new Tensor(m, [BATCH, 10], 'float32');
}

function tfjsModel(model: ModelName, w: Weights): { f: (x: tf.Tensor) => tf.Tensor; keep: tf.Tensor[] } {
  const T = (t: Tensor) => tf.tensor(t.toTypedArray() as Float32Array, t.shape as number[]);
  if (model === 'mlp') {
    const [w1, w2, w3] = [w.w1!, w.w2!, w.w3!].map((m) => tf.transpose(T(m)));
    const [b1, b2, b3] = [w.b1!, w.b2!, w.b3!].map(T);
    const f = (x: tf.Tensor) =>
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w1 as tf.Tensor2D), b1!)), w2 as tf.Tensor2D), b2!)) as tf.Tensor2D, w3 as tf.Tensor2D), b3!);
    return { f, keep: [w1!, w2!, w3!, b1!, b2!, b3!] };
  }
  // tfjs convolves NHWC with filters [kh, kw, in, out]
  const [c1, c2] = [w.c1!, w.c2!].map((m) => tf.transpose(T(m), [2, 3, 1, 0]) as tf.Tensor4D);
  const [cb1, cb2, b3, b4] = [w.cb1!, w.cb2!, w.b3!, w.b4!].map(T);
  const [w3, w4] = [w.w3!, w.w4!].map((m) => tf.transpose(T(m)) as tf.Tensor2D);
  const f = (x: tf.Tensor) => {
    const nhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(nhwc, c1!, 1, 'valid'), cb1!)) as tf.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2!, 1, 'valid'), cb2!)) as tf.Tensor4D, 2, 2, 'valid');
    // flatten in NCHW order so the linear layer sees pathgrad's (PyTorch's) feature order
    const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [BATCH, 512]) as tf.Tensor2D;
    return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w3!), b3!)) as tf.Tensor2D, w4!), b4!);
  };
  return { f, keep: [c1!, c2!, cb1!, cb2!, b3!, b4!, w3!, w4!] };
}

interface Prepared {
  fn: () => void;
  result: () => Float32Array;
  dispose: () => void;
}

function preparePathgrad(model: ModelName, backend: BackendName, x: Tensor, w: Weights): Prepared | string {
  const info = backendInfo(backend);
  if (!info.available) return `backend unavailable: ${info.note ?? ''}`;
  setBackend(backend);
  const net = pathgradModel(model, w);
  const mask = oneHotMask();
  const inputGrad = grad((x: Tensor) => sum(mul(net(x), mask)));
  let last: Tensor | undefined;
  return {
    fn: () => {
      last = inputGrad(x);
    },
    result: () => Float32Array.from((last ?? inputGrad(x)).toTypedArray()),
    dispose: () => setBackend('cpu'),
  };
}

async function prepareTfjs(model: ModelName, backend: 'cpu' | 'wasm', x: Tensor, w: Weights): Promise<Prepared | string> {
  if (!(await tf.setBackend(backend))) return `tfjs backend '${backend}' failed to initialise`;
  await tf.ready();
  const { f, keep } = tfjsModel(model, w);
  const tx = tf.tensor(x.toTypedArray() as Float32Array, x.shape as number[]);
  const mask = tf.tensor(oneHotMask().toTypedArray() as Float32Array, [BATCH, 10]);
  const inputGrad = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(f(xx), mask)));
  const once = () => tf.tidy(() => inputGrad(tx));
  return {
    fn: () => {
      const g = once();
      g.dataSync();
      g.dispose();
    },
    result: () => {
      const g = once();
      const out = g.dataSync() as Float32Array;
      g.dispose();
      return Float32Array.from(out);
    },
    dispose: () => [...keep, tx, mask].forEach((t) => t.dispose()),
  };
}

async function measure(name: string, fn: () => void, quick: boolean) {
  const t0 = performance.now();
  fn();
  const once = performance.now() - t0;
  const bench = new Bench({
    time: quick ? 200 : 2000,
    iterations: once > 1000 ? 3 : quick ? 3 : 10,
    warmupIterations: once > 200 ? 1 : 3,
    warmupTime: quick ? 20 : 200,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`${name}: benchmark ended in state ${r.state}`);
  return { medianMs: r.latency.p50, madMs: r.latency.mad, minMs: r.latency.min, samples: r.latency.samples?.length ?? r.latency.df + 1 };
}

function relDiff(got: Float32Array, want: Float32Array): number {
  if (got.length !== want.length) return Infinity;
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return scale > 0 ? maxDiff / scale : maxDiff;
}

/** Where pathgrad's forward+backward spends its time, by source location. */
interface ProfileShare {
  autograd: number;
  kernels: number;
  opLayer: number;
  gc: number;
  other: number;
  totalMs: number;
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  children?: number[];
}

function category(url: string, fnName: string): keyof Omit<ProfileShare, 'totalMs'> {
  if (fnName === '(garbage collector)') return 'gc';
  if (url.includes('/packages/autograd/')) return 'autograd';
  if (url.startsWith('wasm://') || url.includes('/packages/tensor/src/kernels/') || url.includes('/packages/tensor/src/wasm') || url.includes('/packages/tensor/src/gpujs')) {
    return 'kernels';
  }
  if (url.includes('/packages/tensor/')) return 'opLayer';
  return 'other';
}

/** Samples a CPU profile over `iterations` calls and attributes self time by category. */
async function profileShare(fn: () => void, iterations: number): Promise<ProfileShare> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let i = 0; i < iterations; i++) fn();
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
  session.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // builtins (TypedArray.set, Math.*) have no url: charge them to the nearest caller that has one;
  // frames with no such caller (the inspector's own dispatch, the profiler start-up) are not ours
  const owner = (id: number): ProfileNode | undefined => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n && (n.callFrame.url !== '' || n.callFrame.functionName === '(garbage collector)')) return n;
    }
    return undefined;
  };
  const share: ProfileShare = { autograd: 0, kernels: 0, opLayer: 0, gc: 0, other: 0, totalMs: 0 };
  profile.samples.forEach((id, k) => {
    const node = owner(id);
    const dt = (profile.timeDeltas[k] ?? 0) / 1000;
    // the profiler's own start-up lands on its first sample, inside node:inspector
    if (!node || node.callFrame.url.startsWith('node:inspector')) return;
    const cat = category(node.callFrame.url, node.callFrame.functionName);
    share[cat] += dt;
    share.totalMs += dt;
  });
  return share;
}

interface Row {
  model: ModelName;
  impl: ImplName;
  status: 'ok' | 'skipped' | 'error';
  note?: string;
  medianMs?: number;
  madMs?: number;
  minMs?: number;
  samples?: number;
  speedVsTfjsWasm?: number;
  relDiffVsCpu?: number;
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));
const pct = (x: number, total: number) => `${((100 * x) / Math.max(total, 1e-9)).toFixed(1)}%`;

/** Runs the autograd benchmark. */
export async function run(opts: BenchOptions): Promise<void> {
  const { quick } = opts;
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  setWasmPaths(`${wasmDir}/`);
  const loadStart = loadavg();
  const rows: Row[] = [];
  const profiles: Record<string, ProfileShare & { forwardOnlyMs: number; fwdBwdMs: number }> = {};
  const models: ModelName[] = ['mlp', 'cnn'];
  for (const model of models) {
    const x = makeInput(model);
    const w = makeWeights(model);
    let reference: Float32Array | undefined;
    for (const impl of IMPLS) {
      let prepared: Prepared | string;
      try {
        prepared = impl.startsWith('pathgrad-')
          ? preparePathgrad(model, impl.slice('pathgrad-'.length) as BackendName, x, w)
          : await prepareTfjs(model, impl === 'tfjs-cpu' ? 'cpu' : 'wasm', x, w);
      } catch (e) {
        prepared = `setup failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (typeof prepared === 'string') {
        rows.push({ model, impl, status: 'skipped', note: prepared });
        console.log(`${model.padEnd(4)} ${impl.padEnd(14)} skipped (${prepared})`);
        continue;
      }
      try {
        const m = await measure(`${model} ${impl}`, prepared.fn, quick);
        const res = prepared.result();
        if (impl === 'pathgrad-cpu') reference = res;
        const row: Row = { model, impl, status: 'ok', ...m };
        if (reference) row.relDiffVsCpu = relDiff(res, reference);
        rows.push(row);
        console.log(`${model.padEnd(4)} ${impl.padEnd(14)} ${fmt(m.medianMs, 2).padStart(9)} ms ±${fmt(m.madMs, 2)}  grad diff vs pathgrad-cpu ${row.relDiffVsCpu?.toExponential(1) ?? '–'}`);
        if (impl.startsWith('pathgrad-')) {
          // the engine's share: forward alone (nothing recorded) vs forward+backward, and a profile
          const backend = impl.slice('pathgrad-'.length) as BackendName;
          setBackend(backend);
          const net = pathgradModel(model, w);
          const fwd = await measure(`${model} ${impl} forward`, () => void net(x), quick);
          const share = await profileShare(prepared.fn, quick ? 3 : 15);
          profiles[`${model} ${impl}`] = { ...share, forwardOnlyMs: fwd.medianMs, fwdBwdMs: m.medianMs };
          console.log(
            `     forward only ${fmt(fwd.medianMs)} ms; profile of fwd+bwd: autograd ${pct(share.autograd, share.totalMs)}, kernels ${pct(share.kernels, share.totalMs)}, op layer ${pct(share.opLayer, share.totalMs)}, gc ${pct(share.gc, share.totalMs)}, other ${pct(share.other, share.totalMs)}`,
          );
        }
      } catch (e) {
        rows.push({ model, impl, status: 'error', note: e instanceof Error ? e.message : String(e) });
        console.log(`${model.padEnd(4)} ${impl.padEnd(14)} error: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        prepared.dispose();
      }
    }
    const tfw = rows.find((r) => r.model === model && r.impl === 'tfjs-wasm' && r.status === 'ok');
    for (const r of rows) if (r.model === model && r.status === 'ok' && tfw) r.speedVsTfjsWasm = tfw.medianMs! / r.medianMs!;
  }
  setBackend('cpu');
  const loadEnd = loadavg();

  const lines = ['| model | implementation | median ms | ± MAD ms | speed vs tfjs-wasm | max grad diff vs pathgrad-cpu |', '|---|---|--:|--:|--:|--:|'];
  for (const r of rows) {
    if (r.status !== 'ok') lines.push(`| ${r.model} | ${r.impl} | ${r.status}: ${r.note ?? ''} | | | |`);
    else lines.push(`| ${r.model} | ${r.impl} | ${fmt(r.medianMs)} | ${fmt(r.madMs)} | ${fmt(r.speedVsTfjsWasm)}× | ${r.relDiffVsCpu?.toExponential(1) ?? '–'} |`);
  }
  const profLines = ['| run | fwd+bwd ms | forward only ms | autograd (tape) | kernels | op layer | GC | other |', '|---|--:|--:|--:|--:|--:|--:|--:|'];
  for (const [k, p] of Object.entries(profiles)) {
    profLines.push(
      `| ${k} | ${fmt(p.fwdBwdMs)} | ${fmt(p.forwardOnlyMs)} | ${pct(p.autograd, p.totalMs)} | ${pct(p.kernels, p.totalMs)} | ${pct(p.opLayer, p.totalMs)} | ${pct(p.gc, p.totalMs)} | ${pct(p.other, p.totalMs)} |`,
    );
  }
  const tableText = lines.join('\n');
  const profText = profLines.join('\n');
  console.log(`\n${tableText}\n\n${profText}`);
  if (quick) {
    console.log('\n(--quick: nothing written to docs/)');
    return;
  }
  const date = new Date().toISOString().slice(0, 10);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverageStart: loadStart, loadAverageEnd: loadEnd };
  const resultsDir = join(root, 'docs', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = join(resultsDir, `bench-autograd-${date}.json`);
  writeFileSync(jsonFile, `${JSON.stringify({ suite: 'autograd', date, machine, versions: { tfjs: tf.version_core }, rows, profiles }, null, 2)}\n`);
  const section = `## Autograd: forward + backward to the input

Measured ${date} with \`pnpm bench autograd\` (benchmarks/perf/autograd.bench.ts, tinybench) on ${machine.cpu}, ${machine.cores} cores,
Node ${machine.node}; load average ${loadStart.map((v) => v.toFixed(1)).join(' / ')} at the start and ${loadEnd.map((v) => v.toFixed(1)).join(' / ')} at the end
(shared machine: compare rows of one model, which run back to back). Raw data: \`${relative(join(root, 'docs'), jsonFile)}\`.

One call = forward of a batch of ${BATCH} float32 MNIST-sized inputs plus the gradient of the sum of class-${TARGET_CLASS} logits
with respect to the input (what one step of Integrated Gradients costs), with seeded random weights. MLP: 784-128-64-10 with
ReLU. CNN: conv 1->16 5x5, relu, maxpool 2, conv 16->32 5x5, relu, maxpool 2, linear 512->64, relu, linear 64->10.
pathgrad uses \`grad\`; TensorFlow.js uses \`tf.grad\` inside \`tf.tidy\` and reads the result back with \`dataSync()\`.
The last column checks that every implementation computed the same gradient.

${tableText}

### The engine's own share

A V8 CPU profile (sampling every 100 µs) of the pathgrad forward+backward, with self time attributed by source file:
**autograd** is packages/autograd (recording ops on the tape, walking it, accumulating gradients); **kernels** the
typed-array loops and WebAssembly kernels; **op layer** the rest of packages/tensor (dispatch, shape rules, argument
checks, tensor construction, the VJP functions' own bodies); **GC** garbage collection (mostly gradient and activation
buffers). "forward only" is the same forward with nothing recorded, for comparison.

${profText}
`;
  const file = join(root, 'docs', 'benchmarks.md');
  const start = '<!-- autograd:start -->';
  const end = '<!-- autograd:end -->';
  const block = `${start}\n${section.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nProduced by `pnpm bench <suite>` (benchmarks/perf). Each section is written by its suite.\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
  console.log(`\nwrote ${relative(root, jsonFile)} and the autograd section of ${relative(root, file)}`);
}
