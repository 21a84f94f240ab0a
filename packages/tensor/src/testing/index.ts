/**
 * Test helpers shared by pathgrad's packages and offered to users who add ops:
 * fast-check arbitraries for tensors and naive float64 references.
 *
 * Needs `fast-check` (an optional peer dependency of `@pathgrad/tensor`: install it next to
 * it to use this entry; the main entry works without it).
 *
 * @module @pathgrad/tensor/testing
 */
import type * as FastCheck from 'fast-check';
import type * as Sampling from '../sampling.js';

export * from './arbitraries.js';
export * from './reference.js';
export * from './close.js';
export * from './fuzz.js';

// Op specs and the tensor arbitraries are typed against the structural fast-check subset in
// ../sampling.ts, so the main entry's declarations need no fast-check. The only sampler
// anyone passes them is fast-check's own module, so where this entry is loaded their
// arbitraries are fast-check's: they go straight into fc.property and fc.assert.
declare module '../sampling.js' {
  interface Arbitrary<T> extends FastCheck.Arbitrary<T> {}
}

/**
 * Compile-time check that the real fast-check module fits the subset the op specs use: if a
 * fast-check release (or an edit to ../sampling.ts) breaks it, this line stops compiling.
 */
type FastCheckFitsSampling = typeof FastCheck extends typeof Sampling ? true : never;
const fastCheckFitsSampling: FastCheckFitsSampling = true;
void fastCheckFitsSampling;
