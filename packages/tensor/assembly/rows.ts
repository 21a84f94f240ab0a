// max, min, argmax and argmin of float32 values for the `wasm` backend, over `rows`
// contiguous rows of `n` values (the host moves the reduced axes last, in order, so each row
// holds one output's values in the cpu kernel's order). Scalar loops with the cpu kernels'
// exact rules (NaN wins; among equal values, +-0 included, the first is kept), so results
// are bitwise the cpu kernels'.

/** Max of each row (-Infinity for an empty row); NaN wins. */
export function rowsMax32(rows: i32, n: i32, x: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>n << 2);
    let acc: f32 = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (v > acc || v != v) acc = v;
    }
    store<f32>(out + (<usize>r << 2), acc);
  }
}

/** Min of each row (Infinity for an empty row); NaN wins. */
export function rowsMin32(rows: i32, n: i32, x: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>n << 2);
    let acc: f32 = Infinity;
    for (let j = 0; j < n; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (v < acc || v != v) acc = v;
    }
    store<f32>(out + (<usize>r << 2), acc);
  }
}

/** First index of each row's max (int32 out); NaN counts as the largest, its first occurrence wins. */
export function rowsArgmax32(rows: i32, n: i32, x: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>n << 2);
    let best = load<f32>(p);
    let bi = 0;
    for (let j = 1; j < n; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (v > best || (v != v && best == best)) {
        best = v;
        bi = j;
      }
    }
    store<i32>(out + (<usize>r << 2), bi);
  }
}

/** First index of each row's min (int32 out); NaN counts as the smallest, its first occurrence wins. */
export function rowsArgmin32(rows: i32, n: i32, x: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>n << 2);
    let best = load<f32>(p);
    let bi = 0;
    for (let j = 1; j < n; j++) {
      const v = load<f32>(p + (<usize>j << 2));
      if (v < best || (v != v && best == best)) {
        best = v;
        bi = j;
      }
    }
    store<i32>(out + (<usize>r << 2), bi);
  }
}

/**
 * Variance of each row as the cpu kernel: the float64 mean, then the float64 sum of squared
 * deviations divided by `denom` (count - correction); the same sums in the same order.
 */
export function rowsVar32(rows: i32, n: i32, x: usize, out: usize, denom: f64): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>n << 2);
    let s: f64 = 0;
    for (let j = 0; j < n; j++) s += <f64>load<f32>(p + (<usize>j << 2));
    const mu = s / <f64>n;
    let acc: f64 = 0;
    for (let j = 0; j < n; j++) {
      const d = <f64>load<f32>(p + (<usize>j << 2)) - mu;
      acc += d * d;
    }
    store<f32>(out + (<usize>r << 2), <f32>(acc / denom));
  }
}
