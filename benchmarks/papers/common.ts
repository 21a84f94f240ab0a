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
  /** Seed of every random draw (default 0). */
  seed?: number;
}

/** What a reproduction returns: its headline numbers and where it wrote its report. */
export interface ReproductionResult {
  /** Reproduction name (`ig`, `igc`, `ggig`, `greedy-pig`, `sig`). */
  name: string;
  /** The paper reproduced. */
  paper: string;
  /** Headline numbers (see the report for their definitions). */
  headline: Record<string, number>;
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

/** Report and figure paths of one reproduction. */
export interface OutputPaths {
  dir: string;
  report: string;
  figDir: string;
  /** Path of a figure file, and the relative link to use in the report. */
  figure(file: string): { path: string; link: string };
}

/** Creates the output folders of reproduction `name`. */
export function outputPaths(name: string, out?: string): OutputPaths {
  const dir = resolve(out ?? DEFAULT_OUT);
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

/** A Markdown table. */
export function mdTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (c: string | number): string => (typeof c === 'number' ? fmt(c) : c);
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The standard footer with environment and runtime. */
export function runFooter(name: string, seconds: number, seed: number, quick: boolean): string {
  return [
    '## Run',
    '',
    `- Command: \`pathgrad reproduce ${name}\` (or \`npx tsx benchmarks/papers/run.ts ${name}\`)${quick ? ' — **quick variant**' : ''}`,
    `- Seed: ${seed}; backend: wasm (float32 SIMD kernels), accumulations in float64`,
    `- Node ${process.version} on ${process.platform}/${process.arch}`,
    `- Runtime: ${seconds.toFixed(1)} s wall clock (the machine is shared; expect variation)`,
  ].join('\n');
}
