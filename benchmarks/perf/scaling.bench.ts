/**
 * Scaling: time against IG steps (one image, fixed internalBatchSize), against batch size
 * (forward+backward) and against image count (IG, 64 steps), pathgrad on its default backend
 * next to tfjs-wasm, each plotted with the least-squares slope stated (docs/results/scaling-*.svg).
 * All three should be linear: the work is proportional to the number of points.
 */
import { grad } from '@pathgrad/autograd';
import { integratedGradients, quadrature } from '@pathgrad/attribution';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, mul, sum } from '@pathgrad/tensor';
import { defaultLabel, fitLine, machineInfo, measure, ms, restoreDefaultBackend, writeDocSection, writeResult } from './lib/measure.js';
import { loadTfjs, pathgradModel, tfjsModel, toTfjs, useTfjs } from './lib/models.js';
import { lineChart, renderSvg, type ChartPoint } from './lib/charts.js';
import type { BenchOptions } from './run.js';
import type * as TF from '@tensorflow/tfjs';

interface Series {
  axis: 'steps' | 'batch' | 'images';
  impl: string;
  points: { x: number; ms: number }[];
  slope?: number;
  intercept?: number;
  r2?: number;
}

function oneHot(labels: Int32Array, repeat = 1): Tensor {
  const n = labels.length;
  const m = new Float32Array(n * repeat * 10);
  for (let r = 0; r < repeat; r++) for (let i = 0; i < n; i++) m[(r * n + i) * 10 + labels[i]!] = 1;
  return new Tensor(m, [n * repeat, 10], 'float32');
}

/** tfjs IG: all (steps × examples) points in chunks of `chunk` points through tf.grad, Gauss-Legendre weights. */
function tfjsIG(tf: typeof TF, f: (x: TF.Tensor) => TF.Tensor, x: TF.Tensor, labels: Int32Array, steps: number, chunk: number): void {
  const q = quadrature('gaussLegendre', steps);
  const n = x.shape[0]!;
  const total = tf.zeros(x.shape);
  let acc = total;
  for (let s0 = 0; s0 < steps; s0 += Math.max(1, Math.floor(chunk / n))) {
    const s1 = Math.min(steps, s0 + Math.max(1, Math.floor(chunk / n)));
    const next = tf.tidy(() => {
      const k = s1 - s0;
      const alphas = tf.tensor(Float32Array.from(q.alphas.slice(s0, s1)), [k, 1, 1, 1, 1]);
      const pts = tf.reshape(tf.mul(alphas, tf.expandDims(x, 0)), [k * n, ...x.shape.slice(1)]);
      const mask = tf.tile(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), [k, 1]);
      const g = tf.grad((p: TF.Tensor) => tf.sum(tf.mul(f(p), mask)))(pts);
      const w = tf.tensor(Float32Array.from(q.weights.slice(s0, s1)), [k, 1, 1, 1, 1]);
      return tf.add(acc, tf.sum(tf.mul(tf.reshape(g, [k, n, ...x.shape.slice(1)]), w), 0));
    });
    acc.dispose();
    acc = next;
  }
  tf.tidy(() => tf.mul(acc, x).dataSync());
  acc.dispose();
}

/** Runs the suite. */
export async function run(opts: BenchOptions): Promise<void> {
  const tf = loadTfjs();
  restoreDefaultBackend();
  const pg = defaultLabel();
  const model = pathgradModel('cnn');
  const sd = model.stateDict();
  const stepsList = opts.quick ? [16, 64] : [16, 64, 256, 512];
  const batchList = opts.quick ? [1, 16] : [1, 16, 64, 256];
  const imageList = opts.quick ? [1, 4] : [1, 4, 16];
  const CHUNK = 64;
  const data = mnist({ split: 'test', limit: Math.max(...batchList, ...imageList) });
  const all = data.images.toTypedArray();
  const allLabels = Int32Array.from(data.labels.toTypedArray());
  const take = (n: number) => new Tensor(all.slice(0, n * 784), [n, 1, 28, 28], 'float32');
  const series: Series[] = [];
  const add = (axis: Series['axis'], impl: string, x: number, t: number) => {
    let s = series.find((v) => v.axis === axis && v.impl === impl);
    if (!s) series.push((s = { axis, impl, points: [] }));
    s.points.push({ x, ms: t });
    console.log(`${axis.padEnd(6)} ${impl.padEnd(22)} ${String(x).padStart(4)}: ${ms(t)} ms`);
  };

  // pathgrad and tfjs-wasm measured back to back at each size, so both see the same machine load
  const tfOk = await useTfjs('wasm');
  const { f, keep } = tfjsModel('cnn', sd);
  const one = take(1);
  const tOne = toTfjs(one);
  for (const steps of stepsList) {
    add('steps', pg, steps, (await measure(`steps ${steps}`, () => void integratedGradients(model, one, { target: allLabels.slice(0, 1), steps, internalBatchSize: CHUNK }), opts.quick)).medianMs);
    if (tfOk) add('steps', 'tfjs-wasm', steps, (await measure(`tf steps ${steps}`, () => tfjsIG(tf, f, tOne, allLabels.slice(0, 1), steps, CHUNK), opts.quick)).medianMs);
  }
  for (const b of batchList) {
    const x = take(b);
    const mask = oneHot(allLabels.slice(0, b));
    const g = grad((xx: Tensor) => sum(mul(model.forward(xx), mask)));
    add('batch', pg, b, (await measure(`batch ${b}`, () => void g(x), opts.quick)).medianMs);
    if (tfOk) {
      const tx = toTfjs(x);
      const tmask = toTfjs(mask);
      const tg = tf.grad((xx: TF.Tensor) => tf.sum(tf.mul(f(xx), tmask)));
      add('batch', 'tfjs-wasm', b, (await measure(`tf batch ${b}`, () => void tf.tidy(() => tg(tx).dataSync()), opts.quick)).medianMs);
      tx.dispose();
      tmask.dispose();
    }
  }
  for (const n of imageList) {
    const x = take(n);
    add('images', pg, n, (await measure(`images ${n}`, () => void integratedGradients(model, x, { target: allLabels.slice(0, n), steps: 64, internalBatchSize: 256 }), opts.quick)).medianMs);
    if (tfOk) {
      const tx = toTfjs(x);
      add('images', 'tfjs-wasm', n, (await measure(`tf images ${n}`, () => tfjsIG(tf, f, tx, allLabels.slice(0, n), 64, 256), opts.quick)).medianMs);
      tx.dispose();
    }
  }
  restoreDefaultBackend();
  [...keep, tOne].forEach((t) => t.dispose());
  for (const s of series) Object.assign(s, fitLine(s.points.map((p) => p.x), s.points.map((p) => p.ms)));
  for (const s of series) console.log(`${s.axis} ${s.impl}: slope ${s.slope!.toFixed(3)} ms per unit, intercept ${s.intercept!.toFixed(1)} ms, R² ${s.r2!.toFixed(4)}`);
  if (opts.quick) return;
  const file = writeResult('scaling', { machine: machineInfo(), series });
  const label: Record<Series['axis'], [string, string]> = {
    steps: ['IG steps (one CNN image, internalBatchSize 64)', 'step'],
    batch: ['batch size (CNN forward + backward to the input)', 'example'],
    images: ['images (CNN IG, 64 steps, internalBatchSize 256)', 'image'],
  };
  const parts: string[] = [];
  for (const axis of ['steps', 'batch', 'images'] as const) {
    const ss = series.filter((s) => s.axis === axis);
    const pts: ChartPoint[] = ss.flatMap((s) => s.points.map((p) => ({ x: p.x, y: p.ms, series: `${s.impl} (${s.slope!.toFixed(2)} ms/${label[axis][1]})` })));
    const chart = await renderSvg(`scaling-${axis}`, lineChart(`time vs ${label[axis][0]}`, label[axis][0], 'ms (log)', pts));
    const rows = ss.map((s) => `| ${s.impl} | ${s.points.map((p) => `${p.x}: ${ms(p.ms)}`).join(', ')} | ${s.slope!.toFixed(3)} ms per ${label[axis][1]} | ${s.intercept!.toFixed(1)} | ${s.r2!.toFixed(4)} |`);
    parts.push(`### Time vs ${label[axis][0]}\n\n| implementation | ms at each size | fitted slope | intercept (ms) | R² |\n| --- | --- | --: | --: | --: |\n${rows.join('\n')}\n\n![${axis}](${chart})`);
  }
  writeDocSection(
    'scaling',
    `## Scaling

Least-squares line through (size, median ms) for each implementation; R² near 1 means linear. Charts are log-log
(a line of slope 1 there is linear scaling). Same process, same run; pathgrad on its default backend (${pg}), tfjs on its wasm backend.

${parts.join('\n\n')}

Where it is not linear: at small sizes a fixed cost per call (op dispatch, tape set-up, copying weights into wasm
memory, tfjs's tidy/dataSync) dominates, which is the intercept; at the largest batches the working set leaves the
cache and time per example grows slightly.

Raw data: \`${file.slice(file.indexOf('results/'))}\`.`,
  );
}
