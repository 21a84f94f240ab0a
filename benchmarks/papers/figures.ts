/**
 * Figures of the reproductions: grids of heatmaps as PNG (pngjs) and line/bar charts as
 * SVG (vega-lite compiled to vega, rendered headless with the 'none' renderer).
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One cell of a heatmap grid: an H×W map and how to colour it. */
export interface HeatmapCell {
  map: ArrayLike<number>;
  /** `'signed'`: blue (−) / white / red (+), symmetric around 0 at the 99th percentile of |map|; `'abs'`: white → black of |map|; `'gray'`: an image in [0, 1]. */
  mode: 'signed' | 'abs' | 'gray';
}

function percentileAbs(map: ArrayLike<number>, q: number): number {
  const a = Array.from(map, (v) => Math.abs(v)).sort((x, y) => x - y);
  if (a.length === 0) return 0;
  return a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))]!;
}

function cellColor(v: number, mode: HeatmapCell['mode'], span: number): [number, number, number] {
  if (mode === 'gray') {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
    return [g, g, g];
  }
  if (mode === 'abs') {
    const t = span > 0 ? Math.min(1, Math.abs(v) / span) : 0;
    const g = Math.round(255 * (1 - t));
    return [g, g, g];
  }
  const t = span > 0 ? Math.max(-1, Math.min(1, v / span)) : 0;
  // white at 0, saturated red at +1 and blue at −1
  return t >= 0 ? [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))] : [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
}

/**
 * Writes a PNG grid of heatmaps (`rows` of cells, each H×W upscaled by `scale`), each cell
 * normalised on its own (99th percentile of |map|), 2-pixel grey gutters.
 */
export function heatmapGrid(path: string, rows: HeatmapCell[][], height: number, width: number, scale = 4): void {
  const gap = 2;
  const cols = Math.max(...rows.map((r) => r.length));
  const W = cols * (width * scale + gap) + gap;
  const H = rows.length * (height * scale + gap) + gap;
  const png = new PNG({ width: W, height: H });
  png.data.fill(200);
  rows.forEach((row, r) =>
    row.forEach((cell, c) => {
      const span = cell.mode === 'gray' ? 1 : percentileAbs(cell.map, 0.99) || percentileAbs(cell.map, 1);
      for (let y = 0; y < height * scale; y++)
        for (let x = 0; x < width * scale; x++) {
          const v = cell.map[Math.floor(y / scale) * width + Math.floor(x / scale)]!;
          const [R, G, B] = cellColor(v, cell.mode, span);
          const px = gap + c * (width * scale + gap) + x;
          const py = gap + r * (height * scale + gap) + y;
          const o = (py * W + px) * 4;
          png.data[o] = R;
          png.data[o + 1] = G;
          png.data[o + 2] = B;
          png.data[o + 3] = 255;
        }
    }),
  );
  writeFileSync(path, PNG.sync.write(png));
}

/** A point of a chart series. */
export interface SeriesPoint {
  x: number;
  y: number;
  series: string;
}

/** Options of {@link lineChart}. */
export interface ChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  points?: boolean;
}

async function renderSvg(spec: TopLevelSpec, path: string): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  writeFileSync(path, svg);
}

/** Writes a multi-series line chart as SVG. */
export async function lineChart(path: string, data: SeriesPoint[], o: ChartOptions): Promise<void> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 420,
    height: o.height ?? 260,
    data: { values: data },
    mark: { type: 'line', point: o.points ?? true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: o.logX ? { type: 'log', base: 2 } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: o.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
    background: 'white',
  };
  await renderSvg(spec, path);
}

/** Writes a bar chart (one bar per category, optional grouping by series) as SVG. */
export async function barChart(path: string, data: { category: string; value: number; series?: string }[], o: { title: string; yTitle: string; width?: number }): Promise<void> {
  const grouped = data.some((d) => d.series !== undefined);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 420,
    height: 240,
    data: { values: data },
    mark: 'bar',
    encoding: {
      x: { field: 'category', type: 'nominal', title: null, sort: null },
      y: { field: 'value', type: 'quantitative', title: o.yTitle },
      ...(grouped ? { xOffset: { field: 'series' }, color: { field: 'series', type: 'nominal', title: null } } : {}),
    },
    background: 'white',
  };
  await renderSvg(spec, path);
}
