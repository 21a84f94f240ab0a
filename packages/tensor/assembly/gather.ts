// gather and indexSelect of float32 values for the `wasm` backend: pure copies (moved as i32
// bits, so every value, NaN payloads included, is the input's). `x` is row-major with shape
// [outer, n, inner] (n along the indexed axis); the int32 indices were range-checked by the op.

/** out[o, j, k] = x[o, idx[o, j, k], k] for out and idx of shape [outer, m, inner]. */
export function gather32(outer: i32, n: i32, inner: i32, m: i32, x: usize, idx: usize, out: usize): void {
  let p: usize = 0;
  for (let o = 0; o < outer; o++) {
    const base = x + (<usize>o * <usize>n * <usize>inner << 2);
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < inner; k++) {
        const i = load<i32>(idx + (p << 2));
        store<i32>(out + (p << 2), load<i32>(base + (<usize>(i * inner + k) << 2)));
        p++;
      }
    }
  }
}

/** out[o, j, :] = x[o, idx[j], :] for out of shape [outer, m, inner] and m indices. */
export function indexSelect32(outer: i32, n: i32, inner: i32, m: i32, x: usize, idx: usize, out: usize): void {
  const row = <usize>inner << 2;
  let dst = out;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>n * row;
    for (let j = 0; j < m; j++) {
      memory.copy(dst, base + <usize>load<i32>(idx + (<usize>j << 2)) * row, row);
      dst += row;
    }
  }
}

/**
 * scatterAdd / indexAdd into `base` (row-major, updated in place): walks `shape` (rank
 * `rank`, i32 array at `shapePtr`) row-major; at each step adds src[step] (src copied
 * row-major over `shape`) to base[pb + idx[pi] * along], where pb and pi advance by the i32
 * strides at `bStrides` (base, 0 along the axis) and `iStrides` (into the indices). Float32
 * additions in the cpu kernel's order, so repeated targets accumulate bitwise as on cpu.
 */
export function addAt32(rank: i32, shapePtr: usize, bStrides: usize, iStrides: usize, along: i32, base: usize, idx: usize, src: usize, count: i32, counter: usize): void {
  for (let d = 0; d < rank; d++) store<i32>(counter + (<usize>d << 2), 0);
  let pb = 0;
  let pi = 0;
  for (let s = 0; s < count; s++) {
    const at = base + (<usize>(pb + load<i32>(idx + (<usize>pi << 2)) * along) << 2);
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>s << 2)));
    // odometer: advance the last dimension, carrying into earlier ones
    for (let d = rank - 1; d >= 0; d--) {
      const c = counter + (<usize>d << 2);
      const bs = load<i32>(bStrides + (<usize>d << 2));
      const is = load<i32>(iStrides + (<usize>d << 2));
      const v = load<i32>(c) + 1;
      if (v < load<i32>(shapePtr + (<usize>d << 2))) {
        store<i32>(c, v);
        pb += bs;
        pi += is;
        break;
      }
      store<i32>(c, 0);
      pb -= bs * (v - 1);
      pi -= is * (v - 1);
    }
  }
}
