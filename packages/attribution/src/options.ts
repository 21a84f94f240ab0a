import { ArgumentError, checkOptionKeys, describe } from '@pathgrad/tensor';
import { QUADRATURE_METHODS, type QuadratureMethod } from './quadrature.js';
import type { OutputTransform } from './target.js';

/**
 * Throws unless `opts` is undefined or a plain object whose keys are all in `allowed` (a
 * list built with `optionKeys<TheOptions>({...})`, so the compiler keeps it complete): a
 * typo such as `internalBatchsize` is refused naming the nearest valid key instead of
 * silently dropping the option, and an array is refused where the object belongs.
 */
export function checkOptions<T>(opts: T, allowed: readonly string[], methodName: string): T {
  return checkOptionKeys(opts as object | undefined, allowed, methodName) as T;
}

/** A positive integer option with a default. */
export function intOption(value: unknown, fallback: number, name: string, methodName: string, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ArgumentError(`${methodName}: ${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

/** A finite number option with a default and an optional lower bound. */
export function numberOption(value: unknown, fallback: number, name: string, methodName: string, min = -Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ArgumentError(`${methodName}: ${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, got ${describe(value)}`);
  }
  return value;
}

/** A boolean option with a default. */
export function boolOption(value: unknown, fallback: boolean, name: string, methodName: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ArgumentError(`${methodName}: ${name} must be true or false, got ${describe(value)}`);
  return value;
}

/**
 * Largest `steps` any path method accepts: 2^20 = 1,048,576 points per path.
 *
 * More cannot make a result more accurate: the trapezoid and midpoint rules' error falls as
 * 1/steps² (Gauss–Legendre's much faster), so at 2^20 points it is ~1e-12 of the integral,
 * already below the float64 rounding of summing that many gradient terms (~steps × 1.1e-16).
 * The cap keeps a run bounded (at most 2^20 forward/backward passes per example and
 * baseline, and quadrature tables of at most 16 MB) and turns a typo such as `1e9` into an
 * immediate error instead of a run that never returns. Memory per pass is bounded
 * separately by `internalBatchSize`.
 *
 * @example
 * ```ts
 * integratedGradients(model, images, { steps: MAX_STEPS + 1 }); // throws ArgumentError naming steps
 * ```
 */
export const MAX_STEPS = 2 ** 20;

/**
 * Input elements per forward/backward pass when `internalBatchSize` is not given: 2^19 =
 * 524,288, i.e. 668 MNIST points (28 x 28) per pass, 3 points of a 224 x 224 x 3 image.
 *
 * Without a bound, "everything at once" made memory grow with steps x examples: IG on the
 * MNIST CNN at 4,096 steps for one image peaked at 1.5 GB, and at {@link MAX_STEPS} it would
 * need hundreds of GB. With this default the same run peaks at 0.46 GB, in the same time (the
 * passes stay large enough for the kernels), and memory no longer grows with steps. Chunking
 * only splits the step-major list of points: each point's gradient is the same and the sums
 * are accumulated point by point in the same order, so results are identical (bit for bit on
 * the tested models) to a single pass. Pass `internalBatchSize` to choose another size.
 *
 * @example
 * ```ts
 * integratedGradients(model, images, { target: labels, steps: 4096 }); // passes of at most DEFAULT_CHUNK_ELEMENTS input elements
 * ```
 */
export const DEFAULT_CHUNK_ELEMENTS = 2 ** 19;

/** The `steps` option: an integer in [min, {@link MAX_STEPS}] with a default. */
export function stepsOption(value: unknown, fallback: number, methodName: string, min = 1): number {
  const s = intOption(value, fallback, 'steps', methodName, min);
  if (s > MAX_STEPS) {
    throw new ArgumentError(`${methodName}: steps must be at most ${MAX_STEPS} (2^20; more points cannot improve a float64 result), got ${s}`);
  }
  return s;
}

/**
 * Largest number of random draws or rounds a sampling option accepts: 2^16 = 65,536. It
 * bounds `samples` of expectedGradients, noiseTunnel, infidelity and sensitivityMax,
 * `coalitions` of shapleyIG, `rounds` of greedyPIG and `numDataPoints` of pic.
 *
 * These are Monte Carlo averages, whose error falls only as 1/√samples: at 65,536 draws it is
 * 1/256 (0.4%) of one draw's spread, and every further halving costs four times the work, so a
 * more exact answer needs a better estimator, not more draws. Published settings stay far
 * below (SmoothGrad 50, expected gradients a few hundred, Captum's infidelity 10). Each draw
 * costs at least one forward/backward pass per example (noiseTunnel: a whole run of the
 * wrapped method; greedyPIG: two IG runs per round, and rounds beyond the feature count change
 * nothing), so the cap keeps a run bounded and turns a typo such as `1e9` into an immediate
 * error instead of a run that never returns.
 *
 * @example
 * ```ts
 * noiseTunnel(integratedGradients, { samples: MAX_SAMPLES + 1 }); // throws ArgumentError naming samples
 * ```
 */
export const MAX_SAMPLES = 2 ** 16;

/**
 * Largest number of baselines a baseline builder may draw, and of scales of
 * geometricallyGuidedIG: 2^10 = 1,024. It bounds `samples` of uniformNoiseBaseline, `k` of
 * datasetSamplesBaseline (IGC's `{ samples, data }` baseline, the CLI's `igc --baselines`) and
 * `scales` of geometricallyGuidedIG.
 *
 * Unlike a draw of {@link MAX_SAMPLES}, each of these is held in memory at once as a full copy
 * of the input batch (a 16-digit MNIST batch: 100 KB each, so 1,024 make 100 MB) and multiplies
 * the whole path computation. The papers use a few dozen (IGC: 32 dataset baselines; the IG
 * authors: 10 noise baselines; GGIG: 50 scales); a larger count is almost certainly a typo.
 *
 * @example
 * ```ts
 * uniformNoiseBaseline({ samples: MAX_BASELINES + 1 }); // throws ArgumentError naming samples
 * ```
 */
export const MAX_BASELINES = 2 ** 10;

/** A count option (`samples`, `coalitions`, ...): an integer in [min, max] with a default; `max` is {@link MAX_SAMPLES} or {@link MAX_BASELINES}. */
export function countOption(value: unknown, fallback: number, name: string, methodName: string, max: number, min = 1): number {
  const v = intOption(value, fallback, name, methodName, min);
  if (v > max) {
    const why = max === MAX_BASELINES ? 'MAX_BASELINES: each is a copy of the inputs held in memory' : 'MAX_SAMPLES: a Monte Carlo error already 1/256 of one draw\'s spread';
    throw new ArgumentError(`${methodName}: ${name} must be at most ${max} (${why}), got ${v}`);
  }
  return v;
}

/** The quadrature method option, with the steps minimum each rule needs and the {@link MAX_STEPS} cap. */
export function quadratureOptions(method: unknown, steps: unknown, methodName: string, defaultSteps = 50): { method: QuadratureMethod; steps: number } {
  const m = (method ?? 'gaussLegendre') as QuadratureMethod;
  if (!QUADRATURE_METHODS.includes(m)) {
    throw new ArgumentError(`${methodName}: method must be one of ${QUADRATURE_METHODS.map((q) => `'${q}'`).join(', ')}, got ${describe(method)}`);
  }
  const min = m === 'gaussLegendre' ? 1 : 2;
  const s = stepsOption(steps, defaultSteps, methodName, 1);
  if (s < min) throw new ArgumentError(`${methodName}: steps must be >= ${min} for the '${m}' rule, got ${s}`);
  return { method: m, steps: s };
}

/** The output transform option. */
export function transformOption(value: unknown, methodName: string): OutputTransform {
  const t = value ?? 'identity';
  if (t !== 'identity' && t !== 'softmax' && t !== 'logSoftmax') {
    throw new ArgumentError(`${methodName}: outputTransform must be 'identity', 'softmax' or 'logSoftmax', got ${describe(value)}`);
  }
  return t;
}
