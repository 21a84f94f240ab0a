// c + a * b on four float32 lanes. With the relaxed-SIMD feature (the build's relaxed
// variants, chosen at run time only where the engine validates them) it is
// f32x4.relaxed_madd: one fused multiply-add where the CPU has FMA, so the product is not
// rounded before the add; elsewhere, and in the plain build, a multiply then an add.
// ASC_FEATURE_RELAXED_SIMD is a compile-time constant: the other branch is not emitted.
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
