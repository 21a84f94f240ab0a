/**
 * The public API of the workspace as the TypeScript compiler sees it: every package's entry
 * points (the `exports` map of its package.json) and what each exports, with whether the
 * declaration carries a TSDoc comment and an `@example`. Shared by the docs tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `[package name + subpath, absolute path of its entry file]` from every package's `exports` map. */
export function entryPoints(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      name: string;
      exports?: Record<string, string>;
    };
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target !== 'string' || !target.endsWith('.ts')) continue;
      out.push([subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`, join(root, 'packages', dir, target)]);
    }
  }
  return out;
}

export interface ExportDoc {
  entry: string;
  name: string;
  /** Where the export is declared, `path:line`, relative to the repository root. */
  where: string;
  hasComment: boolean;
  hasExample: boolean;
}

/** Every export of every entry point with whether its declaration carries a doc comment and an `@example`. */
export function exportDocs(entries: [string, string][]): ExportDoc[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const program = ts.createProgram(
    entries.map(([, file]) => file),
    { ...config.options, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const out: ExportDoc[] = [];
  for (const [entry, file] of entries) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${entry}: entry file ${file} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (!moduleSymbol) continue; // a file with no exports
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decls = symbol.getDeclarations() ?? [];
      const docs = decls.flatMap((d) => ts.getJSDocCommentsAndTags(d)).filter((n): n is ts.JSDoc => ts.isJSDoc(n));
      const first = decls[0];
      const where = first
        ? `${relative(root, first.getSourceFile().fileName)}:${first.getSourceFile().getLineAndCharacterOfPosition(first.getStart()).line + 1}`
        : '?';
      out.push({
        entry,
        name: exported.getName(),
        where,
        hasComment: docs.some((d) => (d.comment !== undefined && ts.getTextOfJSDocComment(d.comment)?.trim() !== '') || (d.tags?.length ?? 0) > 0),
        hasExample: docs.some((d) => (d.tags ?? []).some((t) => t.tagName.text === 'example')),
      });
    }
  }
  return out;
}

// `npx tsx docs/test/public-api.ts` lists the exports that still lack a comment or an @example.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const d of exportDocs(entryPoints())) {
    if (!(d.hasComment && d.hasExample)) console.log(`${d.entry}\t${d.name}\t${d.where}\t${d.hasComment ? 'no @example' : 'no doc comment'}`);
  }
}
