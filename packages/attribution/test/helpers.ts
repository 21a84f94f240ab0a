import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '@pathgrad/nn';
import { Tensor, add, cast, matmul, relu, reshape, transpose, type DType } from '@pathgrad/tensor';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));

/** The Captum reference arrays (see fixtures/README.md). */
export function captumReference(): Record<string, Tensor> {
  return loadSafetensors(fixture('mlp-captum.safetensors')).tensors;
}

/**
 * The PyTorch-trained reference MLP written directly with tensor ops (no nn), in `dtype`:
 * flatten, Linear 784->128, ReLU, Linear 128->64, ReLU, Linear 64->10.
 */
export function referenceMlp(dtype: DType): (x: Tensor) => Tensor {
  const w = loadSafetensors(fixture('mlp.safetensors')).tensors;
  const p = (k: string): Tensor => cast(w[k]!, dtype);
  const [w0, b0, w2, b2, w4, b4] = [p('0.weight'), p('0.bias'), p('2.weight'), p('2.bias'), p('4.weight'), p('4.bias')];
  return (x: Tensor) => {
    const h0 = reshape(x, [x.shape[0]!, 784]);
    const h1 = relu(add(matmul(h0, transpose(w0!)), b0!));
    const h2 = relu(add(matmul(h1, transpose(w2!)), b2!));
    return add(matmul(h2, transpose(w4!)), b4!);
  };
}

/** Relative L2 distance ||a - b|| / ||b|| over flat arrays. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den || 1);
}

/** Rows `[N, ...]` of a tensor as flat float64 arrays. */
export function rows(t: Tensor): Float64Array[] {
  const flat = Float64Array.from(t.toTypedArray());
  const n = t.shape[0]!;
  const per = flat.length / n;
  return Array.from({ length: n }, (_, i) => flat.subarray(i * per, (i + 1) * per));
}
