import { checkInt } from './args.js';
import { ArgumentError, describe } from './errors.js';

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman & Vigna 2018) seeded through
 * SplitMix32. 32-bit integer arithmetic only (`Math.imul`, `>>>`), so the same seed gives
 * the same numbers on every machine and JavaScript engine. There is no hidden global
 * generator anywhere in pathgrad: every random function takes one of these.
 *
 * @example
 * ```ts
 * const g = rng(42);
 * g.uniform(); // a float64 in [0, 1), the same for seed 42 everywhere
 * ```
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  /** Seeds the state from a 32-bit integer seed (any safe integer; higher bits are folded in). */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      throw new ArgumentError(`rng: seed must be a safe integer, got ${describe(seed)}`);
    }
    let x = (seed ^ Math.floor(seed / 0x100000000)) >>> 0;
    const next = (): number => {
      // SplitMix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float64 uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal draw (Marsaglia polar method; spare value cached). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * m;
        return u * m;
      }
    }
  }

  /** A uniform integer in [low, high) without modulo bias. */
  int(low: number, high: number): number {
    checkInt(low, 'low', 'rng.int');
    checkInt(high, 'high', 'rng.int');
    if (high <= low) throw new ArgumentError(`rng.int: high must exceed low, got low=${low}, high=${high}`);
    const range = high - low;
    if (range <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % range);
      for (;;) {
        const r = this.nextUint32();
        if (r < limit) return low + (r % range);
      }
    }
    return low + Math.floor(this.uniform() * range);
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    checkInt(n, 'n', 'rng.permutation', 0);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** `k` distinct integers from 0..n-1, in random order. */
  choice(n: number, k: number): Int32Array {
    checkInt(k, 'k', 'rng.choice', 0);
    if (k > n) throw new ArgumentError(`rng.choice: cannot draw k=${k} distinct values from n=${n}`);
    return this.permutation(n).slice(0, k);
  }

  /** An independent generator derived from this one (for splitting work reproducibly). */
  fork(): Rng {
    return new Rng(this.nextUint32() * 0x100000 + (this.nextUint32() >>> 12));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A new seeded generator.
 * @example
 * ```ts
 * const a = rng(7).uniform(), b = rng(7).uniform(); // a === b
 * ```
 */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
