/**
 * A small mutation-testing runner: applies each hand-written mutant of mutants.ts, one at a
 * time, to a private copy of the repository and runs the test files that should catch it.
 * A mutant is killed when those tests fail, survives when they pass. Writes docs/mutation.md.
 *
 *   pnpm mutation                    every mutant, on a copy of HEAD; writes docs/mutation.md
 *   pnpm mutation --only a,b         just those mutants (docs/mutation.md is not written)
 *   pnpm mutation --worktree         copy the working tree (uncommitted edits) instead of HEAD
 *   pnpm mutation --list             print the mutants and exit
 *   pnpm mutation --only a --doc-to /tmp/m.md   write the report of a partial run elsewhere
 *   pnpm mutation --check            check every mutant applies to HEAD (with --worktree: to
 *                                    the working tree), run nothing
 *
 * The repository itself is never modified (other people edit it while this runs): the copy
 * lives in a temporary folder, with the packages' node_modules folders copied (pnpm's
 * relative symlinks then resolve inside the copy, so `@pathgrad/tensor` means the copy's,
 * mutated, source) and the root node_modules linked. Exit status 1 when a mutant survives
 * without a written reason, when its search text is not found exactly once (the code moved
 * on: update the mutant), or when a test file fails on the unmutated copy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANTS, type Mutant } from './mutants.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};

type Outcome = 'killed' | 'survived' | 'timeout' | 'stale';
interface Result {
  mutant: Mutant;
  outcome: Outcome;
  detail: string;
  seconds: number;
}

function checkList(mutants: readonly Mutant[]): void {
  const ids = new Set<string>();
  for (const m of mutants) {
    if (ids.has(m.id)) throw new Error(`mutants.ts: duplicate id ${m.id}`);
    ids.add(m.id);
    if (m.search === m.replace) throw new Error(`mutants.ts: ${m.id} replaces its text with itself`);
    if (m.tests.length === 0) throw new Error(`mutants.ts: ${m.id} names no test file`);
  }
}

/** A private copy of the repository (HEAD, or the working tree) that tests can run in. */
function makeCopy(worktree: boolean): { dir: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-mutation-'));
  const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  if (worktree) {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) if (existsSync(join(root, f))) cpSync(join(root, f), join(dir, f), { recursive: true });
  } else {
    execFileSync('sh', ['-c', `git archive HEAD | tar -x -C '${dir}'`], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  // pnpm's per-package node_modules hold relative symlinks: copied, they resolve in the copy
  for (const top of readdirSync(root, { withFileTypes: true })) {
    if (!top.isDirectory() || top.name === 'node_modules' || top.name.startsWith('.')) continue;
    const candidates = [join(top.name, 'node_modules'), ...(top.name === 'packages' ? readdirSync(join(root, 'packages')).map((p) => join('packages', p, 'node_modules')) : [])];
    for (const nm of candidates) {
      if (existsSync(join(root, nm)) && existsSync(join(dir, dirname(nm)))) cpSync(join(root, nm), join(dir, nm), { recursive: true, verbatimSymlinks: true });
    }
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { dir, commit: worktree ? `${commit} + working tree` : commit };
}

/** Runs vitest on `tests` in the copy; true when every test passed. */
function runTests(dir: string, tests: readonly string[], timeoutS: number): { ok: boolean; timedOut: boolean; seconds: number; tail: string } {
  const t0 = performance.now();
  const r = spawnSync(
    'nice',
    ['-n', '10', process.execPath, join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--bail=1', '--no-cache', '--maxWorkers=1', '--minWorkers=1', '--reporter=dot', ...tests],
    { cwd: dir, encoding: 'utf8', timeout: timeoutS * 1000, killSignal: 'SIGKILL', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: '1' }, maxBuffer: 64 << 20 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '');
  const failed = out.split('\n').filter((l) => /FAIL|AssertionError|Error:|×/.test(l));
  return { ok: r.status === 0, timedOut: r.error !== undefined || r.signal === 'SIGKILL', seconds, tail: (failed[0] ?? out.trim().split('\n').slice(-1)[0] ?? '').trim().slice(0, 200) };
}

/** The mutated text of `text`, or why the mutant does not apply. */
function mutate(text: string, m: Mutant): { text: string } | { problem: string } {
  let from = 0;
  if (m.anchor !== undefined) {
    const anchors = text.split(m.anchor).length - 1;
    if (anchors !== 1) return { problem: `anchor found ${anchors} times in ${m.file} (must be exactly once)` };
    from = text.indexOf(m.anchor);
    const at = text.indexOf(m.search, from);
    if (at < 0) return { problem: `search text not found after the anchor in ${m.file}` };
    return { text: text.slice(0, at) + m.replace + text.slice(at + m.search.length) };
  }
  const count = text.split(m.search).length - 1;
  if (count !== 1) return { problem: `search text found ${count} times in ${m.file} (must be exactly once)` };
  const at = text.indexOf(m.search);
  return { text: text.slice(0, at) + m.replace + text.slice(at + m.search.length) };
}

function apply(dir: string, m: Mutant): string | undefined {
  const path = join(dir, m.file);
  if (!existsSync(path)) return `file ${m.file} does not exist`;
  const r = mutate(readFileSync(path, 'utf8'), m);
  if ('problem' in r) return r.problem;
  writeFileSync(path, r.text);
  return undefined;
}

function restore(dir: string, m: Mutant, original: string): void {
  writeFileSync(join(dir, m.file), original);
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => `\`${esc(s).replace(/`/g, "'")}\``;

function writeDoc(results: Result[], commit: string, path: string): void {
  const killed = results.filter((r) => r.outcome === 'killed' || r.outcome === 'timeout').length;
  const valid = results.filter((r) => r.outcome !== 'stale').length;
  const pct = valid ? ((100 * killed) / valid).toFixed(1) : '0';
  const survivors = results.filter((r) => r.outcome === 'survived');
  const lines = [
    '# Mutation testing',
    '',
    'Generated by `pnpm mutation` (scripts/mutation/run.ts); do not edit. The mutants are the',
    'plausible one-line bugs listed in scripts/mutation/mutants.ts, each applied alone to a',
    'copy of the repository and tested with the test files named for it; how to run, add and',
    'judge mutants: scripts/mutation/README.md.',
    '',
    `Commit ${commit}: **${killed} of ${valid} mutants killed (${pct} %)**, ${survivors.length} survived${results.some((r) => r.outcome === 'stale') ? `, ${results.filter((r) => r.outcome === 'stale').length} stale (search text not found)` : ''}.`,
    '',
  ];
  const byArea = new Map<string, Result[]>();
  for (const r of results) byArea.set(r.mutant.area, [...(byArea.get(r.mutant.area) ?? []), r]);
  lines.push('| area | mutants | killed |', '| --- | --- | --- |');
  for (const [area, rs] of byArea) lines.push(`| ${area} | ${rs.length} | ${rs.filter((r) => r.outcome === 'killed' || r.outcome === 'timeout').length} |`);
  lines.push('');
  const late = results.filter((r) => r.mutant.tests.some((t) => t.endsWith('/mutants.test.ts'))).map((r) => r.mutant.id);
  if (late.length) {
    lines.push(
      `${late.length} mutants are killed by tests written for them after the existing tests missed them (packages/attribution/test/mutants.test.ts): ${late.join(', ')}.`,
      '',
    );
  }
  if (survivors.length) {
    lines.push('## Survivors and why they are acceptable', '');
    for (const r of survivors) lines.push(`- **${r.mutant.id}** (${r.mutant.file}): ${r.mutant.bug}. ${r.mutant.survives ?? '**No reason given: needs a test.**'}`);
    lines.push('');
  }
  lines.push('## Every mutant', '', '| id | file | bug | replaced | by | tests | result |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const tests = r.mutant.tests.map((t) => t.replace(/^.*\//, '')).join(', ');
    lines.push(`| ${r.mutant.id} | ${r.mutant.file} | ${esc(r.mutant.bug)} | ${code(r.mutant.search.trim())} | ${code(r.mutant.replace.trim())} | ${tests} | ${r.outcome} |`);
  }
  lines.push('');
  writeFileSync(path, lines.join('\n'));
}

function main(): number {
  checkList(MUTANTS);
  const only = value('only')?.split(',').filter(Boolean);
  if (only) for (const id of only) if (!MUTANTS.some((m) => m.id === id)) throw new Error(`--only: no mutant ${id}`);
  const mutants = only ? MUTANTS.filter((m) => only.includes(m.id)) : MUTANTS;
  if (flag('list')) {
    for (const m of mutants) console.log(`${m.id.padEnd(28)} ${m.file}: ${m.bug}`);
    return 0;
  }
  if (flag('check')) {
    let stale = 0;
    const worktree = flag('worktree');
    const source = (file: string): string | undefined => {
      if (worktree) return existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8') : undefined;
      const r = spawnSync('git', ['show', `HEAD:${file}`], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
      return r.status === 0 ? r.stdout : undefined;
    };
    for (const m of mutants) {
      const text = source(m.file);
      const r = text !== undefined ? mutate(text, m) : { problem: `file ${m.file} does not exist` };
      if ('problem' in r) {
        stale++;
        console.log(`stale ${m.id}: ${r.problem}`);
      }
      for (const t of m.tests) if (!existsSync(join(root, t))) {
        stale++;
        console.log(`stale ${m.id}: test file ${t} does not exist`);
      }
    }
    console.log(`mutation: ${mutants.length - stale} of ${mutants.length} mutants apply`);
    return stale ? 1 : 0;
  }
  const { dir, commit } = makeCopy(flag('worktree'));
  console.log(`mutation: ${mutants.length} mutants, copy of ${commit} in ${dir}`);
  const results: Result[] = [];
  let bad = false;
  try {
    // every test set must pass unmutated; its time sets the mutants' timeout
    const baseline = new Map<string, number>();
    for (const tests of new Set(mutants.map((m) => m.tests.join(' ')))) {
      const r = runTests(dir, tests.split(' '), 900);
      console.log(`baseline ${r.ok ? 'ok  ' : 'FAIL'} ${r.seconds.toFixed(0).padStart(4)} s  ${tests}${r.ok ? '' : `: ${r.tail}`}`);
      if (!r.ok) bad = true;
      baseline.set(tests, r.seconds);
    }
    if (bad) {
      console.error('mutation: some test files fail without any mutant; fix them first');
      return 1;
    }
    for (const m of mutants) {
      const original = readFileSync(join(dir, m.file), 'utf8');
      const problem = apply(dir, m);
      if (problem) {
        results.push({ mutant: m, outcome: 'stale', detail: problem, seconds: 0 });
        console.log(`stale    ${m.id}: ${problem}`);
        continue;
      }
      const limit = Math.ceil(3 * baseline.get(m.tests.join(' '))! + 30);
      const r = runTests(dir, m.tests, limit);
      restore(dir, m, original);
      const outcome: Outcome = r.timedOut ? 'timeout' : r.ok ? 'survived' : 'killed';
      results.push({ mutant: m, outcome, detail: r.tail, seconds: r.seconds });
      console.log(`${outcome.padEnd(8)} ${m.id} (${r.seconds.toFixed(0)} s)${outcome === 'killed' ? `: ${r.tail}` : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const killed = results.filter((r) => r.outcome === 'killed' || r.outcome === 'timeout').length;
  const valid = results.filter((r) => r.outcome !== 'stale').length;
  console.log(`mutation: ${killed} of ${valid} killed${valid ? ` (${((100 * killed) / valid).toFixed(1)} %)` : ''}`);
  const docTo = value('doc-to');
  if (!only || docTo) {
    const path = docTo ?? join(root, 'docs', 'mutation.md');
    writeDoc(results, commit, path);
    console.log(`mutation: wrote ${path}`);
  }
  const unexplained = results.filter((r) => r.outcome === 'survived' && !r.mutant.survives);
  for (const r of unexplained) console.error(`mutation: ${r.mutant.id} survived and has no written reason: add a test that kills it, or a 'survives' reason`);
  const stale = results.filter((r) => r.outcome === 'stale');
  return unexplained.length || stale.length ? 1 : 0;
}

process.exitCode = main();
