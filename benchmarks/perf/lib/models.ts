/**
 * Model builders shared by the suites: the MNIST MLP (784-128-64-10) and CNN (conv 1->16 5x5,
 * relu, maxpool 2, conv 16->32 5x5, relu, maxpool 2, linear 512->64, relu, linear 64->10) as
 * pathgrad nn modules (pretrained, or seeded random weights), and the same network in
 * TensorFlow.js built from the module's state dict (PyTorch names and layouts), plus the
 * loader of tfjs with gradients and the wasm backend.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { loadPretrained, mnistCnn, mnistMlp, type Module } from '@pathgrad/nn';
import type { Tensor } from '@pathgrad/tensor';
import type { Quadrature } from '@pathgrad/attribution';

/** The two benchmark networks. */
export type ModelName = 'mlp' | 'cnn';

const require = createRequire(import.meta.url);
let tfjs: typeof TF | undefined;

/**
 * TensorFlow.js with gradients and the cpu and wasm backends registered. Loaded through its
 * CommonJS bundle: the ESM build cannot register gradients under Node's ESM loader.
 */
export function loadTfjs(): typeof TF {
  if (tfjs) return tfjs;
  tfjs = require('@tensorflow/tfjs') as typeof TF;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths: (p: string) => void };
  wasm.setWasmPaths(join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..', '..', 'wasm-out') + '/');
  return tfjs;
}

/** Switches tfjs to `backend`; false when it cannot initialise. */
export async function useTfjs(backend: 'cpu' | 'wasm'): Promise<boolean> {
  const tf = loadTfjs();
  const ok = await tf.setBackend(backend);
  await tf.ready();
  return ok;
}

/** pathgrad's network: the shipped pretrained weights, or seeded random ones (`seed`). */
export function pathgradModel(name: ModelName, seed?: number): Module {
  if (seed === undefined) return loadPretrained(name === 'mlp' ? 'mnist-mlp' : 'mnist-cnn') as Module;
  const m = name === 'mlp' ? mnistMlp({ seed }) : mnistCnn({ seed });
  m.eval();
  return m;
}

/** The same network in tfjs, from a state dict with PyTorch names; `keep` are its weight tensors. */
export function tfjsModel(name: ModelName, sd: Record<string, Tensor>): { f: (x: TF.Tensor) => TF.Tensor; keep: TF.Tensor[]; vars: TF.Variable[] } {
  const tf = loadTfjs();
  const T = (k: string) => tf.tensor(Float32Array.from(sd[k]!.toTypedArray()), sd[k]!.shape as number[]);
  const V = (t: TF.Tensor) => tf.variable(t);
  const lin = (k: string) => V(tf.transpose(T(`${k}.weight`)));
  if (name === 'mlp') {
    const [w0, w2, w4] = ['0', '2', '4'].map(lin) as [TF.Variable, TF.Variable, TF.Variable];
    const [b0, b2, b4] = ['0', '2', '4'].map((k) => V(T(`${k}.bias`))) as [TF.Variable, TF.Variable, TF.Variable];
    const f = (x: TF.Tensor) => {
      const h0 = tf.reshape(x, [x.shape[0]!, 784]) as TF.Tensor2D;
      const h1 = tf.relu(tf.add(tf.matMul(h0, w0 as TF.Tensor2D), b0)) as TF.Tensor2D;
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2 as TF.Tensor2D), b2)) as TF.Tensor2D;
      return tf.add(tf.matMul(h2, w4 as TF.Tensor2D), b4);
    };
    const vars = [w0, w2, w4, b0, b2, b4];
    return { f, keep: vars, vars };
  }
  // tfjs convolves NHWC with filters [kh, kw, in, out]
  const conv = (k: string) => V(tf.transpose(T(`${k}.weight`), [2, 3, 1, 0]));
  const [c0, c3] = [conv('0'), conv('3')] as [TF.Variable, TF.Variable];
  const [cb0, cb3, b7, b9] = ['0', '3', '7', '9'].map((k) => V(T(`${k}.bias`))) as [TF.Variable, TF.Variable, TF.Variable, TF.Variable];
  const [w7, w9] = [lin('7'), lin('9')] as [TF.Variable, TF.Variable];
  const f = (x: TF.Tensor) => {
    const n = x.shape[0]!;
    const nhwc = tf.transpose(x, [0, 2, 3, 1]) as TF.Tensor4D;
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(nhwc, c0 as TF.Tensor4D, 1, 'valid'), cb0)) as TF.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c3 as TF.Tensor4D, 1, 'valid'), cb3)) as TF.Tensor4D, 2, 2, 'valid');
    // flatten in NCHW order so the linear layer sees PyTorch's feature order
    const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [n, 512]) as TF.Tensor2D;
    return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w7 as TF.Tensor2D), b7)) as TF.Tensor2D, w9 as TF.Tensor2D), b9);
  };
  const vars = [c0, c3, cb0, cb3, b7, b9, w7, w9];
  return { f, keep: vars, vars };
}

/** A tfjs copy of a pathgrad tensor (float32). */
export function toTfjs(t: Tensor): TF.Tensor {
  return loadTfjs().tensor(Float32Array.from(t.toTypedArray()), t.shape as number[]);
}

/**
 * IG in tfjs: all (steps × examples) points in one batch through one tf.grad, weighted by the
 * quadrature `q` (the same nodes and weights pathgrad uses), times (x − 0).
 */
export function tfjsIG(f: (x: TF.Tensor) => TF.Tensor, x: TF.Tensor, labels: Int32Array, q: Quadrature): Float32Array {
  const tf = loadTfjs();
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const steps = q.alphas.length;
    const alphas = tf.tensor(Float32Array.from(q.alphas), [steps, 1, 1, 1, 1]);
    const pts = tf.reshape(tf.mul(alphas, tf.expandDims(x, 0)), [steps * n, ...x.shape.slice(1)]);
    const mask = tf.tile(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), [steps, 1]);
    const g = tf.grad((p: TF.Tensor) => tf.sum(tf.mul(f(p), mask)))(pts);
    const w = tf.tensor(Float32Array.from(q.weights), [steps, 1, 1, 1, 1]);
    return tf.mul(tf.sum(tf.mul(tf.reshape(g, [steps, n, ...x.shape.slice(1)]), w), 0), x).dataSync() as Float32Array;
  });
}
