// Unary float32 kernels for the `wasm` backend beyond assembly/elementwise.ts: abs, sign and
// clip (SIMD, bitwise those of the cpu kernels); sigmoid in float32 SIMD (a few ulps); tanh,
// softplus and pow evaluated in float64 with the cpu kernels' formulas and rounded once to
// float32, so they match the cpu float32 results except where the two float64 libms round
// an ulp apart.
// Each reads `n` contiguous values at `x` and writes `n` at `out`.

/** |x|: clears the sign bit (as Math.abs, NaN stays NaN). */
export function abs32(n: i32, x: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.abs(v128.load(x + o)));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), Mathf.abs(load<f32>(x + (<usize>i << 2))));
}

/** Math.sign: 1 above 0, -1 below, x itself otherwise (keeps -0, 0 and NaN). */
export function sign32(n: i32, x: usize, out: usize): void {
  let i = 0;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const minusOne = f32x4.splat(-1);
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const r = v128.bitselect(minusOne, v, f32x4.lt(v, zero));
    v128.store(out + o, v128.bitselect(one, r, f32x4.gt(v, zero)));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), v > 0 ? 1 : v < 0 ? -1 : v);
  }
}

/**
 * Clamp as the cpu kernel's `x < min ? min : x > max ? max : x` in float64: the host passes
 * `loCmp`, the least float32 >= min (so a float32 x < min exactly when x < loCmp), `lo`,
 * min rounded to float32 (the value written), and likewise `hiCmp` (greatest float32 <= max)
 * and `hi`. NaN fails both comparisons and stays NaN.
 */
export function clip32(n: i32, x: usize, out: usize, loCmp: f32, lo: f32, hiCmp: f32, hi: f32): void {
  let i = 0;
  const vloCmp = f32x4.splat(loCmp);
  const vlo = f32x4.splat(lo);
  const vhiCmp = f32x4.splat(hiCmp);
  const vhi = f32x4.splat(hi);
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const r = v128.bitselect(vlo, v, f32x4.lt(v, vloCmp));
    v128.store(out + o, v128.bitselect(vhi, r, f32x4.gt(v, vhiCmp)));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), v < loCmp ? lo : v > hiCmp ? hi : v);
  }
}

/**
 * e^x for x <= 0 (or NaN), four lanes in float32 (Cephes' expf: x = n ln2 + r with |r| <=
 * ln2 / 2, a degree-7 polynomial for e^r, then 2^n applied in two halves so results down in
 * the subnormals keep their value); within about 2 ulp. Below -104 the result is 0 or the
 * least subnormal, as float32 e^x rounds.
 */
@inline function expNonPositive4(x: v128): v128 {
  // f32x4.max propagates NaN, so NaN stays NaN through the polynomial
  const v = f32x4.max(x, f32x4.splat(-104));
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(v, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // n in [-150, 0]: 2^n = 2^n1 2^n2 with both halves >= -75, each a normal float32
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** Four lanes of the logistic sigmoid: 1 / (1 + e^-|x|) for x >= 0, e^-|x| / (1 + e^-|x|) below. */
@inline function sigmoid4(x: v128): v128 {
  const e = expNonPositive4(f32x4.neg(f32x4.abs(x)));
  const d = f32x4.add(f32x4.splat(1), e);
  // NaN fails x >= 0 and takes e / d, which is NaN
  return v128.bitselect(f32x4.div(f32x4.splat(1), d), f32x4.div(e, d), f32x4.ge(x, f32x4.splat(0)));
}

/**
 * Logistic sigmoid in float32 SIMD, stable as the cpu kernel's formula (e^ of -|x| only, so
 * it never overflows): within a few float32 ulps of the cpu result. The last n % 4 values go
 * through the same four-lane code, so a value's result does not depend on its position.
 */
export function sigmoid32(n: i32, x: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, sigmoid4(v128.load(x + o)));
  }
  if (i < n) {
    let v = f32x4.splat(0);
    const rest = n - i;
    const base = x + (<usize>i << 2);
    v = f32x4.replace_lane(v, 0, load<f32>(base));
    if (rest > 1) v = f32x4.replace_lane(v, 1, load<f32>(base + 4));
    if (rest > 2) v = f32x4.replace_lane(v, 2, load<f32>(base + 8));
    const r = sigmoid4(v);
    const dst = out + (<usize>i << 2);
    store<f32>(dst, f32x4.extract_lane(r, 0));
    if (rest > 1) store<f32>(dst + 4, f32x4.extract_lane(r, 1));
    if (rest > 2) store<f32>(dst + 8, f32x4.extract_lane(r, 2));
  }
}

/** Hyperbolic tangent in float64, rounded to float32. */
export function tanh32(n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    store<f32>(out + (<usize>i << 2), <f32>Math.tanh(<f64>load<f32>(x + (<usize>i << 2))));
  }
}

/**
 * Softplus as the cpu kernel: x where beta x > threshold, else
 * (max(beta x, 0) + log1p(e^-|beta x|)) / beta, in float64.
 */
export function softplus32(n: i32, x: usize, out: usize, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const f = load<f32>(x + (<usize>i << 2));
    const bx = beta * <f64>f;
    let r = f;
    // NaN fails the comparison and goes through the formula, giving NaN as on cpu
    if (!(bx > threshold)) r = <f32>((Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta);
    store<f32>(out + (<usize>i << 2), r);
  }
}

/**
 * a ** b with broadcasting, as Math.pow in float64 rounded to float32 (cpu's float32 pow):
 * operands walked as in assembly/elementwise.ts's binary ops, a 3-D shape [d0, d1, d2] with
 * each operand's element strides (0 along broadcast dimensions).
 */
export function pow3(
  d0: i32, d1: i32, d2: i32,
  a: usize, sa0: i32, sa1: i32, sa2: i32,
  b: usize, sb0: i32, sb1: i32, sb2: i32,
  out: usize,
): void {
  let o = out;
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      const pa = a + (<usize>(i * sa0 + j * sa1) << 2);
      const pb = b + (<usize>(i * sb0 + j * sb1) << 2);
      for (let k = 0; k < d2; k++) {
        const x = <f64>load<f32>(pa + (<usize>(k * sa2) << 2));
        const y = <f64>load<f32>(pb + (<usize>(k * sb2) << 2));
        store<f32>(o, <f32>Math.pow(x, y));
        o += 4;
      }
    }
  }
}
