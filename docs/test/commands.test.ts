/**
 * The pnpm commands the docs tell users to type must run the project's scripts. pnpm has
 * built-in commands of its own (`pnpm docs` opens the package's page on npmjs.com and exits 3),
 * and a built-in wins over a root script of the same name; such scripts must be written
 * `pnpm run NAME` in the docs.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { markdownFiles } from './markdown-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// pnpm 10's own commands that are not "run the script of that name" (`test` and `start` are,
// so they are not listed). Checked against `pnpm help -a`.
const PNPM_BUILTINS = new Set([
  'add', 'audit', 'bin', 'bugs', 'cat-file', 'cat-index', 'config', 'create', 'dedupe', 'deploy', 'dlx', 'docs',
  'env', 'exec', 'fetch', 'find-hash', 'home', 'i', 'import', 'init', 'install', 'install-test', 'licenses', 'link',
  'list', 'ls', 'outdated', 'pack', 'patch', 'patch-commit', 'patch-remove', 'prune', 'publish', 'rebuild', 'remove',
  'repo', 'rm', 'root', 'run', 'self-update', 'server', 'setup', 'store', 'unlink', 'update', 'up', 'view', 'why',
]);

const scripts = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

describe('pnpm commands in the docs', () => {
  it('knows the root scripts', () => {
    expect(scripts).toContain('docs');
  });

  for (const file of markdownFiles(root)) {
    it(`${relative(root, file)}: every \`pnpm SCRIPT\` runs that script`, () => {
      const text = readFileSync(file, 'utf8');
      // `pnpm NAME`, `pnpm@1.2.3 NAME`, in code spans and blocks alike.
      const shadowed: string[] = [];
      for (const m of text.matchAll(/\bpnpm(?:@[\d.]+)?\s+([a-z][\w:-]*)/g)) {
        const name = m[1]!;
        if (scripts.includes(name) && PNPM_BUILTINS.has(name)) shadowed.push(m[0]);
      }
      expect(shadowed, `write these as \`pnpm run NAME\`: pnpm's own command of that name runs instead`).toEqual([]);
    });
  }
});

describe('the web page command', () => {
  it("the README's URL is where `pnpm web` serves the page", () => {
    const vite = readFileSync(join(root, 'web', 'vite.config.ts'), 'utf8');
    const host = /preview:\s*\{[^}]*host:\s*'([^']+)'/.exec(vite)?.[1];
    expect(host).toBeDefined();
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`http://${host}:4173/`);
  });
});
