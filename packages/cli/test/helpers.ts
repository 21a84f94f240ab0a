/** Spawning the real `pathgrad` bin (node + tsx loader) for end-to-end tests. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(cliRoot, '..', '..');
export const bin = join(cliRoot, 'bin', 'pathgrad.mjs');
export const fixture = (name: string): string => join(cliRoot, 'test', 'fixtures', name);

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pathgrad ...args` in `cwd` (default: a fresh temp folder) with a time bound. */
export function pathgrad(args: string[], { cwd, timeoutMs = 120_000 }: { cwd?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: cwd ?? tempDir(),
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A new empty temporary folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pathgrad-cli-'));
}

/** Runs `fn` on every item, `concurrency` at a time (each CLI child takes about a second to start). */
export async function inPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}
