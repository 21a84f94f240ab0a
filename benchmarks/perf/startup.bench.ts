/**
 * Start-up of the `pathgrad` command: wall-clock time of `pathgrad --help` and of a small
 * `pathgrad attribute` run (saliency on one MNIST digit, MLP), each as a new process, run
 * through the installed bin (compiled JavaScript in .run/, what a user gets after the install)
 * and through the TypeScript sources with tsx (`PATHGRAD_FROM_SOURCE=1`, how the command ran
 * before). Writes the `startup` section of docs/benchmarks.md (unless --quick).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ms, repoRoot, writeDocSection, writeResult } from './lib/measure.js';
import type { BenchOptions } from './run.js';

const bin = join(repoRoot, 'packages', 'cli', 'bin', 'pathgrad.mjs');
const hook = join(mkdtempSync(join(tmpdir(), 'pathgrad-startup-')), 'cpu.cjs');
writeFileSync(hook, "const t = process.cpuUsage(); process.on('exit', () => { const u = process.cpuUsage(t); process.stderr.write('\\ncpu ' + ((u.user + u.system) / 1000).toFixed(1) + '\\n'); });\n");

/** Median wall time (ms) of `runs` fresh processes of `pathgrad ...args`, and their CPU time. */
function timeCommand(args: string[], env: NodeJS.ProcessEnv, runs: number): { wallMs: number; cpuMs: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    // a preloaded hook reports the CPU time the process used, at its exit
    const r = spawnSync(process.execPath, ['--require', hook, bin, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`startup: pathgrad ${args.join(' ')} failed: ${r.stderr}`);
    const cpu = Number(/cpu ([\d.]+)\s*$/.exec(r.stderr)?.[1]);
    if (i === 0) continue; // the first run fills the disk cache (and compiles .run/ if a source changed)
    walls.push(wall);
    cpus.push(cpu);
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return { wallMs: median(walls), cpuMs: median(cpus) };
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
  const runs = opts.quick ? 2 : 7;
  const cases: [string, string[]][] = [
    ['pathgrad --help', ['--help']],
    ['pathgrad attribute (saliency, 1 digit, MLP)', ['attribute', '--model', 'mlp', '--input', 'mnist:test:0', '--method', 'saliency', '--quiet']],
  ];
  const rows: { name: string; compiled: { wallMs: number; cpuMs: number }; source: { wallMs: number; cpuMs: number } }[] = [];
  for (const [name, args] of cases) {
    const compiled = timeCommand(args, {}, runs);
    const source = timeCommand(args, { PATHGRAD_FROM_SOURCE: '1' }, runs);
    rows.push({ name, compiled, source });
    console.log(`${name}: compiled ${ms(compiled.wallMs)} ms (cpu ${ms(compiled.cpuMs)}), tsx ${ms(source.wallMs)} ms (cpu ${ms(source.cpuMs)})`);
  }
  if (opts.quick) return;
  const json = writeResult('startup', { runs, rows });
  writeDocSection(
    'startup',
    `## Start-up of the pathgrad command

Written by \`pnpm bench startup\`: each command as a new Node process, median of ${runs} runs after one warm-up, wall time
(the CPU time the process itself used in brackets). "compiled" is the installed command (JavaScript compiled into
\`.run/\` by the install); "tsx" runs the TypeScript sources through tsx (\`PATHGRAD_FROM_SOURCE=1\`). Data: \`results/${basename(json)}\`.

| command | compiled | tsx | tsx / compiled |
| --- | --: | --: | --: |
${rows.map((r) => `| ${r.name} | ${ms(r.compiled.wallMs)} ms (${ms(r.compiled.cpuMs)}) | ${ms(r.source.wallMs)} ms (${ms(r.source.cpuMs)}) | ${(r.source.wallMs / r.compiled.wallMs).toFixed(1)}× |`).join('\n')}`,
  );
}
