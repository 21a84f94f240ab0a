/**
 * The paper reproductions, by name: `pathgrad reproduce <name>` imports this map and
 * calls `run`. Each module computes its experiment over several seeds, writes
 * docs/reproductions/<name>.md with figures in docs/reproductions/<name>/, and returns
 * its numbers, which `run` here also writes to docs/reproductions/<name>.json (the file
 * `--check` compares against).
 *
 * @example
 * ```ts
 * import { REPRODUCTIONS } from './benchmarks/papers/index.js';
 * const result = await REPRODUCTIONS['ig'].run({ quick: true, out: '/tmp/repro' });
 * console.log(result.summary);
 * ```
 */
import { dirname } from 'node:path';
import { writeResultJson, type ReproductionOptions, type ReproductionResult } from './common.js';
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
  ig: withJson(ig),
  igc: withJson(igc),
  ggig: withJson(ggig),
  'greedy-pig': withJson(greedyPig),
  sig: withJson(sig),
};

/** The module's run, then its numbers written to `<name>.json` beside the report. */
function withJson(m: Reproduction): Reproduction {
  return {
    run: async (opts?: ReproductionOptions) => {
      const r = await m.run(opts);
      writeResultJson(dirname(r.report), r);
      return r;
    },
  };
}

/** The reproduction names in a stable order. */
export const REPRODUCTION_NAMES: readonly string[] = Object.keys(REPRODUCTIONS);
