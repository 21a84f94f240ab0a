/**
 * A chunk that fails on a worker thread: `runTasks` runs the whole job again on the calling
 * thread once every chunk has finished (each chunk's output depends on its inputs alone), so
 * a failure of the worker's own is recovered, and one that happens on this thread too is
 * reported with both messages. The workers' chunks are made to fail by a pointer past the
 * end of the memory (a wasm trap); the calling thread runs a stand-in that records its calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OPS, randn, rng, runKernel, setThreads } from '../src/index.js';
import { wasmAvailable } from '../src/wasm/runtime.js';
import { readyWorkers, runTasks, threadSupportProblem, type Task } from '../src/wasm/threads.js';

async function workersStarted(n: number): Promise<void> {
  const g = rng(1);
  runKernel(OPS.matmul, 'wasm', [randn([64, 256], g), randn([256, 64], g)], {});
  const deadline = Date.now() + 20_000;
  while (readyWorkers() < n) {
    if (Date.now() > deadline) throw new Error(`only ${readyWorkers()} of ${n} worker threads started within 20 s`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

/** 16 chunks of relu over 16 values read past the end of the memory: a trap wherever wasm runs them. */
const TASKS: Task[] = Array.from({ length: 16 }, () => ({ fn: 'relu', args: [16, 2 ** 31 + 64, 64] }));

/** Busy for `ms` (the calling thread's chunks must last long enough for the worker to claim some). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe.runIf(wasmAvailable() && threadSupportProblem() === undefined)('a chunk failing on a worker thread', () => {
  afterEach(() => {
    setThreads('auto');
  });

  it('is run again, with the whole job, on the calling thread; the job then succeeds', async () => {
    setThreads(2);
    await workersStarted(1);
    let calls = 0;
    runTasks(TASKS, () => {
      calls++;
      busy(2);
    });
    // the first pass ran fewer than 16 here (the worker claimed some), then all 16 again
    expect(calls).toBeGreaterThan(TASKS.length);
    expect(calls).toBeLessThan(2 * TASKS.length);
  });

  it('failing again on the calling thread, throws with the worker\'s message and this thread\'s', async () => {
    setThreads(2);
    await workersStarted(1);
    let calls = 0;
    expect(() =>
      runTasks(TASKS, () => {
        calls++;
        busy(2);
        // only the second pass can reach 17 calls: the worker took at least one chunk of the first
        if (calls > TASKS.length) throw new Error('trap here too');
      }),
    ).toThrow(/failed on a worker thread \(.*out of bounds.*\) and again on this thread: trap here too/);
  });
});
