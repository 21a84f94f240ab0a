// Sum and mean of float32 values over any axes, for the `wasm` backend, accumulated in float64
// as the cpu reference does (so float32 sums do not drift). The runtime collapses the input's
// dimensions against the output slots' strides (0 along reduced axes) to at most three and
// passes them here; `acc` is a float64 scratch of one slot per output value.

/** Folds a run of `n` values (stride `sx`) into the slots at `acc` (stride `so`, 0: one slot). */
@inline function foldRun(n: i32, x: usize, sx: i32, acc: usize, so: i32): void {
  let i = 0;
  if (so == 0) {
    let s: f64 = 0;
    if (sx == 1) {
      // two float64 lanes per half of each f32x4; the lanes are added at the end
      let s0 = f64x2.splat(0);
      let s1 = f64x2.splat(0);
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(x + (<usize>i << 2));
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
      }
      s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    }
    for (; i < n; i++) s += <f64>load<f32>(x + (<usize>(i * sx) << 2));
    store<f64>(acc, load<f64>(acc) + s);
    return;
  }
  if (sx == 1 && so == 1) {
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const a = acc + (<usize>i << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
    }
  }
  for (; i < n; i++) {
    const a = acc + (<usize>(i * so) << 3);
    store<f64>(a, load<f64>(a) + <f64>load<f32>(x + (<usize>(i * sx) << 2)));
  }
}

/**
 * out[k] = (sum of the inputs folding into slot k) / div, for `nOut` slots: the input walk is
 * [d0, d1, d2] with element strides sx*, the slot walk uses so* (0 along reduced dimensions).
 */
export function reduceSum3(
  d0: i32, d1: i32, d2: i32,
  x: usize, sx0: i32, sx1: i32, sx2: i32,
  so0: i32, so1: i32, so2: i32,
  acc: usize, out: usize, nOut: i32, div: f64,
): void {
  memory.fill(acc, 0, <usize>nOut << 3);
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      const px = x + (<usize>(i * sx0 + j * sx1) << 2);
      const pa = acc + (<usize>(i * so0 + j * so1) << 3);
      foldRun(d2, px, sx2, pa, so2);
    }
  }
  for (let k = 0; k < nOut; k++) store<f32>(out + (<usize>k << 2), <f32>(load<f64>(acc + (<usize>k << 3)) / div));
}
