// conv2d (NCHW, stride, padding, dilation, groups) as im2col + SIMD GEMM, and its two
// backward passes (data: GEMM then col2im; weight: GEMM against the im2col matrix).
// Callers pass a scratch region of at least `convScratchBytes(...)` bytes.
import { gemm, gemmPackedA, gemmScratchBytes, packAFull, packedASize } from './gemm';

@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/**
 * GEMM scratch bytes for the largest GEMM among forward (N=p, K=kk), backward data (N=p,
 * K=coutg) and weight (N=kk, K=p, or transposed N=coutg, K=p).
 */
function convGemmScratchBytes(kk: i32, p: i32, coutg: i32): i32 {
  return max(max(gemmScratchBytes(p, kk), gemmScratchBytes(p, coutg)), max(gemmScratchBytes(kk, p), gemmScratchBytes(coutg, p)));
}

/** Scratch bytes for any of the conv entry points at these sizes. */
export function convScratchBytes(cg: i32, kh: i32, kw: i32, oh: i32, ow: i32, coutg: i32, groups: i32): i32 {
  const kk = cg * kh * kw;
  const p = oh * ow;
  const g = convGemmScratchBytes(kk, p, coutg);
  // plus every group's packed weight (forward packs W_g, backward data W_g^T; the weight
  // gradient keeps its transposed sums there)
  const packed = groups * max(packedASize(coutg, kk), packedASize(kk, coutg)) * 4;
  return kk * p * 4 + 32 + g + 32 + packed;
}

/**
 * Copies `count` floats. Inline rather than `memory.copy`: im2col copies rows of a few floats
 * thousands of times per image, and engines implement `memory.copy` as an out-of-line call.
 */
@inline function copyF32(dst: usize, src: usize, count: i32): void {
  let j = 0;
  for (; j + 4 <= count; j += 4) v128.store(dst + <usize>j * 4, v128.load(src + <usize>j * 4));
  for (; j < count; j++) store<f32>(dst + <usize>j * 4, load<f32>(src + <usize>j * 4));
}

/** Zeroes `count` floats (inline, for the same reason as copyF32). */
@inline function zeroF32(dst: usize, count: i32): void {
  const z = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= count; j += 4) v128.store(dst + <usize>j * 4, z);
  for (; j < count; j++) store<f32>(dst + <usize>j * 4, 0);
}

/**
 * Unfolds one image's `cg` channels (each h x w, starting at src) into col[K, (oy1-oy0)*ow]
 * with K = cg*kh*kw in (channel, ky, kx) order, for output rows [oy0, oy1) (all: 0, oh),
 * zero where the window reads padding.
 */
function im2col(
  src: usize, cg: i32, h: i32, w: i32, kh: i32, kw: i32, oy0: i32, oy1: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, col: usize,
): void {
  const plane = <usize>(h * w) * 4;
  let dst = col;
  for (let ci = 0; ci < cg; ci++) {
    const base = src + <usize>ci * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const xoff = kx * dw - pw;
        // ox range whose input column lies inside [0, w)
        let lo = 0;
        while (lo < ow && lo * sw + xoff < 0) lo++;
        let hi = ow;
        while (hi > lo && (hi - 1) * sw + xoff >= w) hi--;
        if (sw == 1 && lo == 0 && hi == ow) {
          // the common case (no column of this kx reads padding): whole rows copied
          for (let oy = oy0; oy < oy1; oy++) {
            const iy = oy * sh - ph + ky * dh;
            if (<u32>iy >= <u32>h) zeroF32(dst, ow);
            else copyF32(dst, base + <usize>(iy * w + xoff) * 4, ow);
            dst += <usize>ow * 4;
          }
          continue;
        }
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h || lo >= hi) {
            zeroF32(dst, ow);
          } else {
            if (lo > 0) zeroF32(dst, lo);
            const row = base + <usize>(iy * w) * 4;
            if (sw == 1) {
              copyF32(dst + <usize>lo * 4, row + <usize>(lo + xoff) * 4, hi - lo);
            } else {
              for (let ox = lo; ox < hi; ox++) {
                store<f32>(dst + <usize>ox * 4, load<f32>(row + <usize>(ox * sw + xoff) * 4));
              }
            }
            if (hi < ow) zeroF32(dst + <usize>hi * 4, ow - hi);
          }
          dst += <usize>ow * 4;
        }
      }
    }
  }
}

/** The adjoint of im2col: adds col[K, oh*ow] back into `cg` channels at dst (not cleared here). */
function col2im(
  col: usize, cg: i32, h: i32, w: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, dst: usize,
): void {
  const plane = <usize>(h * w) * 4;
  let src = col;
  for (let ci = 0; ci < cg; ci++) {
    const base = dst + <usize>ci * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const xoff = kx * dw - pw;
        let lo = 0;
        while (lo < ow && lo * sw + xoff < 0) lo++;
        let hi = ow;
        while (hi > lo && (hi - 1) * sw + xoff >= w) hi--;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy >= 0 && iy < h && lo < hi) {
            const row = base + <usize>(iy * w) * 4;
            if (sw == 1) {
              const d = row + <usize>(lo + xoff) * 4;
              const s = src + <usize>lo * 4;
              const cnt = hi - lo;
              let j = 0;
              for (; j + 4 <= cnt; j += 4) {
                const o = <usize>j * 4;
                v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
              }
              for (; j < cnt; j++) {
                const o = <usize>j * 4;
                store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
              }
            } else {
              for (let ox = lo; ox < hi; ox++) {
                const d = row + <usize>(ox * sw + xoff) * 4;
                store<f32>(d, load<f32>(d) + load<f32>(src + <usize>ox * 4));
              }
            }
          }
          src += <usize>ow * 4;
        }
      }
    }
  }
}

/** True when im2col would be the identity (1x1 kernel, stride 1, no padding). */
@inline function isPointwise(kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32): bool {
  return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
}

/** `conv2dForward`'s flags: apply ReLU after the bias. */
const FLAG_RELU: i32 = 1;
/** `conv2dForward`'s flags: `wt` is already packed by `packConvWeight` (a weight kept in wasm memory). */
const FLAG_PACKED: i32 = 2;

/** Floats `packConvWeight` writes: each group's W_g packed as gemm's A panels. */
export function convPackedWeightSize(cout: i32, cg: i32, kh: i32, kw: i32, groups: i32): i32 {
  return groups * packedASize(cout / groups, cg * kh * kw);
}

/** Packs wt[cout, cg, kh, kw] group by group as `conv2dForward` multiplies it (gemm's A panels). */
export function packConvWeight(cout: i32, cg: i32, kh: i32, kw: i32, groups: i32, wt: usize, dst: usize): void {
  const coutg = cout / groups;
  const kk = cg * kh * kw;
  const wsize = <usize>packedASize(coutg, kk) * 4;
  for (let g = 0; g < groups; g++) packAFull(coutg, kk, wt + <usize>(g * coutg * kk) * 4, kk, 0, dst + <usize>g * wsize);
}

/**
 * y[n, cout, oh, ow] = conv2d(x[n, c, h, w], wt[cout, c/groups, kh, kw]) (+ bias[cout] when
 * bias != 0), then ReLU when flags has FLAG_RELU, for the output rows [oy0, oy0 + oyn) only
 * (all: 0, oh). Cross-correlation, as PyTorch. The bias and ReLU run on each image's output
 * right after its GEMM, while it is still in cache, instead of as two more passes over the
 * whole batch. A row range is a column block of each image's GEMM, so its elements are
 * summed exactly as in the full call: callers split few images across threads by output
 * rows with bit-identical results. With FLAG_PACKED, `wt` is the weight as `packConvWeight`
 * left it, and no chunk packs it again.
 */
export function conv2dForward(
  n: i32, c: i32, h: i32, w: i32, cout: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, groups: i32,
  x: usize, wt: usize, bias: usize, y: usize, scratch: usize, flags: i32, oy0: i32, oyn: i32,
): void {
  const cg = c / groups;
  const coutg = cout / groups;
  const kk = cg * kh * kw;
  const p = oh * ow;
  const q = oyn * ow;
  const relu = flags & FLAG_RELU;
  const col = align16(scratch);
  const direct = isPointwise(kh, kw, sh, sw, ph, pw);
  // the weight is the same for every image: pack each group's W_g once (unless it comes packed)
  const wsize = <usize>packedASize(coutg, kk) * 4;
  let wp = align16(col + <usize>(kk * p) * 4);
  const gs = align16(wp + <usize>groups * wsize);
  if (flags & FLAG_PACKED) wp = wt;
  else packConvWeight(cout, cg, kh, kw, groups, wt, wp);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const xin = x + <usize>((b * c + g * cg) * h * w) * 4;
      let bmat = col;
      let ldb = q;
      if (direct) {
        bmat = xin + <usize>(oy0 * ow) * 4;
        ldb = p;
      } else im2col(xin, cg, h, w, kh, kw, oy0, oy0 + oyn, ow, sh, sw, ph, pw, dh, dw, col);
      const yout = y + <usize>((b * cout + g * coutg) * p + oy0 * ow) * 4;
      gemmPackedA(coutg, q, kk, wp + <usize>g * wsize, bmat, ldb, 0, yout, p, 0, gs);
    }
    if (bias != 0 || relu != 0) biasRelu(y + <usize>(b * cout * p + oy0 * ow) * 4, cout, q, p, bias, relu);
  }
}

/**
 * In place over `rows` rows of `q` floats, `p` apart: `+ bias[row]` (none when bias is 0),
 * then ReLU when relu != 0 (NaN stays NaN and -0 becomes +0, as the relu kernel). Each add
 * is one float32 rounding, as the separate add op's.
 */
function biasRelu(y: usize, rows: i32, q: i32, p: i32, bias: usize, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let co = 0; co < rows; co++) {
    const s: f32 = bias != 0 ? load<f32>(bias + <usize>co * 4) : 0;
    const bv = f32x4.splat(s);
    const row = y + <usize>(co * p) * 4;
    let j = 0;
    if (bias != 0 && relu != 0) {
      for (; j + 4 <= q; j += 4) {
        const o = <usize>j * 4;
        const v = f32x4.add(v128.load(row + o), bv);
        v128.store(row + o, v128.and(v, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v))));
      }
    } else if (bias != 0) {
      for (; j + 4 <= q; j += 4) v128.store(row + <usize>j * 4, f32x4.add(v128.load(row + <usize>j * 4), bv));
    } else {
      for (; j + 4 <= q; j += 4) {
        const o = <usize>j * 4;
        const v = v128.load(row + o);
        v128.store(row + o, v128.and(v, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v))));
      }
    }
    for (; j < q; j++) {
      const o = <usize>j * 4;
      let v = load<f32>(row + o);
      if (bias != 0) v = v + s;
      if (relu != 0 && !(v > 0 || v != v)) v = 0;
      store<f32>(row + o, v);
    }
  }
}

/**
 * dx[n, c, h, w] = conv2d's adjoint in x applied to dy[n, cout, oh, ow], for the input
 * channels [ci0, ci0 + cin) of each group only (all: 0, c/groups). A channel range is a row
 * block of each image's GEMM `W_g^T dy_g`, and col2im writes each channel only from its own
 * rows, so the range's values are exactly those of the full call: callers split few images
 * across threads by input channels with bit-identical results.
 */
export function conv2dBackwardInput(
  n: i32, c: i32, h: i32, w: i32, cout: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, groups: i32,
  dy: usize, wt: usize, dx: usize, scratch: usize, ci0: i32, cin: i32,
): void {
  const cg = c / groups;
  const coutg = cout / groups;
  const kk = cg * kh * kw;
  const kr = cin * kh * kw;
  const r0 = ci0 * kh * kw;
  const p = oh * ow;
  const hw = h * w;
  const col = align16(scratch);
  const direct = isPointwise(kh, kw, sh, sw, ph, pw);
  // pack each group's rows [r0, r0 + kr) of W_g^T once for all images
  const wsize = <usize>packedASize(kr, coutg) * 4;
  const wp = align16(col + <usize>(kk * p) * 4);
  const gs = align16(wp + <usize>groups * wsize);
  for (let g = 0; g < groups; g++) packAFull(kr, coutg, wt + <usize>(g * coutg * kk + r0) * 4, kk, 1, wp + <usize>g * wsize);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const dyg = dy + <usize>((b * cout + g * coutg) * p) * 4;
      const dxg = dx + <usize>((b * c + g * cg + ci0) * hw) * 4;
      // dcol[kr, p] = W_g^T [kr, coutg] * dy_g [coutg, p]
      if (direct) {
        gemmPackedA(kr, p, coutg, wp + <usize>g * wsize, dyg, p, 0, dxg, p, 0, gs);
      } else {
        gemmPackedA(kr, p, coutg, wp + <usize>g * wsize, dyg, p, 0, col, p, 0, gs);
        memory.fill(dxg, 0, <usize>(cin * hw) * 4);
        col2im(col, cin, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, dxg);
      }
    }
  }
}

/** dw[cout, c/groups, kh, kw] = conv2d's adjoint in the weight, from x and dy. */
export function conv2dBackwardWeight(
  n: i32, c: i32, h: i32, w: i32, cout: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, groups: i32,
  x: usize, dy: usize, dwt: usize, scratch: usize,
): void {
  const cg = c / groups;
  const coutg = cout / groups;
  const kk = cg * kh * kw;
  const p = oh * ow;
  const col = align16(scratch);
  const gs = align16(col + <usize>(kk * p) * 4);
  const direct = isPointwise(kh, kw, sh, sw, ph, pw);
  if (n == 0) memory.fill(dwt, 0, <usize>(cout * kk) * 4);
  // dW_g^T [kk, coutg] = col [kk, p] * dy_g^T [p, coutg] instead when its padded tiles
  // (4-row, 8-column) are fewer: the MNIST CNN's first conv (kk = 25, coutg = 16) fills
  // 448 tile slots instead of 512. Each element is the same sum in the same order.
  const trans = roundUp(kk, 4) * roundUp(coutg, 8) < roundUp(coutg, 4) * roundUp(kk, 8);
  const ct = align16(gs + <usize>convGemmScratchBytes(kk, p, coutg));
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const xin = x + <usize>((b * c + g * cg) * h * w) * 4;
      let bmat = col;
      if (direct) bmat = xin;
      else im2col(xin, cg, h, w, kh, kw, 0, oh, ow, sh, sw, ph, pw, dh, dw, col);
      const dyg = dy + <usize>((b * cout + g * coutg) * p) * 4;
      if (trans) {
        gemm(kk, coutg, p, bmat, p, 0, dyg, p, 1, ct + <usize>(g * coutg * kk) * 4, coutg, b > 0 ? 1 : 0, gs);
      } else {
        // dW_g[coutg, kk] (+)= dy_g [coutg, p] * col^T [p, kk]
        gemm(coutg, kk, p, dyg, p, 0, bmat, p, 1, dwt + <usize>(g * coutg * kk) * 4, kk, b > 0 ? 1 : 0, gs);
      }
    }
  }
  if (trans && n > 0) {
    for (let g = 0; g < groups; g++) {
      const src = ct + <usize>(g * coutg * kk) * 4;
      const dst = dwt + <usize>(g * coutg * kk) * 4;
      for (let o = 0; o < coutg; o++) {
        for (let k = 0; k < kk; k++) store<f32>(dst + <usize>(o * kk + k) * 4, load<f32>(src + <usize>(k * coutg + o) * 4));
      }
    }
  }
}

@inline function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}
