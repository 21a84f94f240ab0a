/** Peak memory of IG in a fresh process (so one measurement's heap cannot inflate the next). */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './measure.js';

const require = createRequire(import.meta.url);

/** One fresh-process measurement. */
export interface MemoryPoint {
  steps: number;
  internalBatchSize: number;
  maxRssMB: number;
  heapUsedMB: number;
}

/**
 * Peak RSS (maxRSS) of a fresh Node process that runs float32 IG with `steps` on one MNIST test
 * image on the pretrained CNN, with `internalBatchSize` points per chunk, on the default backend.
 */
export function peakMemory(steps: number, internalBatchSize = 256): MemoryPoint {
  const script = `
    import { integratedGradients } from '@pathgrad/attribution';
    import { loadPretrained } from '@pathgrad/nn';
    import { mnist } from '@pathgrad/nn/node';
    const model = loadPretrained('mnist-cnn');
    const { images, labels } = mnist({ split: 'test', limit: 1 });
    integratedGradients(model, images, { target: labels, steps: ${steps}, internalBatchSize: ${internalBatchSize} });
    const m = process.memoryUsage();
    console.log(JSON.stringify({ maxRss: process.resourceUsage().maxRSS, heap: m.heapUsed }));`;
  const tsx = require.resolve('tsx/cli', { paths: [repoRoot] });
  const out = execFileSync(process.execPath, [tsx, '--eval', script], { cwd: join(repoRoot, 'benchmarks'), encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { maxRss: number; heap: number };
  return { steps, internalBatchSize, maxRssMB: r.maxRss / 1024, heapUsedMB: r.heap / 2 ** 20 };
}
