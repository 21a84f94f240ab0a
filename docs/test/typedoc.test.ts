/**
 * `pnpm docs` builds the API reference with no warnings (issue 11). This runs TypeDoc with
 * the repository's typedoc.json (which sets treatWarningsAsErrors) into a temporary folder
 * and asserts that it logged no warning and no error, and that every package entry point
 * is in the reference.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Application, LogLevel, Logger } from 'typedoc';
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
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});
