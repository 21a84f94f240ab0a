/**
 * Every public export has a TSDoc comment with at least one `@example` (issue 11). The
 * public surface is what each package's entry points export (the `exports` map of its
 * package.json: `src/index.ts` and documented extras such as `@pathgrad/nn/node`), listed
 * with the TypeScript compiler's own module resolution, so a re-export chain
 * (`export * from './ops/index.js'`) is followed exactly as a user's editor follows it.
 */
import { describe, expect, it } from 'vitest';
import { entryPoints, exportDocs } from './public-api.js';

describe('TSDoc coverage of the public API', () => {
  const entries = entryPoints();
  const docs = exportDocs(entries);

  it('finds the entry points and their exports', () => {
    const names = entries.map(([name]) => name);
    for (const pkg of ['@pathgrad/tensor', '@pathgrad/autograd', '@pathgrad/nn', '@pathgrad/attribution', '@pathgrad/cli']) {
      expect(names).toContain(pkg);
    }
    // guards against a resolution failure silently yielding an empty export list
    for (const [name] of entries) expect(docs.filter((d) => d.entry === name).length, name).toBeGreaterThan(0);
    expect(docs.some((d) => d.entry === '@pathgrad/tensor' && d.name === 'Tensor')).toBe(true);
  });

  for (const [entry] of entries) {
    it(`every export of ${entry} has a TSDoc comment with an @example`, () => {
      const missing = docs
        .filter((d) => d.entry === entry && !(d.hasComment && d.hasExample))
        .map((d) => `${d.name} (${d.where}): ${d.hasComment ? 'no @example' : 'no doc comment'}`);
      expect(missing, `exports of ${entry} without documentation`).toEqual([]);
    });
  }
});
