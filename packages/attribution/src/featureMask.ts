import { ArgumentError, ShapeError, Tensor, describe, shapesEqual } from '@pathgrad/tensor';

/**
 * Feature groups of one example: the group id of every element, and the number of groups.
 *
 * @example
 * ```ts
 * const groups: FeatureGroups = resolveFeatureMask(patchMask(28, 28, 7), images, 'myMethod');
 * groups.count; // 16 patches of 7x7 pixels
 * ```
 */
export interface FeatureGroups {
  /** Group id (0..count-1) of every element of one example, row-major. */
  ids: Int32Array;
  /** Number of groups. */
  count: number;
  /** Elements of each group. */
  members: Int32Array[];
}

/**
 * Resolves a feature mask: an integer tensor with the shape of one example
 * (or `[1, ...]`), one group id per element, ids 0..n-1 without gaps. Without a mask every
 * element is its own feature.
 *
 * @example
 * ```ts
 * // 4x4 patches of a 28x28 digit -> 49 features
 * const mask = patchMask(28, 28, 4);
 * ```
 */
export function resolveFeatureMask(mask: Tensor | undefined, inputs: Tensor, methodName: string): FeatureGroups {
  const featureShape = inputs.shape.slice(1);
  const per = featureShape.reduce((a, b) => a * b, 1);
  let ids: Int32Array;
  if (mask === undefined) {
    ids = Int32Array.from({ length: per }, (_, i) => i);
  } else {
    if (!(mask instanceof Tensor)) throw new ArgumentError(`${methodName}: featureMask must be an int32 Tensor, got ${describe(mask)}`);
    const shape = mask.rank === featureShape.length + 1 && mask.shape[0] === 1 ? mask.shape.slice(1) : mask.shape;
    if (!shapesEqual(shape, featureShape)) {
      throw new ShapeError(`${methodName}: featureMask must have the shape of one example [${featureShape.join(', ')}], got [${mask.shape.join(', ')}]`);
    }
    const vals = mask.toTypedArray();
    ids = new Int32Array(per);
    for (let i = 0; i < per; i++) {
      const v = vals[i]!;
      if (!Number.isInteger(v) || v < 0) throw new ArgumentError(`${methodName}: featureMask ids must be non-negative integers, got ${v} at flat index ${i}`);
      ids[i] = v;
    }
  }
  let count = 0;
  for (const v of ids) count = Math.max(count, v + 1);
  const sizes = new Int32Array(count);
  for (const v of ids) sizes[v]!++;
  for (let g = 0; g < count; g++) {
    if (sizes[g] === 0) throw new ArgumentError(`${methodName}: featureMask ids must be 0..${count - 1} without gaps, but id ${g} is missing`);
  }
  const members = Array.from({ length: count }, (_, g) => new Int32Array(sizes[g]!));
  const fill = new Int32Array(count);
  ids.forEach((g, i) => {
    members[g]![fill[g]!++] = i;
  });
  return { ids, count, members };
}

/**
 * A feature mask of square patches over an H x W image (ids row-major over patches), with
 * `channels` leading channel dimension(s) sharing the same ids.
 * @example
 * ```ts
 * patchMask(28, 28, 7).shape; // [1, 28, 28], ids 0..15
 * ```
 */
export function patchMask(height: number, width: number, patch: number, channels = 1): Tensor {
  for (const [v, n] of [[height, 'height'], [width, 'width'], [patch, 'patch'], [channels, 'channels']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`patchMask: ${n} must be a positive integer, got ${describe(v)}`);
  }
  const cols = Math.ceil(width / patch);
  const data = new Int32Array(channels * height * width);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data[c * height * width + y * width + x] = Math.floor(y / patch) * cols + Math.floor(x / patch);
  return new Tensor(data, [channels, height, width], 'int32');
}

/**
 * Sums a flat per-element attribution of one example into its groups.
 *
 * @example
 * ```ts
 * const groups = resolveFeatureMask(patchMask(28, 28, 7), images, 'myMethod');
 * const perPatch = groupSums(attributions.toTypedArray(), 0, groups); // example 0's attribution per patch, length 16
 * ```
 */
export function groupSums(values: ArrayLike<number>, offset: number, groups: FeatureGroups): Float64Array {
  const out = new Float64Array(groups.count);
  for (let i = 0; i < groups.ids.length; i++) out[groups.ids[i]!]! += values[offset + i]!;
  return out;
}
