/**
 * Special functions for the elementwise kernels: the error function and its complement,
 * accurate to a few ulp in float64 (GELU's exact form needs erf far beyond the 1e-7 of
 * Abramowitz-Stegun 7.1.26).
 *
 * Method: for z >= 0, erfc(z) = t * exp(-z^2 + P(t)) with t = 2 / (2 + z), where P is
 * smooth on t in (0, 1] and is evaluated as a Chebyshev series in u = 2t - 1 (the same
 * representation as Numerical Recipes' `erfccheb`). The 30 coefficients below were
 * computed for pathgrad by Chebyshev interpolation of P at 64 nodes in 50-digit
 * arithmetic (mpmath); the first omitted one is below 1e-18. Small |x| uses the Maclaurin
 * series of erf, so erf keeps its relative accuracy near 0.
 */

const CHEB: readonly number[] = [
  -6.5132685989085472e-1, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.5615147868086316e-3,
  -9.4659534448203687e-4, 3.6683949785276145e-4, 4.2523324806907772e-5, -2.0278578112534243e-5,
  -1.6242900046470255e-6, 1.3036558355805232e-6, 1.5626441722066143e-8, -8.5238095914926543e-8,
  6.5290544390988515e-9, 5.0593434955514689e-9, -9.9136415649303309e-10, -2.2736512229318359e-10,
  9.6467911020155268e-11, 2.3940380830391147e-12, -6.8860275264975534e-12, 8.9448792730907257e-13,
  3.1309213993429581e-13, -1.1270822361367252e-13, 3.8109052551892321e-16, 7.106097613609237e-15,
  -1.5230282014571043e-15, -9.457494571291234e-17, 1.210237189224279e-16, -2.816663087747177e-17,
  5.0030055594459017e-20, 2.3281042579529253e-18,
];

/** 2 / sqrt(pi). */
const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * exp(-z^2) without the rounding error of forming z^2: with zh = z rounded to float32
 * (24 bits), zh^2 is exact in float64 and z^2 = zh^2 + (z - zh)(z + zh). This keeps the
 * relative error of erfc near 1e-16 even where exp's argument is large.
 */
function expNegSquare(z: number, extra: number): number {
  const zh = Math.fround(z);
  return Math.exp(-zh * zh) * Math.exp(extra - (z - zh) * (z + zh));
}

/** erfc(z) for z >= 0 (Chebyshev form; valid on the whole half line). */
function erfcNonNegative(z: number): number {
  if (z > 27.3) return 0; // erfc(27.3) < 2^-1074: the true value underflows
  const t = 2 / (2 + z);
  const u = 2 * t - 1;
  // Clenshaw recurrence for sum c_k T_k(u)
  let b1 = 0;
  let b2 = 0;
  const u2 = 2 * u;
  for (let k = CHEB.length - 1; k >= 1; k--) {
    const b0 = u2 * b1 - b2 + CHEB[k]!;
    b2 = b1;
    b1 = b0;
  }
  const p = u * b1 - b2 + CHEB[0]!;
  return t * expNegSquare(z, p);
}

/** Maclaurin series of erf, used for |x| < 0.5 where it converges in ~20 terms. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, with relative error
 * of a few 1e-16 over the whole real line. erf(NaN) is NaN, erf(+-Infinity) = +-1.
 * @example
 * ```ts
 * erf(1); // 0.8427007929497149
 * ```
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 0.5) return erfSeries(x);
  const r = 1 - erfcNonNegative(a);
  return x < 0 ? -r : r;
}

/**
 * The complementary error function erfc(x) = 1 - erf(x), computed directly so it keeps
 * its relative accuracy in the far tail (erfc(10) ~ 2e-45), where 1 - erf(x) would be 0.
 * @example
 * ```ts
 * erfc(3); // 2.209049699858544e-5
 * ```
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) return erfcNonNegative(x);
  if (x > -0.5) return 1 - erfSeries(x);
  return 2 - erfcNonNegative(-x);
}

/** 1 / sqrt(2). */
export const SQRT1_2 = Math.SQRT1_2;

/**
 * Exact GELU, x * Phi(x) with Phi the standard normal CDF. Written through erfc so the
 * left tail (x -> -inf, where 1 + erf(x/sqrt 2) would cancel to 0) stays accurate.
 * @example
 * ```ts
 * geluScalar(1); // 0.8413447460685429
 * ```
 */
export function geluScalar(x: number): number {
  return 0.5 * x * erfc(-x * SQRT1_2);
}
