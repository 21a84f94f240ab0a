/**
 * Run by wasm-relaxed.test.ts in a Node started with --experimental-wasm-relaxed-simd (Node
 * 20; on by default from Node 22): reports the wasm backend's mode and, for GEMM-based
 * float32 kernels (small-row and packed GEMM, transposed operands, the fused linear op,
 * conv2d), the worst ratio of the error against the float64 result of the same float32
 * values to the classical forward error bound of a length-k dot product,
 * gamma_k * sum |a||b| with gamma_k = k u / (1 - k u), u = 2^-24 (Higham, Accuracy and
 * Stability of Numerical Algorithms, eq. 3.5); a fused or unfused multiply-add both satisfy
 * it, and a wrong kernel does not. Also whether the thread count changes any bit.
 */
import { abs, backendInfo, cast, conv2d, linear, matmul, permute, randn, relu, rng, setThreads, type Tensor } from '../src/index.js';

const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);
const f64 = (t: Tensor) => cast(t, 'float64');

/** max over elements of |got - want| / (gamma_k * scale), with want and scale in float64. */
function worst(got: Tensor, want: Tensor, scale: Tensor, k: number): number {
  const g = got.toTypedArray(), w = want.toTypedArray(), s = scale.toTypedArray();
  let r = 0;
  for (let i = 0; i < g.length; i++) {
    // the result is rounded to float32 once more at the end: half an ulp on top of the bound
    const bound = gamma(k) * s[i]! + U * Math.abs(w[i]!) + Number.MIN_VALUE;
    r = Math.max(r, Math.abs(g[i]! - w[i]!) / bound);
  }
  return r;
}

const g = rng(7);
const cases: Record<string, number> = {};
const bitsEqualAcrossThreads: Record<string, boolean> = {};
const same = (a: Tensor, b: Tensor) => a.toTypedArray().every((v, i) => Object.is(v, b.toTypedArray()[i]));

for (const [m, k, n] of [[1, 784, 128], [3, 129, 67], [64, 784, 128], [130, 257, 67]] as const) {
  const a = randn([m, k], g), w = randn([n, k], g);
  const bt = permute(w, [1, 0]); // B = W^T read as stored (transB)
  setThreads(2);
  const got = matmul(a, bt);
  cases[`matmul ${m}x${k}x${n}`] = worst(got, matmul(f64(a), f64(bt)), matmul(abs(f64(a)), abs(f64(bt))), k);
  setThreads(1);
  bitsEqualAcrossThreads[`matmul ${m}x${k}x${n}`] = same(got, matmul(a, bt));
  const bias = randn([n], g);
  setThreads(2);
  const lin = linear(a, w, bias, { activation: 'relu' });
  const want = relu(linear(f64(a), f64(w), f64(bias)));
  const scale = linear(abs(f64(a)), abs(f64(w)), abs(f64(bias)));
  cases[`linear+relu ${m}x${k}x${n}`] = worst(lin, want, scale, k + 1);
}
const x = randn([8, 16, 12, 12], g), wc = randn([32, 16, 5, 5], g);
setThreads(2);
const conv = conv2d(x, wc);
cases['conv2d 8x16x12x12 * 32x16x5x5'] = worst(conv, conv2d(f64(x), f64(wc)), conv2d(abs(f64(x)), abs(f64(wc))), 16 * 25);
setThreads(1);
bitsEqualAcrossThreads['conv2d'] = same(conv, conv2d(x, wc));

console.log(JSON.stringify({ mode: backendInfo().mode, note: backendInfo().note, cases, bitsEqualAcrossThreads }));
