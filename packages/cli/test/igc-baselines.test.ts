/**
 * `pathgrad igc --baselines K`: IGC with K random baselines drawn from the --data examples
 * for every batch (the IGC v1 MNIST setting is K = 32, 32 steps). One batch equals the
 * library call with the same seed; shards merge to the one-pass bits; it is not the zero baseline.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { integratedGradientCorrelation } from '@pathgrad/attribution';
import { loadPretrained } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, setBackend } from '@pathgrad/tensor';
import type { IgcResultFile } from '../src/commands/igc.js';
import { main } from '../src/main.js';

describe('pathgrad igc --baselines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-igc-baselines-'));
  const common = ['--model', 'mlp', '--data', 'mnist:test:0-23', '--steps', '4', '--backend', 'cpu', '--components', '0,1', '--seed', '7'];
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as IgcResultFile;

  it('one batch equals integratedGradientCorrelation with { samples: K, data } and the same seed', async () => {
    expect(await main(['igc', ...common, '--baselines', '3', '--batch-size', '24', '--out', join(dir, 'one-batch.json')])).toBe(0);
    setBackend('cpu');
    const { images, labels } = mnist({ split: 'test', limit: 24 });
    const lib = integratedGradientCorrelation(loadPretrained('mnist-mlp'), { inputs: images, targets: new Tensor(labels.toTypedArray(), [24], 'int32') }, {
      steps: 4,
      components: [0, 1],
      seed: 7,
      baseline: { samples: 3, data: images },
    });
    const r = read('one-batch.json');
    const libMaps = lib.igc.toTypedArray();
    r.igc.forEach((row, c) => row.forEach((v, i) => expect(Math.abs(v - libMaps[c * 784 + i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(v)))));
  }, 120_000);

  it('sharded + merged equals one pass bit for bit, and differs from the zero baseline', async () => {
    const b = [...common, '--baselines', '3', '--batch-size', '6'];
    expect(await main(['igc', ...b, '--out', join(dir, 'one.json')])).toBe(0);
    for (let i = 0; i < 2; i++) expect(await main(['igc', ...b, '--shard', `${i}/2`, '--out', join(dir, `part-${i}.json`)])).toBe(0);
    expect(await main(['igc', 'merge', join(dir, 'part-1.json'), join(dir, 'part-0.json'), '--out', join(dir, 'merged.json')])).toBe(0);
    expect(read('merged.json').digest).toBe(read('one.json').digest);
    expect(await main(['igc', ...common, '--batch-size', '6', '--out', join(dir, 'zero.json')])).toBe(0);
    expect(read('zero.json').igc).not.toEqual(read('one.json').igc);
  }, 120_000);

  it('rejects a non-positive --baselines with exit code 2', async () => {
    expect(await main(['igc', ...common, '--baselines', '0', '--out', join(dir, 'bad.json')])).toBe(2);
  });
});
