/**
 * The report says what each map shows: ranks are labelled as ranks with a sequential colour
 * bar, block-structured maps carry their note, and every map prints its full-colour value.
 */
import { describe, expect, it } from 'vitest';
import { colormapRGB } from '@pathgrad/attribution';
import { METHODS, methodByName, methodFamily } from '../src/methods.js';
import { lineChartSvg } from '../src/report/charts.js';
import { colorBarSvg, renderReport, saturationNote, type ReportData } from '../src/report/html.js';

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

  it('says when insertion AUCs are too close to 1 to rank methods', () => {
    const m = (insertionAuc: number) => ({ ...method('ig', [1]), insertionAuc });
    expect(saturationNote({ methods: [m(0.95), m(0.99)] })).toMatch(/Insertion saturates here:.*between 0\.950 and 0\.990/);
    expect(saturationNote({ methods: [m(0.6), m(0.99)] })).toBe('');
    expect(saturationNote({ methods: [method('ig', [1])] })).toBe('');
  });

  it('the colour bar runs from +max (red) at the top to −max (blue) at the bottom', () => {
    const svg = colorBarSvg('diverging', 'all', 'attribution');
    const [r0, g0, b0] = colormapRGB('diverging', 1);
    const [r1, g1, b1] = colormapRGB('diverging', -1);
    expect(svg).toContain(`<stop offset="0" stop-color="rgb(${r0},${g0},${b0})"/>`);
    expect(svg).toContain(`<stop offset="1" stop-color="rgb(${r1},${g1},${b1})"/>`);
  });
});

describe('report charts', () => {
  it('every method of the library is in the legend, grouped by family; a count axis has whole ticks', async () => {
    // y in whole tens, so any decimal tick label would come from the x axis
    const points = METHODS.flatMap((m, k) => [0, 1, 2, 3].map((x) => ({ x, y: 100 * k + 10 * x, series: m.name, group: methodFamily(m.name) })));
    expect(new Set(METHODS.map((m) => methodFamily(m.name)))).not.toContain('other');
    const svg = await lineChartSvg(points, { title: 't', xTitle: 'layers', yTitle: 'y', seriesTitle: 'method', integerX: true });
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    for (const m of METHODS) expect(texts, m.name).toContain(m.name);
    for (const f of new Set(METHODS.map((m) => methodFamily(m.name)))) expect(texts).toContain(f);
    expect(texts.filter((t) => /^\d+\.\d+$/.test(t))).toEqual([]);
  }, 60_000);
});
