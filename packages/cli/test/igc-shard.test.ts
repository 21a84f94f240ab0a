import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IGCAccumulator } from '@pathgrad/attribution';
import { noGrad } from '@pathgrad/autograd';
import { loadPretrained } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { rng, softmax } from '@pathgrad/tensor';
import { encodeState, pushLeaf, reduceTree, type IgcResultFile, type TreeNode } from '../src/commands/igc.js';
import { main } from '../src/main.js';

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

  it('bad input ends with exit code 2: a missing shard, mixed settings, a bad --shard', async () => {
    expect(await main(['igc', 'merge', join(dir, 'part-0.json'), join(dir, 'part-2.json'), '--out', join(dir, 'x.json')])).toBe(2);
    const other = JSON.parse(readFileSync(join(dir, 'part-1.json'), 'utf8')) as { settings: { steps: number } };
    other.settings.steps = 5;
    writeFileSync(join(dir, 'other-1.json'), JSON.stringify(other));
    expect(await main(['igc', 'merge', join(dir, 'part-0.json'), join(dir, 'other-1.json'), join(dir, 'part-2.json'), '--out', join(dir, 'x.json')])).toBe(2);
    expect(await main(['igc', ...common, '--shard', '3/3', '--out', join(dir, 'x.json')])).toBe(2);
    expect(await main(['igc', ...common, '--shard', '0/9', '--out', join(dir, 'x.json')])).toBe(2);
    expect(await main(['igc', ...common])).toBe(2);
  }, 60_000);
});
