/**
 * Runs reproductions from the command line (what `pathgrad reproduce` does):
 * `npx tsx benchmarks/papers/run.ts <name...> [--quick] [--out DIR] [--seed N] [--seeds N] [--check [--tolerance T]]`.
 *
 * Each run writes `<name>.md`, its figures and `<name>.json` (every number, no run times) to
 * docs/reproductions (docs/reproductions/quick with `--quick`). `--check` instead writes to
 * a temporary folder and compares the fresh JSON and report with the committed ones: exit
 * code 1 if any number differs by more than `--tolerance` (default 0: bit-exact).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPRODUCTIONS, REPRODUCTION_NAMES } from './index.js';
import { compareResults, defaultOut, resultJson, type ResultJson } from './common.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string' },
    check: { type: 'boolean', default: false },
    tolerance: { type: 'string' },
  },
});

function intArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) {
    console.error(`--${name} must be a non-negative integer, got '${v}'`);
    process.exit(2);
  }
  return Number(v);
}
const tolerance = values.tolerance === undefined ? 0 : Number(values.tolerance);
if (!(tolerance >= 0)) {
  console.error(`--tolerance must be a non-negative number, got '${values.tolerance}'`);
  process.exit(2);
}
if (values.check && values.out) {
  console.error('--check writes to a temporary folder and compares with the committed reports; it takes no --out');
  process.exit(2);
}

const names = positionals.length ? positionals : [...REPRODUCTION_NAMES];
let failed = false;
for (const name of names) {
  const r = REPRODUCTIONS[name];
  if (!r) {
    console.error(`unknown reproduction ${JSON.stringify(name)}; expected one of ${REPRODUCTION_NAMES.join(', ')}`);
    process.exit(2);
  }
  const committedDir = defaultOut(values.quick);
  const out = values.check ? mkdtempSync(join(tmpdir(), `pathgrad-check-${name}-`)) : values.out;
  const result = await r.run({ quick: values.quick, out, seed: intArg(values.seed, 'seed'), seeds: intArg(values.seeds, 'seeds') });
  console.log(`${name}: ${result.summary} (${result.seconds.toFixed(1)} s on Node ${process.version}) -> ${result.report} and ${name}.json`);
  if (!values.check) continue;
  const committedPath = join(committedDir, `${name}.json`);
  if (!existsSync(committedPath)) {
    console.error(`${name}: no committed ${committedPath} to check against`);
    failed = true;
    continue;
  }
  const committed = JSON.parse(readFileSync(committedPath, 'utf8')) as ResultJson;
  const diffs = compareResults(committed, resultJson(result), tolerance);
  // the Markdown report (committed for full runs only) is compared only for a bit-exact check
  const committedMd = join(committedDir, `${name}.md`);
  if (tolerance === 0 && !values.quick && existsSync(committedMd) && readFileSync(committedMd, 'utf8') !== readFileSync(result.report, 'utf8')) {
    diffs.push(`report: ${result.report} differs from ${committedMd} (diff them to see where)`);
  }
  if (diffs.length) {
    failed = true;
    console.error(`${name}: CHECK FAILED against ${committedPath} (tolerance ${tolerance}):\n  ${diffs.slice(0, 40).join('\n  ')}${diffs.length > 40 ? `\n  … ${diffs.length - 40} more` : ''}`);
  } else {
    console.log(`${name}: check passed: every number equals ${committedPath}${tolerance ? ` within ${tolerance}` : ' bit for bit'}`);
  }
}
process.exit(failed ? 1 : 0);
