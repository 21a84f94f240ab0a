// Single-precision GEMM for the `wasm` backend, written against WebAssembly SIMD (f32x4).
//
// C[M,N] (+)= op(A)[M,K] * op(B)[K,N], all row-major, op = optional transpose. The structure is
// the classic Goto/BLIS one: B is packed into K-blocks of 8-column panels, A into blocks of
// 4-row panels, and a 4x8 register-blocked micro-kernel (8 f32x4 accumulators) runs over the
// packed panels so that its inner loop does only contiguous loads. Edge tiles are computed into a
// small staging tile (at the end of the caller's scratch, so threads sharing one memory never
// share it) and copied out, so M, N, K need not be multiples of anything.
//
// No allocation happens here (the module is built with `--runtime stub`): the caller passes a
// scratch pointer with at least `gemmScratchBytes(N, K)` bytes, 16-byte aligned.
import { madd } from './madd';

/** Rows of the micro-kernel tile. */
const MR: i32 = 4;
/** Columns of the micro-kernel tile (two f32x4 vectors). */
const NR: i32 = 8;
/**
 * Depth of a packed block: a 4x512 A panel (8 KiB) and a 512x8 B panel (16 KiB) sit in L1
 * together. Deep enough that the MNIST CNN's second conv (K = 400) is a single block; measured
 * about 1.5x faster there than K blocks of 256, and no slower on square matmuls.
 */
const KC: i32 = 512;
/** Rows of A packed at once (128 KiB with KC = 512; stays in L2). */
const MC: i32 = 64;
/** Columns of B packed at once (512 KiB with KC = 512). */
const NC: i32 = 256;


@inline function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}

/** Bytes of scratch `gemm` needs for these sizes. */
export function gemmScratchBytes(n: i32, k: i32): i32 {
  const kc = min(k, KC);
  const nc = min(roundUp(n, NR), NC);
  return (MC * kc + kc * nc + MR * NR) * 4 + 64;
}

/**
 * Stores the transpose of the 4x4 block whose rows are v0..v3: column q of the block (lane q
 * of each row) goes to d + q * stride as one vector. Four shuffle pairs (unpcklps/unpckhps,
 * then movlhps/movhlps on x86) instead of 16 scalar loads and stores.
 */
@inline function storeTransposed4(v0: v128, v1: v128, v2: v128, v3: v128, d: usize, stride: usize): void {
  const lo01 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
  const lo23 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
  const hi23 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
  v128.store(d + stride, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
  v128.store(d + stride * 2, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
  v128.store(d + stride * 3, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
}

/**
 * Packs rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) into MR-row panels: within a panel
 * element (p, i) sits at (p * MR + i). Rows past the end are zero.
 */
function packA(a: usize, lda: i32, transA: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const panel = dst + <usize>(ir * kc) * 4;
    if (rows == MR && transA == 0) {
      // MR source rows walked side by side, 4 depths at a time transposed in registers (a
      // scalar gather here took ~8% of a 668x784 @ 784x128 product)
      const step = <usize>lda * 4;
      const r0 = a + <usize>((i0 + ir) * lda + p0) * 4;
      const r1 = r0 + step;
      const r2 = r1 + step;
      const r3 = r2 + step;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p * 4;
        storeTransposed4(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), panel + <usize>(p * MR) * 4, MR * 4);
      }
      for (; p < kc; p++) {
        const o = <usize>p * 4;
        const d = panel + <usize>(p * MR) * 4;
        store<f32>(d, load<f32>(r0 + o));
        store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8);
        store<f32>(d, load<f32>(r3 + o), 12);
      }
    } else if (rows == MR) {
      // op(A) = A^T: element (i, p) is A[p, i], so the MR (= 4) consecutive i are one vector
      for (let p = 0; p < kc; p++) {
        v128.store(panel + <usize>(p * MR) * 4, v128.load(a + <usize>((p0 + p) * lda + i0 + ir) * 4));
      }
    } else {
      // the last, partial panel: zeros, then the rows there are
      memory.fill(panel, 0, <usize>(kc * MR) * 4);
      for (let i = 0; i < rows; i++) {
        const row = i0 + ir + i;
        const d = panel + <usize>i * 4;
        if (transA == 0) {
          const s = a + <usize>(row * lda + p0) * 4;
          for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * MR) * 4, load<f32>(s + <usize>p * 4));
        } else {
          const s = a + <usize>(p0 * lda + row) * 4;
          const step = <usize>lda * 4;
          for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * MR) * 4, load<f32>(s + <usize>p * step));
        }
      }
    }
  }
}

/**
 * Packs depth [p0, p0+kc) and columns [j0, j0+nc) of op(B) into NR-column panels: within a
 * panel element (p, j) sits at (p * NR + j). Columns past the end are zero.
 */
function packB(b: usize, ldb: i32, transB: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const panel = dst + <usize>(jr * kc) * 4;
    if (cols == NR && transB == 0) {
      for (let p = 0; p < kc; p++) {
        const s = b + <usize>((p0 + p) * ldb + j0 + jr) * 4;
        const d = panel + <usize>(p * NR) * 4;
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (cols == NR) {
      // op(B) = B^T: element (p, j) is B[j, p]; eight source rows side by side, each 4x4
      // block transposed in registers (a linear layer's weight as stored, read for x W^T)
      const step = <usize>ldb * 4;
      const r0 = b + <usize>((j0 + jr) * ldb + p0) * 4;
      const r4 = r0 + step * 4;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p * 4;
        const d = panel + <usize>(p * NR) * 4;
        storeTransposed4(v128.load(r0 + o), v128.load(r0 + step + o), v128.load(r0 + step * 2 + o), v128.load(r0 + step * 3 + o), d, NR * 4);
        storeTransposed4(v128.load(r4 + o), v128.load(r4 + step + o), v128.load(r4 + step * 2 + o), v128.load(r4 + step * 3 + o), d + 16, NR * 4);
      }
      for (; p < kc; p++) {
        const s = r0 + <usize>p * 4;
        const d = panel + <usize>(p * NR) * 4;
        for (let j = 0; j < NR; j++) store<f32>(d + <usize>j * 4, load<f32>(s + <usize>j * step));
      }
    } else {
      // the last, partial panel: zeros, then the columns there are
      memory.fill(panel, 0, <usize>(kc * NR) * 4);
      for (let j = 0; j < cols; j++) {
        const col = j0 + jr + j;
        const d = panel + <usize>j * 4;
        if (transB == 0) {
          const s = b + <usize>(p0 * ldb + col) * 4;
          const step = <usize>ldb * 4;
          for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * NR) * 4, load<f32>(s + <usize>p * step));
        } else {
          const s = b + <usize>(col * ldb + p0) * 4;
          for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * NR) * 4, load<f32>(s + <usize>p * 4));
        }
      }
    }
  }
}

/**
 * The epilogue of one output vector: (C +) acc, then + bias, then ReLU, in that order, so a
 * fused linear layer rounds exactly as matmul, then add, then relu would in float32.
 */
@inline function finish(v: v128, r: usize, accumulate: i32, hasBias: bool, bv: v128, relu: i32): v128 {
  if (accumulate != 0) v = f32x4.add(v128.load(r), v);
  if (hasBias) v = f32x4.add(v, bv);
  // keep v where v > 0 or v is NaN (as the relu kernel); else +0
  if (relu != 0) v = v128.and(v, v128.or(f32x4.gt(v, f32x4.splat(0)), f32x4.ne(v, v)));
  return v;
}

/**
 * The MRx8 micro-kernel: acc = Apanel * Bpanel over kc, then C = acc (accumulate == 0) or
 * C += acc, for a tile of `rows` x `cols` at c with row stride ldc (in elements); then, when
 * `bias` is non-zero, the tile's 8 bias values at `bias` are added to every row, and with
 * `relu` non-zero negative results become 0 (the last depth block of a fused linear layer).
 */
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, rows: i32, cols: i32, accumulate: i32, tile: usize, bias: usize, relu: i32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let b0: v128;
  let b1: v128;
  let a: v128;
  let p = 0;
  for (; p < kc; p++) {
    b0 = v128.load(bp, 0);
    b1 = v128.load(bp, 16);
    a = v128.load32_splat(ap, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    ap += 16;
    bp += 32;
  }
  const rowBytes = <usize>ldc * 4;
  if ((bias | <usize>relu) != 0) {
    const hasBias = bias != 0;
    if (rows == MR && cols == NR) {
      const bv0 = hasBias ? v128.load(bias) : f32x4.splat(0);
      const bv1 = hasBias ? v128.load(bias, 16) : f32x4.splat(0);
      let r = c;
      v128.store(r, finish(c00, r, accumulate, hasBias, bv0, relu));
      v128.store(r, finish(c01, r + 16, accumulate, hasBias, bv1, relu), 16);
      r += rowBytes;
      v128.store(r, finish(c10, r, accumulate, hasBias, bv0, relu));
      v128.store(r, finish(c11, r + 16, accumulate, hasBias, bv1, relu), 16);
      r += rowBytes;
      v128.store(r, finish(c20, r, accumulate, hasBias, bv0, relu));
      v128.store(r, finish(c21, r + 16, accumulate, hasBias, bv1, relu), 16);
      r += rowBytes;
      v128.store(r, finish(c30, r, accumulate, hasBias, bv0, relu));
      v128.store(r, finish(c31, r + 16, accumulate, hasBias, bv1, relu), 16);
      return;
    }
    v128.store(tile, c00, 0);
    v128.store(tile, c01, 16);
    v128.store(tile, c10, 32);
    v128.store(tile, c11, 48);
    v128.store(tile, c20, 64);
    v128.store(tile, c21, 80);
    v128.store(tile, c30, 96);
    v128.store(tile, c31, 112);
    for (let i = 0; i < rows; i++) {
      const r = c + <usize>i * rowBytes;
      const t = tile + <usize>(i * NR) * 4;
      for (let j = 0; j < cols; j++) {
        let v = load<f32>(t + <usize>j * 4);
        const d = r + <usize>j * 4;
        if (accumulate != 0) v = load<f32>(d) + v;
        if (hasBias) v = v + load<f32>(bias + <usize>j * 4);
        if (relu != 0 && !(v > 0 || v != v)) v = 0;
        store<f32>(d, v);
      }
    }
    return;
  }
  if (rows == MR && cols == NR) {
    let r = c;
    if (accumulate != 0) {
      v128.store(r, f32x4.add(v128.load(r), c00));
      v128.store(r, f32x4.add(v128.load(r, 16), c01), 16);
      r += rowBytes;
      v128.store(r, f32x4.add(v128.load(r), c10));
      v128.store(r, f32x4.add(v128.load(r, 16), c11), 16);
      r += rowBytes;
      v128.store(r, f32x4.add(v128.load(r), c20));
      v128.store(r, f32x4.add(v128.load(r, 16), c21), 16);
      r += rowBytes;
      v128.store(r, f32x4.add(v128.load(r), c30));
      v128.store(r, f32x4.add(v128.load(r, 16), c31), 16);
    } else {
      v128.store(r, c00);
      v128.store(r, c01, 16);
      r += rowBytes;
      v128.store(r, c10);
      v128.store(r, c11, 16);
      r += rowBytes;
      v128.store(r, c20);
      v128.store(r, c21, 16);
      r += rowBytes;
      v128.store(r, c30);
      v128.store(r, c31, 16);
    }
    return;
  }
  v128.store(tile, c00, 0);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  for (let i = 0; i < rows; i++) {
    const r = c + <usize>i * rowBytes;
    const t = tile + <usize>(i * NR) * 4;
    for (let j = 0; j < cols; j++) {
      const v = load<f32>(t + <usize>j * 4);
      const d = r + <usize>j * 4;
      store<f32>(d, accumulate != 0 ? load<f32>(d) + v : v);
    }
  }
}

/** Floats needed to hold all of op(A) [m, k] packed by `packAFull`. */
export function packedASize(m: i32, k: i32): i32 {
  return roundUp(m, MR) * k;
}

/**
 * Packs the whole of op(A) [m, k] in the order `gemmPackedA` reads it: the block for depth
 * p0 and rows i0 sits at float offset p0 * roundUp(m, MR) + i0 * kc. Lets a caller that
 * multiplies one A by many Bs (a conv weight, image after image) pack it once.
 */
export function packAFull(m: i32, k: i32, a: usize, lda: i32, transA: i32, dst: usize): void {
  const mp = roundUp(m, MR);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    for (let i0 = 0; i0 < m; i0 += MC) {
      packA(a, lda, transA, i0, min(MC, m - i0), p0, kc, dst + <usize>(p0 * mp + i0 * kc) * 4);
    }
  }
}

/** Floats needed to hold all of op(B) [k, n] packed by `packBFull`. */
export function packedBSize(n: i32, k: i32): i32 {
  return roundUp(n, NR) * k;
}

/**
 * Packs the whole of op(B) [k, n] in the order the `gemmPackedB` entry points read it: the
 * panels of depth block p0 sit at float offset p0 * roundUp(n, NR), panel jr at jr * kc
 * within. Lets a product split over threads by row blocks pack B once for all of them
 * instead of once per block (a 784x128 weight read transposed: ~50 us a time).
 */
export function packBFull(n: i32, k: i32, b: usize, ldb: i32, transB: i32, dst: usize): void {
  const np = roundUp(n, NR);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    packB(b, ldb, transB, p0, kc, 0, n, dst + <usize>(p0 * np) * 4);
  }
}

/**
 * The blocked loop nest; A comes packed (`apacked` != 0, from packAFull) or is packed block
 * by block, and B likewise (`bpacked` != 0, from packBFull). Which is packed where changes
 * no value: every element is the same sums in the same order.
 */
function gemmImpl(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: i32, apacked: usize,
  b: usize, ldb: i32, transB: i32, bpacked: usize,
  c: usize, ldc: i32, accumulate: i32, scratch: usize,
  bias: usize, relu: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (accumulate == 0) for (let i = 0; i < m; i++) memory.fill(c + <usize>(i * ldc) * 4, 0, <usize>n * 4);
    if ((bias | <usize>relu) != 0) biasAct(m, n, c, ldc, bias, relu);
    return;
  }
  const kcMax = min(k, KC);
  // scratch: the A block, the edge tile, then (unless B comes packed) the B block
  const ap = (scratch + 15) & ~(<usize>15);
  const tile = ap + <usize>(MC * kcMax) * 4;
  const bp = tile + <usize>(MR * NR) * 4;
  const mp = roundUp(m, MR);
  const np = roundUp(n, NR);
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      const acc = p0 > 0 ? 1 : accumulate;
      // the epilogue runs on the last depth block only, once each element's sum is complete
      const last = p0 + kc >= k;
      const epiRelu = last ? relu : 0;
      let bblock = bp;
      if (bpacked != 0) bblock = bpacked + <usize>(p0 * np + j0 * kc) * 4;
      else packB(b, ldb, transB, p0, kc, j0, nc, bp);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        let ablock = ap;
        if (apacked != 0) ablock = apacked + <usize>(p0 * mp + i0 * kc) * 4;
        else packA(a, lda, transA, i0, mc, p0, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bpanel = bblock + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const epiBias = last && bias != 0 ? bias + <usize>(j0 + jr) * 4 : 0;
            micro(kc, ablock + <usize>(ir * kc) * 4, bpanel, c + <usize>((i0 + ir) * ldc + j0 + jr) * 4, ldc, rows, cols, acc, tile, epiBias, epiRelu);
          }
        }
      }
    }
  }
}

/**
 * C (+)= op(A) * op(B). Pointers are byte addresses of f32 data; leading dimensions are in
 * elements (the row length of the matrix as stored). `transA`/`transB` non-zero means the
 * stored matrix is the transpose of the operand. `accumulate` non-zero adds into C.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: i32,
  b: usize, ldb: i32, transB: i32,
  c: usize, ldc: i32, accumulate: i32, scratch: usize,
): void {
  gemmImpl(m, n, k, a, lda, transA, 0, b, ldb, transB, 0, c, ldc, accumulate, scratch, 0, 0);
}

/** As `gemm`, with op(A) already packed by `packAFull(m, k, ...)` at `apacked`. */
export function gemmPackedA(
  m: i32, n: i32, k: i32, apacked: usize,
  b: usize, ldb: i32, transB: i32,
  c: usize, ldc: i32, accumulate: i32, scratch: usize,
): void {
  gemmImpl(m, n, k, 0, 0, 0, apacked, b, ldb, transB, 0, c, ldc, accumulate, scratch, 0, 0);
}

/**
 * A fused linear layer's GEMM: C = op(A) * op(B), then `+ bias` (n values at `bias`, none when
 * 0) on every row, then ReLU when `relu` is non-zero, applied tile by tile while each tile is
 * still in registers (see `micro`). Rounds exactly as `gemm` followed by `biasAct`.
 */
export function gemmBiasAct(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: i32,
  b: usize, ldb: i32, transB: i32,
  c: usize, ldc: i32, bias: usize, relu: i32, scratch: usize,
): void {
  gemmImpl(m, n, k, a, lda, transA, 0, b, ldb, transB, 0, c, ldc, 0, scratch, bias, relu);
}

/** As `gemmBiasAct`, with op(A) already packed by `packAFull(m, k, ...)` at `apacked`. */
export function gemmPackedABiasAct(
  m: i32, n: i32, k: i32, apacked: usize,
  b: usize, ldb: i32, transB: i32,
  c: usize, ldc: i32, bias: usize, relu: i32, scratch: usize,
): void {
  gemmImpl(m, n, k, 0, 0, 0, apacked, b, ldb, transB, 0, c, ldc, 0, scratch, bias, relu);
}

/**
 * As `gemm`, with op(B) already packed by `packBFull(n, k, ...)` at `bpacked` (scratch:
 * `gemmScratchBytes(0, k)` suffices). The row blocks of a product split over threads share
 * one packed B this way.
 */
export function gemmPackedB(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: i32, bpacked: usize,
  c: usize, ldc: i32, accumulate: i32, scratch: usize,
): void {
  gemmImpl(m, n, k, a, lda, transA, 0, 0, 0, 0, bpacked, c, ldc, accumulate, scratch, 0, 0);
}

/** As `gemmBiasAct`, with op(B) already packed by `packBFull(n, k, ...)` at `bpacked`. */
export function gemmPackedBBiasAct(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, transA: i32, bpacked: usize,
  c: usize, ldc: i32, bias: usize, relu: i32, scratch: usize,
): void {
  gemmImpl(m, n, k, a, lda, transA, 0, 0, 0, 0, bpacked, c, ldc, 0, scratch, bias, relu);
}

/**
 * In place over an `m` x `n` block of C (row stride `ldc`): `+ bias` (n values; none when
 * `bias` is 0), then ReLU when `relu` is non-zero (NaN stays NaN, -0 becomes +0, as the relu
 * kernel). The separate-pass form of the fused linear epilogue.
 */
export function biasAct(m: i32, n: i32, c: usize, ldc: i32, bias: usize, relu: i32): void {
  const hasBias = bias != 0;
  const zero = f32x4.splat(0);
  for (let i = 0; i < m; i++) {
    const row = c + <usize>(i * ldc) * 4;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let v = v128.load(row + o);
      if (hasBias) v = f32x4.add(v, v128.load(bias + o));
      if (relu != 0) v = v128.and(v, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v)));
      v128.store(row + o, v);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(row + o);
      if (hasBias) v = v + load<f32>(bias + o);
      if (relu != 0 && !(v > 0 || v != v)) v = 0;
      store<f32>(row + o, v);
    }
  }
}

/** Batched C[b] (+)= op(A[b]) op(B[b]) with element strides between batch entries (0 = shared). */
export function gemmBatched(
  batch: i32,
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  transA: i32,
  strideA: i32,
  b: usize,
  ldb: i32,
  transB: i32,
  strideB: i32,
  c: usize,
  ldc: i32,
  strideC: i32,
  accumulate: i32,
  scratch: usize,
): void {
  for (let i = 0; i < batch; i++) {
    gemm(
      m,
      n,
      k,
      a + <usize>i * <usize>strideA * 4,
      lda,
      transA,
      b + <usize>i * <usize>strideB * 4,
      ldb,
      transB,
      c + <usize>i * <usize>strideC * 4,
      ldc,
      accumulate,
      scratch,
    );
  }
}
