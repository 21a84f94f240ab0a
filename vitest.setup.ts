/**
 * Runs before every test file. Many of pathgrad's tests are long synchronous numeric
 * loops; vitest awaits them with microtasks only, so a file of such tests can keep the
 * worker's event loop busy past the 60 s timeout of its RPC with the main process
 * ("Timeout calling onTaskUpdate"). Yielding one macrotask after each test lets those
 * replies through; no test's result depends on it.
 *
 * fast-check: a failing property reports its seed and shrink path (fast-check prints them in
 * the error; `verbose` adds the failing values and their shrinks). Replay one with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run <file>`. FC_NUM_RUNS=<k> runs every property
 * k times (the long run: `pnpm test:long`, i.e. FC_NUM_RUNS=1000 over packages/attribution).
 */
import fc from 'fast-check';
import { afterEach } from 'vitest';

const int = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got '${v}'`);
  return n;
};
const numRuns = int('FC_NUM_RUNS');
const seed = int('FC_SEED');
const path = process.env['FC_PATH'];
fc.configureGlobal({
  ...fc.readConfigureGlobal(),
  verbose: 1,
  ...(numRuns !== undefined ? { numRuns } : {}),
  ...(seed !== undefined ? { seed } : {}),
  ...(path ? { path } : {}),
});

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
