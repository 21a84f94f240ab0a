/**
 * The live explainer in a real browser: builds the page with Vite (failing on any Node
 * module the bundle would need), serves the built folder with a bare static server (so it
 * works offline: weights and digits are in the bundle), and drives it in headless Chromium
 * (Debian's /usr/bin/chromium through playwright-core): picks an MNIST test digit, draws a
 * stroke, waits for the heatmaps, and checks the prediction and IG completeness as displayed.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, createLogger } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const webRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(webRoot, '..');
const distDir = join(webRoot, 'dist');
const CHROMIUM = '/usr/bin/chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
};

/** Serves `dir` only: no fallbacks, nothing outside it. */
function serveStatic(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';
const warnings: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser test`);
  }
  const logger = createLogger('warn');
  const warn = logger.warn.bind(logger);
  logger.warn = (msg, opts) => {
    warnings.push(msg);
    warn(msg, opts);
  };
  await build({ root: webRoot, configFile: join(webRoot, 'vite.config.ts'), customLogger: logger, logLevel: 'warn' });
  server = await serveStatic(distDir);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // offline: the page may fetch nothing but its own files
  await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
  await page.goto(url);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
});

/** Waits for a result newer than `after` and returns what the page shows. */
async function shown(after: number) {
  await page.waitForFunction(
    (prev) => {
      const c = document.getElementById('completeness');
      return document.getElementById('prediction')?.dataset.state === 'done' && document.querySelectorAll('#heatmaps figure').length === 4 && Number(c?.dataset.stamp ?? 0) > prev;
    },
    after,
    { timeout: 240_000 },
  );
  return page.evaluate(() => {
    const c = document.getElementById('completeness')!;
    return {
      prediction: document.getElementById('prediction')!.textContent ?? '',
      predicted: Number(document.getElementById('prediction')!.dataset.predicted),
      sum: Number(c.dataset.sum),
      logitDifference: Number(c.dataset.logitDifference),
      tolerance: Number(c.dataset.tolerance),
      text: c.textContent ?? '',
      stamp: Number(c.dataset.stamp),
      methods: [...document.querySelectorAll<HTMLElement>('#heatmaps figure')].map((f) => f.dataset.method),
      status: document.getElementById('status')!.textContent ?? '',
      backend: document.getElementById('status')!.dataset.backend ?? '',
      // a heatmap must not be blank: some pixel differs from the first one
      heatmapsVaried: [...document.querySelectorAll<HTMLCanvasElement>('#heatmaps canvas')].map((cv) => {
        const d = cv.getContext('2d')!.getImageData(0, 0, 28, 28).data;
        for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
        return false;
      }),
    };
  });
}

describe('live explainer in headless Chromium', () => {
  it('bundles without Node built-ins (nothing externalized for browser compatibility)', () => {
    expect(warnings.filter((w) => /externalized for browser compatibility/.test(w))).toEqual([]);
    expect(existsSync(join(distDir, 'index.html'))).toBe(true);
  });

  it('classifies a bundled MNIST test digit (#0, a 7) with the shipped CNN', async () => {
    await page.selectOption('#digit', '0');
    const r = await shown(0);
    expect(r.predicted).toBe(7);
    expect(r.prediction).toMatch(/prediction: 7/);
    expect(r.status).toMatch(/model: mnist-cnn\b/);
    expect(r.status).toMatch(/backend: (gpujs|wasm|cpu)/);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('runs on the gpujs backend when chosen: the worker hands gpu.js over (pathgrad loads it by itself only in Node)', async () => {
    const before = Number(await page.getAttribute('#completeness', 'data-stamp'));
    await page.selectOption('#backend', 'gpujs');
    const r = await shown(before);
    expect(r.status).not.toMatch(/gpu\.js (was not provided|is not installed)/);
    expect(r.backend).toBe('gpujs');
    expect(r.predicted).toBe(7);
    const back = Number(await page.getAttribute('#completeness', 'data-stamp'));
    await page.selectOption('#backend', 'auto');
    await shown(back);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('draws a stroke, shows the prediction and heatmaps, and IG sums to the displayed logit difference', async () => {
    const before = Number(await page.getAttribute('#completeness', 'data-stamp'));
    await page.click('#clear');
    // Clear goes back to the first state: the earlier prediction and maps are gone
    expect(await page.evaluate(() => ({
      prediction: document.getElementById('prediction')!.textContent,
      state: document.getElementById('prediction')!.dataset.state,
      maps: document.querySelectorAll('#heatmaps figure').length,
      bars: document.getElementById('probabilities')!.children.length,
    }))).toEqual({ prediction: 'draw a digit to start', state: 'idle', maps: 0, bars: 0 });
    const box = (await page.locator('#draw').boundingBox())!;
    // a "1": one vertical stroke down the middle
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let k = 1; k <= 20; k++) await page.mouse.move(box.x + box.width * (0.52 - 0.004 * k), box.y + box.height * (0.15 + 0.035 * k));
    await page.mouse.up();
    const r = await shown(before);
    expect(r.prediction).toMatch(/^prediction: \d \(\d+\.\d%\)$/);
    expect(r.methods).toEqual(['Integrated Gradients', 'Saliency |∂F/∂x|', 'SmoothGrad', 'IDGI']);
    expect(r.heatmapsVaried).toEqual([true, true, true, true]);
    // completeness in the browser: Σ IG attributions vs F(x) − F(0), within the stated tolerance
    expect(Number.isFinite(r.sum) && Number.isFinite(r.logitDifference)).toBe(true);
    expect(r.tolerance).toBeCloseTo(0.05 * Math.max(1, Math.abs(r.logitDifference)), 10);
    expect(Math.abs(r.sum - r.logitDifference)).toBeLessThanOrEqual(r.tolerance);
    expect(r.text).toContain(r.sum.toFixed(4));
    expect(r.text).toContain(r.logitDifference.toFixed(4));
    expect(r.text).toContain('✓');
    expect(pageErrors).toEqual([]);

    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'web-explainer.png'), fullPage: true });
    // the README's screenshot is written when missing or on request, so test runs leave the tree clean
    const docsShot = join(repoRoot, 'docs', 'web-explainer.png');
    if (!existsSync(docsShot) || process.env.PATHGRAD_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: docsShot, fullPage: true });
    expect(existsSync(join(repoRoot, 'test-artifacts', 'web-explainer.png'))).toBe(true);
  }, 300_000);
});
