// Softmax and log-softmax of float32 values along one axis, for the `wasm` backend. The input
// is row-major with shape [outer, n, inner] (n along the axis). Each lane is computed as the
// cpu kernels do (src/ops/softmax.ts laneKernel): the max m (NaN wins), then in float64 the
// shifted values v - m, their exponentials and sum, and one rounding to float32 per output.

/** Max of a lane as the cpu kernel: NaN if any value is NaN, -Infinity for an empty lane. */
@inline function laneMax(n: i32, p: usize, stride: usize): f64 {
  let m: f64 = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = <f64>load<f32>(p + <usize>j * stride);
    if (v > m || v != v) m = v;
    if (m != m) break;
  }
  return m;
}

/** Softmax; `scratch` holds n float64 values (the lane's exponentials). */
export function softmax32(outer: i32, n: i32, inner: i32, x: usize, out: usize, scratch: usize): void {
  const stride = <usize>inner << 2;
  const block = <usize>n * stride;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const px = x + <usize>o * block + (<usize>k << 2);
      const po = out + <usize>o * block + (<usize>k << 2);
      const m = laneMax(n, px, stride);
      let s: f64 = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(<f64>load<f32>(px + <usize>j * stride) - m);
        store<f64>(scratch + (<usize>j << 3), e);
        s += e;
      }
      for (let j = 0; j < n; j++) store<f32>(po + <usize>j * stride, <f32>(load<f64>(scratch + (<usize>j << 3)) / s));
    }
  }
}

/** Log-softmax: (v - m) - log(sum(e^(v - m))), never forming softmax. */
export function logSoftmax32(outer: i32, n: i32, inner: i32, x: usize, out: usize): void {
  const stride = <usize>inner << 2;
  const block = <usize>n * stride;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const px = x + <usize>o * block + (<usize>k << 2);
      const po = out + <usize>o * block + (<usize>k << 2);
      const m = laneMax(n, px, stride);
      let s: f64 = 0;
      for (let j = 0; j < n; j++) s += Math.exp(<f64>load<f32>(px + <usize>j * stride) - m);
      const ls = Math.log(s);
      for (let j = 0; j < n; j++) store<f32>(po + <usize>j * stride, <f32>((<f64>load<f32>(px + <usize>j * stride) - m) - ls));
    }
  }
}

/**
 * logsumexp of `rows` contiguous rows of `n` values (the host moves the reduced axes last):
 * m + log(sum(e^(v - m))) in float64 with m the row's max, or m itself when it is infinite or
 * NaN (an empty row gives -Infinity), as the cpu kernel.
 */
export function logsumexp32(rows: i32, n: i32, x: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const px = x + (<usize>r * <usize>n << 2);
    const m = laneMax(n, px, 4);
    let res = m;
    if (isFinite<f64>(m)) {
      let s: f64 = 0;
      for (let j = 0; j < n; j++) s += Math.exp(<f64>load<f32>(px + (<usize>j << 2)) - m);
      res = m + Math.log(s);
    }
    store<f32>(out + (<usize>r << 2), <f32>res);
  }
}
