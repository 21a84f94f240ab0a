// Elementwise float32 kernels for the `wasm` backend, written against WebAssembly SIMD.
//
// Binary ops take their operands as (up to) 3-D strided walks over the output: the runtime
// collapses dimensions that every operand walks contiguously and passes the resulting shape
// [d0, d1, d2] with each operand's element strides (0 along broadcast dimensions). The inner
// dimension gets f32x4 loops for the patterns that matter (both contiguous, one operand
// constant along the run: a bias or a scalar), and a scalar loop otherwise.
//
// The op is a compile-time constant in each exported function: the shared loop is inlined
// into every export, so Binaryen folds the op switch out of the inner loops.

const OP_ADD: i32 = 0;
const OP_SUB: i32 = 1;
const OP_MUL: i32 = 2;
const OP_DIV: i32 = 3;
const OP_MAX: i32 = 4;
const OP_MIN: i32 = 5;
const OP_GT: i32 = 6;
/** `a * (b > 0)`: ReLU's backward (gradient times the mask of the output). */
const OP_MASK: i32 = 7;

@inline function applyS(op: i32, x: f32, y: f32): f32 {
  if (op == OP_ADD) return x + y;
  if (op == OP_SUB) return x - y;
  if (op == OP_MUL) return x * y;
  if (op == OP_DIV) return x / y;
  // NaN propagates, as the reference's Math.max/Math.min
  if (op == OP_MAX) return x != x || y != y ? NaN : max(x, y);
  if (op == OP_MIN) return x != x || y != y ? NaN : min(x, y);
  if (op == OP_GT) return x > y ? 1 : 0;
  return y > 0 ? x : 0;
}

@inline function applyV(op: i32, x: v128, y: v128): v128 {
  if (op == OP_ADD) return f32x4.add(x, y);
  if (op == OP_SUB) return f32x4.sub(x, y);
  if (op == OP_MUL) return f32x4.mul(x, y);
  if (op == OP_DIV) return f32x4.div(x, y);
  // f32x4.max/min propagate NaN (IEEE maximum/minimum), as Math.max/Math.min
  if (op == OP_MAX) return f32x4.max(x, y);
  if (op == OP_MIN) return f32x4.min(x, y);
  if (op == OP_GT) return v128.and(f32x4.gt(x, y), f32x4.splat(1));
  // y > 0 is false for NaN and -0, as the scalar rule
  return v128.and(x, f32x4.gt(y, f32x4.splat(0)));
}

/** One run of `n` outputs from operands at `a`, `b` with element strides `sa`, `sb`. */
@inline function runBinary(op: i32, n: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (sa == 1 && sb == 0) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, v128.load(a + o), vb));
    }
  } else if (sa == 0 && sb == 1) {
    const va = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, applyV(op, va, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), applyS(op, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2))));
  }
}

@inline function binary3(
  op: i32, d0: i32, d1: i32, d2: i32,
  a: usize, sa0: i32, sa1: i32, sa2: i32,
  b: usize, sb0: i32, sb1: i32, sb2: i32,
  out: usize,
): void {
  let o = out;
  const row = <usize>d2 << 2;
  for (let i = 0; i < d0; i++) {
    const pa0 = a + (<usize>(i * sa0) << 2);
    const pb0 = b + (<usize>(i * sb0) << 2);
    for (let j = 0; j < d1; j++) {
      runBinary(op, d2, pa0 + (<usize>(j * sa1) << 2), sa2, pb0 + (<usize>(j * sb1) << 2), sb2, o);
      o += row;
    }
  }
}

export function add3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_ADD, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function sub3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_SUB, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function mul3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_MUL, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function div3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_DIV, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function maximum3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_MAX, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function minimum3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_MIN, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function greater3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_GT, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}
export function reluMask3(d0: i32, d1: i32, d2: i32, a: usize, sa0: i32, sa1: i32, sa2: i32, b: usize, sb0: i32, sb1: i32, sb2: i32, out: usize): void {
  binary3(OP_MASK, d0, d1, d2, a, sa0, sa1, sa2, b, sb0, sb1, sb2, out);
}

/** ReLU of `n` contiguous values; NaN stays NaN (as the reference and torch.relu). */
export function relu(n: i32, x: usize, out: usize): void {
  let i = 0;
  const zero = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    // keep v where v > 0 or v is NaN (v != v); else 0
    const keep = v128.or(f32x4.gt(v, zero), f32x4.ne(v, v));
    v128.store(out + o, v128.and(v, keep));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), v > 0 || v != v ? v : 0);
  }
}

/** `-x` of `n` contiguous values. */
export function neg(n: i32, x: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.neg(v128.load(x + o)));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), -load<f32>(x + (<usize>i << 2)));
}

/** Square root of `n` contiguous values (correctly rounded, as the reference's float32 result). */
export function sqrt(n: i32, x: usize, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.sqrt(v128.load(x + o)));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), Mathf.sqrt(load<f32>(x + (<usize>i << 2))));
}

/** e^x of `n` contiguous values (AssemblyScript's single-precision expf, under 1 ulp). */
export function exp(n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), Mathf.exp(load<f32>(x + (<usize>i << 2))));
}

/** Natural log of `n` contiguous values (single-precision logf, under 1 ulp). */
export function log(n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), Mathf.log(load<f32>(x + (<usize>i << 2))));
}
