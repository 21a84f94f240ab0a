import { checkOptionKeys, optionKeys } from '../args.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Result of comparing two tensors elementwise.
 *
 * @example
 * ```ts
 * const report: CloseReport = compareTensors(tensor([1, 2]), tensor([1, 2.5]));
 * if (!report.ok) console.log(report.message, report.worstIndex); // worst element is index 1
 * ```
 */
export interface CloseReport {
  ok: boolean;
  maxAbsError: number;
  worstIndex: number;
  message: string;
}

const COMPARE_KEYS = optionKeys<NonNullable<Parameters<typeof compareTensors>[2]>>({ rtol: true, atol: true });

/**
 * Compares two tensors with a mixed tolerance `|a - e| <= atol + rtol * |e|`; NaN equals
 * NaN and infinities must match exactly. Returns a report instead of throwing.
 *
 * @example
 * ```ts
 * compareTensors(tensor([1, 2]), tensor([1, 2 + 1e-7]), { rtol: 1e-5, atol: 0 }).ok; // true
 * compareTensors(tensor([NaN]), tensor([NaN])).ok; // true: NaN matches NaN
 * ```
 */
export function compareTensors(actual: Tensor, expected: Tensor, options: { rtol?: number; atol?: number } = {}): CloseReport {
  const { rtol = 1e-12, atol = 1e-12 } = checkOptionKeys(options, COMPARE_KEYS, 'compareTensors');
  if (!shapesEqual(actual.shape, expected.shape)) {
    return {
      ok: false,
      maxAbsError: Infinity,
      worstIndex: -1,
      message: `shape [${actual.shape.join(', ')}] != expected [${expected.shape.join(', ')}]`,
    };
  }
  const a = actual.toTypedArray();
  const e = expected.toTypedArray();
  let maxAbs = 0;
  let worst = -1;
  let ok = true;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) {
        ok = false;
        worst = i;
        maxAbs = Infinity;
      }
      continue;
    }
    const err = Math.abs(x - y);
    if (err > atol + rtol * Math.abs(y)) ok = false;
    if (err > maxAbs || worst < 0) {
      maxAbs = Math.max(maxAbs, err);
      if (err >= maxAbs) worst = i;
    }
  }
  return {
    ok,
    maxAbsError: maxAbs,
    worstIndex: worst,
    message: ok ? 'ok' : `max |error| ${maxAbs} at flat index ${worst}: got ${a[worst]}, expected ${e[worst]}`,
  };
}
