/**
 * Tensor kernel benchmark: float32 matmul 64/256/512/1024 and conv2d on the MNIST CNN's
 * shapes (forward and gradient wrt the input), for every pathgrad backend and for
 * TensorFlow.js's `cpu` and `wasm` backends, measured side by side in one process with
 * tinybench. Writes docs/results/bench-tensor-<date>.json and the tensor section of
 * docs/benchmarks.md (unless `--quick`).
 *
 * Fairness notes: every implementation runs single-threaded on the same values; each call
 * includes what a user pays (pathgrad copies operands into wasm memory and the result out;
 * tfjs results are read back with `dataSync`). tfjs runs conv in its native NHWC layout,
 * pathgrad in NCHW (PyTorch's).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  OPS,
  Tensor,
  backendInfo,
  conv2d,
  conv2dBackwardInput,
  matmul,
  randn,
  rng,
  setBackend,
  type BackendName,
} from '@pathgrad/tensor';
import type { BenchOptions } from './run.js';
import { DEFAULT_BACKEND, measure as sharedMeasure, relDiff, restoreDefaultBackend, writeDocSection, type Timing } from './lib/measure.js';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

type ImplName = `pathgrad-${BackendName}` | 'tfjs-cpu' | 'tfjs-wasm';
const IMPLS: ImplName[] = ['pathgrad-cpu', 'pathgrad-wasm', 'pathgrad-gpujs', 'tfjs-cpu', 'tfjs-wasm'];

/** One benchmarked computation, described once and realised by every implementation. */
interface Case {
  id: string;
  label: string;
  flops: number;
  kind: 'matmul' | 'conv2d' | 'conv2dBackwardInput';
  /** matmul: [n]; conv: x [N, C, H, W] and w [O, C, kh, kw] (stride 1, no padding). */
  x: number[];
  w: number[];
}

/** A prepared implementation of a case: the timed call and its result in pathgrad's layout. */
interface Prepared {
  fn: () => void;
  result: () => Float32Array;
  dispose: () => void;
}

interface Row {
  case: string;
  impl: ImplName;
  status: 'ok' | 'skipped' | 'error';
  note?: string;
  medianMs?: number;
  madMs?: number;
  minMs?: number;
  samples?: number;
  gflops?: number;
  /** tfjs-wasm's median time over this implementation's (> 1: faster than tfjs-wasm). */
  speedVsTfjsWasm?: number;
  /**
   * Only on pathgrad-wasm rows: the median over alternating pathgrad-wasm / tfjs-wasm call
   * pairs of tfjs time / pathgrad time. Both calls of a pair see the same machine load, so
   * this is the robust form of the comparison on a shared machine.
   */
  pairedSpeedVsTfjsWasm?: number;
  /** max |this - pathgrad-cpu| / max |pathgrad-cpu|: checks everyone computed the same thing. */
  relDiffVsCpu?: number;
}

function cases(quick: boolean): Case[] {
  const out: Case[] = [];
  for (const n of quick ? [512] : [64, 256, 512, 1024]) {
    out.push({ id: `matmul-${n}`, label: `matmul ${n}x${n}x${n}`, flops: 2 * n ** 3, kind: 'matmul', x: [n], w: [] });
  }
  const convs = [
    { id: 'conv1', x: [64, 1, 28, 28], w: [16, 1, 5, 5] },
    { id: 'conv2', x: [64, 16, 12, 12], w: [32, 16, 5, 5] },
  ];
  for (const c of convs) {
    const [N, C, H, W] = c.x as [number, number, number, number];
    const [O, , kh, kw] = c.w as [number, number, number, number];
    const flops = 2 * N * O * (H - kh + 1) * (W - kw + 1) * C * kh * kw;
    const shape = `x ${c.x.join('x')}, w ${c.w.join('x')}`;
    out.push({ id: `${c.id}-fwd`, label: `conv2d fwd (${shape})`, flops, kind: 'conv2d', x: c.x, w: c.w });
    out.push({ id: `${c.id}-bwd-data`, label: `conv2d bwd-data (${shape})`, flops, kind: 'conv2dBackwardInput', x: c.x, w: c.w });
  }
  return out;
}

/** The case's operands (float32, seeded), shared by every implementation. */
function operands(c: Case): Tensor[] {
  const g = rng(20240601);
  if (c.kind === 'matmul') {
    const n = c.x[0]!;
    return [randn([n, n], g), randn([n, n], g)];
  }
  const x = randn(c.x, g);
  const w = randn(c.w, g, { std: 0.2 });
  if (c.kind === 'conv2d') return [x, w];
  const [N, , H, W] = c.x as [number, number, number, number];
  const [O, , kh, kw] = c.w as [number, number, number, number];
  return [randn([N, O, H - kh + 1, W - kw + 1], g), w];
}

const CONV_ATTRS = { stride: [1, 1] as const, padding: [0, 0] as const, dilation: [1, 1] as const, groups: 1 };

function preparePathgrad(c: Case, backend: BackendName, ins: Tensor[]): Prepared | string {
  const info = backendInfo(backend);
  if (!info.available) return `backend unavailable: ${info.note ?? ''}`;
  const op = OPS[c.kind];
  if (backend !== 'cpu' && !(backend in op.kernels)) return `no ${backend} kernel for ${c.kind} (falls back to cpu)`;
  // the reference loops and gpu.js's CPU fallback take seconds at n = 1024: the smaller sizes show their standing
  if (backend !== 'wasm' && c.id === 'matmul-1024' && !['webgpu', 'headlessgl'].includes(info.mode ?? '')) return `not timed at n = 1024 on ${backend} (${info.mode ?? ''}): seconds per call`;
  let run: () => Tensor;
  if (c.kind === 'matmul') run = () => matmul(ins[0]!, ins[1]!);
  else if (c.kind === 'conv2d') run = () => conv2d(ins[0]!, ins[1]!);
  else {
    const inputShape = c.x as [number, number, number, number];
    run = () => conv2dBackwardInput(ins[0]!, ins[1]!, { ...CONV_ATTRS, inputShape });
  }
  let last: Tensor | undefined;
  // selected once here (not per call: gpujs probes its device in setBackend); reset in dispose
  setBackend(backend);
  return {
    fn: () => {
      last = run();
    },
    result: () => Float32Array.from((last ?? run()).toTypedArray()),
    dispose: () => restoreDefaultBackend(),
  };
}

function nchwToNhwc(t: Tensor): tf.Tensor4D {
  const [N, C, H, W] = t.shape as [number, number, number, number];
  return tf.transpose(tf.tensor4d(t.toTypedArray() as Float32Array, [N, C, H, W]), [0, 2, 3, 1]);
}

async function prepareTfjs(c: Case, backend: 'cpu' | 'wasm', ins: Tensor[]): Promise<Prepared | string> {
  if (!(await tf.setBackend(backend))) return `tfjs backend '${backend}' failed to initialise`;
  await tf.ready();
  let keep: tf.Tensor[];
  let run: () => tf.Tensor;
  let toNchw: (t: tf.Tensor) => tf.Tensor = (t) => t;
  if (backend === 'cpu' && c.id === 'matmul-1024') return 'not timed at n = 1024: seconds per call';
  if (c.kind === 'matmul') {
    const n = c.x[0]!;
    const a = tf.tensor2d(ins[0]!.toTypedArray() as Float32Array, [n, n]);
    const b = tf.tensor2d(ins[1]!.toTypedArray() as Float32Array, [n, n]);
    keep = [a, b];
    run = () => tf.matMul(a, b);
  } else {
    const [O, C, kh, kw] = c.w as [number, number, number, number];
    // tfjs filters are [kh, kw, in, out]
    const filter = tf.transpose(tf.tensor4d(ins[1]!.toTypedArray() as Float32Array, [O, C, kh, kw]), [2, 3, 1, 0]) as tf.Tensor4D;
    toNchw = (t) => tf.transpose(t, [0, 3, 1, 2]);
    if (c.kind === 'conv2d') {
      const x = nchwToNhwc(ins[0]!);
      keep = [x, filter];
      run = () => tf.conv2d(x, filter, 1, 'valid');
    } else {
      const dy = nchwToNhwc(ins[0]!);
      const [N, , H, W] = c.x as [number, number, number, number];
      keep = [dy, filter];
      run = () => tf.conv2dTranspose(dy, filter, [N, H, W, C], 1, 'valid');
    }
  }
  return {
    fn: () => {
      const y = run();
      y.dataSync();
      y.dispose();
    },
    result: () => tf.tidy(() => toNchw(run()).dataSync() as Float32Array),
    dispose: () => keep.forEach((t) => t.dispose()),
  };
}

function measure(name: string, fn: () => void, quick: boolean): Promise<Timing> {
  return sharedMeasure(name, fn, quick, { timeMs: 500, quickTimeMs: 100 });
}

/** Alternates two calls (swapping which goes first) and returns the median of tB / tA. */
function pairedRatio(a: () => void, b: () => void, quick: boolean): number {
  const ratios: number[] = [];
  const deadline = performance.now() + (quick ? 200 : 800);
  for (let i = 0; i < 200 && (i < 10 || performance.now() < deadline); i++) {
    let ta: number;
    let tb: number;
    if (i % 2 === 0) {
      const t0 = performance.now();
      a();
      const t1 = performance.now();
      b();
      ta = t1 - t0;
      tb = performance.now() - t1;
    } else {
      const t0 = performance.now();
      b();
      const t1 = performance.now();
      a();
      tb = t1 - t0;
      ta = performance.now() - t1;
    }
    if (ta > 0) ratios.push(tb / ta);
  }
  ratios.sort((x, y) => x - y);
  return ratios[ratios.length >> 1] ?? NaN;
}

function fmt(x: number | undefined, digits = 2): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function table(rows: Row[], list: Case[]): string {
  const lines = ['| case | implementation | median ms | ± MAD ms | GFLOP/s | speed vs tfjs-wasm (medians) | paired speed vs tfjs-wasm |', '|---|---|--:|--:|--:|--:|--:|'];
  for (const c of list) {
    for (const r of rows.filter((x) => x.case === c.id)) {
      if (r.status !== 'ok') {
        lines.push(`| ${c.label} | ${r.impl} | ${r.status}: ${r.note ?? ''} | | | | |`);
        continue;
      }
      const bold = r.impl === 'pathgrad-wasm' ? '**' : '';
      lines.push(
        `| ${c.label} | ${bold}${r.impl}${bold} | ${fmt(r.medianMs, 3)} | ${fmt(r.madMs, 3)} | ${fmt(r.gflops)} | ${fmt(r.speedVsTfjsWasm)}× | ${r.pairedSpeedVsTfjsWasm === undefined ? '' : `${fmt(r.pairedSpeedVsTfjsWasm)}×`} |`,
      );
    }
  }
  return lines.join('\n');
}

function verdicts(rows: Row[], list: Case[]): string {
  const out: string[] = [];
  for (const c of list) {
    const ours = rows.find((r) => r.case === c.id && r.impl === 'pathgrad-wasm' && r.status === 'ok');
    const theirs = rows.find((r) => r.case === c.id && r.impl === 'tfjs-wasm' && r.status === 'ok');
    if (!ours || !theirs) {
      out.push(`- ${c.label}: no comparison (pathgrad-wasm or tfjs-wasm did not run)`);
      continue;
    }
    const s = ours.pairedSpeedVsTfjsWasm ?? ours.speedVsTfjsWasm!;
    const word = s >= 1 ? `**${fmt(s)}× the speed** of tfjs-wasm (meets the target)` : `**${fmt(s)}× the speed** of tfjs-wasm (slower: below the target)`;
    out.push(
      `- ${c.label}: ${word} in paired runs; medians ${fmt(ours.gflops)} GFLOP/s (pathgrad-wasm) vs ${fmt(theirs.gflops)} GFLOP/s (tfjs-wasm)`,
    );
  }
  return out.join('\n');
}

function writeDocs(section: string): string {
  writeDocSection('tensor', section);
  return join(root, 'docs', 'benchmarks.md');
}

/** Runs the tensor kernel benchmark. */
export async function run(opts: BenchOptions): Promise<void> {
  const { quick } = opts;
  const list = cases(quick);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  setWasmPaths(`${wasmDir}/`);
  const loadStart = loadavg();
  const rows: Row[] = [];
  for (const c of list) {
    const ins = operands(c);
    let reference: Float32Array | undefined;
    // --quick: pathgrad-wasm against tfjs-wasm only (the pair the targets compare)
    for (const impl of quick ? (['pathgrad-wasm', 'tfjs-wasm'] as ImplName[]) : IMPLS) {
      let prepared: Prepared | string;
      try {
        if (impl.startsWith('pathgrad-')) prepared = preparePathgrad(c, impl.slice('pathgrad-'.length) as BackendName, ins);
        else prepared = await prepareTfjs(c, impl === 'tfjs-cpu' ? 'cpu' : 'wasm', ins);
      } catch (e) {
        prepared = `setup failed: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (typeof prepared === 'string') {
        rows.push({ case: c.id, impl, status: 'skipped', note: prepared });
        console.log(`${c.label.padEnd(48)} ${impl.padEnd(15)} skipped (${prepared})`);
        continue;
      }
      try {
        const m = await measure(`${c.id} ${impl}`, prepared.fn, quick);
        const res = prepared.result();
        if (impl === 'pathgrad-cpu') reference = res;
        const row: Row = { case: c.id, impl, status: 'ok', ...m, gflops: c.flops / (m.medianMs * 1e6) };
        if (reference) row.relDiffVsCpu = relDiff(res, reference);
        rows.push(row);
        console.log(
          `${c.label.padEnd(48)} ${impl.padEnd(15)} ${fmt(m.medianMs, 3).padStart(10)} ms ±${fmt(m.madMs, 3)}  ${fmt(row.gflops).padStart(7)} GFLOP/s  diff ${row.relDiffVsCpu?.toExponential(1) ?? '–'}`,
        );
      } catch (e) {
        rows.push({ case: c.id, impl, status: 'error', note: e instanceof Error ? e.message : String(e) });
        console.log(`${c.label.padEnd(48)} ${impl.padEnd(15)} error: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        prepared.dispose();
      }
    }
    const tfw = rows.find((r) => r.case === c.id && r.impl === 'tfjs-wasm' && r.status === 'ok');
    for (const r of rows) if (r.case === c.id && r.status === 'ok' && tfw) r.speedVsTfjsWasm = tfw.medianMs! / r.medianMs!;
    const ours = rows.find((r) => r.case === c.id && r.impl === 'pathgrad-wasm' && r.status === 'ok');
    if (ours && tfw) {
      const theirs = await prepareTfjs(c, 'wasm', ins);
      const mine = preparePathgrad(c, 'wasm', ins);
      if (typeof theirs !== 'string' && typeof mine !== 'string') {
        ours.pairedSpeedVsTfjsWasm = pairedRatio(mine.fn, theirs.fn, quick);
        console.log(`${c.label.padEnd(48)} paired: pathgrad-wasm is ${fmt(ours.pairedSpeedVsTfjsWasm)}x the speed of tfjs-wasm`);
        mine.dispose();
        theirs.dispose();
      }
    }
  }
  restoreDefaultBackend();
  const loadEnd = loadavg();
  const date = new Date().toISOString().slice(0, 10);
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    loadAverageStart: loadStart,
    loadAverageEnd: loadEnd,
    tfjsWasmThreads: getThreadsCount(),
    pathgradWasm: backendInfo('wasm'),
    pathgradGpujs: backendInfo('gpujs'),
  };
  const tableText = table(rows, list);
  console.log(`\n${tableText}\n\n${verdicts(rows, list)}`);
  if (quick) {
    console.log('\n(--quick: nothing written to docs/)');
    return;
  }
  const resultsDir = join(root, 'docs', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = join(resultsDir, `bench-tensor-${date}.json`);
  writeFileSync(
    jsonFile,
    `${JSON.stringify({ suite: 'tensor', date, machine, versions: { tfjs: tf.version_core }, cases: list, rows }, null, 2)}\n`,
  );
  const section = `## Tensor kernels

Measured ${date} with \`pnpm bench tensor\` (benchmarks/perf/tensor.bench.ts, tinybench) on ${machine.cpu}, ${machine.cores} cores,
Node ${machine.node}; load average ${loadStart.map((x) => x.toFixed(1)).join(' / ')} at the start and ${loadEnd.map((x) => x.toFixed(1)).join(' / ')} at the end
(this machine is shared, so absolute numbers move between runs). Raw data: \`${relative(join(root, 'docs'), jsonFile)}\`.${
    loadStart[0]! > machine.cores
      ? `\n\n**Caution:** the load average exceeded the ${machine.cores} cores during this run, so the medians and GFLOP/s below are
dominated by scheduling and sit far below what the same code does on a quiet machine; only the paired ratios compare
like with like.`
      : ''
  }

Everything is float32. pathgrad-wasm ran in mode \`${machine.pathgradWasm.mode ?? 'n/a'}\` (${machine.pathgradWasm.note ?? ''}); tfjs-wasm reports ${machine.tfjsWasmThreads} thread. Times are medians of tinybench samples and
include what a caller pays: pathgrad copies operands into WebAssembly memory and the result out, tfjs results are
read back with \`dataSync()\`. tfjs runs conv2d in its native NHWC layout, pathgrad in NCHW. "bwd-data" is the gradient
of conv2d with respect to its input (\`conv2dBackwardInput\`; tfjs \`conv2dTranspose\`). Convolutions are stride 1,
no padding. "speed vs tfjs-wasm (medians)" is tfjs-wasm's median time divided by the row's (above 1 = faster than
tfjs-wasm); "paired" alternates pathgrad-wasm and tfjs-wasm calls and takes the median of the per-pair time ratios, so
both sides of each pair see the same load: on a shared machine it is the figure to trust.
pathgrad-gpujs is gpu.js in mode \`${machine.pathgradGpujs.mode ?? 'n/a'}\`${machine.pathgradGpujs.available ? '' : ' (unavailable)'}.

${tableText}

### Where pathgrad stands (target: pathgrad-wasm at least as fast as tfjs-wasm on matmul 512 and both conv shapes)

${verdicts(rows, list)}

How the wasm backend works: AssemblyScript kernels (packages/tensor/assembly) compiled with WebAssembly SIMD: a
packed, cache-blocked GEMM, and conv2d as im2col + GEMM per image (backward-data: GEMM with the transposed weight, then
col2im); XNNPACK (tfjs-wasm) convolves without the im2col copy. For scale, PyTorch on this machine's two
threads: see the targets section at the top (measured in the same run by the peers suite). The default backend in this
run (no \`setBackend\`) was \`${DEFAULT_BACKEND}\`; each row here names its backend explicitly.
`;
  const docFile = writeDocs(section);
  console.log(`\nwrote ${relative(root, jsonFile)} and the tensor section of ${relative(root, docFile)}`);
}
