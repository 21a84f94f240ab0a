// Unary float32 kernels for the `wasm` backend beyond assembly/elementwise.ts: abs, sign and
// clip (SIMD, bitwise those of the cpu kernels), and sigmoid, tanh and softplus, evaluated in
// float64 with the cpu kernels' formulas and rounded once to float32, so they match the cpu
// float32 results except where the two float64 libms round an ulp apart.
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

/** Logistic sigmoid as the cpu kernel: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below (e^ never overflows). */
export function sigmoid32(n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    let s: f64;
    if (v >= 0) {
      s = 1 / (1 + Math.exp(-v));
    } else {
      const e = Math.exp(v);
      s = e / (1 + e);
    }
    store<f32>(out + (<usize>i << 2), <f32>s);
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
