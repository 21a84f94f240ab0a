/**
 * The `pathgrad` command from the clone's root after the README's install: the bin link in
 * node_modules/.bin (what `npx pathgrad` and `pnpm exec pathgrad` run) and the root script,
 * both running the compiled JavaScript in .run/ (plain Node, no TypeScript loader).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliRoot, repoRoot } from './helpers.js';

describe('the pathgrad command', () => {
  beforeAll(() => {
    // what the root postinstall does; done again here so the test sees the current sources
    const r = spawnSync(process.execPath, [join(cliRoot, 'scripts', 'build-run.mjs'), '--quiet'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it('is linked into node_modules/.bin by the install and runs from the root', () => {
    const bin = join(repoRoot, 'node_modules', '.bin', 'pathgrad');
    expect(existsSync(bin), 'the root package.json lists @pathgrad/cli, so pnpm links its bin').toBe(true);
    const r = spawnSync(bin, ['attribute', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: pathgrad attribute/);
    const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['pathgrad']).toBe('node packages/cli/bin/pathgrad.mjs');
    expect(scripts['postinstall']).toMatch(/build-run\.mjs/);
  });

  it('the compiled .run/ output runs in plain Node, with no TypeScript loader', () => {
    const main = pathToFileURL(join(cliRoot, '.run', 'main.js')).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(['attribute', '--model', 'mlp', '--input', 'mnist:test:0-1', '--method', 'saliency']);`], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Saliency on 2 input\(s\)/);
    // no import of a workspace package is left for Node to resolve to a .ts file
    const compiled = readFileSync(join(cliRoot, '.run', 'commands', 'attribute.js'), 'utf8');
    expect(compiled).not.toMatch(/from\s*["']@pathgrad\//);
  });

  it('a reader that stops early (pathgrad --help | head -1) ends quietly', () => {
    const r = spawnSync('sh', ['-c', `"${join(repoRoot, 'node_modules', '.bin', 'pathgrad')}" --help | head -1`], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('Usage: pathgrad [options] [command]');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });
});
