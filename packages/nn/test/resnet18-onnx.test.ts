/**
 * A ResNet-18 exported from PyTorch (torch.onnx.export, random weights) imports with
 * loadOnnx and gives PyTorch's logits. The committed fixture is the ResNet-18 topology with
 * widths divided by 8 (fixtures/resnet18/make.py): every op a real resnet18 export uses
 * (Conv with folded BatchNorm, Relu, MaxPool, residual Add, GlobalAveragePool, Flatten, Gemm).
 * When Debian's python3-torch is installed, the full-width torchvision resnet18 is exported
 * and compared too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Tensor } from '@pathgrad/tensor';
import { loadOnnx } from '../src/index.js';
import { modelProtoType, type ModelMsg } from '../src/io/onnx-proto.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures', 'resnet18');

interface Reference {
  shape: number[];
  input: number[];
  logits: number[];
}

/**
 * max |pathgrad − torch| / max |torch logit|. pathgrad runs in float64, PyTorch in float32;
 * the error is PyTorch's float32 round-off through ~20 layers of dot products of ≤ 576 terms
 * (γ_576 ≈ 3.4e-5 relative per layer in the worst case, far less on average), so 1e-4 of
 * the logit scale bounds it; a wrong op (a missed BatchNorm, a misplaced residual, a
 * padding off by one) moves the logits by O(1) of their scale.
 */
function relError(onnx: Uint8Array, ref: Reference): number {
  const model = loadOnnx(onnx).to('float64');
  const x = new Tensor(Float64Array.from(ref.input), ref.shape, 'float64');
  const out = model.forward(x).toTypedArray();
  expect(out.length).toBe(ref.logits.length);
  const scale = Math.max(...ref.logits.map(Math.abs));
  let err = 0;
  for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i]! - ref.logits[i]!));
  return err / scale;
}

function hasTorch(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

describe('ResNet-18 exported from PyTorch', () => {
  it('the committed small-width ResNet-18 matches PyTorch\'s logits to 1e-4 of their scale', () => {
    const ref = JSON.parse(readFileSync(join(fixtures, 'resnet18-small.json'), 'utf8')) as Reference;
    expect(relError(readFileSync(join(fixtures, 'resnet18-small.onnx')), ref)).toBeLessThan(1e-4);
  });

  it('the committed fixture has the ResNet-18 layout: 20 convolutions, 8 residual adds, max-pool, global average pool', () => {
    const msg = modelProtoType().decode(readFileSync(join(fixtures, 'resnet18-small.onnx'))) as unknown as ModelMsg;
    const ops = (msg.graph?.node ?? []).map((n) => n.op_type);
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect(count('Conv')).toBe(20); // 1 stem + 16 in blocks + 3 downsample
    expect(count('Add')).toBe(8);
    expect(count('MaxPool')).toBe(1);
    expect(count('GlobalAveragePool')).toBe(1);
  });

  it.skipIf(!hasTorch())('the full-width torchvision resnet18 (random weights, exported now) matches PyTorch (needs python3-torch)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathgrad-resnet18-'));
    execFileSync('/usr/bin/python3', [join(fixtures, 'make.py'), '--full', dir], { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: 'ignore', timeout: 600_000 });
    expect(existsSync(join(dir, 'resnet18.onnx'))).toBe(true);
    const ref = JSON.parse(readFileSync(join(dir, 'resnet18.json'), 'utf8')) as Reference;
    expect(relError(readFileSync(join(dir, 'resnet18.onnx')), ref)).toBeLessThan(1e-4);
  }, 900_000);
});
