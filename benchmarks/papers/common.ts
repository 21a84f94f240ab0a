/**
 * Shared plumbing of the paper reproductions: options and result types, the output
 * folder, pretrained models with the sha256 of their weights, MNIST slices, statistics
 * used to compare attributions, and Markdown helpers.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, setBackend, Tensor, type BackendName } from '@pathgrad/tensor';
import { loadPretrained, loadSafetensors, pretrainedBytes, type PretrainedName, type Sequential } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';

/** Options every reproduction's `run` takes. */
export interface ReproductionOptions {
  /** A reduced, fast variant (the test suite's); the full run is the default. */
  quick?: boolean;
  /** Folder the report `<name>.md` and its figure folder `<name>/` go to (default docs/reproductions). */
  out?: string;
  /** First seed (default 0); the run uses seeds seed, seed + 1, …, seed + seeds − 1. */
  seed?: number;
  /** Number of seeds (default 5; 2 for the quick variant). Each seed draws its own image subset and method randomness. */
  seeds?: number;
}

/** Default number of seeds of a full run. */
export const FULL_SEEDS = 5;
/** Default number of seeds of a quick run (enough for the paired tests to run, not to conclude). */
export const QUICK_SEEDS = 2;

/** The seeds a run uses. */
export function seedsOf(opts: ReproductionOptions): number[] {
  const first = opts.seed ?? 0;
  const n = opts.seeds ?? (opts.quick ? QUICK_SEEDS : FULL_SEEDS);
  if (!Number.isSafeInteger(first) || first < 0) throw new Error(`reproduction: seed must be a non-negative integer, got ${first}`);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`reproduction: seeds must be a positive integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => first + i);
}

/** What a reproduction returns: its headline numbers and where it wrote its report. */
export interface ReproductionResult {
  /** Reproduction name (`ig`, `igc`, `ggig`, `greedy-pig`, `sig`). */
  name: string;
  /** The paper reproduced. */
  paper: string;
  /** Headline numbers (see the report for their definitions): means over the seeds. */
  headline: Record<string, number>;
  /** Every per-seed number the report's statistics use, by name (one value per seed). */
  perSeed: Record<string, number[]>;
  /** The seeds run. */
  seeds: number[];
  /** sha256 of the weights of every pretrained model used, by zoo name. */
  weights: Record<string, string>;
  /** One-line summary of the result. */
  summary: string;
  /** Path of the Markdown report written. */
  report: string;
  /** Figure files written. */
  figures: string[];
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** Whether this was the reduced variant. */
  quick: boolean;
}

/** The repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Default output folder of the reports. */
export const DEFAULT_OUT = join(REPO_ROOT, 'docs', 'reproductions');

/** Default output folder of the quick variants (only their JSON is committed: CI compares against it). */
export const QUICK_OUT = join(DEFAULT_OUT, 'quick');

/** The output folder a run writes to by default. */
export function defaultOut(quick: boolean): string {
  return quick ? QUICK_OUT : DEFAULT_OUT;
}

/** What `<name>.json` holds: every number of the run, without run times. */
export interface ResultJson {
  name: string;
  paper: string;
  variant: 'quick' | 'full';
  seeds: number[];
  weights: Record<string, string>;
  headline: Record<string, number | null>;
  perSeed: Record<string, (number | null)[]>;
}

/** The JSON record of a result (NaN becomes null, as JSON has no NaN). */
export function resultJson(r: ReproductionResult): ResultJson {
  const num = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    name: r.name,
    paper: r.paper,
    variant: r.quick ? 'quick' : 'full',
    seeds: r.seeds,
    weights: r.weights,
    headline: Object.fromEntries(Object.entries(r.headline).map(([k, v]) => [k, num(v)])),
    perSeed: Object.fromEntries(Object.entries(r.perSeed).map(([k, v]) => [k, v.map(num)])),
  };
}

/** Writes `<dir>/<name>.json` next to the report; returns its path. */
export function writeResultJson(dir: string, r: ReproductionResult): string {
  const path = join(dir, `${r.name}.json`);
  writeText(path, `${JSON.stringify(resultJson(r), null, 1)}\n`);
  return path;
}

/**
 * Differences between a committed result and a fresh one: every number must agree within
 * `tolerance` (absolute; 0 = bit-exact), and the seeds, variant and weights must be the same.
 */
export function compareResults(committed: ResultJson, fresh: ResultJson, tolerance = 0): string[] {
  const out: string[] = [];
  if (committed.variant !== fresh.variant) out.push(`variant: committed ${committed.variant}, fresh ${fresh.variant}`);
  if (JSON.stringify(committed.seeds) !== JSON.stringify(fresh.seeds)) out.push(`seeds: committed ${JSON.stringify(committed.seeds)}, fresh ${JSON.stringify(fresh.seeds)}`);
  for (const k of new Set([...Object.keys(committed.weights), ...Object.keys(fresh.weights)])) {
    if (committed.weights[k] !== fresh.weights[k]) out.push(`weights ${k}: committed ${committed.weights[k] ?? '(none)'}, fresh ${fresh.weights[k] ?? '(none)'}`);
  }
  const same = (a: number | null | undefined, b: number | null | undefined): boolean =>
    a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= tolerance);
  const compare = (what: string, a: Record<string, unknown>, b: Record<string, unknown>): void => {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const va = a[k];
      const vb = b[k];
      const la = Array.isArray(va) ? va : [va];
      const lb = Array.isArray(vb) ? vb : [vb];
      if (la.length !== lb.length || la.some((x, i) => !same(x as number | null | undefined, lb[i] as number | null | undefined))) {
        out.push(`${what} ${k}: committed ${JSON.stringify(va)}, fresh ${JSON.stringify(vb)}`);
      }
    }
  };
  compare('headline', committed.headline, fresh.headline);
  compare('perSeed', committed.perSeed, fresh.perSeed);
  return out;
}

/** Report and figure paths of one reproduction. */
export interface OutputPaths {
  dir: string;
  report: string;
  figDir: string;
  /** Path of a figure file, and the relative link to use in the report. */
  figure(file: string): { path: string; link: string };
}

/** Creates the output folders of reproduction `name`. */
export function outputPaths(name: string, out?: string, quick = false): OutputPaths {
  const dir = resolve(out ?? defaultOut(quick));
  const figDir = join(dir, name);
  mkdirSync(figDir, { recursive: true });
  return {
    dir,
    report: join(dir, `${name}.md`),
    figDir,
    figure: (file) => ({ path: join(figDir, file), link: `${name}/${file}` }),
  };
}

/** Writes a text file, creating its folder. */
export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Path relative to the repository root, for reports. */
export function repoPath(path: string): string {
  return relative(REPO_ROOT, path);
}

/** Hex sha256 of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A loaded pretrained model with the provenance a report states. */
export interface LoadedModel {
  name: PretrainedName;
  model: Sequential;
  sha256: string;
  metadata: Record<string, string>;
}

/** The pretrained zoo model, or `undefined` if its weights have not been shipped yet. */
export function tryPretrained(name: PretrainedName): LoadedModel | undefined {
  let bytes: Uint8Array;
  try {
    bytes = pretrainedBytes(name);
  } catch {
    return undefined;
  }
  return { name, model: loadPretrained(name), sha256: sha256(bytes), metadata: loadSafetensors(bytes).metadata ?? {} };
}

/** The pretrained zoo model; throws a clear error if missing. */
export function pretrained(name: PretrainedName): LoadedModel {
  const m = tryPretrained(name);
  if (!m) throw new Error(`reproduction: pretrained weights for ${name} are not available yet (packages/nn/scripts/train-zoo.ts)`);
  return m;
}

/** Markdown line stating a model's provenance. */
export function modelLine(m: LoadedModel): string {
  const acc = m.metadata['accuracy'] ?? m.metadata['testAccuracy'];
  return `\`loadPretrained('${m.name}')\` (sha256 of the safetensors bytes \`${m.sha256}\`${acc ? `, test accuracy ${acc}` : ''})`;
}

/** Test images `[start, start + count)` of MNIST with their labels. */
export function mnistSlice(split: 'train' | 'test', start: number, count: number): { images: Tensor; labels: Int32Array } {
  const d = mnist({ split, limit: start + count });
  const per = 784;
  const img = d.images.toTypedArray();
  const lab = d.labels.toTypedArray();
  const images = new Tensor(Float32Array.from(img.subarray(start * per, (start + count) * per)), [count, 1, 28, 28], 'float32');
  return { images, labels: Int32Array.from(lab.subarray(start, start + count)) };
}

/** Runs `fn` on `backend`, restoring the previous backend afterwards. */
export async function onBackend<T>(backend: BackendName, fn: () => Promise<T>): Promise<T> {
  const prev = getBackend();
  setBackend(backend);
  try {
    return await fn();
  } finally {
    setBackend(prev);
  }
}

/** Rows of a `[N, ...]` tensor as float64 arrays. */
export function rowsOf(t: Tensor): Float64Array[] {
  const flat = Float64Array.from(t.toTypedArray());
  const n = t.shape[0]!;
  const per = n === 0 ? 0 : flat.length / n;
  return Array.from({ length: n }, (_, i) => flat.slice(i * per, (i + 1) * per));
}

/** A stopwatch in seconds. */
export function stopwatch(): () => number {
  const t0 = performance.now();
  return () => (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------- statistics

/** Arithmetic mean (NaN-free input expected). */
export function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length ? s / v.length : NaN;
}

/** Median. */
export function median(v: ArrayLike<number>): number {
  const s = Array.from(v).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Standard error of the mean. */
export function sem(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return v.length > 1 ? Math.sqrt(s / (v.length - 1) / v.length) : 0;
}

/** Pearson correlation; 0 when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const r = new Float64Array(v.length);
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && v[idx[e + 1]!] === v[idx[s]!]) e++;
    for (let k = s; k <= e; k++) r[idx[k]!] = (s + e) / 2;
    s = e + 1;
  }
  return r;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** L1 distance after normalising both vectors to unit L1 norm (0 = same proportions, max 2). */
export function normalizedL1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    na += Math.abs(a[i]!);
    nb += Math.abs(b[i]!);
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((na ? a[i]! / na : 0) - (nb ? b[i]! / nb : 0));
  return d;
}

/** Indices of the k largest values (ties by lower index). */
export function topK(v: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: v.length }, (_, i) => i)
    .sort((i, j) => v[j]! - v[i]! || i - j)
    .slice(0, k);
}

/** |top-k(a) ∩ top-k(b)| / k. */
export function topKOverlap(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  const sa = new Set(topK(a, k));
  return topK(b, k).filter((i) => sa.has(i)).length / k;
}

// ---------------------------------------------------------------- markdown

/** Formats a number for a table: fixed digits, or exponent for tiny/huge values. */
export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 10 ** -digits || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return v.toFixed(digits);
}

/** A Markdown table; a `|` inside a cell (|x|, |·|) is escaped so that it does not split the cell. */
export function mdTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (c: string | number): string => (typeof c === 'number' ? fmt(c) : c.replace(/\|/g, '\\|'));
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/**
 * The standard footer: how to re-make and check the report. Run time and Node version are
 * printed on the console, not written here, so that a re-run rewrites the report byte for byte.
 */
export function runFooter(name: string, seeds: readonly number[], quick: boolean): string {
  const q = quick ? ' --quick' : '';
  return [
    '## Run',
    '',
    `- Command: \`pathgrad reproduce ${name}${q}\` (or \`npx tsx benchmarks/papers/run.ts ${name}${q}\`)${quick ? ' — **quick variant**' : ''}; \`--check\` re-runs it into a temporary folder and compares every number with the committed \`${name}.json\` (bit-exact by default, \`--tolerance\` to relax).`,
    `- Seeds: ${seeds.join(', ')}; backend: wasm (float32 SIMD kernels), accumulations in float64; the numbers are deterministic for a given seed on x64.`,
  ].join('\n');
}
