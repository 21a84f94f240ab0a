/**
 * Peers and targets: pathgrad on its default backend (no `setBackend` by the caller) beside
 * PyTorch (pytorch_peer.py, Debian's python3-torch, 2 threads, OMP_WAIT_POLICY=PASSIVE),
 * onnxruntime-web (WebAssembly, 1 and 2 threads, forward only), @jax-js/jax (jit, wasm; IG on
 * the MLP) and TensorFlow.js's wasm backend, all in this run, on the same shipped MNIST MLP and
 * CNN weights and the same inputs. Every peer's output is checked against pathgrad's (logits,
 * attributions) before its time is used. Then each target of issue 16 is evaluated by code
 * (lib/targets.ts) and written, with the side-by-side tables, as the summary section at the top
 * of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TF from '@tensorflow/tfjs';
import { integratedGradients, quadrature } from '@pathgrad/attribution';
import { Adam, fit, loadPretrained, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, backendInfo, cast, conv2d, getThreads, matmul, randn, rng, setThreads, withBackend } from '@pathgrad/tensor';
import { DEFAULT_BACKEND, defaultLabel, machineInfo, measure, ms, relDiff, repoRoot, restoreDefaultBackend, worstRelL2, writeDocSection, writeResult } from './lib/measure.js';
import { peakMemory } from './lib/memory.js';
import { loadTfjs, tfjsIG, tfjsModel, useTfjs, type ModelName } from './lib/models.js';
import { evaluateTargets, targetsMarkdown, type PeerResults } from './lib/targets.js';
import type { BenchOptions } from './run.js';

const require = createRequire(import.meta.url);
const STEPS = 64;
const IG_IMAGES = [1, 16];
/** --quick: one image only (16 CNN images take seconds per call in every implementation). */
const igImages = (quick: boolean) => (quick ? [1] : IG_IMAGES);
const FORWARD_BATCHES = [1, 64];
const TRAIN_BATCH = 64;
const MODELS: ModelName[] = ['mlp', 'cnn'];
const CONVS = [
  { id: 'conv1', x: [64, 1, 28, 28], w: [16, 1, 5, 5] },
  { id: 'conv2', x: [64, 16, 12, 12], w: [32, 16, 5, 5] },
];
const PYTHON = '/usr/bin/python3';
/** The implementation name of the relaxed-SIMD rows. */
const RELAXED = 'pathgrad relaxed SIMD';

/** Runs a peer process (a second try if the first fails: one crashed once under heavy load) and parses its JSON; a string says why not. */
function runPeer(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): unknown {
  const first = runPeerOnce(cmd, args, env, timeoutMs);
  if (typeof first !== 'string') return first;
  console.log(`peer failed, trying once more: ${first}`);
  return runPeerOnce(cmd, args, env, timeoutMs);
}

function runPeerOnce(cmd: string, args: string[], env: Record<string, string>, timeoutMs: number): unknown {
  const r = spawnSync(cmd, args, { cwd: join(repoRoot, 'benchmarks'), encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 * 2 ** 20 });
  if (r.error) return `${cmd} could not run: ${r.error.message}`;
  if (r.status !== 0) return `${cmd} ${args[args.length - 2] ?? ''} exited with ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').filter((l) => l.trim() !== '').slice(-6).join(' / ')}`;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } catch {
    return `${cmd}: output was not JSON: ${r.stdout.slice(0, 200)}`;
  }
}

/** Whether Debian's PyTorch is importable; the reason when not. */
function torchMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? undefined : `python3-torch is not installed (${PYTHON} -c 'import torch' failed: ${(r.stderr ?? '').trim().split('\n').pop()})`;
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
  const { quick } = opts;
  restoreDefaultBackend();
  const tf = loadTfjs();
  const q = quadrature('riemannTrapezoid', STEPS);
  const nImages = quick ? 2 * TRAIN_BATCH : 4 * TRAIN_BATCH;
  const data = mnist({ split: 'test', limit: nImages });
  const flat = Float32Array.from(data.images.toTypedArray());
  const labels = Int32Array.from(data.labels.toTypedArray());
  const take = (n: number) => new Tensor(flat.slice(0, n * 784), [n, 1, 28, 28], 'float32');
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-peers-'));
  const imagesFile = join(dir, 'images.f32');
  writeFileSync(imagesFile, Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength));
  const weightsFile = (m: ModelName) => join(repoRoot, 'packages', 'nn', 'weights', `mnist-${m}.safetensors`);
  const budgetMs = quick ? 100 : 500;
  const res: PeerResults = { quick, defaultBackend: DEFAULT_BACKEND, defaultLabel: defaultLabel(), backendInfo: backendInfo(DEFAULT_BACKEND), ig: [], forward: [], kernels: [], training: [], memory: [], checks: [], notes: {}, load: { start: loadavg()[0]!, end: 0, cores: cpus().length }, threads: getThreads() };

  res.notes.gpujs = backendInfo('gpujs').mode ?? 'unavailable';
  // --- PyTorch (also exports the ONNX files onnxruntime-web loads) ---
  const missing = torchMissing();
  let torch: any;
  if (missing) res.notes.pytorch = missing;
  else {
    const cfg = {
      images: imagesFile,
      images_count: nImages,
      labels: Array.from(labels),
      alphas: Array.from(q.alphas),
      weights: Array.from(q.weights),
      models: { mlp: weightsFile('mlp'), cnn: weightsFile('cnn') },
      logits_count: 64,
      ig_images: igImages(quick),
      forward_batches: FORWARD_BATCHES,
      train_models: ['cnn'],
      train_batch: TRAIN_BATCH,
      onnx_dir: dir,
      matmul: [512],
      conv2d: CONVS,
      budget_s: budgetMs / 1000,
      threads: 2,
    };
    writeFileSync(join(dir, 'torch.json'), JSON.stringify(cfg));
    const out = runPeer(PYTHON, [join(repoRoot, 'benchmarks', 'perf', 'pytorch_peer.py'), join(dir, 'torch.json')], { OMP_WAIT_POLICY: 'PASSIVE' });
    if (typeof out === 'string') res.notes.pytorch = out;
    else {
      torch = out;
      res.notes.pytorch = `PyTorch ${torch.torch}, ${torch.threads} threads, OMP_WAIT_POLICY=${torch.ompWaitPolicy}`;
    }
  }
  console.log(`pytorch: ${res.notes.pytorch}`);

  // --- onnxruntime-web, one process per thread count ---
  const ort: Record<number, any> = {};
  const tsx = require.resolve('tsx/cli', { paths: [repoRoot] });
  if (torch) {
    // --quick: only at the thread count the target compares
    for (const threads of quick ? [Math.min(2, res.threads)] : [1, 2]) {
      const cfg = { threads, models: { mlp: join(dir, 'mlp.onnx'), cnn: join(dir, 'cnn.onnx') }, images: imagesFile, count: nImages, batches: FORWARD_BATCHES, timeMs: budgetMs };
      writeFileSync(join(dir, `ort${threads}.json`), JSON.stringify(cfg));
      const out = runPeer(process.execPath, [tsx, join(repoRoot, 'benchmarks', 'perf', 'peers', 'ort-peer.ts'), join(dir, `ort${threads}.json`)]);
      if (typeof out === 'string') res.notes[`ort${threads}`] = out;
      else ort[threads] = out;
    }
    res.notes.ort = (ort[1] ?? ort[2]) ? `onnxruntime-web ${(ort[1] ?? ort[2]).version} (WebAssembly SIMD build, Node), ONNX exported by torch.onnx from the same weights` : (res.notes.ort1 ?? res.notes.ort2 ?? 'did not run');
  } else res.notes.ort = 'not run: the ONNX files are exported by pytorch_peer.py, which needs python3-torch';
  console.log(`onnxruntime-web: ${res.notes.ort}`);

  // --- jax-js (MLP IG) ---
  const jcfg = { images: imagesFile, count: nImages, labels: Array.from(labels), alphas: Array.from(q.alphas), weights: Array.from(q.weights), imageCounts: igImages(quick), timeMs: budgetMs };
  writeFileSync(join(dir, 'jax.json'), JSON.stringify(jcfg));
  const jaxOut = runPeer(process.execPath, [tsx, join(repoRoot, 'benchmarks', 'perf', 'peers', 'jax-peer.ts'), join(dir, 'jax.json')]);
  const jax = typeof jaxOut === 'string' ? undefined : (jaxOut as any);
  res.notes.jax = jax ? `@jax-js/jax (jit, wasm device, ${jax.threads} thread: its worker pool needs a global Worker, which Node 20 lacks)` : (jaxOut as string);
  console.log(`jax-js: ${res.notes.jax}`);
  // --- pathgrad with relaxed SIMD: a child Node with the flag Node 20 needs (an extra row) ---
  let relaxed: any;
  {
    const rcfg = { images: imagesFile, count: nImages, labels: Array.from(labels), steps: STEPS, imageCounts: igImages(quick), trainBatch: TRAIN_BATCH, quick };
    writeFileSync(join(dir, 'relaxed.json'), JSON.stringify(rcfg));
    const loader = pathToFileURL(join(dirname(require.resolve('tsx/package.json', { paths: [repoRoot] })), 'dist', 'loader.mjs')).href;
    const out = runPeer(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', loader, join(repoRoot, 'benchmarks', 'perf', 'peers', 'relaxed-peer.ts'), join(dir, 'relaxed.json')]);
    if (typeof out === 'string') res.notes.relaxed = out;
    else if (out && (out as any).mode !== 'relaxed-simd') res.notes.relaxed = `the child did not get relaxed SIMD (mode ${(out as any).mode})`;
    else {
      relaxed = out;
      res.notes.relaxed = `the default backend in \`node --experimental-wasm-relaxed-simd\` (Node 20; on by default from Node 22 and in Chrome 114+), which picks the kernels with relaxed-SIMD fused multiply-adds in the GEMMs`;
    }
  }
  console.log(`relaxed SIMD: ${res.notes.relaxed}`);
  rmSync(dir, { recursive: true, force: true });

  // --- pathgrad (default backend) and tfjs-wasm, in this process ---
  const tfOk = await useTfjs('wasm');
  for (const name of MODELS) {
    const model = loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module;
    const sd = model.stateDict();
    const tfm = tfOk ? tfjsModel(name, sd) : undefined;
    // float64 reference of the one-image IG on the exact cpu path
    const ref = withBackend('cpu', () => {
      const m64 = (loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module).to('float64');
      return Float64Array.from(integratedGradients(m64, cast(take(1), 'float64'), { target: labels.slice(0, 1), steps: STEPS, method: 'riemannTrapezoid' }).attributions.toTypedArray());
    });
    // logits agree with every peer that computed them
    const logits64 = Float32Array.from(model.forward(take(64)).toTypedArray());
    if (torch) res.checks.push({ what: `${name} logits, 64 images`, peer: 'PyTorch', relDiff: relDiff(torch.models[name].logits, logits64) });
    for (const t of [1, 2]) if (ort[t]) res.checks.push({ what: `${name} logits, 64 images`, peer: `onnxruntime-web ${t}t`, relDiff: relDiff(ort[t].logits[name], logits64) });
    for (const n of igImages(quick)) {
      const x = take(n);
      const target = labels.slice(0, n);
      let out: Tensor | undefined;
      const timing = await measure(`pathgrad ig ${name} x${n}`, () => {
        out = integratedGradients(model, x, { target, steps: STEPS, method: 'riemannTrapezoid' }).attributions;
      }, quick);
      const attr = out!.toTypedArray();
      res.ig.push({ model: name, images: n, impl: 'pathgrad', timing, ...(n === 1 ? { relL2VsFloat64: worstRelL2(attr, ref, 1) } : {}) });
      if (tfm) {
        const tx = tf.tensor(Float32Array.from(x.toTypedArray()), x.shape as number[]);
        let tout: Float32Array | undefined;
        const tt = await measure(`tfjs-wasm ig ${name} x${n}`, () => {
          tout = tfjsIG(tfm.f, tx, target, q);
        }, quick);
        res.ig.push({ model: name, images: n, impl: 'tfjs-wasm', timing: tt, ...(n === 1 ? { relL2VsFloat64: worstRelL2(tout!, ref, 1) } : {}) });
        tx.dispose();
      }
      const tr = torch?.models[name].ig.find((r: any) => r.images === n);
      if (tr) res.ig.push({ model: name, images: n, impl: 'PyTorch', timing: tr, note: tr.mode, ...(tr.attributions ? { relL2VsFloat64: worstRelL2(tr.attributions, ref, 1) } : {}) });
      const rr = relaxed?.ig.find((r: any) => r.model === name && r.images === n);
      if (rr) res.ig.push({ model: name, images: n, impl: RELAXED, timing: rr.timing, ...(rr.attributions ? { relL2VsFloat64: worstRelL2(Float32Array.from(rr.attributions), ref, 1) } : {}) });
      const jr = name === 'mlp' ? jax?.rows.find((r: any) => r.images === n) : undefined;
      if (jr) res.ig.push({ model: name, images: n, impl: 'jax-js', timing: jr, ...(n === 1 ? { relL2VsFloat64: worstRelL2(jax.attributions, ref, 1) } : {}) });
      console.log(`ig ${name} x${n}: ${res.ig.filter((r) => r.model === name && r.images === n).map((r) => `${r.impl} ${ms(r.timing.medianMs)} ms`).join(', ')}`);
    }
    for (const b of FORWARD_BATCHES) {
      const x = take(b);
      const timing = await measure(`pathgrad forward ${name} b${b}`, () => void model.forward(x), quick);
      res.forward.push({ model: name, batch: b, impl: 'pathgrad', threads: res.threads, timing });
      if (res.threads > 1 && !quick) {
        // the same forward on one thread, for the comparison with onnxruntime-web's one-thread build
        setThreads(1);
        const one = await measure(`pathgrad forward ${name} b${b} 1 thread`, () => void model.forward(x), quick);
        setThreads('auto');
        res.forward.push({ model: name, batch: b, impl: 'pathgrad 1 thread', threads: 1, timing: one });
      }
      for (const t of [1, 2]) {
        const r = ort[t]?.rows.find((v: any) => v.model === name && v.batch === b);
        if (r) res.forward.push({ model: name, batch: b, impl: `onnxruntime-web ${t} thread${t > 1 ? 's' : ''}`, threads: t, timing: r });
      }
      const tr = torch?.models[name].forward.find((r: any) => r.batch === b);
      if (tr) res.forward.push({ model: name, batch: b, impl: 'PyTorch', timing: tr });
      console.log(`forward ${name} b${b}: ${res.forward.filter((r) => r.model === name && r.batch === b).map((r) => `${r.impl} ${ms(r.timing.medianMs)} ms`).join(', ')}`);
    }
    if (tfm) tfm.keep.forEach((t) => t.dispose());
  }

  // --- kernels: matmul 512, the CNN's convolutions (batch 64) ---
  {
    const g = rng(20240601);
    const a = randn([512, 512], g);
    const b = randn([512, 512], g);
    const t = await measure('pathgrad matmul 512', () => void matmul(a, b), quick);
    const flops = 2 * 512 ** 3;
    res.kernels.push({ id: 'matmul-512', impl: 'pathgrad', timing: t, gflops: flops / (t.medianMs * 1e6) });
    if (tfOk) {
      const ta = tf.tensor2d(a.toTypedArray() as Float32Array, [512, 512]);
      const tb = tf.tensor2d(b.toTypedArray() as Float32Array, [512, 512]);
      const tt = await measure('tfjs-wasm matmul 512', () => tf.tidy(() => void tf.matMul(ta, tb).dataSync()), quick);
      res.kernels.push({ id: 'matmul-512', impl: 'tfjs-wasm', timing: tt, gflops: flops / (tt.medianMs * 1e6) });
      [ta, tb].forEach((v) => v.dispose());
    }
    if (relaxed) res.kernels.push({ id: 'matmul-512', impl: RELAXED, timing: relaxed.matmul512, gflops: flops / (relaxed.matmul512.medianMs * 1e6) });
    const tm = torch?.matmul.find((r: any) => r.n === 512);
    if (tm) res.kernels.push({ id: 'matmul-512', impl: 'PyTorch', timing: tm, gflops: tm.gflops });
    for (const c of CONVS) {
      const [N, C, H, W] = c.x as [number, number, number, number];
      const [O, , kh, kw] = c.w as [number, number, number, number];
      const cf = 2 * N * O * (H - kh + 1) * (W - kw + 1) * C * kh * kw;
      const x = randn(c.x, g);
      const w = randn(c.w, g, { std: 0.2 });
      let y: Tensor | undefined;
      const tp = await measure(`pathgrad ${c.id}`, () => {
        y = conv2d(x, w);
      }, quick);
      res.kernels.push({ id: c.id, impl: 'pathgrad', timing: tp, gflops: cf / (tp.medianMs * 1e6) });
      if (tfOk) {
        const tx = tf.transpose(tf.tensor4d(x.toTypedArray() as Float32Array, [N, C, H, W]), [0, 2, 3, 1]) as TF.Tensor4D;
        const tw = tf.transpose(tf.tensor4d(w.toTypedArray() as Float32Array, [O, C, kh, kw]), [2, 3, 1, 0]) as TF.Tensor4D;
        const check = tf.tidy(() => tf.transpose(tf.conv2d(tx, tw, 1, 'valid'), [0, 3, 1, 2]).dataSync() as Float32Array);
        res.checks.push({ what: `${c.id} output`, peer: 'tfjs-wasm', relDiff: relDiff(check, y!.toTypedArray()) });
        const tt = await measure(`tfjs-wasm ${c.id}`, () => tf.tidy(() => void tf.conv2d(tx, tw, 1, 'valid').dataSync()), quick);
        res.kernels.push({ id: c.id, impl: 'tfjs-wasm', timing: tt, gflops: cf / (tt.medianMs * 1e6) });
        [tx, tw].forEach((v) => v.dispose());
      }
      const tc = torch?.conv2d.find((r: any) => r.id === c.id);
      if (tc) res.kernels.push({ id: c.id, impl: 'PyTorch', timing: tc, gflops: cf / (tc.medianMs * 1e6) });
    }
    console.log(res.kernels.map((k) => `${k.id} ${k.impl} ${ms(k.timing.medianMs)} ms (${k.gflops.toFixed(1)} GFLOP/s)`).join('\n'));
  }

  // --- one CNN training step per batch (batch 64, Adam 1e-3, cross-entropy) ---
  {
    const nb = nImages / TRAIN_BATCH;
    const model = loadPretrained('mnist-cnn') as Module;
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const t = await measure('pathgrad train cnn', () => void fit(model, data, { epochs: 1, batchSize: TRAIN_BATCH, optimizer, shuffle: false, progress: 'none' }), quick);
    const per = (v: number) => v / nb;
    res.training.push({ model: 'cnn', impl: 'pathgrad', timing: { medianMs: per(t.medianMs), madMs: per(t.madMs), minMs: per(t.minMs), samples: t.samples } });
    if (relaxed) {
      const rb = relaxed.batches as number;
      const rt = relaxed.train;
      res.training.push({ model: 'cnn', impl: RELAXED, timing: { medianMs: rt.medianMs / rb, madMs: rt.madMs / rb, minMs: rt.minMs / rb, samples: rt.samples } });
    }
    if (torch?.models.cnn.train) res.training.push({ model: 'cnn', impl: 'PyTorch', timing: torch.models.cnn.train });
    console.log(res.training.map((r) => `train cnn ${r.impl}: ${ms(r.timing.medianMs)} ms per batch`).join('\n'));
  }

  // --- peak memory against steps (fresh process each) ---
  // fresh processes: seconds each, so --quick skips them
  res.memory = quick ? [] : [64, 1024, 4096].map((s) => peakMemory(s, 64));
  for (const m of res.memory) console.log(`memory: ${m.steps} steps, maxRSS ${m.maxRssMB.toFixed(0)} MB`);

  restoreDefaultBackend();
  res.load.end = loadavg()[0]!;
  const targets = evaluateTargets(res);
  for (const c of res.checks) console.log(`check ${c.what} vs ${c.peer}: ${c.relDiff.toExponential(1)}`);
  for (const t of targets) console.log(`${t.met === undefined ? 'n/a  ' : t.met ? 'met  ' : 'NOT  '} ${t.target}: ${t.case} ${t.detail}`);
  if (quick) return;
  const file = writeResult('peers', { machine: machineInfo(), ...res, targets });
  writeDocSection('summary', targetsMarkdown(res, targets, file.slice(file.indexOf('results/'))));
}
