/**
 * `pathgrad bench` and `pathgrad reproduce <paper>`: front ends to the scripts in
 * benchmarks/ (benchmarks/perf/run.ts and benchmarks/papers/<paper>.ts), run through tsx in
 * a child process so their output and exit code pass straight through.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

/**
 * The repository root (where benchmarks/ lives), found from this file's location.
 * @example
 * ```ts
 * join(repoRoot(), 'benchmarks');
 * ```
 */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
}

function runTsx(script: string, args: string[]): number {
  const require = createRequire(import.meta.url);
  const tsxCli = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
  const r = spawnSync(process.execPath, [tsxCli, script, ...args], { stdio: 'inherit', cwd: repoRoot() });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/**
 * Papers that `reproduce` knows: the modules in benchmarks/papers/ that export a `run`
 * (helpers such as common.ts, stats.ts or run.ts are not papers).
 * @example
 * ```ts
 * listPapers(); // ['ggig', 'greedy-pig', 'ig', 'igc', 'sig']
 * ```
 */
export function listPapers(): string[] {
  const dir = join(repoRoot(), 'benchmarks', 'papers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
    .filter((f) => /^export async function run\(/m.test(readFileSync(join(dir, f), 'utf8')))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** `pathgrad bench [args...]`: runs benchmarks/perf/run.ts; returns its exit code. */
export function benchCommand(args: string[]): number {
  const script = join(repoRoot(), 'benchmarks', 'perf', 'run.ts');
  if (!existsSync(script)) throw new UsageError(`bench: ${script} is missing (a checkout without benchmarks/?)`);
  return runTsx(script, args);
}

/**
 * `pathgrad reproduce <paper> [--quick] [--seed N] [--seeds N] [--out DIR] [--check [--tolerance T]]`:
 * runs benchmarks/papers/run.ts for that paper (which writes docs/reproductions/<paper>.md and
 * .json, or with `--check` re-runs into a temporary folder and compares every number with the
 * committed JSON); returns its exit code (1 when a check fails). `all` runs every paper.
 */
export function reproduceCommand(paper: string, args: string[]): number {
  const papers = listPapers();
  if (paper !== 'all' && (!/^[A-Za-z0-9_-]+$/.test(paper) || !papers.includes(paper))) {
    throw new UsageError(`reproduce: no paper '${paper}'; available: ${papers.length ? `${papers.join(', ')}, all` : '(none yet: benchmarks/papers/ has no scripts)'}`);
  }
  return runTsx(join(repoRoot(), 'benchmarks', 'papers', 'run.ts'), [...(paper === 'all' ? papers : [paper]), ...args]);
}
