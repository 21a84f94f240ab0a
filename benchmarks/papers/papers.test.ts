/**
 * The reduced (`quick`) variant of every paper reproduction, asserting its headline claim.
 * Reports go to a temporary folder, never over the committed docs/reproductions.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUADRATURE_METHODS } from '@pathgrad/attribution';
import { REPRODUCTIONS, REPRODUCTION_NAMES } from './index.js';
import { axiomChecks, completenessTable } from './ig.js';
import { gridValue } from './sig.js';
import { mnistSlice, pretrained } from './common.js';

const out = mkdtempSync(join(tmpdir(), 'pathgrad-repro-'));

describe('paper reproductions (quick variants)', () => {
  it('the index lists the five reproductions', () => {
    expect([...REPRODUCTION_NAMES].sort()).toEqual(['ggig', 'greedy-pig', 'ig', 'igc', 'sig']);
  });

  it('ig: IG = 1 and gradients = 0 on 1 − ReLU(1 − x); every axiom check passes', () => {
    const a = axiomChecks();
    expect(Math.abs(a.sensitivityIG.gaussLegendre - 1)).toBeLessThan(1e-9);
    expect(a.sensitivityGradient).toBe(0);
    expect(a.sensitivityGxI).toBe(0);
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
  }, 180_000);

  it('igc: every class map sums to the correlation (plus the IG-error term) to 1e-6', async () => {
    const r = await REPRODUCTIONS['igc']!.run({ quick: true, out });
    expect(r.headline['mnist-mlp_maxAbsSumMinusCorrPlusDeltaTerm']!).toBeLessThan(1e-6);
    // the one-call library IGC and the accumulator path agree
    expect(r.headline['mnist-mlp_libraryCheck']!).toBeLessThan(1e-6);
  }, 180_000);

  it('ggig: GGIG beats gradients and a random map on deletion; its map changes under full randomisation', async () => {
    const r = await REPRODUCTIONS['ggig']!.run({ quick: true, out });
    const h = r.headline;
    expect(h['deletionAUC_GGIG']!).toBeLessThan(h['deletionAUC_Grad']!);
    expect(h['deletionAUC_GGIG']!).toBeLessThan(h['deletionAUC_Random']!);
    // measured: ~0.0 on the MLP, ~0.55 on the CNN (4 images); the paper's GGIG > IG ordering is NOT reproduced (see the report)
    expect(h['randomizationFinalSpearman_GGIG']!).toBeLessThan(0.7);
  }, 360_000);

  it('greedy-pig: Greedy PIG (16 rounds) has an insertion AUC >= IG on the seeded subset', async () => {
    const r = await REPRODUCTIONS['greedy-pig']!.run({ quick: true, out });
    const h = r.headline;
    expect(h['insertion_GreedyPIGr16']!).toBeGreaterThanOrEqual(h['insertion_IG']!);
    expect(h['insertion_GreedyPIGr16']!).toBeGreaterThan(h['insertion_Random']!);
    // measured: SIC/AIC on 28x28 digits are degenerate (see the report), so they are not asserted
  }, 240_000);

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
    expect(h['gridworld_pearson_SIG64']!).toBeGreaterThanOrEqual(h['gridworld_pearson_IGzero']!);
    expect(h['gridworld_pearson_SIG64']!).toBeGreaterThanOrEqual(h['gridworld_pearson_IGnoise']!);
  }, 300_000);
});
