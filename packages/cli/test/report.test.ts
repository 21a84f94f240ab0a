/**
 * The report says what each map shows: ranks are labelled as ranks with a sequential colour
 * bar, block-structured maps carry their note, and every map prints its full-colour value.
 */
import { describe, expect, it } from 'vitest';
import { colormapRGB } from '@pathgrad/attribution';
import { methodByName } from '../src/methods.js';
import { colorBarSvg, renderReport, type ReportData } from '../src/report/html.js';

const method = (name: string, scales: number[]): ReportData['methods'][number] => {
  const spec = methodByName(name);
  return {
    name,
    title: spec.title,
    summary: spec.summary,
    settings: {},
    seconds: 1,
    evaluations: 1,
    shape: [1, 1, 28, 28],
    kind: spec.mapKind ?? 'attribution',
    ...(spec.pictureNote ? { note: spec.pictureNote } : {}),
    scales,
  };
};

describe('report maps', () => {
  const data: ReportData = {
    title: 't',
    model: 'm',
    backend: 'wasm',
    seed: 0,
    quick: true,
    images: [{ index: 0, label: 7, predicted: 7, misclassified: false }],
    misclassifiedNote: '',
    methods: [method('ig', [0.47]), method('greedy-pig', [3.8]), method('exact-shapley', [0.03])],
    charts: { convergence: '', deletion: '', insertion: '', sanity: '' },
    totalSeconds: 1,
  };
  const html = renderReport(data, () => true);
  const row = (name: string): string => html.split('<tr>').find((r) => r.includes(`<code>${name}</code>`)) ?? '';

  it('signed maps get a diverging bar and ±scale; ranks a sequential bar, 0 … scale and a note', () => {
    expect(row('ig')).toContain('±0.47');
    expect(row('ig')).toContain('aria-label="colour bar: attribution"');
    expect(row('greedy-pig')).toContain('0 … 3.8');
    expect(row('greedy-pig')).toMatch(/aria-label="colour bar: selection rank[^"]*not an attribution/);
    expect(row('greedy-pig')).toMatch(/class="note">selection ranks, not attributions/);
    expect(row('exact-shapley')).toMatch(/class="note">[^<]*blocks are the patches/);
  });

  it('the colour bar runs from +max (red) at the top to −max (blue) at the bottom', () => {
    const svg = colorBarSvg('diverging', 'all', 'attribution');
    const [r0, g0, b0] = colormapRGB('diverging', 1);
    const [r1, g1, b1] = colormapRGB('diverging', -1);
    expect(svg).toContain(`<stop offset="0" stop-color="rgb(${r0},${g0},${b0})"/>`);
    expect(svg).toContain(`<stop offset="1" stop-color="rgb(${r1},${g1},${b1})"/>`);
  });
});
