/**
 * Which part of a data set this process computes: `--shard i/n` given by hand, or
 * `--shard auto` / `auto/N` read from the scheduler's environment (a Slurm job array or a
 * Kubernetes Indexed Job), and the contiguous range of blocks that shard covers.
 */
import { UsageError } from './errors.js';

/** Shard `index` of `count` (0 <= index < count). */
export interface ShardSpec {
  index: number;
  count: number;
  /** Where the index came from, for the log line (`--shard 2/4`, `SLURM_ARRAY_TASK_ID=2`, ...). */
  source: string;
}

const USAGE = "--shard must be i/n (0 <= i < n), auto, or auto/N (N shards, the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)";

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--shard auto: ${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

/**
 * Parses `--shard`. With `auto` the index comes from `SLURM_ARRAY_TASK_ID` (made 0-based by
 * `SLURM_ARRAY_TASK_MIN`) and the count from `SLURM_ARRAY_TASK_MAX`/`MIN` or
 * `SLURM_ARRAY_TASK_COUNT`, or from a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`, which
 * needs the count given (`auto/N`). `auto/N` takes the index as it is (no `MIN` shift), so a
 * failed Slurm task resubmitted alone (`--array=2`) still computes shard 2 of N: the
 * scripts `pathgrad slurm` writes use that form.
 * @example
 * ```ts
 * parseShardSpec('auto/4', { SLURM_ARRAY_TASK_ID: '2' }); // { index: 2, count: 4, source: 'SLURM_ARRAY_TASK_ID=2' }
 * parseShardSpec('1/3', {});                                // { index: 1, count: 3, source: '--shard 1/3' }
 * ```
 */
export function parseShardSpec(spec: string, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  const manual = /^(\d+)\/(\d+)$/.exec(spec);
  if (manual !== null) {
    const index = Number(manual[1]);
    const count = Number(manual[2]);
    if (count < 1 || index >= count) throw new UsageError(`${USAGE}, got '${spec}'`);
    return { index, count, source: `--shard ${spec}` };
  }
  const auto = /^auto(?:\/(\d+))?$/.exec(spec);
  if (auto === null) throw new UsageError(`${USAGE}, got '${spec}'`);
  const given = auto[1] === undefined ? undefined : Number(auto[1]);
  if (given !== undefined && given < 1) throw new UsageError(`--shard ${spec}: the shard count must be at least 1`);

  const slurmId = envInt(env, 'SLURM_ARRAY_TASK_ID');
  const k8sIndex = envInt(env, 'JOB_COMPLETION_INDEX');
  let index: number;
  let count: number | undefined = given;
  let source: string;
  if (slurmId !== undefined) {
    source = `SLURM_ARRAY_TASK_ID=${slurmId}`;
    if (given !== undefined) {
      index = slurmId;
    } else {
      const min = envInt(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
      const max = envInt(env, 'SLURM_ARRAY_TASK_MAX');
      const n = envInt(env, 'SLURM_ARRAY_TASK_COUNT');
      index = slurmId - min;
      count = max !== undefined ? max - min + 1 : n;
      if (count === undefined) throw new UsageError('--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT is; give the count with --shard auto/N');
      if (n !== undefined && max !== undefined && n !== count) {
        // a sparse array (--array=0,2,5) has gaps: index arithmetic would skip or repeat data
        throw new UsageError(`--shard auto: the Slurm array is not contiguous (${n} tasks between ${min} and ${max}); give the count with --shard auto/N and array ids 0..N-1`);
      }
    }
  } else if (k8sIndex !== undefined) {
    source = `JOB_COMPLETION_INDEX=${k8sIndex}`;
    if (count === undefined) throw new UsageError('--shard auto: JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set but the job\'s completion count is not visible to the pod; give it with --shard auto/N');
    index = k8sIndex;
  } else {
    throw new UsageError(`--shard ${spec}: no scheduler index in the environment (SLURM_ARRAY_TASK_ID for a Slurm job array, JOB_COMPLETION_INDEX for a Kubernetes Indexed Job); run it as an array task or give --shard i/n`);
  }
  if (count === undefined || index < 0 || index >= count) {
    throw new UsageError(`--shard ${spec}: ${source} is outside 0..${(count ?? 1) - 1}; array task ids must run from 0 to N-1`);
  }
  return { index, count, source };
}

/**
 * Shard i of n covers blocks [⌊i·B/n⌋, ⌊(i+1)·B/n⌋): contiguous, disjoint, and together
 * covering [0, B), whatever B and n are.
 * @example
 * ```ts
 * shardRange(1, 4, 10); // [2, 5]
 * ```
 */
export function shardRange(index: number, count: number, blocks: number): [number, number] {
  return [Math.floor((index * blocks) / count), Math.floor(((index + 1) * blocks) / count)];
}

/**
 * A shard spec resolved against the number of blocks, refusing more shards than blocks
 * (an empty shard would be a part with nothing in it).
 * @example
 * ```ts
 * resolveShard('0/2', 10, '--block-size'); // { index: 0, count: 2, source: '--shard 0/2', range: [0, 5] }
 * ```
 */
export function resolveShard(spec: string, blocks: number, blockOption: string, env: NodeJS.ProcessEnv = process.env): ShardSpec & { range: [number, number] } {
  const s = parseShardSpec(spec, env);
  if (s.count > blocks) throw new UsageError(`--shard ${spec}: ${s.count} shards but only ${blocks} block(s) of data; use fewer shards or a smaller ${blockOption}`);
  return { ...s, range: shardRange(s.index, s.count, blocks) };
}
