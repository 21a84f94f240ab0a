#!/usr/bin/env node
// The workspace's `pathgrad` command. It runs the compiled JavaScript in packages/*/.run/
// (written by scripts/build-run.mjs at install time), so it starts without a TypeScript loader.
// When a source file is newer than that build, it recompiles first (about a second; one process
// at a time, under a lock); if it cannot, it runs the sources through tsx as before.
// PATHGRAD_FROM_SOURCE=1 forces the tsx path. (bin/pathgrad-dist.mjs is the published
// package's command, which runs dist/.)
import { closeSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = join(cli, '..');
const stamp = join(cli, '.run', '.stamp');

/** Newest modification time (ms) of any .ts file under the packages' src/ folders. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const pkg of readdirSync(packages)) {
    try {
      walk(join(packages, pkg, 'src'));
    } catch {
      /* not a package with sources */
    }
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return -1;
  }
}

async function compiledMain() {
  if (process.env.PATHGRAD_FROM_SOURCE === '1') return undefined;
  if (builtAt() >= newestSource()) return join(cli, '.run', 'main.js');
  const lock = join(cli, '.run.lock');
  let fd;
  try {
    // a lock left by a process killed while compiling is stale after a minute
    if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { force: true });
  } catch {
    /* no lock */
  }
  try {
    fd = openSync(lock, 'wx');
  } catch {
    return undefined; // another process is compiling: use the sources this time
  }
  try {
    const { buildRun } = await import(pathToFileURL(join(cli, 'scripts', 'build-run.mjs')).href);
    await buildRun();
    return join(cli, '.run', 'main.js');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

const compiled = await compiledMain();
let main;
if (compiled !== undefined) {
  ({ main } = await import(pathToFileURL(compiled).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
