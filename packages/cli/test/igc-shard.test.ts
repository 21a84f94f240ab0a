import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IGCAccumulator } from '@pathgrad/attribution';
import { noGrad } from '@pathgrad/autograd';
import { loadPretrained } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { ArgumentError, rng, softmax } from '@pathgrad/tensor';
import { encodeState, igcMergeCommand, pushLeaf, reduceTree, type IgcResultFile, type TreeNode } from '../src/commands/igc.js';
import { UsageError } from '../src/errors.js';
import { main } from '../src/main.js';
import { fixture } from './helpers.js';

/** A per-batch accumulator from random IG rows, predictions and targets (what igcAccumulate produces per batch). */
function randomLeaf(seed: number, per: number, J: number): IGCAccumulator {
  const g = rng(seed);
  const B = 1 + (seed % 4);
  const acc = new IGCAccumulator([per], Array.from({ length: J }, (_, j) => j));
  const col = (n: number) => Float64Array.from({ length: n }, () => g.normal() * 10 ** Math.floor(g.uniform() * 6 - 3));
  acc.addBatch(
    Array.from({ length: J }, () => col(B * per)),
    Array.from({ length: J }, () => col(B)),
    Array.from({ length: J }, () => col(B)),
  );
  return acc;
}

const bits = (acc: IGCAccumulator) => JSON.stringify(encodeState(acc));

/** Shards as the CLI cuts them: contiguous ranges, each folded with its own stack. */
function shardNodes(leaves: IGCAccumulator[], cuts: number[]): TreeNode[] {
  const bounds = [0, ...cuts, leaves.length];
  const nodes: TreeNode[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const stack: TreeNode[] = [];
    for (let k = bounds[s]!; k < bounds[s + 1]!; k++) pushLeaf(stack, k, leaves[k]!);
    nodes.push(...stack);
  }
  return nodes;
}

describe('igc fixed-tree reduction', () => {
  it('any split into contiguous shards, merged in any order, gives the one-pass bits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.array(fc.integer({ min: 1, max: 22 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (batches, rawCuts, seed, reverse) => {
          const leaves = Array.from({ length: batches }, (_, k) => randomLeaf(seed * 31 + k, 3, 2));
          const onePass = reduceTree(shardNodes(leaves, []), batches);
          const cuts = [...new Set(rawCuts.filter((c) => c < batches))].sort((a, b) => a - b);
          const nodes = shardNodes(leaves, cuts);
          if (reverse) nodes.reverse();
          expect(bits(reduceTree(nodes, batches))).toBe(bits(onePass));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is a real float reduction: a plain left fold of the same leaves can differ in the last bits, the tree never depends on the split', () => {
    const leaves = Array.from({ length: 13 }, (_, k) => randomLeaf(k + 5, 4, 1));
    const tree = bits(reduceTree(shardNodes(leaves, []), 13));
    for (const cuts of [[1], [5, 6], [2, 3, 4, 9, 12], [7]]) expect(bits(reduceTree(shardNodes(leaves, cuts), 13))).toBe(tree);
    // the tree's statistics are the same statistics (to rounding) as a sequential merge
    const seq = IGCAccumulator.fromState(leaves[0]!.toState());
    for (const l of leaves.slice(1)) seq.merge(l);
    const a = seq.result().igc.toTypedArray();
    const b = reduceTree(shardNodes(leaves, []), 13).result().igc.toTypedArray();
    for (let i = 0; i < a.length; i++) expect(b[i]!).toBeCloseTo(a[i]!, 10);
  });

  it('refuses a missing or a doubled batch', () => {
    const leaves = Array.from({ length: 6 }, (_, k) => randomLeaf(k, 2, 1));
    const nodes = shardNodes(leaves, [2, 4]);
    expect(() => reduceTree(nodes.filter((n) => !(n.level === 0 && n.index === 2) && !(n.level === 1 && n.index === 1)), 6)).toThrow(/batch 2 .* no part file/);
    expect(() => reduceTree([...nodes, nodes[0]!], 6)).toThrow(/more than one part file/);
  });
});

describe('pathgrad igc --shard / merge / --workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-igc-'));
  const common = ['--model', 'mlp', '--data', 'mnist:test:0-23', '--steps', '4', '--batch-size', '5', '--backend', 'cpu', '--components', '0,3,7'];
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as IgcResultFile;

  it('sharded + merged equals the one-pass run bit for bit, and so do worker threads', async () => {
    expect(await main(['igc', ...common, '--out', join(dir, 'one.json')])).toBe(0);
    for (let i = 0; i < 3; i++) expect(await main(['igc', ...common, '--shard', `${i}/3`, '--out', join(dir, `part-${i}.json`)])).toBe(0);
    // merge order on the command line does not matter
    expect(await main(['igc', 'merge', join(dir, 'part-2.json'), join(dir, 'part-0.json'), join(dir, 'part-1.json'), '--out', join(dir, 'merged.json')])).toBe(0);
    expect(await main(['igc', ...common, '--workers', '2', '--out', join(dir, 'workers.json')])).toBe(0);
    const one = read('one.json');
    const merged = read('merged.json');
    const workers = read('workers.json');
    expect(one.count).toBe(24);
    expect(one.components).toEqual([0, 3, 7]);
    expect(merged.digest).toBe(one.digest);
    expect(merged.igc).toEqual(one.igc);
    expect(merged.correlation).toEqual(one.correlation);
    expect(workers.digest).toBe(one.digest);
    // the reported correlation is Pearson's r between the softmax probability and the one-hot target
    const { images, labels } = mnist({ split: 'test', limit: 24 });
    const probs = softmax(noGrad(() => loadPretrained('mnist-mlp').forward(images)), -1).toTypedArray();
    const y = labels.toTypedArray();
    one.components.forEach((cls, c) => {
      const p = Array.from({ length: 24 }, (_, i) => probs[i * 10 + cls]!);
      const t = Array.from({ length: 24 }, (_, i) => (y[i] === cls ? 1 : 0));
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const [mp, mt] = [mean(p), mean(t)];
      const cov = mean(p.map((v, i) => (v - mp) * (t[i]! - mt)));
      const r = cov / Math.sqrt(mean(p.map((v) => (v - mp) ** 2)) * mean(t.map((v) => (v - mt) ** 2)));
      expect(one.correlation[c]!).toBeCloseTo(r, 4);
    });
  }, 120_000);

  it('--workers beyond the cores is capped, with a note, and gives the same bits', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const code = await main(['igc', ...common, '--workers', '999', '--out', join(dir, 'many.json')]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const cores = availableParallelism();
    expect(lines.join('')).toContain(`igc: --workers 999 is more than the ${cores} cores here; using ${cores}`);
    expect(read('many.json').digest).toBe(read('one.json').digest);
  }, 120_000);

  it('bad input ends with exit code 2: a missing shard, mixed settings, a bad --shard', async () => {
    expect(await main(['igc', 'merge', join(dir, 'part-0.json'), join(dir, 'part-2.json'), '--out', join(dir, 'x.json')])).toBe(2);
    const other = JSON.parse(readFileSync(join(dir, 'part-1.json'), 'utf8')) as Part;
    other.settings['steps'] = 5;
    writeFileSync(join(dir, 'other-1.json'), JSON.stringify(resign(other)));
    expect(await main(['igc', 'merge', join(dir, 'part-0.json'), join(dir, 'other-1.json'), join(dir, 'part-2.json'), '--out', join(dir, 'x.json')])).toBe(2);
    expect(await main(['igc', ...common, '--shard', '3/3', '--out', join(dir, 'x.json')])).toBe(2);
    expect(await main(['igc', ...common, '--shard', '0/9', '--out', join(dir, 'x.json')])).toBe(2);
    expect(await main(['igc', ...common])).toBe(2);
  }, 60_000);
});

/** A part file as JSON (what the tampering tests edit). */
interface Part {
  settings: Record<string, unknown>;
  shard: unknown;
  nodes: { level: number; index: number; state: Record<string, unknown> & { scalars: string; meanIG: string[]; coIGY: string[]; count: number } }[];
  checksum?: string;
}

/** Recomputes a part's checksum, as a forger would: what remains must be caught by the checks of the content. */
function resign(p: Part): Part {
  const { settings, shard, nodes } = p;
  return { ...p, checksum: createHash('sha256').update(JSON.stringify({ settings, shard, nodes })).digest('hex') };
}

const f64 = (b64: string): Float64Array => {
  const b = Buffer.from(b64, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const b64 = (v: Float64Array): string => Buffer.from(v.buffer).toString('base64');

describe('igc merge refuses parts that are not what they claim to be', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pathgrad-igc-tamper-'));
  const model = join(dir, 'model.safetensors');
  const common = ['--model', model, '--arch', 'mnist-mlp', '--data', 'mnist:test:0-11', '--steps', '2', '--batch-size', '4', '--backend', 'cpu', '--components', '1,2'];
  const part = (i: number) => join(dir, `part-${i}.json`);
  const load = (i: number): Part => JSON.parse(readFileSync(part(i), 'utf8')) as Part;
  let stderr: string[] = [];
  afterEach(() => vi.restoreAllMocks());

  /** Merges parts 0, 1 (replaced by `text`) and 2; returns the exit code and stderr lines. */
  async function mergeWith(text: string): Promise<{ code: number; lines: string[] }> {
    const bad = join(dir, 'bad-1.json');
    writeFileSync(bad, text);
    stderr = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
    const code = await main(['igc', 'merge', part(0), bad, part(2), '--out', join(dir, `m-${Math.random()}.json`)]);
    vi.restoreAllMocks();
    return { code, lines: stderr.join('').split('\n').filter((l) => l !== '') };
  }

  const expectRefused = (r: { code: number; lines: string[] }, field: RegExp): void => {
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/bad-1\.json/);
    expect(r.lines[0]).toMatch(field);
    expect(r.lines[0]).not.toMatch(/internal error|at .*\.ts:\d+/);
  };

  it('writes parts that merge (the untouched baseline of the cases below)', async () => {
    copyFileSync(fixture('mlp.safetensors'), model);
    for (let i = 0; i < 3; i++) expect(await main(['igc', ...common, '--shard', `${i}/3`, '--out', part(i)])).toBe(0);
    const r = await mergeWith(readFileSync(part(1), 'utf8'));
    expect(r.code).toBe(0);
    expect(load(1).settings['modelSha256']).toBe(createHash('sha256').update(readFileSync(model)).digest('hex'));
  }, 60_000);

  it('one changed character: the checksum', async () => {
    const text = readFileSync(part(1), 'utf8');
    const at = text.indexOf('"meanIG":["') + 40;
    const changed = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    expectRefused(await mergeWith(changed), /field checksum/);
    // a changed setting without a new checksum, too
    expectRefused(await mergeWith(text.replace('"steps":2', '"steps":3')), /field checksum/);
  });

  it('an array 100 values short, even with a forged checksum', async () => {
    const p = load(1);
    const row = f64(p.nodes[0]!.state.meanIG[1]!);
    p.nodes[0]!.state.meanIG[1] = b64(row.slice(0, row.length - 100));
    expectRefused(await mergeWith(JSON.stringify(resign(p))), /nodes\[0\]\.state\.meanIG\[1\] holds 684 float64 values, expected 784/);
  });

  it('an injected NaN or Infinity, with a forged checksum', async () => {
    const p = load(1);
    const sc = f64(p.nodes[0]!.state.scalars);
    sc[1] = NaN; // meanY of the second component
    p.nodes[0]!.state.scalars = b64(sc);
    expectRefused(await mergeWith(JSON.stringify(resign(p))), /nodes\[0\]\.state\.meanY\[1\] must be a finite number, got NaN/);
    const q = load(1);
    const co = f64(q.nodes[0]!.state.coIGY[0]!);
    co[500] = Infinity;
    q.nodes[0]!.state.coIGY[0] = b64(co);
    expectRefused(await mergeWith(JSON.stringify(resign(q))), /nodes\[0\]\.state\.coIGY\[0\]\[500\] must be a finite number, got Infinity/);
  });

  it('an edited count, a negative sum of squares, with a forged checksum', async () => {
    const p = load(1);
    p.nodes[0]!.state.count += 1;
    expectRefused(await mergeWith(JSON.stringify(resign(p))), /nodes\[0\]\.state\.count is 5, but batches 1-1 hold 4 examples/);
    const q = load(1);
    q.nodes[0]!.state.count = -4;
    expectRefused(await mergeWith(JSON.stringify(resign(q))), /nodes\[0\]\.state\.count must be a non-negative integer, got -4/);
    const r = load(1);
    const sc = f64(r.nodes[0]!.state.scalars);
    sc[2 * 2] = -1; // m2Y[0]
    r.nodes[0]!.state.scalars = b64(sc);
    expectRefused(await mergeWith(JSON.stringify(resign(r))), /nodes\[0\]\.state\.m2Y\[0\] must be non-negative/);
  });

  it('a missing field', async () => {
    const p = load(1);
    delete (p.nodes[0]!.state as Record<string, unknown>)['coIGY'];
    expectRefused(await mergeWith(JSON.stringify(resign(p))), /nodes\[0\]\.state\.coIGY is missing/);
    const q = load(1);
    delete q.settings['modelSha256'];
    expectRefused(await mergeWith(JSON.stringify(resign(q))), /settings\.modelSha256 is missing/);
    const r = load(1);
    delete r.checksum;
    expectRefused(await mergeWith(JSON.stringify(r)), /field checksum is missing/);
    expectRefused(await mergeWith(readFileSync(part(1), 'utf8').slice(0, 5000)), /not valid JSON/);
  });

  it('random damage (fast-check: flipped, deleted, repeated bytes, truncation) is refused as bad input, or changes nothing', () => {
    const original = readFileSync(part(1), 'utf8');
    const merged = (file: string, out: string): string => {
      igcMergeCommand([part(0), file, part(2)], out, () => {});
      return (JSON.parse(readFileSync(out, 'utf8')) as IgcResultFile).digest;
    };
    const reference = merged(part(1), join(dir, 'fuzz-reference.json'));
    let run = 0;
    fc.assert(
      fc.property(
        fc.constantFrom('flip', 'delete', 'repeat', 'truncate'),
        fc.nat({ max: original.length - 1 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 32, max: 126 }),
        (kind, at, len, code) => {
          const damaged =
            kind === 'flip' ? original.slice(0, at) + String.fromCharCode(code) + original.slice(at + 1)
            : kind === 'delete' ? original.slice(0, at) + original.slice(at + len)
            : kind === 'repeat' ? original.slice(0, at + len) + original.slice(at)
            : original.slice(0, at);
          const file = join(dir, 'fuzz-1.json');
          writeFileSync(file, damaged);
          try {
            // accepted only when the damage changed nothing the part means (e.g. a character replaced by itself)
            expect(merged(file, join(dir, `fuzz-out-${run++}.json`))).toBe(reference);
          } catch (err) {
            if (!(err instanceof UsageError)) throw err;
            expect(err.message).toMatch(/^igc merge: .*fuzz-1\.json/);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('different model bytes at the same path: settings.modelSha256', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('mlp.safetensors')));
    bytes[bytes.length - 5]! ^= 0x01; // one bit of the last bias, still a valid model
    writeFileSync(model, bytes);
    expect(await main(['igc', ...common, '--shard', '1/3', '--out', join(dir, 'other-model.json')])).toBe(0);
    copyFileSync(fixture('mlp.safetensors'), model);
    expectRefused(await mergeWith(readFileSync(join(dir, 'other-model.json'), 'utf8')), /field settings\.modelSha256 is "[0-9a-f]{64}", but .*part-0\.json has "[0-9a-f]{64}": the parts were computed with different model weights/);
  }, 30_000);
});

describe('IGCAccumulator.fromState checks every field', () => {
  const good = () => randomLeaf(7, 3, 2).toState();
  const cases: [string, (s: Record<string, unknown>) => void, RegExp][] = [
    ['count not an integer', (s) => (s['count'] = 2.5), /state\.count must be a non-negative integer, got 2\.5/],
    ['negative count', (s) => (s['count'] = -1), /state\.count must be a non-negative integer/],
    ['short meanIG row', (s) => ((s['meanIG'] as number[][])[1] = [1, 2]), /state\.meanIG\[1\] must be 3 numbers, got 2 values/],
    ['missing coIGY row', (s) => (s['coIGY'] as number[][]).pop(), /state\.coIGY must be 2 arrays/],
    ['NaN in meanYhat', (s) => ((s['meanYhat'] as number[])[0] = NaN), /state\.meanYhat\[0\] must be a finite number, got NaN/],
    ['string in coYhatY', (s) => ((s['coYhatY'] as unknown[])[1] = '1'), /state\.coYhatY\[1\] must be a finite number/],
    ['negative m2Yhat', (s) => ((s['m2Yhat'] as number[])[1] = -0.5), /state\.m2Yhat\[1\] must be non-negative/],
    ['missing field', (s) => delete s['meanY'], /state\.meanY must be present/],
    ['bad feature shape', (s) => (s['featureShape'] = [0]), /state\.featureShape\[0\] must be an integer >= 1/],
    ['repeated component', (s) => (s['components'] = [1, 1]), /state\.components must be distinct/],
    ['empty accumulator with statistics', (s) => (s['count'] = 0), /must be 0 when count is 0/],
  ];
  for (const [name, edit, message] of cases) {
    it(name, () => {
      const s = good() as unknown as Record<string, unknown>;
      edit(s);
      expect(() => IGCAccumulator.fromState(s as never)).toThrow(ArgumentError);
      expect(() => IGCAccumulator.fromState(s as never)).toThrow(message);
    });
  }
  it('restores a valid state exactly', () => {
    const s = good();
    expect(IGCAccumulator.fromState(s).toState()).toEqual(s);
    expect(() => IGCAccumulator.fromState(new IGCAccumulator([3], [0, 1]).toState())).not.toThrow();
  });
});
