/** SVG charts for docs/benchmarks.md: vega-lite specs rendered headless by vega into docs/results/*.svg. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { repoRoot } from './measure.js';

/** One point of a line or bar chart. */
export interface ChartPoint {
  x: number | string;
  y: number;
  series: string;
}

/** Renders a vega-lite spec to docs/results/<name>.svg; returns the path relative to docs/. */
export async function renderSvg(name: string, spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const dir = join(repoRoot, 'docs', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.svg`), svg);
  return `results/${name}.svg`;
}

/** A log-log (or linear) line chart of y against x, one line per series. */
export function lineChart(title: string, xTitle: string, yTitle: string, points: ChartPoint[], log = true): vl.TopLevelSpec {
  const scale = log ? { type: 'log' as const } : { zero: false };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 240,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as vl.TopLevelSpec;
}

/** Grouped horizontal bars: y = value per series, grouped by `x` (the workload). */
export function barChart(title: string, valueTitle: string, points: ChartPoint[], log = true): vl.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    data: { values: points },
    mark: 'bar',
    encoding: {
      y: { field: 'x', type: 'nominal', title: null },
      yOffset: { field: 'series' },
      x: { field: 'y', type: 'quantitative', title: valueTitle, scale: log ? { type: 'log' } : {} },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as vl.TopLevelSpec;
}
