// Max pooling for the `wasm` backend (float32): forward values with their argmax indices, and
// the backward scatter-add at those indices. Same rules as the cpu reference
// (src/kernels/pool.ts): the FIRST maximum in row-major window order wins, a NaN replaces a
// number once and then stays, padding never wins, an empty window gives -Infinity and -1.

/**
 * Pools `planes` planes of H x W into Ho x Wo: values to `vals` (f32), flat in-plane
 * indices `h * W + w` of each window's maximum to `idx` (i32).
 */
export function maxPool2dForward(
  planes: i32, h: i32, w: i32, ho: i32, wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  x: usize, vals: usize, idx: usize,
): void {
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1 && ho * 2 <= h && wo * 2 <= w) {
    maxPool2x2(planes, h, w, ho, wo, x, vals, idx);
    return;
  }
  let o: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = x + (<usize>(plane * h * w) << 2);
    for (let oi = 0; oi < ho; oi++) {
      const hs = oi * sh - ph;
      for (let oj = 0; oj < wo; oj++, o++) {
        const ws = oj * sw - pw;
        let best: f32 = -Infinity;
        let bi: i32 = -1;
        for (let ki = 0; ki < kh; ki++) {
          const r = hs + ki * dh;
          if (r < 0 || r >= h) continue;
          const row = base + (<usize>(r * w) << 2);
          for (let kj = 0; kj < kw; kj++) {
            const c = ws + kj * dw;
            if (c < 0 || c >= w) continue;
            const v = load<f32>(row + (<usize>c << 2));
            // branch-free: on random data the comparison is unpredictable
            const take = (bi < 0) | (v > best) | ((v != v) & (best == best));
            best = select<f32>(v, best, take);
            bi = select<i32>(r * w + c, bi, take);
          }
        }
        store<f32>(vals + (o << 2), best);
        store<i32>(idx + (o << 2), bi);
      }
    }
  }
}

/** One candidate of the 2x2 window in f32x4 lanes: the same take rule as the scalar loop. */
@inline function takeV(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), v128.and(f32x4.ne(v, v), f32x4.eq(best, best)));
}

/**
 * The common 2x2, stride-2, unpadded case: every window lies inside the plane. Four
 * outputs at a time: two f32x4 loads per input row, split into even and odd columns.
 */
function maxPool2x2(planes: i32, h: i32, w: i32, ho: i32, wo: i32, x: usize, vals: usize, idx: usize): void {
  let o: usize = 0;
  const lanes = i32x4(0, 2, 4, 6);
  for (let plane = 0; plane < planes; plane++) {
    const base = x + (<usize>(plane * h * w) << 2);
    for (let oi = 0; oi < ho; oi++) {
      const r = oi * 2;
      const row0 = base + (<usize>(r * w) << 2);
      const row1 = row0 + (<usize>w << 2);
      let oj = 0;
      for (; oj + 4 <= wo; oj += 4, o += 4) {
        const off = <usize>(oj * 2) << 2;
        const a0 = v128.load(row0 + off);
        const a1 = v128.load(row0 + off + 16);
        const b0 = v128.load(row1 + off);
        const b1 = v128.load(row1 + off + 16);
        const v0 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
        const v1 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        const v2 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        const v3 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const i0 = i32x4.add(i32x4.splat(r * w + oj * 2), lanes);
        const i1 = i32x4.add(i0, i32x4.splat(1));
        const i2 = i32x4.add(i0, i32x4.splat(w));
        const i3 = i32x4.add(i2, i32x4.splat(1));
        let best = v0;
        let bi = i0;
        let t = takeV(v1, best);
        best = v128.bitselect(v1, best, t);
        bi = v128.bitselect(i1, bi, t);
        t = takeV(v2, best);
        best = v128.bitselect(v2, best, t);
        bi = v128.bitselect(i2, bi, t);
        t = takeV(v3, best);
        best = v128.bitselect(v3, best, t);
        bi = v128.bitselect(i3, bi, t);
        v128.store(vals + (o << 2), best);
        v128.store(idx + (o << 2), bi);
      }
      for (; oj < wo; oj++, o++) {
        const c = oj * 2;
        const off = <usize>c << 2;
        const v0 = load<f32>(row0 + off);
        const v1 = load<f32>(row0 + off + 4);
        const v2 = load<f32>(row1 + off);
        const v3 = load<f32>(row1 + off + 4);
        let best = v0;
        let bi = r * w + c;
        let take = (v1 > best) | ((v1 != v1) & (best == best));
        best = select<f32>(v1, best, take);
        bi = select<i32>(r * w + c + 1, bi, take);
        take = (v2 > best) | ((v2 != v2) & (best == best));
        best = select<f32>(v2, best, take);
        bi = select<i32>(r * w + w + c, bi, take);
        take = (v3 > best) | ((v3 != v3) & (best == best));
        best = select<f32>(v3, best, take);
        bi = select<i32>(r * w + w + c + 1, bi, take);
        store<f32>(vals + (o << 2), best);
        store<i32>(idx + (o << 2), bi);
      }
    }
  }
}

/**
 * Scatter-add of max pooling's gradient: `gx` (planes x hw, zeroed here) gets each of the
 * `per` values of `g` per plane at its index (-1 skipped). Returns 0, or 1 when an index
 * lies outside [-1, hw) (nothing meaningful is written then: the caller reports it).
 */
export function maxPool2dScatter(planes: i32, hw: i32, per: i32, g: usize, idx: usize, gx: usize): i32 {
  memory.fill(gx, 0, <usize>planes * <usize>hw * 4);
  let t: usize = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = gx + (<usize>(plane * hw) << 2);
    for (let k = 0; k < per; k++, t++) {
      const i = load<i32>(idx + (t << 2));
      if (i < 0) continue;
      if (i >= hw) return 1;
      const p = base + (<usize>i << 2);
      store<f32>(p, load<f32>(p) + load<f32>(g + (t << 2)));
    }
  }
  return 0;
}
