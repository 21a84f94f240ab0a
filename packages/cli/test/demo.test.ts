/**
 * The demo end to end with a reduced --images count and --quick settings, then its report
 * rendered in headless Chromium (Debian's package, driven by playwright-core): every image
 * must load and every chart must be an SVG; a screenshot is kept in test-artifacts/.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { METHODS } from '../src/methods.js';
import { fixture, pathgrad, repoRoot, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = tempDir();
const report = join(dir, 'report');
let run: ReturnType<typeof pathgrad>;

beforeAll(() => {
  // The MLP fixture keeps this bounded on a loaded 2-core machine; the default model (the
  // shipped CNN) goes through the same code.
  run = pathgrad(['demo', '--images', '2', '--quick', '--model', fixture('mlp.safetensors'), '--arch', 'mnist-mlp', '--out', report], { cwd: dir, timeoutMs: 300_000 });
}, 320_000);

describe('pathgrad demo --images 2 --quick', () => {
  it('exits 0, prints the summary table and progress', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^method\s+time\s+mean \|delta\|\s+deletion AUC\s+insertion AUC/m);
    for (const m of METHODS) expect(run.stdout).toMatch(new RegExp(`^${m.name}\\s`, 'm'));
    expect(run.stderr).toMatch(/\[\d+\/\d+\] ig /); // plain progress lines off a TTY
    expect(run.stderr).toMatch(/report: .*index\.html/);
  });

  it('writes one self-contained folder: html, digit and heatmap PNGs, chart SVGs', () => {
    const html = readFileSync(join(report, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing fetched from the network
    const pngs = readdirSync(join(report, 'heatmaps'));
    // input-shaped methods: one heatmap per digit (layer IG on the MLP's hidden layer has none)
    expect(pngs.length).toBeGreaterThanOrEqual(2 * (METHODS.length - 1));
    for (const f of pngs) {
      const img = PNG.sync.read(readFileSync(join(report, 'heatmaps', f)));
      expect(img.width).toBeGreaterThan(0);
    }
    for (const c of ['convergence', 'deletion', 'insertion', 'sanity']) {
      expect(readFileSync(join(report, 'charts', `${c}.svg`), 'utf8')).toMatch(/^<svg/);
      expect(html).toContain(`id="chart-${c}"`);
    }
    expect(readdirSync(dir).filter((f) => /\.pathgrad-(tmp|old)\./.test(f))).toEqual([]);
  });
});

describe('the report in headless Chromium', () => {
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('loads every image and chart; a screenshot is kept in test-artifacts/', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (.ci/run does this when .ci/needs-chromium exists)`);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(pathToFileURL(join(report, 'index.html')).href, { waitUntil: 'load' });
    const images = await page.$$eval('img', (els) => els.map((e) => {
      // no DOM lib in the type check: the element is an <img>
      const img = e as unknown as { naturalWidth: number; complete: boolean };
      return { src: e.getAttribute('src'), w: img.naturalWidth, done: img.complete };
    }));
    expect(images.length).toBeGreaterThanOrEqual(2 + 2 * (METHODS.length - 1));
    for (const im of images) expect({ src: im.src, loaded: im.done && im.w > 0 }).toEqual({ src: im.src, loaded: true });
    const charts = await page.$$eval('figure.chart', (els) => els.map((e) => ({ id: e.id, svg: e.querySelector('svg') !== null, w: e.querySelector('svg')?.getBoundingClientRect().width ?? 0 })));
    expect(charts.map((c) => c.id).sort()).toEqual(['chart-convergence', 'chart-deletion', 'chart-insertion', 'chart-sanity']);
    for (const c of charts) expect(c.svg && c.w > 100).toBe(true);
    expect(failed).toEqual([]);
    const artifacts = join(repoRoot, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'demo-report.png'), fullPage: true });
    expect(existsSync(join(artifacts, 'demo-report.png'))).toBe(true);
  });
});
