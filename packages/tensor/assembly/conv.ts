// conv2d (NCHW, stride, padding, dilation, groups) as im2col + SIMD GEMM, and its two
// backward passes (data: GEMM then col2im; weight: GEMM against the im2col matrix).
// Callers pass a scratch region of at least `convScratchBytes(...)` bytes.
import { gemm, gemmScratchBytes } from './gemm';

@inline function align16(p: usize): usize {
  return (p + 15) & ~(<usize>15);
}

/** Scratch bytes for any of the conv entry points at these sizes. */
export function convScratchBytes(cg: i32, kh: i32, kw: i32, oh: i32, ow: i32, coutg: i32): i32 {
  const kk = cg * kh * kw;
  const p = oh * ow;
  // the largest GEMM among forward (N=p, K=kk), backward data (N=p, K=coutg) and weight (N=kk, K=p)
  const g = max(gemmScratchBytes(p, kk), max(gemmScratchBytes(p, coutg), gemmScratchBytes(kk, p)));
  return kk * p * 4 + 32 + g;
}

/**
 * Unfolds one image's `cg` channels (each h x w, starting at src) into col[K, oh*ow] with
 * K = cg*kh*kw in (channel, ky, kx) order, zero where the window reads padding.
 */
function im2col(
  src: usize, cg: i32, h: i32, w: i32, kh: i32, kw: i32, oh: i32, ow: i32,
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
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - ph + ky * dh;
          if (iy < 0 || iy >= h || lo >= hi) {
            memory.fill(dst, 0, <usize>ow * 4);
          } else {
            if (lo > 0) memory.fill(dst, 0, <usize>lo * 4);
            const row = base + <usize>(iy * w) * 4;
            if (sw == 1) {
              memory.copy(dst + <usize>lo * 4, row + <usize>(lo + xoff) * 4, <usize>(hi - lo) * 4);
            } else {
              for (let ox = lo; ox < hi; ox++) {
                store<f32>(dst + <usize>ox * 4, load<f32>(row + <usize>(ox * sw + xoff) * 4));
              }
            }
            if (hi < ow) memory.fill(dst + <usize>hi * 4, 0, <usize>(ow - hi) * 4);
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

/**
 * y[n, cout, oh, ow] = conv2d(x[n, c, h, w], wt[cout, c/groups, kh, kw]) (+ bias[cout] when
 * bias != 0). Cross-correlation, as PyTorch.
 */
export function conv2dForward(
  n: i32, c: i32, h: i32, w: i32, cout: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, groups: i32,
  x: usize, wt: usize, bias: usize, y: usize, scratch: usize,
): void {
  const cg = c / groups;
  const coutg = cout / groups;
  const kk = cg * kh * kw;
  const p = oh * ow;
  const col = align16(scratch);
  const gs = align16(col + <usize>(kk * p) * 4);
  const direct = isPointwise(kh, kw, sh, sw, ph, pw);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const xin = x + <usize>((b * c + g * cg) * h * w) * 4;
      let bmat = col;
      if (direct) bmat = xin;
      else im2col(xin, cg, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, col);
      const yout = y + <usize>((b * cout + g * coutg) * p) * 4;
      gemm(coutg, p, kk, wt + <usize>(g * coutg * kk) * 4, kk, 0, bmat, p, 0, yout, p, 0, gs);
    }
    if (bias != 0) {
      for (let co = 0; co < cout; co++) {
        const bv = f32x4.splat(load<f32>(bias + <usize>co * 4));
        const row = y + <usize>((b * cout + co) * p) * 4;
        let j = 0;
        for (; j + 4 <= p; j += 4) v128.store(row + <usize>j * 4, f32x4.add(v128.load(row + <usize>j * 4), bv));
        const s = load<f32>(bias + <usize>co * 4);
        for (; j < p; j++) store<f32>(row + <usize>j * 4, load<f32>(row + <usize>j * 4) + s);
      }
    }
  }
}

/** dx[n, c, h, w] = conv2d's adjoint in x applied to dy[n, cout, oh, ow]. */
export function conv2dBackwardInput(
  n: i32, c: i32, h: i32, w: i32, cout: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, groups: i32,
  dy: usize, wt: usize, dx: usize, scratch: usize,
): void {
  const cg = c / groups;
  const coutg = cout / groups;
  const kk = cg * kh * kw;
  const p = oh * ow;
  const col = align16(scratch);
  const gs = align16(col + <usize>(kk * p) * 4);
  const direct = isPointwise(kh, kw, sh, sw, ph, pw);
  if (!direct) memory.fill(dx, 0, <usize>(n * c * h * w) * 4);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const dyg = dy + <usize>((b * cout + g * coutg) * p) * 4;
      const dxg = dx + <usize>((b * c + g * cg) * h * w) * 4;
      // dcol[kk, p] = W_g^T [kk, coutg] * dy_g [coutg, p]
      gemm(kk, p, coutg, wt + <usize>(g * coutg * kk) * 4, kk, 1, dyg, p, 0, direct ? dxg : col, p, 0, gs);
      if (!direct) col2im(col, cg, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, dxg);
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
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const xin = x + <usize>((b * c + g * cg) * h * w) * 4;
      let bmat = col;
      if (direct) bmat = xin;
      else im2col(xin, cg, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, col);
      const dyg = dy + <usize>((b * cout + g * coutg) * p) * 4;
      // dW_g[coutg, kk] (+)= dy_g [coutg, p] * col^T [p, kk]
      gemm(coutg, kk, p, dyg, p, 0, bmat, p, 1, dwt + <usize>(g * coutg * kk) * 4, kk, b > 0 ? 1 : 0, gs);
    }
  }
}
