/**
 * The demo report as one HTML page with relative links to its PNGs and the charts' SVG
 * inlined, so the folder opens from disk with no server and no network.
 */

import { colorBarLabels, colormapRGB, type Colormap, type MapKind } from '@pathgrad/attribution';

/** Everything the page shows. */
export interface ReportData {
  title: string;
  model: string;
  backend: string;
  seed: number;
  quick: boolean;
  images: { index: number; label: number; predicted: number; misclassified: boolean }[];
  misclassifiedNote: string;
  methods: {
    name: string;
    title: string;
    summary: string;
    settings: Record<string, unknown>;
    seconds: number;
    meanAbsDelta?: number | undefined;
    deletionAuc?: number | undefined;
    insertionAuc?: number | undefined;
    evaluations: number;
    shape: readonly number[];
    /** What the map's values are: signed attributions, or ranks (Greedy PIG). */
    kind: MapKind;
    /** What a reader of the maps should know (patches, superpixels, ranks). */
    note?: string;
    /** Per digit, the value drawn at full colour. */
    scales: number[];
  }[];
  charts: Record<'convergence' | 'deletion' | 'insertion' | 'sanity', string>;
  totalSeconds: number;
}

/**
 * A small vertical colour bar as inline SVG, labelled with what its ends mean (the value at
 * full colour is printed under each map).
 * @example
 * ```ts
 * colorBarSvg('diverging', 'all', 'attribution'); // '<svg ...>'
 * ```
 */
export function colorBarSvg(colormap: Colormap, sign: 'all' | 'absolute', kind: MapKind): string {
  const stops = Array.from({ length: 11 }, (_, k) => {
    const t = k / 10;
    const [r, g, b] = colormapRGB(colormap, sign === 'all' ? 1 - 2 * t : 1 - t);
    return `<stop offset="${t}" stop-color="rgb(${r},${g},${b})"/>`;
  }).join('');
  const { unit } = colorBarLabels({ kind, sign, scale: 1 });
  const id = `bar-${colormap}-${kind}`;
  const [top, bottom] = sign === 'all' ? ['+max', '−max'] : ['max', '0'];
  return `<svg width="70" height="84" viewBox="0 0 70 84" role="img" aria-label="colour bar: ${esc(unit)}"><title>${esc(unit)}</title><defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs><rect x="0" y="2" width="10" height="80" fill="url(#${id})" stroke="#999" stroke-width="0.5"/><text x="14" y="10" font-size="9">${top}</text><text x="14" y="46" font-size="9">${sign === 'all' ? '0' : ''}</text><text x="14" y="82" font-size="9">${bottom}</text></svg>`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number | undefined, digits: number, exp = false): string => (v === undefined ? '–' : exp ? v.toExponential(digits) : v.toFixed(digits));

/**
 * A sentence when the insertion AUCs are too close to 1 to rank methods (on MNIST a blurred
 * digit often keeps most of its class probability), so a reader does not over-read them.
 * @example
 * ```ts
 * saturationNote(data); // '' or ' Insertion saturates here: ...'
 * ```
 */
export function saturationNote(d: Pick<ReportData, 'methods'>): string {
  const auc = d.methods.map((m) => m.insertionAuc).filter((v): v is number => v !== undefined);
  if (auc.length === 0) return '';
  const low = Math.min(...auc);
  if (low < 0.9) return '';
  return ` <b>Insertion saturates here:</b> every insertion AUC is between ${low.toFixed(3)} and ${Math.max(...auc).toFixed(3)}, because the blurred digit alone already keeps most of the class probability; the insertion ranking separates methods little, and deletion is the more informative curve on these digits.`;
}

/**
 * Renders the report page; `has(path)` says whether a heatmap file exists (layer maps of a
 * non-image shape have none).
 * @example
 * ```ts
 * writeFileSync('index.html', renderReport(data, () => true));
 * ```
 */
export function renderReport(d: ReportData, has: (path: string) => boolean): string {
  const header = d.images
    .map(
      (im, i) =>
        `<th><img src="images/digit-${i}.png" alt="MNIST test digit ${im.index}" width="84" height="84"><br>#${im.index}: label ${im.label}, predicted ${im.predicted}${
          im.misclassified ? ' <span class="wrong">(wrong)</span>' : ''
        }</th>`,
    )
    .join('');
  const gridRows = d.methods
    .map((m) => {
      const signed = m.kind === 'attribution';
      const cells = d.images
        .map((_, i) => {
          const p = `heatmaps/${m.name}-${i}.png`;
          const s = m.scales[i];
          const range = s === undefined ? '' : signed ? `±${s.toPrecision(2)}` : `0 … ${s.toPrecision(2)}`;
          return has(p)
            ? `<td><img src="${p}" alt="${esc(m.title)} map of digit ${i}" title="full colour at ${range}" width="84" height="84"><br><span class="scale">${range}</span></td>`
            : '<td class="na">map of shape<br>[' + m.shape.join(', ') + ']</td>';
        })
        .join('');
      const bar = colorBarSvg(signed ? 'diverging' : 'magma', signed ? 'all' : 'absolute', m.kind);
      return `<tr><th class="method">${esc(m.title)}<br><code>${esc(m.name)}</code>${m.note ? `<br><span class="note">${esc(m.note)}</span>` : ''}</th>${cells}<td class="bar">${bar}</td></tr>`;
    })
    .join('\n');
  const tableRows = d.methods
    .map(
      (m) =>
        `<tr><td><code>${esc(m.name)}</code></td><td>${esc(m.summary)}</td><td><code>${esc(
          Object.entries(m.settings)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' '),
        )}</code></td><td class="num">${m.seconds.toFixed(2)}</td><td class="num">${fmt(m.meanAbsDelta, 2, true)}</td><td class="num">${fmt(m.deletionAuc, 3)}</td><td class="num">${fmt(
          m.insertionAuc,
          3,
        )}</td></tr>`,
    )
    .join('\n');
  const chart = (key: keyof ReportData['charts'], caption: string): string =>
    `<figure class="chart" id="chart-${key}">${d.charts[key]}<figcaption>${caption}</figcaption></figure>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(d.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 4px 6px; vertical-align: middle; }
table.grid th { font-weight: normal; font-size: 12px; } table.grid img, th img { image-rendering: pixelated; display: block; margin: auto; }
table.grid th.method { text-align: right; font-weight: 600; }
table.summary td, table.summary th { border-bottom: 1px solid #eee; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.na { font-size: 11px; color: #888; text-align: center; width: 84px; } table.grid td { text-align: center; }
.note { font-size: 11px; font-weight: normal; color: #555; display: inline-block; max-width: 220px; } .scale { font-size: 10px; color: #666; } td.bar { vertical-align: top; }
.wrong { color: #b2182b; font-weight: 600; } .charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure.chart { margin: 0; } figcaption { font-size: 12px; color: #555; max-width: 480px; }
.legend { display: inline-block; width: 160px; height: 12px; background: linear-gradient(to right, rgb(33,102,172), white, rgb(178,24,43)); vertical-align: middle; }
</style>
</head>
<body>
<h1>${esc(d.title)}</h1>
<p>Model: <b>${esc(d.model)}</b>. Backend: ${esc(d.backend)}. Seed ${d.seed}.${d.quick ? ' <b>Quick settings</b> (reduced budgets).' : ''} Generated in ${d.totalSeconds.toFixed(1)} s. ${esc(d.misclassifiedNote)}
Each method explains the class the model <i>predicted</i> (so the wrong digit shows what misled it).</p>

<h2>Heatmaps</h2>
<p>Signed attributions, diverging colours: <span class="legend"></span> negative (blue) · 0 (white) · positive (red),
blended over the digit (alpha 0.75). Each map is divided by the 99.5th percentile of its |attribution| and clipped to ±1 (the value at full colour is printed under each map); all-zero maps stay white.
Maps whose values are not attributions (Greedy PIG's selection ranks) are drawn on a sequential colour map and say so beside their row; methods that work on patches or superpixels show square blocks, which are those groups, not artefacts.
Layer IG maps are the first convolution's output summed over channels (24×24).</p>
<table class="grid">
<tr><th></th>${header}</tr>
${gridRows}
</table>

<h2>Summary</h2>
<p>Time is wall-clock seconds for all ${d.images.length} digits. |delta| is the completeness error Σ attributions − (F(x) − F(baseline)), where the method defines one
(for exact Shapley: Σ φ − (v(all) − v(∅))). Deletion / insertion AUC: area under the softmax probability of the explained class as pixels are removed (to 0) / inserted (into a σ=2 blur),
most important first, 2×28 pixels per step; lower deletion and higher insertion are better.${saturationNote(d)}</p>
<table class="summary">
<tr><th>method</th><th>what</th><th>settings (budget-conscious)</th><th>time (s)</th><th>mean |delta|</th><th>deletion AUC</th><th>insertion AUC</th></tr>
${tableRows}
</table>

<h2>Axioms and checks</h2>
<div class="charts">
${chart('convergence', 'Completeness: mean |Σ IG − (F(x) − F(0))| against the number of steps for every quadrature rule. Gauss–Legendre converges fastest; captumTrapezoid (weights summing to (n−1)/n) does not converge to 0.')}
${chart('deletion', 'Deletion curves, mean over the digits.')}
${chart('insertion', 'Insertion curves, mean over the digits.')}
${chart('sanity', 'Model randomisation sanity check (Adebayo et al. 2018): Spearman rank correlation between the maps of the trained model and of the model with its top layers re-initialised (cascading), for |map| and the signed map. A method that explains the model drops as layers are randomised. IG multiplies by the input, so on MNIST’s all-zero background its |map| keeps the digit’s support whatever the weights: its |map| similarity stays high (as Adebayo et al. saw for gradient ⊙ input), while the signed map decorrelates.')}
</div>
</body>
</html>
`;
}
