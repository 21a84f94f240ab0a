/**
 * Test helpers shared by pathgrad's packages and offered to users who add ops:
 * fast-check arbitraries for tensors and naive float64 references.
 *
 * @module @pathgrad/tensor/testing
 */
export * from './arbitraries.js';
export * from './reference.js';
export * from './close.js';
export * from './fuzz.js';
