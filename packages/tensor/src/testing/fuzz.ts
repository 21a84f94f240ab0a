/**
 * Fuzzing helpers for parsers of untrusted bytes: hostile inputs derived from valid files
 * (random bytes, truncations, bit flips, byte overwrites, splices) and a check that one
 * case ends quickly, either parsing or throwing one of the documented error classes.
 */
import type * as FastCheck from 'fast-check';

/** The environment variable `name` where there is one (Node), else undefined (browsers). */
function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * How many cases a fuzz property runs: `FC_NUM_RUNS` from the environment when set (for a
 * long run, e.g. `FC_NUM_RUNS=20000`), else `fallback` (small, so CI stays fast).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(hostileBytes(fc, [valid]), check), { numRuns: fuzzRuns(200), seed: fuzzSeed() });
 * ```
 */
export function fuzzRuns(fallback: number): number {
  const runs = Number(env('FC_NUM_RUNS'));
  return Number.isSafeInteger(runs) && runs > 0 ? runs : fallback;
}

/**
 * A vitest timeout for a fuzz test: `fallback` ms normally, an hour when `FC_NUM_RUNS` asks
 * for a long run (the per-case bound of {@link boundedRefusal} still applies).
 *
 * @example
 * ```ts
 * it('fuzzes the parser', { timeout: fuzzTimeout() }, () => fc.assert(property, { numRuns: fuzzRuns(200) }));
 * ```
 */
export function fuzzTimeout(fallback = 60_000): number {
  return env('FC_NUM_RUNS') !== undefined ? 3_600_000 : fallback;
}

/**
 * The seed to replay a failure with: `FC_SEED` from the environment when set (fast-check
 * prints the seed and path of every failure), else undefined (a fresh random seed).
 *
 * @example
 * ```ts
 * // FC_SEED=-123456 npx vitest run packages/nn/test/io.bombs.test.ts
 * fc.assert(property, { numRuns: fuzzRuns(200), seed: fuzzSeed() });
 * ```
 */
export function fuzzSeed(): number | undefined {
  const seed = env('FC_SEED');
  return seed !== undefined && Number.isInteger(Number(seed)) ? Number(seed) : undefined;
}

/**
 * Hostile byte strings: random bytes, and each valid sample truncated, bit-flipped, with
 * bytes overwritten, or with a slice of itself spliced in (lengths repeat, offsets shift).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(hostileBytes(fc, [writeNpy(zeros([2, 3]))]), (bytes) => boundedRefusal(() => readNpy(bytes), [FormatError])));
 * ```
 */
export function hostileBytes(fc: typeof FastCheck, valid: readonly Uint8Array[], maxRandomLength = 256): FastCheck.Arbitrary<Uint8Array> {
  const base = fc.constantFrom(...valid);
  const truncated = base.chain((b) => fc.nat(Math.max(0, b.length - 1)).map((n) => b.slice(0, n)));
  const flipped = base.chain((b) =>
    fc.array(fc.tuple(fc.nat(Math.max(0, b.length - 1)), fc.nat(7)), { minLength: 1, maxLength: 8 }).map((flips) => {
      const out = b.slice();
      for (const [i, bit] of flips) if (i < out.length) out[i]! ^= 1 << bit;
      return out;
    }),
  );
  const overwritten = base.chain((b) =>
    fc.array(fc.tuple(fc.nat(Math.max(0, b.length - 1)), fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0x5b, 0x7b, 0x22, 0x30, 0x39)), { minLength: 1, maxLength: 6 }).map((edits) => {
      const out = b.slice();
      for (const [i, v] of edits) if (i < out.length) out[i] = v;
      return out;
    }),
  );
  const spliced = base.chain((b) =>
    fc.tuple(fc.nat(b.length), fc.nat(b.length), fc.nat(b.length)).map(([at, from, to]) => {
      const piece = b.slice(Math.min(from, to), Math.max(from, to));
      const out = new Uint8Array(b.length + piece.length);
      out.set(b.subarray(0, at));
      out.set(piece, at);
      out.set(b.subarray(at), at + piece.length);
      return out;
    }),
  );
  return fc.oneof(fc.uint8Array({ maxLength: maxRandomLength }), truncated, flipped, overwritten, spliced);
}

/** The process's resident memory in bytes where Node tells it, else undefined. */
function residentBytes(): number | undefined {
  const usage = (globalThis as { process?: { memoryUsage?: { rss?: () => number } } }).process?.memoryUsage;
  return typeof usage?.rss === 'function' ? usage.rss() : undefined;
}

/**
 * Runs one fuzz case: `fn` must return or throw an instance of one of `allowed` (anything
 * else, a RangeError or TypeError from deep inside, fails the case), must finish within
 * `maxMs` milliseconds, and the process must stay under `maxResidentBytes` afterwards
 * (generous bounds against hangs and huge allocations, not speed or memory measurements).
 *
 * @example
 * ```ts
 * boundedRefusal(() => readNpy(bytes), [FormatError]); // true, or throws explaining what went wrong
 * ```
 */
export function boundedRefusal(fn: () => unknown, allowed: readonly (abstract new (...args: never[]) => Error)[], maxMs = 2000, maxResidentBytes = 1.5e9): true {
  const start = performance.now();
  try {
    fn();
  } catch (e) {
    if (!allowed.some((C) => e instanceof C)) {
      throw new Error(`expected success or ${allowed.map((C) => C.name).join('/')}, got ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
  }
  const ms = performance.now() - start;
  if (ms > maxMs) throw new Error(`one case took ${ms.toFixed(0)} ms (bound ${maxMs} ms)`);
  const rss = residentBytes();
  if (rss !== undefined && rss > maxResidentBytes) throw new Error(`after one case the process holds ${(rss / 1e6).toFixed(0)} MB (bound ${(maxResidentBytes / 1e6).toFixed(0)} MB)`);
  return true;
}
