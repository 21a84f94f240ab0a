import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { backendInfo, slice, withBackend } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { evaluateAccuracy, loadPretrained, loadSafetensors, pretrainedBytes, type PretrainedName } from '../src/index.js';
import { mnist } from '../src/node.js';

const weightsDir = new URL('../weights/', import.meta.url);
const backend = backendInfo('wasm').available ? 'wasm' : 'cpu';
const test = mnist({ split: 'test' });

describe.each([
  ['mnist-mlp', 0.975],
  ['mnist-cnn', 0.988],
] as const)('loadPretrained(%s)', (name: PretrainedName, floor: number) => {
  const record = JSON.parse(readFileSync(new URL(`${name}.json`, weightsDir), 'utf8')) as { testAccuracy: number; sha256: string };

  it('embeds exactly the bytes of weights/<name>.safetensors, whose sha256 is recorded', () => {
    const bytes = pretrainedBytes(name);
    const file = readFileSync(new URL(`${name}.safetensors`, weightsDir));
    expect(Buffer.from(bytes).equals(file)).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(record.sha256);
    expect(loadSafetensors(bytes).metadata.test_accuracy).toBe(record.testAccuracy.toFixed(4));
  });

  it('loads in one line, in eval mode, and reaches the recorded test accuracy on all 10,000 test images', { timeout: 240_000 }, async () => {
    const model = loadPretrained(name);
    expect(model.training).toBe(false);
    // in chunks, yielding between them, so the test worker stays responsive
    let correct = 0;
    for (let start = 0; start < 10000; start += 1000) {
      const images = slice(test.images, [[start, start + 1000]]);
      const labels = slice(test.labels, [[start, start + 1000]]);
      correct += withBackend(backend, () => evaluateAccuracy(model, images, labels, { batchSize: 500 })) * 1000;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const accuracy = Math.round(correct) / 10000;
    // float32 sums in another order may flip a borderline image or two
    expect(Math.abs(accuracy - record.testAccuracy)).toBeLessThanOrEqual(0.0005);
    expect(accuracy).toBeGreaterThanOrEqual(floor);
  });
});

describe('loadPretrained arguments', () => {
  it('names the known models', () => {
    expect(() => loadPretrained('resnet' as PretrainedName)).toThrow(/'mnist-mlp' or 'mnist-cnn', got "resnet"/);
  });
});
