/**
 * `pathgrad slurm [options] -- <attribute|igc> [args...]`: writes a Slurm job array that runs
 * the command as N shards (`--shard auto/N`, each task writing its part into JOB/parts/) and
 * a merge job that runs once every task succeeded (`sbatch --dependency=afterok:ARRAY`).
 * `--submit` submits both and prints their job ids. A failed task is resubmitted alone
 * (`sbatch --array=<ids> JOB/array.sbatch`) and the merge re-run; parts that exist are kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** Options of `pathgrad slurm` (as commander gives them). */
export interface SlurmArgs {
  tasks: string;
  out: string;
  cpus: string;
  mem?: string;
  time: string;
  mergeTime: string;
  partition?: string;
  account?: string;
  jobName?: string;
  pathgrad?: string;
  submit?: boolean;
}

/** The two scripts (and where things go) of one job. */
export interface SlurmJob {
  folder: string;
  arrayScript: string;
  mergeScript: string;
  partsFolder: string;
  result: string;
}

const MARKER = '.pathgrad-slurm';

/** Quotes one word for bash (single quotes, `'` written as `'\''`). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * How this very process was started (node, its flags such as a TypeScript loader, and the
 * script), with absolute paths: what the job scripts run on the compute nodes unless
 * `--pathgrad` says otherwise.
 * @example
 * ```ts
 * currentPathgradCommand(); // e.g. "/usr/bin/node /home/me/pathgrad/packages/cli/bin/pathgrad.mjs"
 * ```
 */
export function currentPathgradCommand(): string {
  const script = process.argv[1] === undefined ? undefined : resolve(process.argv[1]);
  return [process.execPath, ...process.execArgv, ...(script ? [script] : [])].map(shellQuote).join(' ');
}

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  return n;
}

// Slurm's --time forms: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
const TIME = /^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$/;

function checkTime(value: string, option: string): string {
  if (!TIME.test(value)) throw new UsageError(`${option} must be a Slurm time limit such as 60, 01:30:00 or 1-00:00:00, got '${value}'`);
  return value;
}

/** Refuses a job folder that holds anything but an earlier `pathgrad slurm` job. */
function prepareFolder(folder: string): void {
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) throw new UsageError(`--out ${folder} is a file; give a folder for the job's scripts, logs and parts`);
    const entries = readdirSync(folder);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new UsageError(`--out ${folder} holds files that pathgrad slurm did not write; give a new or empty folder`);
    }
  }
  mkdirSync(join(folder, 'parts'), { recursive: true });
  mkdirSync(join(folder, 'logs'), { recursive: true });
  writeFileSync(join(folder, MARKER), 'written by pathgrad slurm\n');
}

function header(lines: string[], args: SlurmArgs, name: string, time: string, folder: string, logName: string): string[] {
  const out = ['#!/bin/bash', `#SBATCH --job-name=${shellQuote(name)}`, `#SBATCH --time=${time}`, `#SBATCH --cpus-per-task=${positiveInt(args.cpus, '--cpus')}`];
  if (args.mem !== undefined) {
    if (!/^\d+[KMGT]?$/i.test(args.mem)) throw new UsageError(`--mem must be a Slurm memory size such as 4G or 8000M, got '${args.mem}'`);
    out.push(`#SBATCH --mem=${args.mem}`);
  }
  if (args.partition !== undefined) out.push(`#SBATCH --partition=${shellQuote(args.partition)}`);
  if (args.account !== undefined) out.push(`#SBATCH --account=${shellQuote(args.account)}`);
  out.push(`#SBATCH --output=${shellQuote(join(folder, 'logs', logName))}`);
  return [...out, ...lines];
}

/**
 * Writes `array.sbatch` and `merge.sbatch` for `command` (the pathgrad command and its
 * arguments, without `--shard`/`--out`, which the job sets) into the job folder.
 * @example
 * ```ts
 * const job = writeSlurmJob(['attribute', '--model', 'cnn', '--input', 'mnist:test:0-9999', '--method', 'ig'], args);
 * job.arrayScript; // .../array.sbatch
 * ```
 */
export function writeSlurmJob(command: string[], args: SlurmArgs): SlurmJob {
  const [sub, ...rest] = command;
  if (sub !== 'attribute' && sub !== 'igc') {
    throw new UsageError(`pathgrad slurm: the command to spread over the array must be attribute or igc (after --), got ${sub === undefined ? 'nothing' : `'${sub}'`}`);
  }
  for (const a of rest) {
    const name = a.split('=')[0];
    if (name === '--shard' || name === '--out' || name === '--workers' || name === '--force') {
      throw new UsageError(`pathgrad slurm: leave ${name} out of the command; the job sets it (each task is one shard, writing into the job folder's parts/)`);
    }
  }
  const tasks = positiveInt(args.tasks, '--tasks');
  const time = checkTime(args.time, '--time');
  const mergeTime = checkTime(args.mergeTime, '--merge-time');
  const folder = resolve(args.out);
  prepareFolder(folder);
  const parts = join(folder, 'parts');
  const run = args.pathgrad ?? currentPathgradCommand();
  const quoted = [sub, ...rest].map(shellQuote).join(' ');
  const name = args.jobName ?? `pathgrad-${sub}`;
  const cwd = shellQuote(process.cwd());

  const taskOut = sub === 'attribute' ? shellQuote(parts) : `${shellQuote(parts)}/part-$(printf %05d "$SLURM_ARRAY_TASK_ID")-of-${String(tasks).padStart(5, '0')}.json`;
  const result = join(folder, sub === 'attribute' ? 'attributions.npy' : 'igc.json');
  const merge = sub === 'attribute'
    ? `${run} attribute merge ${shellQuote(parts)} --out ${shellQuote(result)} --force`
    : `${run} igc merge ${shellQuote(parts)}/part-*-of-*.json --out ${shellQuote(result)} --force`;

  const array = header([
    `#SBATCH --array=0-${tasks - 1}`,
    '',
    `# shard $SLURM_ARRAY_TASK_ID of ${tasks}; a failed task is resubmitted alone: sbatch --array=<ids> ${shellQuote(join(folder, 'array.sbatch'))}`,
    'set -euo pipefail',
    `cd ${cwd}`,
    // --force: the job folder is ours, and a resubmitted task replaces its own part
    `exec ${run} ${quoted} --shard auto/${tasks} --out ${taskOut} --force`,
    '',
  ], args, name, time, folder, '%x-%A_%a.out');
  const mergeLines = header([
    '',
    `# runs after every task of the array succeeded (submitted with --dependency=afterok:<array job id>)`,
    'set -euo pipefail',
    `cd ${cwd}`,
    `exec ${merge}`,
    '',
  ], { ...args, cpus: '1' }, `${name}-merge`, mergeTime, folder, '%x-%j.out');
  const arrayScript = join(folder, 'array.sbatch');
  const mergeScript = join(folder, 'merge.sbatch');
  writeFileSync(arrayScript, array.join('\n'), { mode: 0o755 });
  writeFileSync(mergeScript, mergeLines.join('\n'), { mode: 0o755 });
  return { folder, arrayScript, mergeScript, partsFolder: parts, result };
}

function sbatch(args: string[]): string {
  const r = spawnSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? 'pathgrad slurm --submit: sbatch is not on PATH (run this on the cluster\'s login node, or submit the written scripts yourself)' : `sbatch failed: ${r.error.message}`);
  }
  if (r.status !== 0) throw new UsageError(`sbatch ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  // --parsable prints "jobid" or "jobid;cluster"
  const id = r.stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new UsageError(`sbatch printed '${r.stdout.trim()}', expected a job id`);
  return id;
}

/** `pathgrad slurm`. */
export function slurmCommand(command: string[], args: SlurmArgs, log: (line: string) => void, print: (line: string) => void): void {
  const job = writeSlurmJob(command, args);
  log(`wrote ${job.arrayScript} and ${job.mergeScript}; parts go to ${job.partsFolder}, the result to ${job.result}`);
  if (args.submit !== true) {
    log(`submit with: id=$(sbatch --parsable ${shellQuote(job.arrayScript)}) && sbatch --dependency=afterok:$id ${shellQuote(job.mergeScript)}  (or pathgrad slurm --submit ...)`);
    return;
  }
  const arrayId = sbatch([job.arrayScript]);
  const mergeId = sbatch([`--dependency=afterok:${arrayId}`, job.mergeScript]);
  // stdout: the two ids, for scripts (`read array merge < <(pathgrad slurm --submit ...)`)
  print(`${arrayId} ${mergeId}`);
  log(`submitted array job ${arrayId} and merge job ${mergeId} (runs after the array succeeds)`);
}
