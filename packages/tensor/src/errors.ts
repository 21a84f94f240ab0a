/**
 * Base class of every error pathgrad throws on bad input. Messages name the argument,
 * what was expected and what came, so a user can fix the call without reading our code.
 *
 * @example
 * ```ts
 * try {
 *   reshape(tensor([1, 2, 3]), [2, 2]);
 * } catch (e) {
 *   if (e instanceof PathgradError) console.log(e.name, e.message); // ShapeError ...
 * }
 * ```
 */
export class PathgradError extends Error {
  override name = 'PathgradError';
}

/**
 * Shapes that do not fit together (broadcasting, matmul, reshape...).
 *
 * @example
 * ```ts
 * add(zeros([2, 3]), zeros([4])); // throws ShapeError: add: shapes [2, 3] and [4] are not broadcastable ...
 * ```
 */
export class ShapeError extends PathgradError {
  override name = 'ShapeError';
}

/**
 * A dtype that an op does not accept.
 *
 * @example
 * ```ts
 * exp(tensor([1, 2], { dtype: 'int32' })); // throws DTypeError naming the dtype it got
 * ```
 */
export class DTypeError extends PathgradError {
  override name = 'DTypeError';
}

/**
 * Any other invalid argument: out-of-range axes, negative sizes, NaN where a number is needed.
 *
 * @example
 * ```ts
 * sum(zeros([2, 3]), { axis: 5 }); // throws ArgumentError: axis: expected an integer in [-2, 1] ...
 * ```
 */
export class ArgumentError extends PathgradError {
  override name = 'ArgumentError';
}

/**
 * Bytes that do not parse (npy, safetensors, ONNX, IDX).
 *
 * @example
 * ```ts
 * readNpy(new Uint8Array([1, 2, 3])); // throws FormatError (too short to be an .npy file)
 * ```
 */
export class FormatError extends PathgradError {
  override name = 'FormatError';
}

/**
 * Short, readable rendering of a value for error messages.
 *
 * @example
 * ```ts
 * describe([1, 2, NaN]); // '[1, 2, NaN]'
 * describe(zeros([2, 3])); // names the tensor's dtype and shape
 * describe([[[[[1]]]]]); // '[[[[[...]]]]]' (nesting is shown 4 levels deep)
 * ```
 */
export function describe(value: unknown, depth = 0): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    // bounded depth: a hostile file's 10,000 nested arrays must not overflow the stack here
    if (depth >= 4) return value.length === 0 ? '[]' : '[...]';
    const inner = value.slice(0, 8).map((v) => describe(v, depth + 1)).join(', ');
    return `[${inner}${value.length > 8 ? ', ...' : ''}]`;
  }
  if (typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: unknown; dtype: unknown };
    if (Array.isArray(t.shape) && t.shape.length <= 64 && t.shape.every((d) => typeof d === 'number') && typeof t.dtype === 'string') {
      return `Tensor(shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
    }
  }
  return typeof value;
}
