// erf and exact GELU of float32 values for the `wasm` backend: a float64 port of
// src/kernels/special.ts (the cpu kernels' erf: Chebyshev form of erfc for |x| >= 0.5, the
// Maclaurin series below), each result rounded once to float32. Same operations in the same
// order, so results differ from cpu only where the two libms' exp round an ulp apart.

// the 30 Chebyshev coefficients of src/kernels/special.ts, in order
const CHEB: StaticArray<f64> = [
  -6.5132685989085472e-1, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.5615147868086316e-3,
  -9.4659534448203687e-4, 3.6683949785276145e-4, 4.2523324806907772e-5, -2.0278578112534243e-5,
  -1.6242900046470255e-6, 1.3036558355805232e-6, 1.5626441722066143e-8, -8.5238095914926543e-8,
  6.5290544390988515e-9, 5.0593434955514689e-9, -9.9136415649303309e-10, -2.2736512229318359e-10,
  9.6467911020155268e-11, 2.3940380830391147e-12, -6.8860275264975534e-12, 8.9448792730907257e-13,
  3.1309213993429581e-13, -1.1270822361367252e-13, 3.8109052551892321e-16, 7.106097613609237e-15,
  -1.5230282014571043e-15, -9.457494571291234e-17, 1.210237189224279e-16, -2.816663087747177e-17,
  5.0030055594459017e-20, 2.3281042579529253e-18,
];

const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;
const SQRT1_2: f64 = 0.7071067811865476;

/** exp(-z^2) with z^2 split exactly through z rounded to float32 (as expNegSquare). */
@inline function expNegSquare(z: f64, extra: f64): f64 {
  const zh = <f64><f32>z;
  return Math.exp(-zh * zh) * Math.exp(extra - (z - zh) * (z + zh));
}

/** erfc(z) for z >= 0 (Chebyshev form, Clenshaw recurrence). */
function erfcNonNegative(z: f64): f64 {
  if (z > 27.3) return 0;
  const t = 2 / (2 + z);
  const u = 2 * t - 1;
  let b1: f64 = 0;
  let b2: f64 = 0;
  const u2 = 2 * u;
  for (let k = 29; k >= 1; k--) {
    const b0 = u2 * b1 - b2 + unchecked(CHEB[k]);
    b2 = b1;
    b1 = b0;
  }
  const p = u * b1 - b2 + unchecked(CHEB[0]);
  return t * expNegSquare(z, p);
}

/** Maclaurin series of erf for |x| < 0.5. */
function erfSeries(x: f64): f64 {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / <f64>n;
    const add = term / <f64>(2 * n + 1);
    sum += add;
    if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

function erf64(x: f64): f64 {
  if (x != x) return NaN;
  const a = Math.abs(x);
  if (a < 0.5) return erfSeries(x);
  const r = 1 - erfcNonNegative(a);
  return x < 0 ? -r : r;
}

function erfc64(x: f64): f64 {
  if (x != x) return NaN;
  if (x >= 0) return erfcNonNegative(x);
  if (x > -0.5) return 1 - erfSeries(x);
  return 2 - erfcNonNegative(-x);
}

/** erf of `n` contiguous values. */
export function erf32(n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>erf64(<f64>load<f32>(x + (<usize>i << 2))));
}

/** Exact GELU 0.5 x erfc(-x / sqrt 2) of `n` contiguous values (as geluScalar). */
export function gelu32(n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), <f32>(0.5 * v * erfc64(-v * SQRT1_2)));
  }
}
