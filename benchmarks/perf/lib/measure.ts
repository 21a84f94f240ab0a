/** Shared timing and reporting helpers of the benchmark suites (tinybench underneath). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

/** Repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Median and spread of one timed function. */
export interface Timing {
  medianMs: number;
  madMs: number;
  minMs: number;
  samples: number;
}

/** Times `fn` with tinybench after warm-up; iteration counts adapt to the function's cost. */
export async function measure(name: string, fn: () => void, quick: boolean): Promise<Timing> {
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
  if (!r || r.state !== 'completed') throw new Error(`${name}: benchmark did not complete`);
  return { medianMs: r.latency.p50, madMs: r.latency.mad, minMs: r.latency.min, samples: r.latency.samples?.length ?? 0 };
}

/** What the machine looked like during a run (recorded with every result file). */
export function machineInfo(): Record<string, unknown> {
  return { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg(), date: new Date().toISOString() };
}

/** Writes a JSON result file under docs/results/. */
export function writeResult(name: string, data: unknown): string {
  const dir = join(repoRoot, 'docs', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${name}-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
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
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
