/**
 * With no `internalBatchSize`, a pass holds at most DEFAULT_CHUNK_ELEMENTS input elements
 * (it used to hold every point at once: GBs for IG at thousands of steps on MNIST), and the
 * results are bit for bit those of one pass over all points.
 */
import { matmul, mul, rand, reshape, rng, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CHUNK_ELEMENTS,
  blurIG,
  expectedGradients,
  geometricallyGuidedIG,
  guidedIG,
  idgi,
  integratedGradients,
} from '../src/index.js';

const side = 64;
const per = side * side; // 4,096 features: a pass may hold 128 points
const bound = Math.floor(DEFAULT_CHUNK_ELEMENTS / per);
const W = rand([per, 2], rng(7), { dtype: 'float64' });
let rows: number[] = [];
// a smooth model (so the gradient varies along the path) that records the rows of every pass
const model = (t: Tensor): Tensor => {
  rows.push(t.shape[0]!);
  const h = matmul(reshape(t, [t.shape[0]!, per]), W);
  return mul(h, h);
};
const x = rand([2, 1, side, side], rng(1), { dtype: 'float64' });
const many = rand([bound + 20, 1, side, side], rng(2), { dtype: 'float64' });

/** [method, call with an internalBatchSize (undefined = the default), points it evaluates, examples]. */
const CASES: [string, (chunk: number | undefined) => Tensor, number, number][] = [
  ['integratedGradients', (c) => integratedGradients(model, x, { target: 0, steps: 300, internalBatchSize: c }).attributions, 600, 2],
  ['expectedGradients', (c) => expectedGradients(model, x, { target: 0, data: x, samples: 150, internalBatchSize: c }).attributions, 300, 2],
  ['blurIG', (c) => blurIG(model, x, { target: 0, steps: 70, internalBatchSize: c }).attributions, 140, 2],
  ['idgi', (c) => idgi(model, x, { target: 0, steps: 150, internalBatchSize: c }).attributions, 300, 2],
  ['geometricallyGuidedIG', (c) => geometricallyGuidedIG(model, x, { target: 0, scales: 149, iterations: 2, internalBatchSize: c }).attributions, 300, 2],
  ['guidedIG', (c) => guidedIG(model, many, { target: 0, steps: 2, internalBatchSize: c }).attributions, bound + 20, bound + 20],
];

describe(`default internalBatchSize: at most DEFAULT_CHUNK_ELEMENTS (${DEFAULT_CHUNK_ELEMENTS}) input elements per pass`, () => {
  for (const [name, call, points, examples] of CASES) {
    it(`${name}: ${points} points go ${bound} at a time, with the one-pass result bit for bit`, () => {
      // passes over the inputs themselves (target, output at x) are the caller's batch, not path points
      const pathPasses = (): number => Math.max(...rows.filter((r) => r !== examples));
      rows = [];
      const chunked = call(undefined);
      expect(pathPasses()).toBe(bound); // as large as the budget allows, no larger
      rows = [];
      const whole = call(100_000);
      expect(Math.max(...rows)).toBeGreaterThan(bound); // one pass did hold more
      expect(chunked.toTypedArray()).toEqual(whole.toTypedArray());
    });
  }
});
