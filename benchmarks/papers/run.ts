/**
 * Runs reproductions from the command line (what `pathgrad reproduce` does):
 * `npx tsx benchmarks/papers/run.ts <name...> [--quick] [--out DIR] [--seed N]`.
 */
import { parseArgs } from 'node:util';
import { REPRODUCTIONS, REPRODUCTION_NAMES } from './index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, seed: { type: 'string' } },
});
const names = positionals.length ? positionals : [...REPRODUCTION_NAMES];
for (const name of names) {
  const r = REPRODUCTIONS[name];
  if (!r) {
    console.error(`unknown reproduction ${JSON.stringify(name)}; expected one of ${REPRODUCTION_NAMES.join(', ')}`);
    process.exit(2);
  }
  const result = await r.run({ quick: values.quick, out: values.out, seed: values.seed === undefined ? 0 : Number(values.seed) });
  console.log(`${name}: ${result.summary} (${result.seconds.toFixed(1)} s) -> ${result.report}`);
  console.log(JSON.stringify(result.headline));
}
