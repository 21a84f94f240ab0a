/**
 * The paper reproductions, by name: `pathgrad reproduce <name>` imports this map and
 * calls `run`. Each module computes its experiment (seeded), writes
 * docs/reproductions/<name>.md with figures in docs/reproductions/<name>/, and returns
 * its headline numbers.
 *
 * @example
 * ```ts
 * import { REPRODUCTIONS } from './benchmarks/papers/index.js';
 * const result = await REPRODUCTIONS['ig'].run({ quick: true, out: '/tmp/repro' });
 * console.log(result.summary);
 * ```
 */
import type { ReproductionOptions, ReproductionResult } from './common.js';
import * as ig from './ig.js';
import * as igc from './igc.js';
import * as ggig from './ggig.js';
import * as greedyPig from './greedy-pig.js';
import * as sig from './sig.js';

export type { ReproductionOptions, ReproductionResult } from './common.js';

/** A reproduction module. */
export interface Reproduction {
  run(opts?: ReproductionOptions): Promise<ReproductionResult>;
}

/** Every reproduction, by the name `pathgrad reproduce` takes. */
export const REPRODUCTIONS: Record<string, Reproduction> = {
  ig,
  igc,
  ggig,
  'greedy-pig': greedyPig,
  sig,
};

/** The reproduction names in a stable order. */
export const REPRODUCTION_NAMES: readonly string[] = Object.keys(REPRODUCTIONS);
