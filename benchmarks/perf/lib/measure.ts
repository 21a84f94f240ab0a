/** Shared timing and reporting helpers of the benchmark suites (tinybench underneath). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { backendInfo, getBackend, setBackend, type BackendName } from '@pathgrad/tensor';

/** Repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Median and spread of one timed function. */
export interface Timing {
  medianMs: number;
  madMs: number;
  minMs: number;
  samples: number;
}

/**
 * Times `fn` with tinybench after warm-up. Iteration counts adapt to the function's cost, and
 * the time budget is short: tinybench stops at `time` ms once `iterations` samples are in, and
 * a median over a few hundred ms of samples is already tight (the spread is reported with it).
 */
export async function measure(name: string, fn: () => void, quick: boolean, budget: { timeMs?: number; quickTimeMs?: number } = {}): Promise<Timing> {
  // one untimed call sizes the run: slow implementations get few iterations, fast ones many
  const t0 = performance.now();
  fn();
  const once = performance.now() - t0;
  const bench = new Bench({
    time: quick ? (budget.quickTimeMs ?? 100) : (budget.timeMs ?? 600),
    iterations: once > 1000 ? (quick ? 1 : 3) : once > 200 ? 3 : 5,
    // the sizing call above already warmed a slow function up
    warmupIterations: once > 200 ? 0 : once > 20 ? 1 : 3,
    warmupTime: quick ? 10 : 50,
    throws: true,
  });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (!r || r.state !== 'completed') throw new Error(`${name}: benchmark did not complete`);
  return { medianMs: r.latency.p50, madMs: r.latency.mad, minMs: r.latency.min, samples: r.latency.samples?.length ?? 0 };
}

/** Median and MAD of an async call (peers whose API is async: onnxruntime-web, jax-js), within `timeMs`. */
export async function measureAsync(fn: () => Promise<unknown>, timeMs: number, minSamples = 5): Promise<Timing> {
  const t0 = performance.now();
  await fn();
  if (performance.now() - t0 < 200) for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minSamples || (performance.now() - start < timeMs && times.length < 5000)) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1]!;
  const dev = times.map((t) => Math.abs(t - med)).sort((a, b) => a - b);
  return { medianMs: med, madMs: dev[dev.length >> 1]!, minMs: times[0]!, samples: times.length };
}

/**
 * The backend float32 ops use when the caller chooses none (the automatic choice), read when
 * the suites are loaded, before any of them calls `setBackend`. The main pathgrad row of every
 * comparison runs on it.
 */
export const DEFAULT_BACKEND: BackendName = getBackend();

/** Returns to the automatic choice after explicit-backend rows (what a user who never calls setBackend gets). */
export function restoreDefaultBackend(): void {
  setBackend('auto');
}

/** `pathgrad default (wasm simd)`: the label of the row measured without choosing a backend. */
export function defaultLabel(): string {
  const info = backendInfo(DEFAULT_BACKEND);
  return `pathgrad default (${DEFAULT_BACKEND}${info.mode ? ` ${info.mode}` : ''})`;
}

/** What the machine looked like during a run (recorded with every result file). */
export function machineInfo(): Record<string, unknown> {
  const backends = Object.fromEntries((['cpu', 'wasm', 'gpujs'] as BackendName[]).map((b) => [b, backendInfo(b)]));
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg(), date: new Date().toISOString(), backends };
}

/** Every suite's results of this process, written as one JSON file per run by run.ts. */
export const runRecord: { started: string; machine: Record<string, unknown>; suites: Record<string, unknown> } = {
  started: new Date().toISOString(),
  machine: {},
  suites: {},
};

/** Writes a JSON result file under docs/results/ (and keeps the data for the run's JSON file). */
export function writeResult(name: string, data: unknown): string {
  runRecord.suites[name] = data;
  const dir = join(repoRoot, 'docs', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${name}-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

/** Least-squares fit `y = a + b x`: slope, intercept and R² (the scaling charts state the slope). */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx, r2: sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}

/** max |got − want| / max |want|: checks that implementations computed the same thing. */
export function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return scale > 0 ? maxDiff / scale : maxDiff;
}

/** Worst per-example relative L2 distance of `got` to `want` (n examples of equal size). */
export function worstRelL2(got: ArrayLike<number>, want: ArrayLike<number>, n: number): number {
  if (got.length !== want.length) return Infinity;
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

/** `pathgrad-<backend> (<mode>)`: every table names the mode a backend ran in (gpu.js: webgpu, headlessgl, webasm or cpu). */
export function implLabel(backend: BackendName): string {
  const info = backendInfo(backend);
  return `pathgrad-${backend}${info.mode ? ` (${info.mode})` : ''}`;
}

/** Replaces (or appends) the section between `<!-- key:start -->` and `<!-- key:end -->` in docs/benchmarks.md. */
export function writeDocSection(key: string, markdown: string): void {
  const file = join(repoRoot, 'docs', 'benchmarks.md');
  const start = `<!-- ${key}:start -->`;
  const end = `<!-- ${key}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** Formats milliseconds for tables. */
export function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toFixed(3);
}
