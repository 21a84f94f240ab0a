#!/usr/bin/env node
// Compiles every workspace package's src/**/*.ts to plain JavaScript in <package>/.run/ (same
// layout as src/, so paths relative to a module's own file still hold), with imports of
// '@pathgrad/<name>[/<sub>]' rewritten to relative paths into the other packages' .run/.
// The `pathgrad` launcher (bin/pathgrad.mjs) runs this output, so the command starts without a
// TypeScript loader. esbuild only strips types (one file at a time, no bundling); the type
// check stays with `tsc`. Run by the root postinstall; the launcher re-runs it when a source
// is newer than the last build. Usage: node packages/cli/scripts/build-run.mjs [--quiet]
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The stamp written last: a build is complete only when it exists. */
export const STAMP = '.run/.stamp';

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** '@pathgrad/<name>[/<sub>]' → absolute path of the compiled module, from each package.json's exports. */
function exportMap() {
  const map = new Map();
  for (const pkg of readdirSync(packagesDir)) {
    const manifest = join(packagesDir, pkg, 'package.json');
    let json;
    try {
      json = JSON.parse(readFileSync(manifest, 'utf8'));
    } catch {
      continue;
    }
    for (const [sub, target] of Object.entries(json.exports ?? {})) {
      if (typeof target !== 'string' || !target.startsWith('./src/')) continue;
      const spec = sub === '.' ? json.name : `${json.name}/${sub.slice(2)}`;
      map.set(spec, join(packagesDir, pkg, '.run', target.slice('./src/'.length).replace(/\.ts$/, '.js')));
    }
  }
  return map;
}

async function buildPackage(pkg, map) {
  const src = join(packagesDir, pkg, 'src');
  const tmp = join(packagesDir, pkg, `.run.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  for (const file of tsFiles(src)) {
    const rel = relative(src, file).replace(/\.ts$/, '.js');
    const out = join(tmp, rel);
    const { code } = await transform(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file });
    // static and dynamic imports/exports of workspace packages → relative paths
    const fixed = code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(@pathgrad\/[\w-]+(?:\/[\w./-]+)?)\2/g, (whole, lead, quote, spec) => {
      const target = map.get(spec);
      if (target === undefined) return whole;
      let r = relative(dirname(join(packagesDir, pkg, '.run', rel)), target).split(sep).join('/');
      if (!r.startsWith('.')) r = `./${r}`;
      return `${lead}${quote}${r}${quote}`;
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, fixed);
  }
  // swap in: the old build is moved aside and removed last
  const dest = join(packagesDir, pkg, '.run');
  const old = join(packagesDir, pkg, `.run.${process.pid}.old`);
  try {
    renameSync(dest, old);
  } catch {
    /* no earlier build */
  }
  renameSync(tmp, dest);
  rmSync(old, { recursive: true, force: true });
}

/** Compiles every package; resolves when all of .run/ and the stamp are written. */
export async function buildRun() {
  const map = exportMap();
  const pkgs = readdirSync(packagesDir).filter((p) => {
    try {
      return statSync(join(packagesDir, p, 'src')).isDirectory();
    } catch {
      return false;
    }
  });
  for (const pkg of pkgs) await buildPackage(pkg, map);
  writeFileSync(join(packagesDir, 'cli', STAMP), `${new Date().toISOString()}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  await buildRun();
  if (!process.argv.includes('--quiet')) console.error(`pathgrad: compiled the workspace sources to .run/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
