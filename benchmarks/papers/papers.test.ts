/**
 * The reduced (`quick`) variant of every paper reproduction, asserting its headline claim.
 * Reports go to a temporary folder, never over the committed docs/reproductions.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUADRATURE_METHODS, greedyPIG, groupSums, integratedGradients, patchMask, resolveFeatureMask } from '@pathgrad/attribution';
import { REPRODUCTIONS, REPRODUCTION_NAMES } from './index.js';
import { axiomChecks, completenessTable } from './ig.js';
import { gridValue } from './sig.js';
import { OBJECTIVE } from './greedy-pig.js';
import { QUICK_OUT, compareResults, mnistSlice, pretrained, resultJson, type ReproductionResult, type ResultJson } from './common.js';

const out = mkdtempSync(join(tmpdir(), 'pathgrad-repro-'));

/** The quick run must give exactly the numbers committed in docs/reproductions/quick/<name>.json. */
function expectCommitted(r: ReproductionResult): void {
  const committed = JSON.parse(readFileSync(join(QUICK_OUT, `${r.name}.json`), 'utf8')) as ResultJson;
  expect(compareResults(committed, resultJson(r))).toEqual([]);
}

describe('paper reproductions (quick variants)', () => {
  it('the index lists the five reproductions', () => {
    expect([...REPRODUCTION_NAMES].sort()).toEqual(['ggig', 'greedy-pig', 'ig', 'igc', 'sig']);
  });

  it('ig: IG = 1 and gradients = 0 on 1 − ReLU(1 − x); every axiom check passes', () => {
    const a = axiomChecks();
    expect(Math.abs(a.sensitivityIG.gaussLegendre - 1)).toBeLessThan(1e-9);
    expect(Math.abs(a.sensitivityGradient)).toBe(0);
    expect(Math.abs(a.sensitivityGxI)).toBe(0);
    expect(a.rows.filter((r) => !r.pass).map((r) => r.check)).toEqual([]);
  });

  it('ig: the completeness error falls from 4 to 64 steps for every non-Captum rule on MNIST', () => {
    const m = pretrained('mnist-mlp');
    const table = completenessTable(m, mnistSlice('test', 0, 8).images, [4, 64]);
    for (const method of QUADRATURE_METHODS) {
      if (method === 'captumTrapezoid') continue;
      const [coarse, fine] = table.get(method)!;
      expect(fine!, method).toBeLessThan(coarse!);
    }
  }, 120_000);

  it('ig: the quick run writes its report, figures and agrees with Captum', async () => {
    const r = await REPRODUCTIONS['ig']!.run({ quick: true, out });
    expect(existsSync(r.report)).toBe(true);
    for (const f of r.figures) expect(existsSync(f)).toBe(true);
    expect(r.headline['captumMaxRelL2']!).toBeLessThan(1e-10);
    expect(readFileSync(r.report, 'utf8')).toContain('sha256');
    expectCommitted(r);
  }, 180_000);

  it('igc: every class map sums to the correlation (plus the IG-error term) to 1e-6', async () => {
    const r = await REPRODUCTIONS['igc']!.run({ quick: true, out });
    expect(r.headline['mnist-mlp_maxAbsSumMinusCorrPlusDeltaTerm']!).toBeLessThan(1e-6);
    // the one-call library IGC and the accumulator path agree
    expect(r.headline['mnist-mlp_libraryCheck']!).toBeLessThan(1e-6);
    expectCommitted(r);
  }, 180_000);

  it('ggig: GGIG beats gradients and a random map on deletion; its map changes under full randomisation', async () => {
    const r = await REPRODUCTIONS['ggig']!.run({ quick: true, out });
    const h = r.headline;
    expect(h['deletionAUC_GGIG']!).toBeLessThan(h['deletionAUC_Grad']!);
    expect(h['deletionAUC_GGIG']!).toBeLessThan(h['deletionAUC_Random']!);
    // GGIG is not multiplied by the input, so full randomisation changes its map far more than |IG|'s
    expect(h['randomizationFinalSpearman_GGIG']!).toBeLessThan(h['randomizationFinalSpearman_IG']!);
    expectCommitted(r);
  }, 360_000);

  it('greedy-pig: Greedy PIG (16 rounds) has an insertion AUC >= IG on the seeded subset', async () => {
    const r = await REPRODUCTIONS['greedy-pig']!.run({ quick: true, out });
    const h = r.headline;
    expect(h['insertion_GreedyPIGr16']!).toBeGreaterThanOrEqual(h['insertion_IG']!);
    expect(h['insertion_GreedyPIGr16']!).toBeGreaterThan(h['insertion_Random']!);
    // one round of Greedy PIG is IG (same objective): identical insertion AUCs on every image
    expect(h['r1VsIG_maxAbsInsertionDiff']!).toBe(0);
    // measured: SIC/AIC on 28x28 digits are degenerate (see the report), so they are not asserted
    expectCommitted(r);
  }, 240_000);

  it('greedy-pig: with one round, Greedy PIG ranks patches exactly as IG of the same objective, and its path attribution is IG', () => {
    const m = pretrained('mnist-mlp');
    const { images } = mnistSlice('test', 0, 6);
    const target = Int32Array.from(m.model.forward(images).argmax({ axis: 1 }).toTypedArray());
    const mask = patchMask(28, 28, 4);
    const opts = { target, outputTransform: OBJECTIVE, steps: 8 };
    const gp = greedyPIG(m.model, images, { ...opts, featureMask: mask, rounds: 1 });
    const ig = Float64Array.from(integratedGradients(m.model, images, opts).attributions.toTypedArray());
    const groups = resolveFeatureMask(mask, images, 'test');
    const cum = gp.cumulative.toTypedArray();
    for (let e = 0; e < 6; e++) {
      const sums = groupSums(ig, e * 784, groups);
      const order = Array.from(sums.keys()).sort((p, q) => sums[q]! - sums[p]! || p - q);
      expect(Array.from(gp.ranking[e]!)).toEqual(order);
      // the path attribution runs the same IG on a rebuilt float32 input: equal up to float32 round-off
      // (unit round-off 6e-8, a few dozen accumulated terms)
      for (let i = 0; i < groups.count; i++) expect(Math.abs(cum[e * groups.count + i]! - sums[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(sums[i]!)));
    }
    // and with the logit as IG's objective (the old report's IG row) the rankings differ: the test can fail
    const igLogit = Float64Array.from(integratedGradients(m.model, images, { target, steps: 8 }).attributions.toTypedArray());
    const differs = Array.from({ length: 6 }, (_, e) => {
      const sums = groupSums(igLogit, e * 784, groups);
      const order = Array.from(sums.keys()).sort((p, q) => sums[q]! - sums[p]! || p - q);
      return order.some((v, i) => v !== gp.ranking[e]![i]);
    });
    expect(differs.some(Boolean)).toBe(true);
  });

  it('sig: the GridWorld value is 1 on an open grid, 0 when walled off', () => {
    expect(gridValue(new Float32Array(16).fill(1))).toBe(1);
    const walled = new Float32Array(16).fill(1);
    walled[1] = 0;
    walled[4] = 0;
    expect(gridValue(walled)).toBe(0);
  });

  it("sig: SIG's correlation with exact Shapley values is >= IG's on the GridWorld", async () => {
    const r = await REPRODUCTIONS['sig']!.run({ quick: true, out });
    const h = r.headline;
    expect(h['gridworld_pearson_SIGK64']!).toBeGreaterThanOrEqual(h['gridworld_pearson_IGzerobaseline']!);
    expect(h['gridworld_pearson_SIGK64']!).toBeGreaterThanOrEqual(h['gridworld_pearson_IGuniformnoisebaseline10draws']!);
    expectCommitted(r);
  }, 300_000);

  it('every committed full report names the shipped weights by sha256 and has ≥ 5 seeds', () => {
    const shipped = { 'mnist-mlp': pretrained('mnist-mlp').sha256, 'mnist-cnn': pretrained('mnist-cnn').sha256 };
    for (const name of REPRODUCTION_NAMES) {
      const j = JSON.parse(readFileSync(join(QUICK_OUT, '..', `${name}.json`), 'utf8')) as ResultJson;
      expect(j.variant, name).toBe('full');
      expect(j.seeds.length, name).toBeGreaterThanOrEqual(5);
      const md = readFileSync(join(QUICK_OUT, '..', `${name}.md`), 'utf8');
      for (const [model, sha] of Object.entries(j.weights)) {
        expect(sha, `${name}: ${model}`).toBe(shipped[model as keyof typeof shipped]);
        expect(md, `${name}.md names ${model}`).toContain(sha);
      }
    }
  });
});
