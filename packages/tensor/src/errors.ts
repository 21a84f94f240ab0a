/**
 * Base class of every error pathgrad throws on bad input. Messages name the argument,
 * what was expected and what came, so a user can fix the call without reading our code.
 */
export class PathgradError extends Error {
  override name = 'PathgradError';
}

/** Shapes that do not fit together (broadcasting, matmul, reshape...). */
export class ShapeError extends PathgradError {
  override name = 'ShapeError';
}

/** A dtype that an op does not accept. */
export class DTypeError extends PathgradError {
  override name = 'DTypeError';
}

/** Any other invalid argument: out-of-range axes, negative sizes, NaN where a number is needed. */
export class ArgumentError extends PathgradError {
  override name = 'ArgumentError';
}

/** Bytes that do not parse (npy, safetensors, ONNX, IDX). */
export class FormatError extends PathgradError {
  override name = 'FormatError';
}

/** Short, readable rendering of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const inner = value.slice(0, 8).map(describe).join(', ');
    return `[${inner}${value.length > 8 ? ', ...' : ''}]`;
  }
  if (typeof value === 'object' && value !== null && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: readonly number[]; dtype: string };
    return `Tensor(shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
  }
  return typeof value;
}
