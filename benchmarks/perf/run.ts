/**
 * Benchmark dispatcher: `pnpm bench [suite...] [--quick]`.
 *
 * A suite is a file `benchmarks/perf/<suite>.bench.ts` exporting `run(opts: BenchOptions)`.
 * With no suite named, every suite runs in alphabetical order. `--quick` asks each suite
 * for a short smoke run (fewer sizes and iterations; results are not written to docs/).
 *
 * @example
 * ```sh
 * pnpm bench tensor          # the tensor kernel suite, full
 * pnpm bench tensor --quick  # a fast smoke run
 * ```
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultLabel, machineInfo, repoRoot, restoreDefaultBackend, runRecord } from './lib/measure.js';

/** Options every suite's `run` receives. */
export interface BenchOptions {
  /** A short smoke run: fewer sizes and iterations, nothing written to docs/. */
  quick: boolean;
}

/** What a suite module exports. */
export interface BenchSuite {
  run(opts: BenchOptions): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

function availableSuites(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort();
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
  });
  const suites = availableSuites();
  if (values.help) {
    console.log(`usage: pnpm bench [suite...] [--quick]\nsuites: ${suites.join(', ')}`);
    return;
  }
  const chosen = positionals.length > 0 ? positionals : suites;
  for (const name of chosen) {
    if (!suites.includes(name)) {
      throw new Error(`bench: unknown suite '${name}'; expected one of ${suites.map((s) => `'${s}'`).join(', ')}`);
    }
  }
  const t0 = performance.now();
  const seconds: Record<string, number> = {};
  const failed: string[] = [];
  runRecord.machine = machineInfo();
  for (const name of chosen) {
    console.log(`\n=== ${name}${values.quick ? ' (quick)' : ''} ===`);
    const s0 = performance.now();
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as Partial<BenchSuite>;
    if (typeof mod.run !== 'function') throw new Error(`bench: ${name}.bench.ts must export run(opts)`);
    try {
      // every suite starts on the default backend, whatever the previous one selected last
      restoreDefaultBackend();
      await mod.run({ quick: values.quick });
    } catch (e) {
      // one failing suite must not lose the others' results
      failed.push(name);
      console.error(`bench: suite ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    seconds[name] = (performance.now() - s0) / 1000;
    console.log(`(${name}: ${seconds[name]!.toFixed(0)} s)`);
  }
  const total = (performance.now() - t0) / 1000;
  console.log(`\nbench: ${chosen.join(', ')} in ${total.toFixed(0)} s${values.quick ? ' (quick: nothing written)' : ''}`);
  // the overview at the top of docs/benchmarks.md describes the last full run; a run of some
  // suites rewrites only their own sections (each says how it was measured)
  if (!values.quick) writeRun(chosen, seconds, total, positionals.length === 0);
  if (failed.length > 0) throw new Error(`bench: failed suites: ${failed.join(', ')}`);
}

/** The run's JSON file (every suite's data) and the overview section at the top of docs/benchmarks.md. */
function writeRun(suites: string[], seconds: Record<string, number>, total: number, full: boolean): void {
  const dir = join(repoRoot, 'docs', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = runRecord.started.replace(/[:.]/g, '-');
  const json = join(dir, `run-${stamp}.json`);
  writeFileSync(json, `${JSON.stringify({ ...runRecord, finished: new Date().toISOString(), suites: runRecord.suites, seconds, totalSeconds: total }, null, 2)}\n`);
  const m = runRecord.machine as { cpuModel?: string; cpus?: number; node?: string; loadavg?: number[]; backends?: Record<string, { available: boolean; mode?: string; note?: string }> };
  const backends = Object.entries(m.backends ?? {})
    .map(([k, v]) => `\`${k}\`: ${v.available ? `mode \`${v.mode ?? '?'}\`` : 'unavailable'}${v.note ? ` (${v.note})` : ''}`)
    .join('; ');
  const overview = `## This run

\`pnpm bench\` (${suites.join(', ')}) finished ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${(total / 60).toFixed(1)} min
(${suites.map((s) => `${s} ${seconds[s]!.toFixed(0)} s`).join(', ')}) on ${m.cpuModel ?? 'unknown CPU'}, ${m.cpus ?? '?'} cores, Node ${m.node ?? '?'},
load average ${(m.loadavg ?? []).map((v) => v.toFixed(1)).join(' / ')} at the start (the machine is shared: other jobs ran beside the suite).
Default backend (no \`setBackend\` by the caller): ${defaultLabel()}; it is the main pathgrad row of every comparison. Backends: ${backends}.
Every figure is a median after warm-up (tinybench) with its spread; every ratio compares implementations measured
in this same process. All data of the run: \`results/${json.slice(dir.length + 1)}\`.`;
  if (!full) {
    console.log(`wrote ${json.slice(repoRoot.length + 1)} (the overview of docs/benchmarks.md still describes the last full run)`);
    return;
  }
  const file = join(repoRoot, 'docs', 'benchmarks.md');
  const start = '<!-- run:start -->';
  const end = '<!-- run:end -->';
  const block = `${start}\n${overview}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else {
    // right under the title, above every suite's section
    const nl = text.indexOf('\n');
    text = nl < 0 ? `${text}\n\n${block}\n` : `${text.slice(0, nl + 1)}\n${block}\n${text.slice(nl + 1)}`;
  }
  writeFileSync(file, text);
  console.log(`wrote ${json.slice(repoRoot.length + 1)} and docs/benchmarks.md`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
