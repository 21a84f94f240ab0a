// Matrix products with very few rows (m < 4: one image through a linear layer, a batch-1
// forward pass), C[m, n] (+)= A[m, k] * op(B)[k, n], without the packing `gemm` does. `gemm`
// pads A to 4-row panels (a 1-row product wastes 3/4 of its multiply-adds) and packs all of
// op(B) (for a weight read transposed, a scalar gather as costly as the product itself).
// Here each row of C is computed straight from A's row and B as stored.
//
// Every element is rounded exactly as by `gemm`: for each depth block of KC (512) values a
// partial sum started at 0 with one float32 multiply and one float32 add per term, in order
// of depth, then stored (first block, accumulate == 0) or added to C. So results do not depend
// on which kernel ran (a batch of 1 gives the same bits as that row in a batch of 64).
import { madd } from './madd';

/** The depth block of `gemm` (its KC): partial sums are formed per block, as there. */
const KC: i32 = 512;

/** Stores (or, with `add`, adds) one vector of partial sums into C. */
@inline function put4(c: usize, v: v128, add: bool): void {
  v128.store(c, add ? f32x4.add(v128.load(c), v) : v);
}

/** Stores (or adds) one partial sum into C. */
@inline function put1(c: usize, v: f32, add: bool): void {
  store<f32>(c, add ? load<f32>(c) + v : v);
}

// Both row kernels keep several independent sums in flight: one sum's adds form a chain
// (each waits for the previous one's latency), so a single 4-wide sum per pass over the
// depth ran at a third of the adder's throughput. More outputs per pass change no sum.

/** One row of C from one row of A (at a) and B [k, n] row-major (ldb >= n). */
function rowNN(n: i32, k: i32, a: usize, b: usize, ldb: i32, c: usize, accumulate: i32): void {
  const rowBytes = <usize>ldb * 4;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = min(k, p0 + KC);
    const add = p0 > 0 || accumulate != 0;
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      // 16 columns: four sums sharing one splat of A's value (more sums than fit in V8's 15
      // vector registers would spill one to the stack, on its add chain)
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let s3 = f32x4.splat(0);
      let bp = b + <usize>p0 * rowBytes + <usize>j * 4;
      for (let p = p0; p < p1; p++) {
        const av = v128.load32_splat(a + <usize>p * 4);
        s0 = madd(av, v128.load(bp), s0);
        s1 = madd(av, v128.load(bp, 16), s1);
        s2 = madd(av, v128.load(bp, 32), s2);
        s3 = madd(av, v128.load(bp, 48), s3);
        bp += rowBytes;
      }
      const cj = c + <usize>j * 4;
      put4(cj, s0, add);
      put4(cj + 16, s1, add);
      put4(cj + 32, s2, add);
      put4(cj + 48, s3, add);
    }
    for (; j + 4 <= n; j += 4) {
      let s0 = f32x4.splat(0);
      let bp = b + <usize>p0 * rowBytes + <usize>j * 4;
      for (let p = p0; p < p1; p++) {
        s0 = madd(v128.load32_splat(a + <usize>p * 4), v128.load(bp), s0);
        bp += rowBytes;
      }
      put4(c + <usize>j * 4, s0, add);
    }
    for (; j < n; j++) {
      let s: f32 = 0;
      for (let p = p0; p < p1; p++) s = s + load<f32>(a + <usize>p * 4) * load<f32>(b + <usize>p * rowBytes + <usize>j * 4);
      put1(c + <usize>j * 4, s, add);
    }
  }
}

/**
 * Four rows of B (from r0, rowBytes apart) at depth o..o+3 (byte offset), transposed in
 * registers so that each vector holds op(B)[p, j..j+3], multiplied by A's four values there
 * and added to s in order of depth, exactly as gemm's micro-kernel would.
 */
@inline function dot4x4(s: v128, a: usize, r0: usize, rowBytes: usize, o: usize): v128 {
  const v0 = v128.load(r0 + o);
  const v1 = v128.load(r0 + rowBytes + o);
  const v2 = v128.load(r0 + rowBytes * 2 + o);
  const v3 = v128.load(r0 + rowBytes * 3 + o);
  const lo01 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
  const lo23 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
  const hi23 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  const ap = a + o;
  s = madd(v128.load32_splat(ap), v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5), s);
  s = madd(v128.load32_splat(ap, 4), v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), s);
  s = madd(v128.load32_splat(ap, 8), v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), s);
  return madd(v128.load32_splat(ap, 12), v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), s);
}

/** op(B)[p, j..j+3] for one depth p (byte offset o) gathered from four rows of B. */
@inline function column4(r0: usize, rowBytes: usize, o: usize): v128 {
  let bv = f32x4.splat(load<f32>(r0 + o));
  bv = f32x4.replace_lane(bv, 1, load<f32>(r0 + rowBytes + o));
  bv = f32x4.replace_lane(bv, 2, load<f32>(r0 + rowBytes * 2 + o));
  return f32x4.replace_lane(bv, 3, load<f32>(r0 + rowBytes * 3 + o));
}

/** One row of C from one row of A (at a) and B stored [n, k] row-major (op(B) = B^T, ldb >= k). */
function rowNT(n: i32, k: i32, a: usize, b: usize, ldb: i32, c: usize, accumulate: i32): void {
  const rowBytes = <usize>ldb * 4;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = min(k, p0 + KC);
    const p4 = p0 + ((p1 - p0) & ~3);
    const add = p0 > 0 || accumulate != 0;
    let j = 0;
    for (; j + 12 <= n; j += 12) {
      // twelve outputs: three independent sums, each over four rows of B (a fourth would
      // spill: each needs four loaded rows and four shuffled vectors at once)
      const r0 = b + <usize>j * rowBytes;
      const r4 = r0 + rowBytes * 4;
      const r8 = r4 + rowBytes * 4;
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let p = p0;
      for (; p < p4; p += 4) {
        const o = <usize>p * 4;
        s0 = dot4x4(s0, a, r0, rowBytes, o);
        s1 = dot4x4(s1, a, r4, rowBytes, o);
        s2 = dot4x4(s2, a, r8, rowBytes, o);
      }
      for (; p < p1; p++) {
        const o = <usize>p * 4;
        const av = v128.load32_splat(a + o);
        s0 = madd(av, column4(r0, rowBytes, o), s0);
        s1 = madd(av, column4(r4, rowBytes, o), s1);
        s2 = madd(av, column4(r8, rowBytes, o), s2);
      }
      const cj = c + <usize>j * 4;
      put4(cj, s0, add);
      put4(cj + 16, s1, add);
      put4(cj + 32, s2, add);
    }
    for (; j + 4 <= n; j += 4) {
      const r0 = b + <usize>j * rowBytes;
      let s = f32x4.splat(0);
      let p = p0;
      for (; p < p4; p += 4) s = dot4x4(s, a, r0, rowBytes, <usize>p * 4);
      for (; p < p1; p++) s = madd(v128.load32_splat(a + <usize>p * 4), column4(r0, rowBytes, <usize>p * 4), s);
      put4(c + <usize>j * 4, s, add);
    }
    for (; j < n; j++) {
      const r = b + <usize>j * rowBytes;
      let s: f32 = 0;
      for (let p = p0; p < p1; p++) s = s + load<f32>(a + <usize>p * 4) * load<f32>(r + <usize>p * 4);
      put1(c + <usize>j * 4, s, add);
    }
  }
}

/** Handles a product with no rows, columns or depth (C = 0 unless accumulating); true when it was one. */
function emptyProduct(m: i32, n: i32, k: i32, c: usize, ldc: i32, accumulate: i32): bool {
  if (m <= 0 || n <= 0) return true;
  if (k > 0) return false;
  if (accumulate == 0) for (let i = 0; i < m; i++) memory.fill(c + <usize>(i * ldc) * 4, 0, <usize>n * 4);
  return true;
}

/**
 * C[m, n] (+)= A[m, k] * op(B)[k, n] for A row-major (row stride lda) and op(B) = B
 * (transB == 0, B [k, n] with row stride ldb) or B^T (transB != 0, B stored [n, k]). Meant
 * for m < 4, where it beats `gemm`; any m works, bitwise as `gemm`. No scratch needed.
 */
export function gemmSmallM(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32,
  b: usize, ldb: i32, transB: i32,
  c: usize, ldc: i32, accumulate: i32,
): void {
  if (emptyProduct(m, n, k, c, ldc, accumulate)) return;
  for (let i = 0; i < m; i++) {
    const ai = a + <usize>(i * lda) * 4;
    const ci = c + <usize>(i * ldc) * 4;
    if (transB != 0) rowNT(n, k, ai, b, ldb, ci, accumulate);
    else rowNN(n, k, ai, b, ldb, ci, accumulate);
  }
}

/** Columns of one panel of a packed B (gemm's NR). */
const NR: i32 = 8;

/** Lane q (0..7) of the eight values in s0, s1. */
@inline function laneOf(s0: v128, s1: v128, q: i32): f32 {
  const v = q < 4 ? s0 : s1;
  const l = q & 3;
  return l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

/**
 * One row of C from one row of A (at a) and op(B) packed by `packBFull` (the layout `gemm`'s
 * micro-kernel reads: depth block p0 at float p0 * roundUp(n, 8), within it 8-column panels
 * of kc rows each, zero past column n). Each panel streams contiguously, whatever B's stored
 * orientation was, so a weight kept packed needs neither the transposes of `rowNT` nor the
 * strided rows of `rowNN`.
 */
function rowPacked(n: i32, k: i32, a: usize, bp: usize, c: usize, accumulate: i32): void {
  const np = (n + NR - 1) / NR * NR;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const add = p0 > 0 || accumulate != 0;
    const block = bp + <usize>(p0 * np) * 4;
    const ab = a + <usize>p0 * 4;
    const panelBytes = <usize>(kc * NR) * 4;
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      // two panels side by side: four sums sharing one splat of A's value
      let q = block + <usize>j * kc * 4;
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let s3 = f32x4.splat(0);
      for (let p = 0; p < kc; p++) {
        const av = v128.load32_splat(ab + <usize>p * 4);
        s0 = madd(av, v128.load(q), s0);
        s1 = madd(av, v128.load(q, 16), s1);
        s2 = madd(av, v128.load(q + panelBytes), s2);
        s3 = madd(av, v128.load(q + panelBytes, 16), s3);
        q += NR * 4;
      }
      const cj = c + <usize>j * 4;
      put4(cj, s0, add);
      put4(cj + 16, s1, add);
      put4(cj + 32, s2, add);
      put4(cj + 48, s3, add);
    }
    for (; j < n; j += NR) {
      // one panel (the last may be partial: its padding columns are computed, not stored)
      let q = block + <usize>j * kc * 4;
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      for (let p = 0; p < kc; p++) {
        const av = v128.load32_splat(ab + <usize>p * 4);
        s0 = madd(av, v128.load(q), s0);
        s1 = madd(av, v128.load(q, 16), s1);
        q += NR * 4;
      }
      const cj = c + <usize>j * 4;
      const cols = min(NR, n - j);
      if (cols == NR) {
        put4(cj, s0, add);
        put4(cj + 16, s1, add);
      } else {
        for (let q = 0; q < cols; q++) put1(cj + <usize>q * 4, laneOf(s0, s1, q), add);
      }
    }
  }
}

/**
 * C[m, n] (+)= A[m, k] * op(B)[k, n] for A row-major (row stride lda) and op(B) packed by
 * `packBFull(n, k, ...)` at `bpacked` (a weight kept packed in wasm memory between calls).
 * For few rows, as `gemmSmallM`; bitwise as `gemm` (the same partial sums per depth block,
 * in the same order).
 */
export function gemmSmallMPackedB(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, bpacked: usize,
  c: usize, ldc: i32, accumulate: i32,
): void {
  if (emptyProduct(m, n, k, c, ldc, accumulate)) return;
  for (let i = 0; i < m; i++) rowPacked(n, k, a + <usize>(i * lda) * 4, bpacked, c + <usize>(i * ldc) * 4, accumulate);
}
