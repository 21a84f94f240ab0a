/**
 * The main entries of tensor, autograd, nn and attribution must bundle for browsers: no
 * module reachable from them may import a Node built-in (statically, dynamically or via
 * require), because bundlers follow every import they can see. (Code that runs only in Node
 * may still reach built-ins through `process.getBuiltinModule`, which bundlers do not follow.) Node-only code
 * lives behind its own entry (`@pathgrad/nn/node`). This walks the first-party import graph
 * from each main entry, following relative imports and `@pathgrad/*` package imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/** Module specifiers a file imports, with the kind of import. Comments are stripped first. */
export function importsOf(source: string): { spec: string; kind: string }[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: { spec: string; kind: string }[] = [];
  const patterns: [RegExp, string][] = [
    [/\bimport\s+(?!type\b)[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, 'import'],
    [/\bexport\s+(?!type\b)[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, 'export from'],
    [/\bimport\s*['"]([^'"]+)['"]/g, 'side-effect import'],
    [/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g, 'dynamic import'],
    [/\brequire(?:\.resolve)?\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g, 'require'],
  ];
  for (const [re, kind] of patterns) for (const m of code.matchAll(re)) out.push({ spec: m[1]!, kind });
  return out;
}

function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!);
}

/** A workspace package's entry (as its package.json `exports` maps it) to a source file. */
function packageEntry(spec: string): string | undefined {
  const m = /^@pathgrad\/([^/]+)(\/.*)?$/.exec(spec);
  if (!m) return undefined;
  const dir = join(root, 'packages', m[1]!);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const target = pkg.exports[m[2] ? `.${m[2]}` : '.'];
  if (typeof target !== 'string') throw new Error(`${spec}: no string export in ${dir}/package.json`);
  return join(dir, target);
}

/** Every Node built-in reached from `entry`, with the file that imports it. */
function nodeImportsReachable(entry: string): { file: string; spec: string; kind: string }[] {
  const seen = new Set<string>();
  const stack = [entry];
  const found: { file: string; spec: string; kind: string }[] = [];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { spec, kind } of importsOf(readFileSync(file, 'utf8'))) {
      if (isBuiltin(spec)) {
        found.push({ file: relative(root, file), spec, kind });
      } else if (spec.startsWith('.')) {
        // NodeNext sources import './x.js' for './x.ts'
        const ts = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!existsSync(ts)) throw new Error(`${relative(root, file)}: cannot resolve ${spec}`);
        stack.push(ts);
      } else {
        const pkgEntry = packageEntry(spec);
        if (pkgEntry !== undefined) stack.push(pkgEntry);
      }
    }
  }
  return found;
}

describe('browser-safe main entries', () => {
  it('the scanner sees static, dynamic, re-export and require imports of built-ins', () => {
    const src = [
      "import { readFileSync } from 'node:fs';",
      "export { join } from 'path';",
      "const m = await import('node:module');",
      "const w = require('worker_threads');",
      "import type { Stats } from 'node:fs';",
      "// import { x } from 'node:os';",
    ].join('\n');
    const specs = importsOf(src).map((i) => i.spec);
    expect(specs).toEqual(expect.arrayContaining(['node:fs', 'path', 'node:module', 'worker_threads']));
    expect(specs.filter(isBuiltin)).toHaveLength(4); // the type-only and commented imports do not count
  });

  for (const pkg of ['tensor', 'autograd', 'nn', 'attribution']) {
    it(`@pathgrad/${pkg} reaches no Node built-in`, () => {
      const entry = packageEntry(`@pathgrad/${pkg}`)!;
      expect(nodeImportsReachable(entry)).toEqual([]);
    });
  }

  it('the Node-only entry @pathgrad/nn/node is where the MNIST file loader lives', () => {
    const found = nodeImportsReachable(packageEntry('@pathgrad/nn/node')!);
    expect(found.map((f) => f.spec)).toContain('node:fs');
  });
});
