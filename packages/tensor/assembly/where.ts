// where(cond, a, b) of float32 operands for the `wasm` backend: a where cond is nonzero (NaN
// counts as nonzero, -0 as zero, as the cpu kernel's `c !== 0`), b elsewhere; values are
// moved, so results are bitwise the cpu kernel's. All three operands walk a 3-D shape with
// element strides (0 along broadcast dimensions); an f32x4 select when all are contiguous.

export function where3(
  d0: i32, d1: i32, d2: i32,
  c: usize, sc0: i32, sc1: i32, sc2: i32,
  a: usize, sa0: i32, sa1: i32, sa2: i32,
  b: usize, sb0: i32, sb1: i32, sb2: i32,
  out: usize,
): void {
  let o = out;
  const zero = f32x4.splat(0);
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      const pc = c + (<usize>(i * sc0 + j * sc1) << 2);
      const pa = a + (<usize>(i * sa0 + j * sa1) << 2);
      const pb = b + (<usize>(i * sb0 + j * sb1) << 2);
      let k = 0;
      if (sc2 == 1 && sa2 == 1 && sb2 == 1) {
        for (; k + 4 <= d2; k += 4) {
          const q = <usize>k << 2;
          v128.store(o + q, v128.bitselect(v128.load(pa + q), v128.load(pb + q), f32x4.ne(v128.load(pc + q), zero)));
        }
      }
      for (; k < d2; k++) {
        const cv = load<f32>(pc + (<usize>(k * sc2) << 2));
        const src = cv != 0 ? pa + (<usize>(k * sa2) << 2) : pb + (<usize>(k * sb2) << 2);
        store<i32>(o + (<usize>k << 2), load<i32>(src));
      }
      o += <usize>d2 << 2;
    }
  }
}
