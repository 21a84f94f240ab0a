/** Test helper: the wasm worker pool started. */
import { OPS, randn, rng, runKernel } from '../src/index.js';
import { readyWorkers } from '../src/wasm/threads.js';

/** Starts the pool (one large matmul) and waits until `n` workers take tasks, so a split really runs on them. */
export async function workersStarted(n: number): Promise<void> {
  const g = rng(1);
  runKernel(OPS.matmul, 'wasm', [randn([64, 256], g), randn([256, 64], g)], {});
  const deadline = Date.now() + 20_000;
  while (readyWorkers() < n) {
    if (Date.now() > deadline) throw new Error(`only ${readyWorkers()} of ${n} worker threads started within 20 s`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}
