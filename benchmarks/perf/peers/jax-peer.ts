/**
 * @jax-js/jax peer (run as a child process by peers.bench.ts): Integrated Gradients on the MNIST
 * MLP, the same quadrature nodes and weights as pathgrad's, the whole computation under `jit`
 * on jax-js's WebAssembly device. jax-js's thread pool needs a global `Worker` (browsers); Node
 * 20 has none, so it runs one thread here. Node 20 also lacks `navigator`, which jax-js reads for
 * its kernel heuristics: a minimal stand-in is installed before it loads.
 *
 * usage: tsx peers/jax-peer.ts config.json  (prints one JSON object)
 * config: { images: raw float32 file, count, labels, alphas, weights, imageCounts, timeMs }
 */
import { readFileSync } from 'node:fs';
import { loadPretrained } from '@pathgrad/nn';
import { measureAsync } from '../lib/measure.js';

interface Config {
  images: string;
  count: number;
  labels: number[];
  alphas: number[];
  weights: number[];
  imageCounts: number[];
  timeMs: number;
}

const g = globalThis as { navigator?: unknown };
g.navigator ??= { userAgent: 'node', hardwareConcurrency: 2 };
const jax = await import('@jax-js/jax');
const { grad, init, jit, numpy: np, nn } = jax;
type Arr = InstanceType<typeof jax.numpy.Array>;
const devices = await init('wasm');
jax.defaultDevice('wasm');

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
const raw = readFileSync(cfg.images);
const all = new Float32Array(raw.buffer, raw.byteOffset, cfg.count * 784);
const sd = loadPretrained('mnist-mlp').stateDict();
// pathgrad stores Linear weights [out, in] (PyTorch's layout); x @ W^T is x @ (this transposed)
const lin = (k: string) => {
  const w = sd[`${k}.weight`]!;
  const [o, i] = w.shape as [number, number];
  const t = new Float32Array(o * i);
  const src = w.toTypedArray();
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = src[r * i + c]!;
  return np.array(t).reshape([i, o]);
};
const bias = (k: string) => np.array(Float32Array.from(sd[`${k}.bias`]!.toTypedArray()));
const P = { w0: lin('0'), b0: bias('0'), w2: lin('2'), b2: bias('2'), w4: lin('4'), b4: bias('4') };
type Params = { w0: Arr; b0: Arr; w2: Arr; b2: Arr; w4: Arr; b4: Arr };
const refs = (): Params => ({ w0: P.w0.ref, b0: P.b0.ref, w2: P.w2.ref, b2: P.b2.ref, w4: P.w4.ref, b4: P.b4.ref });
const logits = (p: Params, x: Arr): Arr => {
  const h1 = nn.relu(np.matmul(x, p.w0).add(p.b0));
  const h2 = nn.relu(np.matmul(h1, p.w2).add(p.b2));
  return np.matmul(h2, p.w4).add(p.b4);
};
const steps = cfg.alphas.length;
const alphas = np.array(Float32Array.from(cfg.alphas));
const weights = np.array(Float32Array.from(cfg.weights));
const rows: { images: number; medianMs: number; madMs: number; minMs: number; samples: number }[] = [];
let attributions: number[] = [];
for (const n of cfg.imageCounts) {
  // IG, zero baseline: sum_k w_k grad f_t(a_k x) * x; the one-hot mask picks each point's target logit
  const ig = jit((p: Params, x: Arr, mask: Arr, a: Arr, w: Arr) => {
    const pts = a.reshape([steps, 1, 1]).mul(x.ref.reshape([1, n, 784])).reshape([steps * n, 784]);
    const gr = grad((pp: Arr) => logits(p, pp).mul(mask).sum())(pts);
    return gr.reshape([steps, n, 784]).mul(w.reshape([steps, 1, 1])).sum(0).mul(x);
  });
  const x = np.array(all.slice(0, n * 784)).reshape([n, 784]);
  const m = new Float32Array(steps * n * 10);
  for (let s = 0; s < steps; s++) for (let i = 0; i < n; i++) m[(s * n + i) * 10 + cfg.labels[i]!] = 1;
  const mask = np.array(m).reshape([steps * n, 10]);
  const call = () => ig(refs(), x.ref, mask.ref, alphas.ref, weights.ref).data();
  const out = await call();
  if (n === 1) attributions = Array.from(out as Float32Array);
  rows.push({ images: n, ...(await measureAsync(call, cfg.timeMs)) });
}
console.log(JSON.stringify({ devices, threads: 1, rows, attributions }));
