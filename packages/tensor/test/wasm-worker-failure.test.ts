/**
 * A chunk that fails on a worker thread: `runTasks` runs the whole job again on the calling
 * thread once every chunk has finished (each chunk's output depends on its inputs alone), so
 * a failure of the worker's own is recovered, and one that happens on this thread too is
 * reported with both messages. The workers' chunks are made to fail by a pointer past the
 * end of the memory (a wasm trap); the calling thread runs a stand-in that records its calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setThreads } from '../src/index.js';
import { wasmAvailable } from '../src/wasm/runtime.js';
import { runTasks, threadSupportProblem, type Task } from '../src/wasm/threads.js';
import { workersStarted } from './workers.js';

/** 16 chunks of relu over 16 values read past the end of the memory: a trap wherever wasm runs them. */
const TASKS: Task[] = Array.from({ length: 16 }, () => ({ fn: 'relu', args: [16, 2 ** 31 + 64, 64] }));

/** Busy for `ms` (the calling thread's chunks must last long enough for the worker to claim some). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Runs the failing job until the worker took part in it (on a loaded machine it may not
 * get to claim a chunk before this thread has run them all): `onHere(calls)` is this
 * thread's stand-in, called with its call count; returns the count of the attempt that
 * involved the worker and what it threw, if anything.
 */
function withWorker(onHere: (calls: number) => void): { calls: number; thrown: unknown } {
  for (let attempt = 0; attempt < 50; attempt++) {
    let calls = 0;
    let thrown: unknown;
    try {
      runTasks(TASKS, () => {
        calls++;
        // a long first chunk leaves the worker time to claim the others
        busy(calls === 1 ? 20 : 1);
        onHere(calls);
      });
    } catch (e) {
      thrown = e;
    }
    // the worker took part when this thread ran more than the job (its rerun) or threw
    if (calls > TASKS.length || thrown !== undefined) return { calls, thrown };
  }
  throw new Error('the worker never claimed a chunk in 50 attempts');
}

describe.runIf(wasmAvailable() && threadSupportProblem() === undefined)('a chunk failing on a worker thread', () => {
  afterEach(() => {
    setThreads('auto');
  });

  it('is run again, with the whole job, on the calling thread; the job then succeeds', async () => {
    setThreads(2);
    await workersStarted(1);
    const { calls, thrown } = withWorker(() => {});
    expect(thrown).toBeUndefined();
    // the first pass ran fewer than 16 here (the worker claimed some), then all 16 again
    expect(calls).toBeGreaterThan(TASKS.length);
    expect(calls).toBeLessThan(2 * TASKS.length);
  });

  it('failing again on the calling thread, throws with the worker\'s message and this thread\'s', async () => {
    setThreads(2);
    await workersStarted(1);
    // only a second pass can pass 16 calls: the worker took at least one chunk of the first
    const { thrown } = withWorker((calls) => {
      if (calls > TASKS.length) throw new Error('trap here too');
    });
    expect(String(thrown)).toMatch(/failed on a worker thread \(.*out of bounds.*\) and again on this thread: trap here too/);
  });
});
