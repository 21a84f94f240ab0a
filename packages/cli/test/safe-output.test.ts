/**
 * The CLI never deletes or replaces what it did not create (src/output.ts): report folders
 * only into a new or empty folder or over an earlier, unchanged pathgrad report; files not
 * over an existing one without --force; everything through a temporary sibling and a
 * rename, so a kill at any moment leaves the old output or the new one, and the next run
 * cleans up what a killed run left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import {
  REPORT_MARKER,
  checkReportFolder,
  cleanStaleTemporaries,
  swapInFolder,
  writeError,
  writeOutputFile,
  writeReportFolder,
} from '../src/output.js';
import { cliRoot, pathgrad, tempDir } from './helpers.js';

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '_');
const demo = (out: string): string[] => ['demo', '--quick', '--images', '1', '--methods', 'saliency', '--model', 'mlp', '--out', out];

/** A pid that is certainly not alive: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((f) => /\.pathgrad-(tmp|old)\./.test(f));
const read = (p: string): string => readFileSync(p, 'utf8');

describe('pathgrad demo --out', () => {
  it('never empties a folder with the user\'s files, nor the current folder, nor replaces a file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'mine', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'mine', 'notes.md'), 'my notes');
    writeFileSync(join(dir, 'mine', 'sub', 'data.csv'), '1,2');
    writeFileSync(join(dir, 'notes.txt'), 'my text');
    writeFileSync(join(dir, 'keep.txt'), 'in the current folder');
    for (const [out, message] of [
      ['mine', /--out mine is a folder with other files in it/],
      ['.', /--out \. is the current folder/],
      ['notes.txt', /--out notes\.txt is a file, not a folder/],
    ] as const) {
      const r = pathgrad(demo(out), { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    }
    expect(read(join(dir, 'mine', 'notes.md'))).toBe('my notes');
    expect(read(join(dir, 'mine', 'sub', 'data.csv'))).toBe('1,2');
    expect(read(join(dir, 'notes.txt'))).toBe('my text');
    expect(read(join(dir, 'keep.txt'))).toBe('in the current folder');
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'mine', 'notes.txt']);
  }, 60_000);

  it('writes into a new or empty folder, replaces an earlier report, and refuses one the user added to or changed', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    expect(pathgrad(demo('empty'), { cwd: dir }).code).toBe(0);
    expect(existsSync(join(dir, 'empty', 'index.html'))).toBe(true);
    expect(pathgrad(demo('report'), { cwd: dir }).code).toBe(0);
    const marker = JSON.parse(read(join(dir, 'report', REPORT_MARKER))) as { files: Record<string, string> };
    expect(Object.keys(marker.files)).toContain('index.html');
    // the earlier report is replaced (a new run: its summary has another total time)
    writeFileSync(join(dir, 'report-before.json'), read(join(dir, 'report', 'summary.json')));
    expect(pathgrad(demo('report'), { cwd: dir }).code).toBe(0);
    expect(temporaries(dir)).toEqual([]);
    expect(checkReportFolder(join(dir, 'report'))).toBe('report');
    // a file the user added, or changed, makes it theirs
    writeFileSync(join(dir, 'report', 'my-notes.md'), 'mine');
    let r = pathgrad(demo('report'), { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out report: my-notes\.md was added to the earlier report/);
    expect(read(join(dir, 'report', 'my-notes.md'))).toBe('mine');
    renameSync(join(dir, 'report', 'my-notes.md'), join(dir, 'my-notes.md'));
    writeFileSync(join(dir, 'report', 'summary.json'), 'edited');
    r = pathgrad(demo('report'), { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/summary\.json was changed in the earlier report/);
    expect(read(join(dir, 'report', 'summary.json'))).toBe('edited');
  }, 90_000);
});

describe('report folders: the swap and what a killed run leaves', () => {
  const files = (tag: string): Record<string, string> => ({ 'index.html': `<p>${tag}</p>`, 'charts/a.svg': `<svg>${tag}</svg>` });

  it('refuses an added empty folder and a symbolic link', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    await writeReportFolder(rep, files('old'));
    mkdirSync(join(rep, 'extra'));
    expect(() => checkReportFolder(rep)).toThrow(/folder extra\/ was added/);
    symlinkSync(rep, join(dir, 'link'));
    expect(() => checkReportFolder(join(dir, 'link'))).toThrow(/symbolic link/);
  });

  it('killed after writing, before the swap: the old report stays, the temporary folder goes', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    await writeReportFolder(rep, files('old'));
    const pid = deadPid();
    const tmp = join(dir, `.rep.pathgrad-tmp.${HOST}.${pid}.0a0b0c0d`);
    mkdirSync(join(tmp, 'charts'), { recursive: true });
    writeFileSync(join(tmp, REPORT_MARKER), '{}');
    writeFileSync(join(tmp, 'index.html'), 'half');
    expect(cleanStaleTemporaries(dir)).toEqual([`removed ${tmp}`]);
    expect(read(join(rep, 'index.html'))).toBe('<p>old</p>');
    expect(temporaries(dir)).toEqual([]);
  });

  it('killed between the two renames: the old report is moved back on the next run', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    await writeReportFolder(rep, files('old'));
    const pid = deadPid();
    const old = join(dir, `.rep.pathgrad-old.${HOST}.${pid}.1a1b1c1d`);
    renameSync(rep, old); // the first rename of swapInFolder, then the kill
    expect(existsSync(rep)).toBe(false);
    expect(cleanStaleTemporaries(dir)).toEqual([`restored ${rep}`]);
    expect(read(join(rep, 'index.html'))).toBe('<p>old</p>');
    expect(checkReportFolder(rep)).toBe('report');
  });

  it('killed after the swap, before removing the old one: the new report stays, the old one goes', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    await writeReportFolder(rep, files('new'));
    const old = join(dir, `.rep.pathgrad-old.${HOST}.${deadPid()}.2a2b2c2d`);
    await writeReportFolder(join(dir, 'elsewhere'), files('old'));
    renameSync(join(dir, 'elsewhere'), old);
    expect(cleanStaleTemporaries(dir)).toEqual([`removed ${old}`]);
    expect(read(join(rep, 'index.html'))).toBe('<p>new</p>');
  });

  it('leaves alone: live processes\' temporaries, other hosts\', and folders without the marker', () => {
    const dir = tempDir();
    const live = join(dir, `.a.npy.pathgrad-tmp.${HOST}.${process.ppid}.3a3b3c3d`);
    const other = join(dir, `.a.npy.pathgrad-tmp.another-host.${deadPid()}.4a4b4c4d`);
    const foreign = join(dir, `.x.pathgrad-old.${HOST}.${deadPid()}.5a5b5c5d`);
    writeFileSync(live, 'live');
    writeFileSync(other, 'other host (a shared file system)');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'user.txt'), 'not ours');
    expect(cleanStaleTemporaries(dir)).toEqual([]);
    expect(readdirSync(dir).length).toBe(3);
  });

  it('swapInFolder puts the old report back when the second rename fails', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    await writeReportFolder(rep, files('old'));
    expect(() => swapInFolder(join(dir, 'no-such-tmp'), rep, 'report')).toThrow(/ENOENT/);
    expect(read(join(rep, 'index.html'))).toBe('<p>old</p>');
    expect(temporaries(dir)).toEqual([]);
  });
});

/** A child process writing a 40-file report through writeReportFolder. */
function writerChild(dir: string, out: string, tag: string): ReturnType<typeof spawn> {
  const script = join(dir, 'writer.mts');
  writeFileSync(
    script,
    `import { writeReportFolder } from ${JSON.stringify(join(cliRoot, 'src', 'output.ts'))};
const files: Record<string, Uint8Array> = {};
for (let i = 0; i < 40; i++) files['part-' + i + '.bin'] = new Uint8Array(1 << 18).fill(${JSON.stringify(tag)}.charCodeAt(0) + i);
await writeReportFolder(process.argv[2]!, files);
`,
  );
  return spawn(process.execPath, ['--import', 'tsx/esm', script, out], { cwd: cliRoot, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Waits until the child's temporary folder exists, then `ms` more, then sends `signal`; resolves with the exit code / signal. */
async function interrupt(child: ReturnType<typeof spawn>, dir: string, ms: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (code, sig) => r({ code, signal: sig })));
  const deadline = Date.now() + 30_000;
  while (!readdirSync(dir).some((f) => f.includes('.pathgrad-tmp.')) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
  await new Promise((r) => setTimeout(r, ms));
  child.kill(signal);
  return { ...(await closed), stderr };
}

describe('a writer killed mid-write', () => {
  it('SIGKILL at several moments: the folder holds the old or the new report, complete, after the next run\'s clean-up', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    writeFileSync(join(dir, 'neighbour.txt'), 'the user\'s');
    await writeReportFolder(rep, { 'index.html': 'old' });
    const seen = new Set<string>();
    for (const ms of [0, 5, 20, 60]) {
      const r = await interrupt(writerChild(dir, rep, 'n'), dir, ms, 'SIGKILL');
      cleanStaleTemporaries(dir);
      expect(temporaries(dir)).toEqual([]);
      // complete: every file matches the marker's list (checkReportFolder throws otherwise)
      expect(checkReportFolder(rep)).toBe('report');
      const version = existsSync(join(rep, 'index.html')) ? 'old' : 'new';
      if (version === 'new') expect(readdirSync(rep).filter((f) => f.endsWith('.bin'))).toHaveLength(40);
      seen.add(`${version} (${r.signal ?? r.code})`);
      expect(read(join(dir, 'neighbour.txt'))).toBe('the user\'s');
    }
    expect(seen.size).toBeGreaterThan(0);
  }, 120_000);

  it('SIGINT: the handler removes the temporary folder, the old report stays, exit code 130', async () => {
    const dir = tempDir();
    const rep = join(dir, 'rep');
    await writeReportFolder(rep, { 'index.html': 'old' });
    const r = await interrupt(writerChild(dir, rep, 'i'), dir, 0, 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted \(SIGINT\); temporary output removed/);
    expect(temporaries(dir)).toEqual([]); // without any clean-up run
    expect(read(join(rep, 'index.html'))).toBe('old');
  }, 60_000);
});

describe('single output files', () => {
  it('refuses an existing file unless forced, and leaves no temporary behind', () => {
    const dir = tempDir();
    const f = join(dir, 'a.npy');
    writeFileSync(f, 'the user\'s');
    expect(() => writeOutputFile(f, 'new', '--out', false)).toThrow(/--out .*a\.npy already exists; .*--force/);
    expect(read(f)).toBe('the user\'s');
    writeOutputFile(f, 'new', '--out', true);
    expect(read(f)).toBe('new');
    expect(readdirSync(dir)).toEqual(['a.npy']);
  });

  it('the next write removes temporaries of dead processes', () => {
    const dir = tempDir();
    const stale = join(dir, `.b.json.pathgrad-tmp.${HOST}.${deadPid()}.6a6b6c6d`);
    writeFileSync(stale, 'half a file');
    writeOutputFile(join(dir, 'c.json'), '{}', '--out', false);
    expect(readdirSync(dir)).toEqual(['c.json']);
  });

  it('errors name the user\'s path and the reason, never the temporary file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const under = join(dir, 'notes.txt', 'a.npy');
    expect(() => writeOutputFile(under, 'x')).toThrow(new RegExp(`--out ${under.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write \\(.*notes\\.txt is a file, not a folder\\)`));
    for (const code of ['ENOSPC', 'EEXIST', 'EACCES', 'ENOTDIR', 'EROFS']) {
      const err = Object.assign(new Error(`${code}: open '/x/.a.npy.pathgrad-tmp.h.1.ab'`), { code, path: '/x/.a.npy.pathgrad-tmp.h.1.ab' });
      const mapped = writeError(err, 'results/a.npy', '--out');
      expect(mapped).toBeInstanceOf(UsageError);
      expect((mapped as Error).message).toMatch(new RegExp(`^--out results/a\\.npy: cannot write \\(.+, ${code}\\)$`));
      expect((mapped as Error).message).not.toMatch(/pathgrad-tmp/);
    }
    const bug = new TypeError('not a file-system error');
    expect(writeError(bug, 'a.npy', '--out')).toBe(bug);
  });

  it('pathgrad attribute: an existing --out is refused before any work, --force replaces it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ig.npy'), 'the user\'s');
    const args = ['attribute', '--model', 'mlp', '--input', 'mnist:test:0', '--method', 'saliency', '--out', 'ig.npy'];
    const r = pathgrad(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['pathgrad: --out ig.npy already exists; pathgrad does not replace files unless you add --force (or choose another name)']);
    expect(read(join(dir, 'ig.npy'))).toBe('the user\'s');
    expect(pathgrad([...args, '--force'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'ig.npy')).subarray(1, 6).toString()).toBe('NUMPY');
    expect(readdirSync(dir)).toEqual(['ig.npy']);
  }, 60_000);
});
