/**
 * Where the CLI writes. Every `--out` goes through here, so one set of rules holds for every
 * command (see the README, "Output files"):
 *
 * - Nothing the CLI did not create is deleted or replaced. An existing output file is
 *   refused unless the user passed `--force`; a report folder goes to a new folder, an empty
 *   one, or over an earlier pathgrad report whose files are unchanged (recognised by the
 *   marker file {@link REPORT_MARKER}, which lists every file with its SHA-256).
 * - Everything is written completely beside its destination (a temporary sibling whose name
 *   carries host and pid) and moved in by rename; an earlier report is moved aside first and
 *   removed last, so a kill at any moment leaves the old output or the new one.
 * - Temporary files are removed on SIGINT/SIGTERM, and those of dead processes (same host,
 *   pid no longer alive) on the next write into the same folder; a report moved aside by a
 *   killed run is moved back when nothing replaced it.
 * - A failure names the user's path, never the temporary one, in one line (exit code 2).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { hostname, constants as osConstants } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * Name of the marker file in every report folder pathgrad writes: JSON listing each file of
 * the report with its SHA-256, so a later run knows which folder (and which files) it may
 * replace.
 * @example
 * ```ts
 * existsSync(join('pathgrad-report', REPORT_MARKER)); // true after `pathgrad demo`
 * ```
 */
export const REPORT_MARKER = '.pathgrad-report';

/** What the marker file holds. */
interface ReportManifest {
  format: 'pathgrad-report';
  version: 1;
  /** Relative path (with /) -> SHA-256 hex of the bytes written. */
  files: Record<string, string>;
}

let forceReplace = false;

/**
 * Sets whether existing output files may be replaced (the `--force` flag; off by default).
 * Report folders follow their own rule and are never affected.
 * @example
 * ```ts
 * setForceOutput(argv.includes('--force'));
 * ```
 */
export function setForceOutput(force: boolean): void {
  forceReplace = force;
}

// ---------------------------------------------------------------------------------------
// temporary names, live temporaries and signals

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '_') || 'host';
const TEMP_RE = /^\.(.+)\.pathgrad-(tmp|old)\.([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-f]+)$/;

/** A sibling of `path` named `.<name>.pathgrad-<kind>.<host>.<pid>.<random>`. */
function siblingName(path: string, kind: 'tmp' | 'old'): string {
  return join(dirname(path), `.${basenameOf(path)}.pathgrad-${kind}.${HOST}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

const basenameOf = (p: string): string => p.slice(dirname(p).length).replace(/^[/\\]+/, '');

const live = new Set<string>();
let handlersOn = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const p of live) rmSync(p, { recursive: true, force: true });
  live.clear();
  setHandlers(false);
  process.stderr.write(`pathgrad: interrupted (${signal}); temporary output removed, nothing was replaced\n`);
  process.exit(128 + (osConstants.signals[signal] ?? 1));
}

function setHandlers(on: boolean): void {
  if (on === handlersOn) return;
  handlersOn = on;
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    if (on) process.on(s, onSignal);
    else process.off(s, onSignal);
  }
}

// handlers are installed only while a temporary exists: a long computation keeps Node's
// default (immediate) Ctrl-C
function track(p: string): void {
  live.add(p);
  setHandlers(true);
}

function untrack(p: string): void {
  live.delete(p);
  if (live.size === 0) setHandlers(false);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

const hasMarker = (dir: string): boolean => lstatOrUndefined(join(dir, REPORT_MARKER))?.isFile() === true;

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/**
 * Removes what killed pathgrad runs on this host left in `folder`: temporary files and
 * folders whose pid is no longer alive, and reports they had moved aside (moved back when
 * nothing took their place, removed otherwise). Only names pathgrad makes are touched, and
 * a folder only when it carries the report marker or is empty. Returns what it did.
 * @example
 * ```ts
 * cleanStaleTemporaries('results'); // ['removed results/.ig.npy.pathgrad-tmp.host.4242.1a2b3c4d']
 * ```
 */
export function cleanStaleTemporaries(folder: string): string[] {
  const done: string[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return done;
  }
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (m === null || m[3] !== HOST) continue;
    const pid = Number(m[4]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const p = join(folder, name);
    const st = lstatOrUndefined(p);
    if (st === undefined) continue;
    try {
      if (m[2] === 'tmp') {
        if (st.isFile() || st.isSymbolicLink()) unlinkSync(p);
        else if (st.isDirectory() && (hasMarker(p) || isEmptyDir(p))) rmSync(p, { recursive: true });
        else continue;
        done.push(`removed ${p}`);
      } else if (st.isDirectory() && hasMarker(p)) {
        const target = join(folder, m[1]!);
        if (lstatOrUndefined(target) === undefined) {
          renameSync(p, target);
          done.push(`restored ${target}`);
        } else {
          rmSync(p, { recursive: true });
          done.push(`removed ${p}`);
        }
      }
    } catch {
      // another run may be cleaning the same folder; what is left is retried next time
    }
  }
  return done;
}

// ---------------------------------------------------------------------------------------
// errors

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  ENAMETOOLONG: 'the name is too long',
  ENOENT: 'its folder does not exist',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  EFBIG: 'the file is too large',
};

/**
 * Turns a file-system error met while writing the user's `path` into a one-line
 * {@link UsageError} that names their path (not the temporary one) and the reason.
 * Errors that are not about the file system are returned unchanged.
 * @example
 * ```ts
 * throw writeError(err, 'results/ig.npy', '--out'); // "--out results/ig.npy: cannot write (no space left on the device)"
 * ```
 */
export function writeError(err: unknown, path: string, option: string): unknown {
  if (err instanceof UsageError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return err;
  const reason = REASONS[code];
  if (reason === undefined) return err;
  return new UsageError(`${option} ${path}: cannot write (${reason}, ${code})`);
}

/** The nearest existing ancestor of `p` (or p itself), which must be a writable folder. */
function checkWritableParent(p: string, userPath: string, option: string): void {
  let dir = dirname(p);
  for (;;) {
    const st = lstatOrUndefined(dir);
    if (st !== undefined) {
      if (!st.isDirectory() && !(st.isSymbolicLink() && isDirFollowing(dir))) {
        throw new UsageError(`${option} ${userPath}: cannot write (${dir} is a file, not a folder)`);
      }
      try {
        accessSync(dir, constants.W_OK | constants.X_OK);
      } catch {
        throw new UsageError(`${option} ${userPath}: cannot write (permission denied in ${dir})`);
      }
      return;
    }
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

function isDirFollowing(p: string): boolean {
  try {
    return readdirSync(p) !== undefined;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// single files

/**
 * Checks, before any work starts, that `path` can take an output file: it is not a folder,
 * it does not exist yet (unless `--force`), and its folder can be written. Throws a one-line
 * {@link UsageError} naming the user's path otherwise.
 * @example
 * ```ts
 * checkOutputFile('ig.npy'); // throws if ig.npy exists and --force was not given
 * ```
 */
export function checkOutputFile(path: string, option = '--out', force = forceReplace): void {
  if (/[/\\]$/.test(path)) throw new UsageError(`${option} ${path} ends in a folder separator; give a file name`);
  const abs = resolve(path);
  const st = lstatOrUndefined(abs);
  if (st !== undefined) {
    if (st.isDirectory()) throw new UsageError(`${option} ${path} is a folder; give a file name (e.g. ${join(path, 'out')}...)`);
    if (!force) throw new UsageError(`${option} ${path} already exists; pathgrad does not replace files unless you add --force (or choose another name)`);
  }
  checkWritableParent(abs, path, option);
}

/**
 * Writes an output file: to a temporary sibling (its name carries host and pid), then moved
 * into place, so the file is never seen half-written and a kill leaves no partial output.
 * An existing `path` is refused unless `force` (the `--force` flag): without it the final
 * step is a hard link, which fails rather than replace a file that appeared meanwhile.
 * File-system failures become one line naming `path`.
 * @example
 * ```ts
 * writeOutputFile('ig.npy', writeNpy(attributions));
 * ```
 */
export function writeOutputFile(path: string, bytes: Uint8Array | string, option = '--out', force = forceReplace): void {
  checkOutputFile(path, option, force);
  const abs = resolve(path);
  const dir = dirname(abs);
  cleanStaleTemporaries(dir);
  const tmp = siblingName(abs, 'tmp');
  try {
    mkdirSync(dir, { recursive: true });
    track(tmp);
    writeFileSync(tmp, bytes, { flag: 'wx' });
    if (force) {
      renameSync(tmp, abs);
    } else {
      try {
        linkSync(tmp, abs); // fails with EEXIST instead of replacing
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new UsageError(`${option} ${path} already exists; pathgrad does not replace files unless you add --force (or choose another name)`);
        // file systems without hard links: check, then rename
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw err;
        if (lstatOrUndefined(abs) !== undefined) throw new UsageError(`${option} ${path} already exists; pathgrad does not replace files unless you add --force (or choose another name)`);
        renameSync(tmp, abs);
      }
    }
  } catch (err) {
    throw writeError(err, path, option);
  } finally {
    rmSync(tmp, { force: true });
    untrack(tmp);
  }
}

// ---------------------------------------------------------------------------------------
// report folders

/** What is at a report folder's destination. */
export type ReportTarget = 'new' | 'empty' | 'report';

/** Every entry under `dir` as a relative path with `/`; folders end in `/`. */
function walkEntries(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(`${rel}/`, ...walkEntries(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

function readManifest(dir: string): ReportManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, REPORT_MARKER), 'utf8')) as ReportManifest;
    if (m?.format !== 'pathgrad-report' || typeof m.files !== 'object' || m.files === null) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

/**
 * Checks, before any work starts, where a report folder may go: a new folder, an empty one,
 * or an earlier pathgrad report none of whose files was added or changed since. Refused
 * (one line naming the path): a file, a folder with anything else in it, the current
 * folder or one that holds it, a symbolic link.
 * @example
 * ```ts
 * checkReportFolder('pathgrad-report'); // 'new', 'empty' or 'report'
 * ```
 */
export function checkReportFolder(path: string, option = '--out'): ReportTarget {
  const abs = resolve(path);
  const rel = relative(abs, process.cwd());
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new UsageError(`${option} ${path} is the current folder or holds it; give the report a folder of its own (e.g. --out pathgrad-report)`);
  }
  const st = lstatOrUndefined(abs);
  if (st === undefined) {
    checkWritableParent(abs, path, option);
    return 'new';
  }
  if (st.isSymbolicLink()) throw new UsageError(`${option} ${path} is a symbolic link; give a real folder (or a new name) for the report`);
  if (!st.isDirectory()) throw new UsageError(`${option} ${path} is a file, not a folder; the report is a folder, so choose a new name`);
  checkWritableParent(abs, path, option);
  const entries = walkEntries(abs);
  if (entries.length === 0) return 'empty';
  const manifest = hasMarker(abs) ? readManifest(abs) : undefined;
  if (manifest === undefined) {
    throw new UsageError(`${option} ${path} is a folder with other files in it (${entries[0]}); pathgrad writes a report only into a new or empty folder or over an earlier pathgrad report`);
  }
  const listed = Object.keys(manifest.files);
  for (const f of entries) {
    if (f === REPORT_MARKER) continue;
    if (f.endsWith('/')) {
      if (listed.some((l) => l.startsWith(f))) continue;
      throw new UsageError(`${option} ${path}: folder ${f} was added to the earlier report; move it away or choose another folder (pathgrad replaces only what it wrote)`);
    }
    const want = manifest.files[f];
    if (want === undefined || sha256(readFileSync(join(abs, f))) !== want) {
      throw new UsageError(`${option} ${path}: ${f} was ${want === undefined ? 'added to' : 'changed in'} the earlier report; move it away or choose another folder (pathgrad replaces only what it wrote)`);
    }
  }
  return 'report';
}

/**
 * Writes a report folder: every file into a temporary sibling folder (with the marker
 * {@link REPORT_MARKER} written first), then swapped in by rename. An earlier report at
 * `path` is moved aside just before and removed last. Yields to the event loop between files
 * so Ctrl-C removes the temporary folder. Refuses what {@link checkReportFolder} refuses.
 * @example
 * ```ts
 * await writeReportFolder('pathgrad-report', { 'index.html': html, 'charts/a.svg': svg });
 * ```
 */
export async function writeReportFolder(path: string, files: Record<string, Uint8Array | string>, option = '--out'): Promise<void> {
  checkReportFolder(path, option);
  const abs = resolve(path);
  const parent = dirname(abs);
  cleanStaleTemporaries(parent);
  for (const rel of Object.keys(files)) {
    if (rel === REPORT_MARKER || rel.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`writeReportFolder: bad file name '${rel}'`);
  }
  const manifest: ReportManifest = { format: 'pathgrad-report', version: 1, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sha256(v)])) };
  const tmp = siblingName(abs, 'tmp');
  try {
    mkdirSync(parent, { recursive: true });
    track(tmp);
    mkdirSync(tmp);
    writeFileSync(join(tmp, REPORT_MARKER), JSON.stringify(manifest, null, 1));
    for (const [rel, bytes] of Object.entries(files)) {
      const p = join(tmp, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, bytes);
      await new Promise((r) => setImmediate(r));
    }
    // the destination may have changed while we wrote: check again, then swap synchronously
    swapInFolder(tmp, abs, checkReportFolder(path, option));
  } catch (err) {
    throw writeError(err, path, option);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    untrack(tmp);
  }
}

/**
 * Moves the finished folder `tmp` to `dir` (`target` says what is there, see
 * {@link checkReportFolder}). A new or empty destination takes one rename (an empty folder
 * is replaced atomically); an earlier report is renamed aside, `tmp` renamed in, and the old
 * one removed last: a kill between the two renames leaves the old report beside `dir`,
 * which {@link cleanStaleTemporaries} moves back on the next run.
 * @example
 * ```ts
 * swapInFolder('.report.pathgrad-tmp.host.42.ab12cd34', 'report', checkReportFolder('report'));
 * ```
 */
export function swapInFolder(tmp: string, dir: string, target: ReportTarget): void {
  if (target !== 'report') {
    renameSync(tmp, dir);
    return;
  }
  const old = siblingName(dir, 'old');
  renameSync(dir, old);
  try {
    renameSync(tmp, dir);
  } catch (err) {
    renameSync(old, dir);
    throw err;
  }
  try {
    rmSync(old, { recursive: true, force: true });
  } catch {
    // the new report is in place; what is left of the old one (it carries the marker) goes
    // with the next run's cleanStaleTemporaries once this process has ended
  }
}
