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
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

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
  for (const name of chosen) {
    console.log(`\n=== ${name}${values.quick ? ' (quick)' : ''} ===`);
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as Partial<BenchSuite>;
    if (typeof mod.run !== 'function') throw new Error(`bench: ${name}.bench.ts must export run(opts)`);
    await mod.run({ quick: values.quick });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
