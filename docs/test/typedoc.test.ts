/**
 * `pnpm docs` builds the API reference with no warnings (issue 11). This runs TypeDoc with
 * the repository's typedoc.json (which sets treatWarningsAsErrors) into a temporary folder
 * and asserts that it logged no warning and no error, that every package entry point
 * is in the reference under its package name (`@pathgrad/nn/node`, not `nn/src/node`), and
 * that the guides and tutorials the front page links to are rendered pages, not raw
 * markdown copied to media/.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Application, LogLevel, Logger, ReflectionKind } from 'typedoc';
import { describe, expect, it } from 'vitest';
import { entryPoints, root } from './public-api.js';

/** Collects what TypeDoc logs instead of printing it, so the test can name each message. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];
  override log(message: string, level: LogLevel): void {
    super.log(message, level);
    if (level >= LogLevel.Warn) this.messages.push(`${LogLevel[level]}: ${message}`);
  }
}

describe('API reference (TypeDoc)', () => {
  it('typedoc.json lists every entry point of every package', () => {
    const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
    const expected = entryPoints().map(([, file]) => relative(root, file).split('\\').join('/'));
    expect([...config.entryPoints].sort()).toEqual([...expected].sort());
  });

  it('builds with no warnings and no errors', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pathgrad-api-'));
    try {
      const app = await Application.bootstrapWithPlugins({ options: join(root, 'typedoc.json'), out });
      const logger = new CollectingLogger();
      app.logger = logger;
      const project = await app.convert();
      expect(project, 'TypeDoc could not convert the project').toBeDefined();
      if (project) await app.generateDocs(project, out);
      expect(logger.messages).toEqual([]);
      expect(logger.hasErrors() || logger.hasWarnings()).toBe(false);
      expect(existsSync(join(out, 'index.html'))).toBe(true);

      // modules are named by their import specifier, one per entry point
      const modules = project?.getChildrenByKind(ReflectionKind.Module).map((m) => m.name) ?? [];
      expect([...modules].sort()).toEqual(entryPoints().map(([name]) => name).sort());
      for (const name of modules) expect(name).toMatch(/^@pathgrad\/[a-z]+(\/[a-z]+)?$/);

      // the front page's links to markdown guides and tutorials open rendered documents
      const links = [...readFileSync(join(out, 'index.html'), 'utf8').matchAll(/href="([^"#]+)"/g)].map((m) => m[1]!);
      expect(links.filter((l) => /\.md$/.test(l)), 'links to raw markdown on the front page').toEqual([]);
      for (const doc of ['documents/guides_getting-started.html', 'documents/tutorials_README.html', 'documents/_pathgrad_attribution.README.html']) {
        expect(links, `front page links to ${doc}`).toContain(doc);
        expect(existsSync(join(out, doc)), doc).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});
