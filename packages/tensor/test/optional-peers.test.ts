/**
 * fast-check and gpu.js are optional peer dependencies of @pathgrad/tensor: the main entry
 * neither imports them nor needs them installed; gpu.js is loaded on first use of the gpujs
 * backend (or handed over with provideGpujs, as browsers do), and where it is missing the
 * backend says which package to install. fast-check is for the testing entry only.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as fc from 'fast-check';
import { GPU } from 'gpu.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, backendInfo, provideGpujs, type GpujsConstructor } from '../src/index.js';
import type * as Sampling from '../src/sampling.js';

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', 'src');

/** Every module specifier imported (type-only too) by `file`. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;'"`()]*?\bfrom\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)|^\s*import\s*'([^']+)'/gm)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

/** The source files reachable from `entry` through relative imports, and the bare specifiers they import. */
function importGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.add(spec);
    }
  }
  return { files, bare };
}

describe('optional peers: fast-check and gpu.js', () => {
  it('the main entry imports neither, not even for types, and no node: module that would break browser bundles', () => {
    const { files, bare } = importGraph(join(src, 'index.ts'));
    expect(files.size).toBeGreaterThan(50);
    expect(files.has(join(src, 'testing', 'index.ts')), 'the testing entry is separate').toBe(false);
    const offending = [...bare].filter((s) => s === 'fast-check' || s === 'gpu.js' || s === 'webgpu' || s.startsWith('node:'));
    expect(offending).toEqual([]);
  });

  it('the real fast-check module and gpu.js GPU class fit the structural types the main entry declares', () => {
    // compile-time checks (tsc): these assignments stop compiling if either drifts
    const sampler: typeof Sampling = fc;
    const gpuClass: GpujsConstructor = GPU;
    expect(typeof sampler.tuple).toBe('function');
    expect(gpuClass).toBe(GPU);
  });

  it('provideGpujs takes gpu.js GPU class and rejects anything else, naming the package', () => {
    expect(() => provideGpujs({} as unknown as GpujsConstructor)).toThrow(ArgumentError);
    expect(() => provideGpujs(undefined as unknown as GpujsConstructor)).toThrow(/gpu\.js/);
    provideGpujs(GPU);
    expect(backendInfo('gpujs').available).toBe(true);
  });

  describe('a copy of the sources with only ndarray installed next to it', () => {
    const work = mkdtempSync(join(tmpdir(), 'pathgrad-peers-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('loads and computes; gpujs is unavailable and says to install gpu.js; provideGpujs makes it available', async () => {
      cpSync(src, join(work, 'src'), { recursive: true });
      mkdirSync(join(work, 'node_modules'));
      writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
      const require = createRequire(join(src, '..', 'package.json'));
      symlinkSync(dirname(require.resolve('ndarray/package.json')), join(work, 'node_modules', 'ndarray'), 'dir');
      const tsx = pathToFileURL(createRequire(resolve(here, '..', '..', '..', 'package.json')).resolve('tsx')).href;
      // gpu.js is imported from the workspace by absolute path, as a page bundling it would hand it over
      const gpujs = pathToFileURL(require.resolve('gpu.js')).href;
      const script = `
        const t = await import(${JSON.stringify(pathToFileURL(join(work, 'src', 'index.ts')).href)});
        const a = new t.Tensor(new Float32Array([1, 2, 3]), [3], 'float32');
        const sum = Array.from(t.add(a, a).toTypedArray());
        const before = t.backendInfo('gpujs');
        let thrown = '';
        try { t.setBackend('gpujs'); } catch (e) { thrown = e.message; }
        const { GPU } = (await import(${JSON.stringify(gpujs)})).default;
        t.provideGpujs(GPU);
        const after = t.setBackend('gpujs');
        const onGpujs = Array.from(t.add(a, a).toTypedArray());
        console.log(JSON.stringify({ sum, before, thrown, after, onGpujs }));
      `;
      // without NODE_PATH: pnpm's bin shims point it at the workspace's hoisted packages
      const env = { ...process.env };
      delete env.NODE_PATH;
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd: work, env, timeout: 120_000 });
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        sum: number[];
        before: { available: boolean; note?: string };
        thrown: string;
        after: { available: boolean; mode?: string };
        onGpujs: number[];
      };
      expect(r.sum).toEqual([2, 4, 6]);
      expect(r.before.available).toBe(false);
      expect(r.before.note).toMatch(/gpu\.js is not installed.*npm install gpu\.js/);
      expect(r.thrown).toMatch(/not available here: gpu\.js is not installed.*npm install gpu\.js/);
      expect(r.after.available).toBe(true);
      expect(r.onGpujs).toEqual([2, 4, 6]);
    }, 120_000);
  });
});
