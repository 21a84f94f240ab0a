import { ArgumentError, describe } from '@pathgrad/tensor';
import { QUADRATURE_METHODS, type QuadratureMethod } from './quadrature.js';
import type { OutputTransform } from './target.js';

/** Throws unless `opts` is undefined or a plain object. */
export function checkOptions(opts: unknown, methodName: string): void {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
    throw new ArgumentError(`${methodName}: options must be an object, got ${describe(opts)}`);
  }
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

/** The quadrature method option, with the steps minimum each rule needs. */
export function quadratureOptions(method: unknown, steps: unknown, methodName: string, defaultSteps = 50): { method: QuadratureMethod; steps: number } {
  const m = (method ?? 'gaussLegendre') as QuadratureMethod;
  if (!QUADRATURE_METHODS.includes(m)) {
    throw new ArgumentError(`${methodName}: method must be one of ${QUADRATURE_METHODS.map((q) => `'${q}'`).join(', ')}, got ${describe(method)}`);
  }
  const min = m === 'gaussLegendre' ? 1 : 2;
  const s = intOption(steps, defaultSteps, 'steps', methodName, 1);
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
