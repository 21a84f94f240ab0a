/**
 * `--shard i/n|auto|auto/N` and `pathgrad attribute merge`: the scheduler's environment
 * decides the shard, shards tile the data, merged parts are byte-identical to one pass, and
 * a part that is not what it claims to be is refused, naming the file and the field.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShardSpec, shardRange } from '../src/shard.js';
import { pathgrad, tempDir } from './helpers.js';

describe('parseShardSpec', () => {
  it('takes i/n as given', () => {
    expect(parseShardSpec('2/5', {})).toMatchObject({ index: 2, count: 5 });
    for (const bad of ['5/5', '0/0', '-1/3', '1/', 'a/b', '', 'auto/0', 'automatic']) expect(() => parseShardSpec(bad, {}), bad).toThrow(/--shard/);
  });

  it('reads a Slurm job array (index shifted by MIN, count from MAX or COUNT)', () => {
    expect(parseShardSpec('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' })).toMatchObject({ index: 3, count: 4 });
    expect(parseShardSpec('auto', { SLURM_ARRAY_TASK_ID: '12', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '13' })).toMatchObject({ index: 2, count: 4 });
    expect(parseShardSpec('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' })).toMatchObject({ index: 1, count: 2 });
  });

  it('auto/N keeps the array id as the index, so a task resubmitted alone computes the same shard', () => {
    // sbatch --array=2 gives MIN = MAX = 2 and COUNT = 1; auto alone would call it shard 0 of 1
    const env = { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_MAX: '2', SLURM_ARRAY_TASK_COUNT: '1' };
    expect(parseShardSpec('auto/4', env)).toMatchObject({ index: 2, count: 4 });
    expect(parseShardSpec('auto', env)).toMatchObject({ index: 0, count: 1 });
    expect(() => parseShardSpec('auto/2', env)).toThrow(/outside 0\.\.1/);
  });

  it('refuses a sparse array, which would skip or repeat data', () => {
    expect(() => parseShardSpec('auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '5', SLURM_ARRAY_TASK_COUNT: '3' })).toThrow(/not contiguous/);
  });

  it('reads a Kubernetes Indexed Job, which needs the count', () => {
    expect(parseShardSpec('auto/8', { JOB_COMPLETION_INDEX: '7' })).toMatchObject({ index: 7, count: 8, source: 'JOB_COMPLETION_INDEX=7' });
    expect(() => parseShardSpec('auto', { JOB_COMPLETION_INDEX: '7' })).toThrow(/auto\/N/);
  });

  it('says clearly when no scheduler set an index', () => {
    expect(() => parseShardSpec('auto', {})).toThrow(/SLURM_ARRAY_TASK_ID.*JOB_COMPLETION_INDEX/);
    expect(() => parseShardSpec('auto', { SLURM_ARRAY_TASK_ID: 'x' })).toThrow(/non-negative integer/);
  });
});

describe('shardRange', () => {
  it('tiles [0, blocks) with n contiguous, disjoint, non-empty ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), (blocks, n) => {
        fc.pre(n <= blocks);
        let next = 0;
        for (let i = 0; i < n; i++) {
          const [a, b] = shardRange(i, n, blocks);
          if (a !== next || b <= a) return false;
          next = b;
        }
        return next === blocks;
      }),
    );
  });
});

// 40 MNIST digits in blocks of 8 (5 blocks), float64 on the exact cpu path
const ARGS = ['attribute', '--model', 'mlp', '--input', 'mnist:test:0-39', '--method', 'ig', '--steps', '8', '--dtype', 'float64', '--block-size', '8'];

function shards(dir: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const r = pathgrad([...ARGS, '--shard', `${i}/${count}`, '--out', 'parts'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  }
}

describe('pathgrad attribute --shard and attribute merge', () => {
  it('merged parts are byte-identical to one pass, for a deterministic and a random method', () => {
    const dir = tempDir();
    for (const method of ['ig', 'smoothgrad']) {
      // smoothgrad has no steps: drop --steps 8 for it
      const args = ARGS.map((a) => (a === 'ig' ? method : a)).filter((a, i, all) => method === 'ig' || (a !== '--steps' && all[i - 1] !== '--steps'));
      const one = pathgrad([...args, '--out', `${method}-full.npy`], { cwd: dir });
      expect(one.code, one.stderr).toBe(0);
      for (let i = 0; i < 3; i++) expect(pathgrad([...args, '--shard', `${i}/3`, '--out', `${method}-parts`], { cwd: dir }).code).toBe(0);
      const m = pathgrad(['attribute', 'merge', `${method}-parts`, '--out', `${method}-merged.npy`], { cwd: dir });
      expect(m.code, m.stderr).toBe(0);
      expect(Buffer.compare(readFileSync(join(dir, `${method}-full.npy`)), readFileSync(join(dir, `${method}-merged.npy`)))).toBe(0);
    }
  });

  it('refuses missing, duplicate, damaged and mismatched parts (exit 2, naming the part and the field)', () => {
    const dir = tempDir();
    shards(dir, 3);
    const partFiles = readdirSync(join(dir, 'parts')).filter((f) => f.endsWith('.json')).sort();
    expect(partFiles).toHaveLength(3);
    const merge = (...parts: string[]): { code: number | null; line: string } => {
      const r = pathgrad(['attribute', 'merge', ...parts, '--out', 'm.npy'], { cwd: dir });
      return { code: r.code, line: r.stderr.trim() };
    };
    const expectRefusal = (r: { code: number | null; line: string }, pattern: RegExp): void => {
      expect(r.code, r.line).toBe(2);
      expect(r.line.split('\n'), r.line).toHaveLength(1);
      expect(r.line).toMatch(pattern);
    };

    // missing: only parts 0 and 2
    expectRefusal(merge(`parts/${partFiles[0]}`, `parts/${partFiles[2]}`), /rows \d+-\d+ are in no part/);
    // duplicate: the same shard from two folders
    mkdirSync(join(dir, 'copy'));
    copyFileSync(join(dir, 'parts', partFiles[1]!), join(dir, 'copy', partFiles[1]!));
    copyFileSync(join(dir, 'parts', partFiles[1]!.replace('.json', '.npy')), join(dir, 'copy', partFiles[1]!.replace('.json', '.npy')));
    expectRefusal(merge('parts', 'copy'), /same shard 1 \(given twice\)/);

    // a manifest edited by hand (one target changed): its checksum no longer matches
    const edited = join(dir, 'edited');
    mkdirSync(edited);
    for (const f of readdirSync(join(dir, 'parts'))) copyFileSync(join(dir, 'parts', f), join(edited, f));
    const m = JSON.parse(readFileSync(join(edited, partFiles[0]!), 'utf8')) as { targets: number[] };
    m.targets[0] = (m.targets[0]! + 1) % 10;
    writeFileSync(join(edited, partFiles[0]!), JSON.stringify(m));
    expectRefusal(merge('edited'), new RegExp(`${partFiles[0]!.replace(/\./g, '\\.')}: checksum`));

    // the rows file changed (one byte flipped near the end): its sha256 no longer matches
    const flipped = join(dir, 'flipped');
    mkdirSync(flipped);
    for (const f of readdirSync(join(dir, 'parts'))) copyFileSync(join(dir, 'parts', f), join(flipped, f));
    const npy = join(flipped, partFiles[2]!.replace('.json', '.npy'));
    const bytes = readFileSync(npy);
    bytes[bytes.length - 3]! ^= 0x10;
    writeFileSync(npy, bytes);
    expectRefusal(merge('flipped'), /sha256 does not match npy\.sha256/);

    // other settings: a shard computed with more steps
    const steps9 = ARGS.map((a, i) => (ARGS[i - 1] === '--steps' ? '9' : a));
    expect(pathgrad([...steps9, '--shard', '1/3', '--out', 'other'], { cwd: dir }).code).toBe(0);
    expectRefusal(merge(`parts/${partFiles[0]}`, join('other', partFiles[1]!), `parts/${partFiles[2]}`), /other\/part-00001-of-00003\.json: settings\.options differs/);
  });

  it('matches the model by its bytes, not its path', () => {
    const dir = tempDir();
    const weights = join(dir, 'model.safetensors');
    const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'nn', 'weights', 'mnist-mlp.safetensors');
    copyFileSync(src, weights);
    const args = ['attribute', '--model', 'model.safetensors', '--arch', 'mnist-mlp', '--input', 'mnist:test:0-15', '--method', 'saliency', '--block-size', '8'];
    expect(pathgrad([...args, '--shard', '0/2', '--out', 'parts'], { cwd: dir }).code).toBe(0);
    // the same path now holds other weights (one weight nudged): shard 1 must not merge with shard 0
    const b = readFileSync(weights);
    b[b.length - 2]! ^= 0x01;
    writeFileSync(weights, b);
    expect(pathgrad([...args, '--shard', '1/2', '--out', 'parts'], { cwd: dir }).code).toBe(0);
    const r = pathgrad(['attribute', 'merge', 'parts', '--out', 'm.npy'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/settings\.model\.sha256 differs/);
  });
});
