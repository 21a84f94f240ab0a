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
  /** The family the series belongs to: one hue per family, dashes and point shapes within it. */
  group?: string;
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
  /** The x values are counts (layers, steps): whole-number ticks only. */
  integerX?: boolean;
}

/**
 * Renders a multi-series line chart to an SVG string.
 * @example
 * ```ts
 * const svg = await lineChartSvg([{ x: 1, y: 2, series: 'a' }], { title: 't', xTitle: 'x', yTitle: 'y' });
 * ```
 */
export async function lineChartSvg(points: readonly Point[], o: LineChartOptions): Promise<string> {
  const grouped = points.some((p) => p.group !== undefined);
  // the legend goes below the plot and wraps, so a long list of series is never cut off
  const legend = { orient: 'bottom' as const, columns: 3, labelLimit: 220, symbolStrokeWidth: 2 };
  const spec: TopLevelSpec = {
    title: o.title,
    width: o.width ?? 360,
    height: o.height ?? 220,
    background: 'white',
    data: { values: points.map((p) => ({ ...p, group: p.group ?? p.series })) },
    // lines half transparent with point markers, so a line under another still shows
    mark: { type: 'line', point: { filled: true, size: 28 }, strokeWidth: 1.8, opacity: 0.85 },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: o.xTitle,
        scale: o.logX ? { type: 'log', base: 2 } : { zero: false },
        ...(o.integerX ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: o.logY ? { type: 'log' } : { zero: false } },
      // one hue per family (Tableau 10: distinguishable, colour-blind aware); within a family
      // the members differ by dash and marker shape
      color: grouped
        ? { field: 'group', type: 'nominal', title: 'family', scale: { scheme: 'tableau10' }, legend }
        : { field: 'series', type: 'nominal', title: o.seriesTitle ?? '', scale: { scheme: 'tableau10' }, legend },
      ...(grouped
        ? {
            strokeDash: { field: 'series', type: 'nominal' as const, title: o.seriesTitle ?? '', legend },
            shape: { field: 'series', type: 'nominal' as const, title: o.seriesTitle ?? '', legend },
            detail: { field: 'series', type: 'nominal' as const },
          }
        : {}),
    },
  };
  // loaded on first use: vega and vega-lite take most of the command's start-up time otherwise
  const [{ View, parse }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
