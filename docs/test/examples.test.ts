/**
 * Every code block marked as an example in the READMEs and guides (a fence whose info
 * string is `ts example`) runs here, so the docs cannot rot. Each block is written to
 * docs/.examples/ (inside the workspace, so package imports resolve) and imported; it must
 * finish without throwing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { markdownFiles } from './markdown-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'docs', '.examples');

/** The `ts example` blocks of a markdown file with their line numbers. */
export function extractExamples(markdown: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^```ts\s+example\s*$/.test(lines[i]!.trim())) {
      const start = i + 1;
      let j = start;
      while (j < lines.length && lines[j]!.trim() !== '```') j++;
      out.push({ line: start + 1, code: lines.slice(start, j).join('\n') });
      i = j;
    }
  }
  return out;
}

describe('documentation examples run', () => {
  mkdirSync(outDir, { recursive: true });
  const all = markdownFiles(root).flatMap((file) =>
    extractExamples(readFileSync(file, 'utf8')).map((ex) => ({ file: relative(root, file), ...ex })),
  );

  it('there are examples to run', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  for (const ex of all) {
    it(`${ex.file}:${ex.line}`, async () => {
      const name = `${ex.file.replace(/[^a-zA-Z0-9]+/g, '_')}_${ex.line}.ts`;
      const path = join(outDir, name);
      // silence the example's console output; failures still surface as thrown errors
      writeFileSync(path, `const console = { log() {}, info() {}, warn() {}, table() {} };\n${ex.code}\nexport {};\n`);
      await import(pathToFileURL(path).href);
    }, 120_000);
  }
});
