/**
 * User-facing text (package sources' TSDoc, READMEs, guides, the web page) cites papers and
 * public code, never the project's internal notes: no "METHODS §" section numbers, no
 * "[PROPOSED]" tags, no paths into the internal shared folder.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INTERNAL = [/METHODS(\.md)?\s*§/, /\bMETHODS\.md\b/, /\[PROPOSED/, /METHODS suggests/, /\.\.\/shared\//];

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || name === 'node_modules' || name === 'api' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

const targets = [
  join(root, 'README.md'),
  ...files(join(root, 'docs'), /\.md$/),
  ...readdirSync(join(root, 'packages')).flatMap((pkg) => [
    ...files(join(root, 'packages', pkg, 'src'), /\.ts$/),
    ...files(join(root, 'packages', pkg), /^README\.md$/),
  ]),
  ...files(join(root, 'web', 'src'), /\.(ts|html)$/),
];

describe('no internal references in user-facing text', () => {
  it('finds the files it checks', () => {
    expect(targets.length).toBeGreaterThan(50);
  });
  for (const file of targets) {
    it(relative(root, file), () => {
      const hits = readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, n: i + 1 }))
        .filter(({ line }) => INTERNAL.some((re) => re.test(line)))
        .map(({ line, n }) => `${n}: ${line.trim()}`);
      expect(hits).toEqual([]);
    });
  }
});
