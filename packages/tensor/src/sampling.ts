/**
 * The part of fast-check that op specs (`OpSpec.sample`) and the tensor arbitraries
 * sample with, written out structurally so the main entry's declarations do not import
 * `fast-check`: it is an optional peer dependency, needed only by `@pathgrad/tensor/testing`
 * and by whoever runs op specs.
 *
 * Everything here is an ambient declaration, erased at run time: import this module with
 * `import type * as FastCheck from './sampling.js'` and use `typeof FastCheck` for the
 * parameter that receives the real `fc` module. `@pathgrad/tensor/testing` checks at compile
 * time that fast-check's module is assignable to this subset, so the two cannot drift, and
 * declares this {@link Arbitrary} to be fast-check's, so what a spec returns can go straight
 * into `fc.property`.
 *
 * @module
 */
/**
 * A generator of random values of type `T` with fast-check's combinators (the subset the op
 * specs use). Under `@pathgrad/tensor/testing` this is fast-check's own `Arbitrary<T>`.
 *
 * @example
 * ```ts
 * const spec: OpSpec<{ axis: number }> = {
 *   sample: (fc) => fc.tuple(arbTensor(fc, { minRank: 1 }), fc.nat(3)).map(([x, k]) => ({ inputs: [x], attrs: { axis: k % x.rank } })),
 *   reference: ([x], { axis }) => sum(x!, axis),
 * };
 * ```
 */
export interface Arbitrary<T> {
  /** Values transformed by `mapper`. */
  map<U>(mapper: (t: T) => U): Arbitrary<U>;
  /** Values of the arbitrary that `chainer` builds from each value of this one. */
  chain<U>(chainer: (t: T) => Arbitrary<U>): Arbitrary<U>;
  /** Only the values that pass `refinement`. */
  filter<U extends T>(refinement: (t: T) => t is U): Arbitrary<U>;
  /** Only the values that pass `predicate`. */
  filter(predicate: (t: T) => boolean): Arbitrary<T>;
}

/** Arrays of values of `arb`, `minLength`..`maxLength` long (fast-check's `fc.array`). */
export declare function array<T>(arb: Arbitrary<T>, constraints?: { minLength?: number; maxLength?: number }): Arbitrary<T[]>;
/** `true` or `false` (fast-check's `fc.boolean`). */
export declare function boolean(): Arbitrary<boolean>;
/** Always `value` (fast-check's `fc.constant`). */
export declare function constant<const T>(value: T): Arbitrary<T>;
/** One of `values` (fast-check's `fc.constantFrom`). */
export declare function constantFrom<const T = never>(...values: T[]): Arbitrary<T>;
/** Doubles in `[min, max]` (fast-check's `fc.double`). */
export declare function double(constraints?: { min?: number; max?: number; noNaN?: boolean; noDefaultInfinity?: boolean }): Arbitrary<number>;
/** Integers in `[min, max]` (fast-check's `fc.integer`). */
export declare function integer(constraints?: { min?: number; max?: number }): Arbitrary<number>;
/** Integers in `[0, max]` (fast-check's `fc.nat`). */
export declare function nat(max?: number): Arbitrary<number>;
/** Values of one of `arbs` (fast-check's `fc.oneof`). */
export declare function oneof<Ts extends Arbitrary<unknown>[]>(...arbs: Ts): Arbitrary<{ [K in keyof Ts]: Ts[K] extends Arbitrary<infer U> ? U : never }[number]>;
/** Values of `arb` or `nil` (fast-check's `fc.option`). */
export declare function option<T, TNil = null>(arb: Arbitrary<T>, constraints?: { nil?: TNil }): Arbitrary<T | TNil>;
/** Objects with one value of each of `model`'s arbitraries under its key (fast-check's `fc.record`). */
export declare function record<T>(model: { [K in keyof T]: Arbitrary<T[K]> }): Arbitrary<T>;
/** Tuples with one value of each of `arbs` (fast-check's `fc.tuple`). */
export declare function tuple<Ts extends unknown[]>(...arbs: { [K in keyof Ts]: Arbitrary<Ts[K]> }): Arbitrary<Ts>;
