/**
 * Runs every ```ts block of docs/autograd.md and this package's README, so the examples
 * (and the values they assert) cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as tensorModule from '@pathgrad/tensor';
import * as autogradModule from '../src/index.js';

const MODULES: Record<string, unknown> = {
  '@pathgrad/tensor': tensorModule,
  '@pathgrad/autograd': autogradModule,
  'node:assert/strict': assert,
  'fast-check': fc,
};

function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function runBlock(source: string): void {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const requireShim = (name: string): unknown => {
    if (!(name in MODULES)) throw new Error(`example imports ${name}, which the docs runner does not provide`);
    return MODULES[name];
  };
  new Function('require', 'exports', 'module', js)(requireShim, {}, { exports: {} });
}

const FILES = ['../../../docs/autograd.md', '../README.md'];

for (const rel of FILES) {
  const path = fileURLToPath(new URL(rel, import.meta.url));
  describe(`examples in ${rel.replace(/^(\.\.\/)+/, '')}`, () => {
    const blocks = codeBlocks(readFileSync(path, 'utf8'));
    it('has examples', () => expect(blocks.length).toBeGreaterThan(0));
    blocks.forEach((block, i) => {
      it(`block ${i + 1} runs and its assertions hold`, () => runBlock(block));
    });
  });
}
