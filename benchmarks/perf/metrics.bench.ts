/**
 * Metrics benchmark (issue 7): wall-clock seconds of the RISE deletion and insertion AUCs
 * and of PIC (SIC + AIC, one pass) for 100 MNIST test images explained by IG (32
 * Gauss-Legendre steps) on the pretrained MNIST CNN (a seeded untrained CNN if the
 * pretrained weights have not landed; the output says which). Everything goes through
 * the model in batches; deletion/insertion use 28-pixel steps (29 curve points, 2,900
 * forward rows each), insertion starts from a σ = 2 blur, PIC uses pic.py's 13
 * thresholds (1,500 forward rows and 1,500 lossless WebP encodings). Writes
 * docs/results/bench-metrics-<date>.json and the `metrics` section of docs/benchmarks.md
 * (unless --quick, which uses 10 images).
 */
import { aggregatePic, deletionCurve, insertionCurve, integratedGradients, pic } from '@pathgrad/attribution';
import { loadPretrained, mnistCnn, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { machineInfo, writeDocSection, writeResult } from './lib/measure.js';
import type { BenchOptions } from './run.js';

function seconds<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
  const n = opts.quick ? 10 : 100;
  let model: Module;
  let modelName = 'pretrained mnist-cnn';
  try {
    model = loadPretrained('mnist-cnn');
  } catch (e) {
    model = mnistCnn({ seed: 0 }).eval();
    modelName = `untrained mnistCnn({ seed: 0 }) (${e instanceof Error ? e.message : String(e)})`;
  }
  const { images, labels } = mnist({ split: 'test', limit: n });
  const target = Int32Array.from(labels.toTypedArray());
  console.log(`model: ${modelName}; ${n} images`);
  const ig = seconds(() => integratedGradients(model, images, { target, steps: 32, internalBatchSize: 1024 }).attributions);
  const del = seconds(() => deletionCurve(model, images, ig.value, { target, step: 28 }));
  const ins = seconds(() => insertionCurve(model, images, ig.value, { target, step: 28, blurSigma: 2 }));
  const t0 = performance.now();
  const picRes = await pic(model, images, ig.value, { target, seed: 0 });
  const picSeconds = (performance.now() - t0) / 1000;
  const mean = (t: { toTypedArray(): ArrayLike<number> }): number => Array.from(t.toTypedArray()).reduce((a, b) => a + b, 0) / n;
  const sic = picRes.sic!.some((c) => c.ok) ? aggregatePic(picRes.sic!, 'median', picRes.curveX) : undefined;
  const aic = picRes.aic!.some((c) => c.ok) ? aggregatePic(picRes.aic!, 'median', picRes.curveX) : undefined;
  const rows = [
    { what: `IG attributions (32 steps)`, seconds: ig.seconds, result: '' },
    { what: 'deletion AUC (step 28, zeros)', seconds: del.seconds, result: `mean AUC ${mean(del.value.auc).toFixed(4)} (lower is better)` },
    { what: 'insertion AUC (step 28, blur σ=2)', seconds: ins.seconds, result: `mean AUC ${mean(ins.value.auc).toFixed(4)} (higher is better)` },
    {
      what: 'PIC: SIC + AIC (13 thresholds, WebP)',
      seconds: picSeconds,
      result: `median SIC AUC ${sic ? sic.auc.toFixed(4) : 'n/a'} (${sic?.count ?? 0} kept), median AIC AUC ${aic ? aic.auc.toFixed(4) : 'n/a'} (${aic?.count ?? 0} kept)`,
    },
  ];
  for (const r of rows) console.log(`${r.what.padEnd(40)} ${r.seconds.toFixed(2).padStart(8)} s  ${r.result}`);
  if (opts.quick) return;
  const file = writeResult('metrics', { machine: machineInfo(), model: modelName, images: n, rows });
  writeDocSection(
    'metrics',
    [
      `## Attribution metrics (${n} MNIST test images, IG on the CNN)`,
      '',
      `Model: ${modelName}. ${new Date().toISOString().slice(0, 10)}, Node ${process.version}. Raw: \`${file.slice(file.indexOf('docs/'))}\`.`,
      '',
      '| computation | seconds | result |',
      '|---|---:|---|',
      ...rows.map((r) => `| ${r.what} | ${r.seconds.toFixed(2)} | ${r.result} |`),
    ].join('\n'),
  );
}
