/**
 * `pathgrad slurm` on a real single-node Slurm (Debian's slurm-wlm with munge, installed by
 * .ci/run): the test writes a one-node slurm.conf, starts slurmctld and slurmd, submits a
 * 4-task array of `attribute` (and of `igc`) over a few hundred MNIST digits with the merge
 * job that depends on it, and checks the merged result is bit-identical to one pass in one
 * process. A failed task resubmitted alone completes the same result. Without Slurm the
 * test fails in CI and is skipped, with the reason, elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSlurmJob, type SlurmArgs } from '../src/commands/slurm.js';
import { pathgrad, tempDir } from './helpers.js';

const NEEDED = ['slurmctld', 'slurmd', 'sbatch', 'scontrol', 'sinfo', 'munged', 'munge'];
const which = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = NEEDED.filter((c) => !which(c) && !existsSync(`/usr/sbin/${c}`));
const inCI = process.env['CI'] === 'true';

const ARGS: SlurmArgs = { tasks: '4', out: 'job', cpus: '1', time: '00:10:00', mergeTime: '00:05:00' };

describe('pathgrad slurm: the job scripts', () => {
  it('writes an array of N shards and a merge job, refusing --shard/--out in the command', () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const job = writeSlurmJob(['attribute', '--model', 'cnn', '--input', 'mnist:test:0-9999', '--method', 'ig'], { ...ARGS, mem: '4G', partition: 'gpu' });
      const array = readFileSync(job.arrayScript, 'utf8');
      expect(array).toMatch(/^#!\/bin\/bash\n/);
      expect(array).toContain('#SBATCH --array=0-3');
      expect(array).toContain('#SBATCH --cpus-per-task=1');
      expect(array).toContain('#SBATCH --mem=4G');
      expect(array).toContain('#SBATCH --partition=gpu');
      expect(array).toMatch(/attribute --model cnn --input mnist:test:0-9999 --method ig --shard auto\/4 --out \S+\/parts --force\n/);
      const merge = readFileSync(job.mergeScript, 'utf8');
      expect(merge).toMatch(/attribute merge \S+\/parts --out \S+\/attributions\.npy --force\n/);
      expect(() => writeSlurmJob(['attribute', '--shard', '0/2'], ARGS)).toThrow(/leave --shard out/);
      expect(() => writeSlurmJob(['attribute', '--out=x.npy'], ARGS)).toThrow(/leave --out out/);
      expect(() => writeSlurmJob(['train'], ARGS)).toThrow(/attribute or igc/);
      expect(() => writeSlurmJob(['igc'], { ...ARGS, time: 'an hour' })).toThrow(/--time must be a Slurm time limit/);
      // a folder with the user's files is not taken over
      mkdirSync('mine');
      writeFileSync('mine/notes.txt', 'keep');
      expect(() => writeSlurmJob(['igc'], { ...ARGS, out: 'mine' })).toThrow(/did not write/);
      expect(readFileSync('mine/notes.txt', 'utf8')).toBe('keep');
      // but an earlier job folder is reused (resubmitting into it keeps its parts)
      expect(() => writeSlurmJob(['igc', '--batch-size', '25'], ARGS)).not.toThrow();
    } finally {
      process.chdir(cwd);
    }
  });
});

/** A one-node Slurm cluster in a temp folder, on free ports, torn down after the tests. */
class MiniSlurm {
  readonly dir = tempDir();
  readonly conf = join(this.dir, 'slurm.conf');
  private daemons: ChildProcess[] = [];

  start(): void {
    const host = hostname().split('.')[0]!;
    const port = 20000 + Math.floor(Math.random() * 20000);
    for (const d of ['state', 'spool', 'log']) mkdirSync(join(this.dir, d));
    writeFileSync(this.conf, [
      'ClusterName=pathgradtest',
      `SlurmctldHost=${host}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      `StateSaveLocation=${join(this.dir, 'state')}`,
      `SlurmdSpoolDir=${join(this.dir, 'spool')}`,
      `SlurmctldPidFile=${join(this.dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(this.dir, 'slurmd.pid')}`,
      `NodeName=${host} CPUs=2 State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'));
    process.env['SLURM_CONF'] = this.conf;
    this.startMunge();
    for (const d of ['slurmctld', 'slurmd']) {
      const p = spawn(d, ['-D', '-f', this.conf], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
      let err = '';
      p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      p.on('exit', (code) => {
        if (code !== 0 && code !== null) writeFileSync(join(this.dir, 'log', `${d}.exit`), `${code}\n${err}`);
      });
      this.daemons.push(p);
    }
  }

  private startMunge(): void {
    if (spawnSync('sh', ['-c', 'munge -n | unmunge']).status === 0) return;
    if (!existsSync('/etc/munge/munge.key')) {
      const k = spawnSync('mungekey', ['-c']);
      if (k.status !== 0) throw new Error(`mungekey -c failed: ${k.stderr}`);
    }
    mkdirSync('/run/munge', { recursive: true });
    const m = spawnSync('munged', ['--force'], { encoding: 'utf8' });
    if (spawnSync('sh', ['-c', 'munge -n | unmunge']).status !== 0) throw new Error(`munged did not start: ${m.stderr}`);
  }

  async waitIdle(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' });
      if (r.status === 0 && /idle/.test(r.stdout)) return;
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error(`Slurm did not come up in ${timeoutMs / 1000} s (sinfo: ${spawnSync('sinfo', { encoding: 'utf8' }).stderr})`);
  }

  /** Waits for a job to end; returns its final state. */
  async waitJob(id: string, timeoutMs: number): Promise<string> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const r = spawnSync('scontrol', ['show', 'job', id], { encoding: 'utf8' });
      // an array job lists one record per task: done when none is pending or running
      const states = [...r.stdout.matchAll(/JobState=(\w+)/g)].map((m) => m[1]!);
      if (states.length > 0 && states.every((s) => !['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING'].includes(s))) {
        return states.every((s) => s === 'COMPLETED') ? 'COMPLETED' : states.join(',');
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    return 'TIMEOUT';
  }

  /** Stops the daemons and waits for them to exit (slurmctld saves its state on the way out). */
  async stop(): Promise<void> {
    await Promise.all(this.daemons.map((p) => new Promise<void>((res) => {
      if (p.exitCode !== null || p.signalCode !== null) return res();
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        res();
      }, 15_000);
      p.once('exit', () => {
        clearTimeout(timer);
        res();
      });
      p.kill('SIGTERM');
    })));
    delete process.env['SLURM_CONF'];
  }
}

describe.skipIf(missing.length > 0 && !inCI)(`pathgrad slurm on a real one-node Slurm${missing.length > 0 ? ` (skipped: ${missing.join(', ')} not installed; apt-get install slurm-wlm munge)` : ''}`, () => {
  const slurm = new MiniSlurm();
  beforeAll(async () => {
    expect(missing, 'Slurm must be installed in CI (.ci/run installs slurm-wlm and munge)').toEqual([]);
    slurm.start();
    await slurm.waitIdle();
  }, 90_000);
  afterAll(async () => {
    await slurm.stop();
    rmSync(slurm.dir, { recursive: true, force: true, maxRetries: 3 });
  }, 30_000);

  // 300 MNIST digits in 12 blocks of 25, IG on the MLP in float64 (exact cpu path)
  const ATTRIBUTE = ['attribute', '--model', 'mlp', '--input', 'mnist:test:0-299', '--method', 'ig', '--steps', '16', '--dtype', 'float64', '--block-size', '25'];
  const IGC = ['igc', '--model', 'mlp', '--data', 'mnist:test:0-199', '--steps', '8', '--batch-size', '25', '--backend', 'cpu'];

  it('runs a 4-task array and its afterok merge; the result is bit-identical to one pass; a resubmitted task completes it again', async () => {
    const dir = tempDir();
    const submit = (name: string, cmd: string[]): [string, string] => {
      const r = pathgrad(['slurm', '--tasks', '4', '--cpus', '1', '--time', '00:10:00', '--out', name, '--submit', '--', ...cmd], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const ids = r.stdout.trim().split(/\s+/);
      expect(ids).toHaveLength(2);
      return [ids[0]!, ids[1]!];
    };
    const [attrArray, attrMerge] = submit('attr-job', ATTRIBUTE);
    const [igcArray, igcMerge] = submit('igc-job', IGC);

    // the same work in one process, while the cluster runs
    expect(pathgrad([...ATTRIBUTE, '--out', 'one-pass.npy'], { cwd: dir }).code).toBe(0);
    expect(pathgrad([...IGC, '--out', 'one-pass-igc.json'], { cwd: dir }).code).toBe(0);

    for (const [id, what] of [[attrArray, 'attribute array'], [attrMerge, 'attribute merge'], [igcArray, 'igc array'], [igcMerge, 'igc merge']] as const) {
      expect(await slurm.waitJob(id, 240_000), `${what} job ${id}`).toBe('COMPLETED');
    }
    expect(Buffer.compare(readFileSync(join(dir, 'one-pass.npy')), readFileSync(join(dir, 'attr-job', 'attributions.npy')))).toBe(0);
    const igcOne = JSON.parse(readFileSync(join(dir, 'one-pass-igc.json'), 'utf8')) as { digest: string; igc: number[][] };
    const igcJob = JSON.parse(readFileSync(join(dir, 'igc-job', 'igc.json'), 'utf8')) as { digest: string; igc: number[][] };
    expect(igcJob.digest).toBe(igcOne.digest);
    expect(igcJob.igc).toEqual(igcOne.igc);

    // task 2 "failed" after writing its rows but before its manifest: resubmit it alone (as the
    // script's comment says) and merge again; the task replaces its own leftover
    rmSync(join(dir, 'attr-job', 'parts', 'part-00002-of-00004.json'));
    expect(pathgrad(['attribute', 'merge', 'attr-job/parts', '--out', 'incomplete.npy'], { cwd: dir }).code).toBe(2);
    const re = spawnSync('sbatch', ['--wait', '--array=2', join(dir, 'attr-job', 'array.sbatch')], { encoding: 'utf8', timeout: 240_000 });
    expect(re.status, re.stderr).toBe(0);
    expect(pathgrad(['attribute', 'merge', 'attr-job/parts', '--out', 'again.npy'], { cwd: dir }).code).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'one-pass.npy')), readFileSync(join(dir, 'again.npy')))).toBe(0);
  }, 600_000);
});
