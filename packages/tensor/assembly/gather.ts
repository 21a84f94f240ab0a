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
