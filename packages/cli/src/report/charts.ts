/**
 * Charts as SVG: Vega-Lite specs compiled to Vega and rendered headlessly (no browser, no
 * canvas) by vega's View.toSVG, so the report embeds plain SVG that opens from disk.
 */
import type { TopLevelSpec } from 'vega-lite';

/** A tidy row of a line chart. */
export interface Point {
  x: number;
  y: number;
  series: string;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Logarithmic axes. */
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Legend title. */
  seriesTitle?: string;
}

/**
 * Renders a multi-series line chart to an SVG string.
 * @example
 * ```ts
 * const svg = await lineChartSvg([{ x: 1, y: 2, series: 'a' }], { title: 't', xTitle: 'x', yTitle: 'y' });
 * ```
 */
export async function lineChartSvg(points: readonly Point[], o: LineChartOptions): Promise<string> {
  const spec: TopLevelSpec = {
    title: o.title,
    width: o.width ?? 360,
    height: o.height ?? 220,
    background: 'white',
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: o.logX ? { type: 'log', base: 2 } : { zero: false } },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: o.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: o.seriesTitle ?? '', scale: { scheme: 'tableau20' } },
    },
  };
  // loaded on first use: vega and vega-lite take most of the command's start-up time otherwise
  const [{ View, parse }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
