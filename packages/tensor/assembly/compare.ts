// Comparison kernels for the `wasm` backend: float32 operands, 1 or 0 (float32) out, bitwise
// the cpu kernels' results (a float32 comparison is exact; NaN compares unequal to all).
// Operands walk a 3-D shape [d0, d1, d2] with element strides (0 along broadcast dimensions),
// as assembly/elementwise.ts's binary ops; f32x4 loops for the contiguous and scalar cases.

const LT: i32 = 0;
const LE: i32 = 1;
const GE: i32 = 2;
const EQ: i32 = 3;
const NE: i32 = 4;

@inline function cmpS(op: i32, x: f32, y: f32): f32 {
  if (op == LT) return x < y ? 1 : 0;
  if (op == LE) return x <= y ? 1 : 0;
  if (op == GE) return x >= y ? 1 : 0;
  if (op == EQ) return x == y ? 1 : 0;
  return x != y ? 1 : 0;
}

@inline function cmpV(op: i32, x: v128, y: v128): v128 {
  const one = f32x4.splat(1);
  if (op == LT) return v128.and(f32x4.lt(x, y), one);
  if (op == LE) return v128.and(f32x4.le(x, y), one);
  if (op == GE) return v128.and(f32x4.ge(x, y), one);
  if (op == EQ) return v128.and(f32x4.eq(x, y), one);
  return v128.and(f32x4.ne(x, y), one);
}

@inline function compare3(
  op: i32, d0: i32, d1: i32, d2: i32,
  a: usize, sa0: i32, sa1: i32, sa2: i32,
  b: usize, sb0: i32, sb1: i32, sb2: i32,
  out: usize,
): void {
  let o = out;
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      const pa = a + (<usize>(i * sa0 + j * sa1) << 2);
      const pb = b + (<usize>(i * sb0 + j * sb1) << 2);
      let k = 0;
      if (sa2 == 1 && sb2 == 1) {
        for (; k + 4 <= d2; k += 4) v128.store(o + (<usize>k << 2), cmpV(op, v128.load(pa + (<usize>k << 2)), v128.load(pb + (<usize>k << 2))));
      } else if (sa2 == 1 && sb2 == 0) {
        const vb = v128.load32_splat(pb);
        for (; k + 4 <= d2; k += 4) v128.store(o + (<usize>k << 2), cmpV(op, v128.load(pa + (<usize>k << 2)), vb));
      } else if (sa2 == 0 && sb2 == 1) {
        const va = v128.load32_splat(pa);
        for (; k + 4 <= d2; k += 4) v128.store(o + (<usize>k << 2), cmpV(op, va, v128.load(pb + (<usize>k << 2))));
      }
      for (; k < d2; k++) {
        store<f32>(o + (<usize>k << 2), cmpS(op, load<f32>(pa + (<usize>(k * sa2) << 2)), load<f32>(pb + (<usize>(k * sb2) << 2))));
      }
      o += <usize>d2 << 2;
    }
  }
}

export function less3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  compare3(LT, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function lessEqual3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  compare3(LE, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function greaterEqual3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  compare3(GE, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function equal3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  compare3(EQ, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function notEqual3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  compare3(NE, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
