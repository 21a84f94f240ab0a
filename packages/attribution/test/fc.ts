/**
 * Runs per fast-check property: the test's own count, or FC_NUM_RUNS when set (the long run,
 * `pnpm test:long`). A property that passes its own `numRuns` would otherwise ignore the
 * global setting made in vitest.setup.ts.
 */
export function runs(n: number): number {
  const env = Number(process.env['FC_NUM_RUNS']);
  return Number.isInteger(env) && env > 0 ? env : n;
}
