/**
 * Gradient checking by central finite differences in float64 (PyTorch gradcheck for small
 * inputs: the whole Jacobian-vector product; JAX check_grads for large ones: a few random
 * directions).
 */
import { ArgumentError, checkOptionKeys, describe, isFloat, optionKeys, rng, Tensor, type Rng } from '@pathgrad/tensor';
import { vjp } from './transforms.js';

/**
 * Options of {@link gradcheck}.
 *
 * @example
 * ```ts
 * const options: GradcheckOptions = { mode: 'random', directions: 8, seed: 1, atol: 1e-6 };
 * gradcheck((x) => sum(tanh(x)), [randn([64, 64], rng(0), { dtype: 'float64' })], options).ok; // true
 * ```
 */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance of the pass criterion `|a - n| <= atol + rtol * |n|` (default 1e-5). */
  atol?: number;
  /** Relative tolerance of the pass criterion (default 1e-3). */
  rtol?: number;
  /**
   * `'full'`: every element of every checked input (the whole `J^T u`); `'random'`: a few
   * random directions; `'auto'` (default): full up to `fullLimit` elements, random above.
   */
  mode?: 'auto' | 'full' | 'random';
  /** Number of random directions in random mode (default 4). */
  directions?: number;
  /** Largest total number of checked elements for which `'auto'` picks full mode (default 200). */
  fullLimit?: number;
  /** Seed of the random cotangent and directions (default 0). */
  seed?: number;
  /** Indices of the inputs to check (default: every float input). Others are held constant. */
  wrt?: readonly number[];
}

const GRADCHECK_KEYS = optionKeys<GradcheckOptions>({
  eps: true, atol: true, rtol: true, mode: true, directions: true, fullLimit: true, seed: true, wrt: true,
});

/**
 * What {@link gradcheck} found.
 *
 * @example
 * ```ts
 * const report: GradcheckReport = gradcheck((x) => sum(mul(x, x)), [tensor([1, 2], { dtype: 'float64' })]);
 * if (!report.ok) throw new Error(`gradient mismatch at ${report.worst}: ${report.maxAbsError}`);
 * ```
 */
export interface GradcheckReport {
  /** True when every entry satisfies `|a - n| <= atol + rtol * |n|` and nothing is NaN. */
  ok: boolean;
  /** Which comparison ran. */
  mode: 'full' | 'random';
  /** Largest `|analytic - numeric|`. */
  maxAbsError: number;
  /**
   * Largest `|analytic - numeric| / max(1, |analytic|, |numeric|)`: relative for entries of
   * magnitude above 1, absolute below (so exact zeros and cancellations do not blow it up).
   */
  maxRelError: number;
  /** Position of the worst entry in `analytic`/`numeric` (-1 when there was nothing to check). */
  worstIndex: number;
  /** The worst entry in words: which input and element, or which direction. */
  worst: string;
  /** Analytic values: `J^T u` element by element (full) or its dot with each direction (random). */
  analytic: Float64Array;
  /** The same quantities by central differences. */
  numeric: Float64Array;
}

function toFloat64(t: Tensor): Tensor {
  if (t.dtype === 'float64') return t;
  return new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64');
}

function normals(g: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = g.normal();
  return out;
}

function unravel(shape: readonly number[], flat: number): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = flat % n;
    flat = Math.floor(flat / n);
  }
  return idx;
}

/**
 * Compares the analytic vector-Jacobian product of `f` at `xs` against central finite
 * differences, in float64 (inputs are converted). A non-scalar output is contracted with
 * a random cotangent `u`. Differences are taken output element by output element before
 * summing, so rounding from unaffected outputs does not pollute the estimate.
 *
 * @example
 * ```ts
 * const report = gradcheck((x: Tensor) => sum(exp(x)), [tensor([0.1, -0.5], { dtype: 'float64' })]);
 * report.ok;          // true
 * report.maxRelError; // ~1e-10
 * ```
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  if (typeof f !== 'function') throw new ArgumentError(`gradcheck: f must be a function of tensors, got ${describe(f)}`);
  if (!Array.isArray(xs)) throw new ArgumentError(`gradcheck: xs must be an array of Tensors, got ${describe(xs)}`);
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ArgumentError(`gradcheck: xs[${i}] must be a Tensor, got ${describe(x)}`);
  });
  checkOptionKeys(opts, GRADCHECK_KEYS, 'gradcheck');
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, mode = 'auto', directions = 4, fullLimit = 200, seed = 0 } = opts;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new ArgumentError(`gradcheck: eps must be a positive number, got ${describe(eps)}`);
  if (mode !== 'auto' && mode !== 'full' && mode !== 'random') {
    throw new ArgumentError(`gradcheck: mode must be 'auto', 'full' or 'random', got ${describe(mode)}`);
  }
  const x64 = xs.map((x) => (isFloat(x.dtype) ? toFloat64(x) : x));
  const wrt = opts.wrt ? [...opts.wrt] : x64.map((x, i) => (isFloat(x.dtype) ? i : -1)).filter((i) => i >= 0);
  for (const i of wrt) {
    if (!Number.isInteger(i) || i < 0 || i >= xs.length) {
      throw new ArgumentError(`gradcheck: wrt index ${describe(i)} is out of range for ${xs.length} inputs`);
    }
    if (!isFloat(x64[i]!.dtype)) throw new ArgumentError(`gradcheck: input ${i} is ${x64[i]!.dtype}; only float inputs can be checked`);
  }
  const gen = rng(seed);
  const call = (args: Tensor[]): Tensor => {
    const y = f(...args);
    if (!(y instanceof Tensor)) throw new ArgumentError(`gradcheck: f must return a Tensor, got ${describe(y)}`);
    return y;
  };
  const substitute = (ws: readonly Tensor[]): Tensor[] => {
    const args = [...x64];
    wrt.forEach((i, k) => (args[i] = ws[k]!));
    return args;
  };

  // analytic: one pullback with a random cotangent (1 for a scalar output)
  const { value, pullback } = vjp((...ws) => call(substitute(ws)), ...wrt.map((i) => x64[i]!));
  const u = value.size === 1 ? Float64Array.of(1) : normals(gen, value.size);
  const uT = new Tensor(value.dtype === 'float64' ? u : Float32Array.from(u), value.shape, value.dtype);
  const analyticGrads = pullback(uT).map((g) => Float64Array.from(g.toTypedArray()));

  const bases = wrt.map((i) => Float64Array.from(x64[i]!.toTypedArray()));
  const shapes = wrt.map((i) => x64[i]!.shape);
  // <u, (f(x + eps d) - f(x - eps d))> / (2 eps), differencing per output element first
  const directional = (dirs: readonly (Float64Array | null)[]): number => {
    const at = (sign: number): Float64Array => {
      const ws = bases.map((b, k) => {
        const d = dirs[k];
        if (!d) return new Tensor(b, shapes[k]!, 'float64');
        const p = new Float64Array(b.length);
        for (let j = 0; j < b.length; j++) p[j] = b[j]! + sign * eps * d[j]!;
        return new Tensor(p, shapes[k]!, 'float64');
      });
      return Float64Array.from(call(substitute(ws)).toTypedArray());
    };
    const plus = at(1);
    const minus = at(-1);
    let s = 0;
    for (let j = 0; j < plus.length; j++) s += u[j]! * (plus[j]! - minus[j]!);
    return s / (2 * eps);
  };

  const total = bases.reduce((n, b) => n + b.length, 0);
  const useFull = mode === 'full' || (mode === 'auto' && total <= fullLimit);
  let analytic: Float64Array;
  let numeric: Float64Array;
  let where: (k: number) => string;
  if (useFull) {
    analytic = new Float64Array(total);
    numeric = new Float64Array(total);
    const owner: [number, number][] = [];
    let pos = 0;
    bases.forEach((b, k) => {
      for (let j = 0; j < b.length; j++, pos++) {
        const d = new Float64Array(b.length);
        d[j] = 1;
        const dirs = bases.map((_, m) => (m === k ? d : null));
        analytic[pos] = analyticGrads[k]![j]!;
        numeric[pos] = directional(dirs);
        owner.push([k, j]);
      }
    });
    where = (p) => {
      const [k, j] = owner[p]!;
      return `input ${wrt[k]!} at [${unravel(shapes[k]!, j).join(', ')}]`;
    };
  } else {
    analytic = new Float64Array(directions);
    numeric = new Float64Array(directions);
    for (let r = 0; r < directions; r++) {
      const dirs = bases.map((b) => normals(gen, b.length));
      let a = 0;
      dirs.forEach((d, k) => {
        const gk = analyticGrads[k]!;
        for (let j = 0; j < d.length; j++) a += gk[j]! * d[j]!;
      });
      analytic[r] = a;
      numeric[r] = directional(dirs);
    }
    where = (p) => `random direction ${p}`;
  }

  let ok = true;
  let maxAbsError = 0;
  let maxRelError = 0;
  let worstIndex = -1;
  for (let p = 0; p < analytic.length; p++) {
    const a = analytic[p]!;
    const n = numeric[p]!;
    let abs = Math.abs(a - n);
    let rel = abs / Math.max(1, Math.abs(a), Math.abs(n));
    if (Number.isNaN(abs)) {
      abs = Infinity; // a NaN anywhere is a failure, never silently "close"
      rel = Infinity;
    }
    if (!(abs <= atol + rtol * Math.abs(n))) ok = false;
    if (worstIndex < 0 || rel > maxRelError) {
      worstIndex = p;
    }
    maxAbsError = Math.max(maxAbsError, abs);
    maxRelError = Math.max(maxRelError, rel);
  }
  const worst =
    worstIndex < 0 ? 'nothing to check (no elements)' : `${where(worstIndex)}: analytic ${analytic[worstIndex]} vs numeric ${numeric[worstIndex]}`;
  return { ok, mode: useFull ? 'full' : 'random', maxAbsError, maxRelError, worstIndex, worst, analytic, numeric };
}
