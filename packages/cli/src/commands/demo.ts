/**
 * `pathgrad demo`: the shipped pretrained CNN on real MNIST test digits, explained by every
 * method of @pathgrad/attribution with budget-conscious settings, checked (completeness
 * against steps per quadrature rule, deletion/insertion, model randomisation), summarised
 * on the terminal and written as one self-contained HTML report folder.
 */
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import {
  QUADRATURE_METHODS,
  attributionPicture,
  deletionCurve,
  encodePNG,
  insertionCurve,
  integratedGradients,
  modelRandomizationCheck,
  saliency,
  type MapKind,
} from '@pathgrad/attribution';
import { predict, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, backendInfo, setBackend } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { checkReportFolder, writeReportFolder } from '../output.js';
import { loadModel, parseLoadLimits, takeRows, type LoadLimitArgs } from '../load.js';
import { METHODS, methodByName, methodFamily, resolveOptions, type MethodSpec, type OptionValues } from '../methods.js';
import { lineChartSvg, type Point } from '../report/charts.js';
import { renderReport, type ReportData } from '../report/html.js';
import { mnistBackground } from './attribute.js';
import { isQuiet } from '../progress.js';

/** Parsed options of `demo`. */
export interface DemoArgs extends LoadLimitArgs {
  out: string;
  images: string;
  model: string;
  arch?: string;
  methods?: string;
  seed: string;
  quick?: boolean;
  backend: string;
}

/** One method's outcome in the demo. */
export interface DemoMethodResult {
  spec: MethodSpec;
  settings: OptionValues;
  seconds: number;
  attributions: Tensor;
  delta?: Float64Array;
  meanAbsDelta?: number;
  deletionAuc?: number;
  insertionAuc?: number;
  deletion?: Float64Array;
  insertion?: Float64Array;
  fractions?: Float64Array;
  evaluations: number;
}

/** Progress: a bar on a TTY, a plain line per step otherwise. */
interface Progress {
  step(label: string): void;
  done(label: string): void;
  stop(): void;
}

function makeProgress(total: number, log: (line: string) => void): Progress {
  let n = 0;
  if (isQuiet()) return { step: () => {}, done: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({ format: 'demo {bar} {value}/{total} | {label}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { label: 'starting' });
    return {
      step: (label) => bar.update(n, { label }),
      done: (label) => bar.update(++n, { label }),
      stop: () => bar.stop(),
    };
  }
  return {
    step: () => {},
    done: (label) => log(`[${++n}/${total}] ${label}`),
    stop: () => {},
  };
}

const quickSettings = (spec: MethodSpec, s: OptionValues): OptionValues => {
  const q: OptionValues = { ...s };
  for (const k of ['steps', 'samples', 'scales', 'iterations', 'coalitions', 'rounds', 'data']) {
    if (typeof q[k] === 'number') q[k] = Math.max(k === 'steps' && spec.name === 'integrated-hessians' ? 2 : 2, Math.min(q[k] as number, k === 'data' ? 16 : 4));
  }
  if (spec.name === 'exact-shapley') q['patch'] = 14;
  return q;
};

/** Picks `count` test indices: the first ones, with the first misclassified one swapped in. */
function pickImages(model: Module, count: number): { indices: number[]; misclassified: number | undefined } {
  const scan = mnist({ split: 'test', limit: 2000 });
  const pred = predict(model, scan.images);
  const labels = scan.labels.toTypedArray();
  let wrong: number | undefined;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] !== labels[i]) {
      wrong = i;
      break;
    }
  }
  const indices = Array.from({ length: count }, (_, i) => i);
  if (wrong !== undefined && count >= 2 && !indices.includes(wrong)) indices[count - 1] = wrong;
  return { indices, misclassified: wrong };
}

function meanAbs(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]!);
  return s / v.length;
}

function meanRows(t: Tensor): Float64Array {
  const [n, k] = t.shape as [number, number];
  const v = t.toTypedArray();
  const out = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[j]! += v[i * k + j]! / n;
  return out;
}

/**
 * Heatmap PNG (upscaled to about 112 pixels) of example i's map, over the digit when shapes
 * match, drawn as what its values are (attributions signed, ranks on a sequential map), and
 * the value at full colour.
 */
function heatmapPng(attributions: Tensor, inputs: Tensor, i: number, kind: MapKind): { png: Uint8Array; scale: number } | undefined {
  const s = attributions.shape;
  if (s.length !== 4) return undefined;
  const [, c, h, w] = s as [number, number, number, number];
  const per = c * h * w;
  const map = new Tensor(Float64Array.from(attributions.toTypedArray().subarray(i * per, (i + 1) * per)), [c, h, w], 'float64');
  const sameShape = inputs.shape.every((d, k) => d === s[k]);
  const image = sameShape && c === 1 ? new Tensor(Float64Array.from(inputs.toTypedArray().subarray(i * per, (i + 1) * per)), [c, h, w], 'float64') : undefined;
  const upscale = Math.max(1, Math.round(112 / w));
  const pic = attributionPicture(map, image, { kind, upscale, ...(image ? { mode: 'blendedHeatMap' as const, alpha: 0.75 } : {}) });
  return { png: encodePNG(pic), scale: pic.scale ?? 0 };
}

function digitPng(inputs: Tensor, i: number): Uint8Array {
  const [, c, h, w] = inputs.shape as [number, number, number, number];
  const image = new Tensor(Float64Array.from(inputs.toTypedArray().subarray(i * c * h * w, (i + 1) * c * h * w)), [c, h, w], 'float64');
  return encodePNG(attributionPicture(image, image, { mode: 'originalImage', upscale: 4 }));
}

/** `pathgrad demo`. Returns the report path. */
export async function demoCommand(args: DemoArgs, log: (line: string) => void): Promise<string> {
  const t0 = performance.now();
  const count = Number(args.images);
  if (!Number.isSafeInteger(count) || count < 1 || count > 64) throw new UsageError(`--images must be an integer from 1 to 64, got '${args.images}'`);
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  const specs = args.methods === undefined ? [...METHODS] : args.methods.split(',').map((m) => methodByName(m.trim()));
  if (specs.length === 0) throw new UsageError('--methods is empty; give a comma-separated list such as ig,saliency');
  const quick = args.quick === true;
  if (!['wasm', 'cpu', 'gpujs'].includes(args.backend)) throw new UsageError(`--backend must be wasm, cpu or gpujs, got '${args.backend}'`);
  try {
    setBackend(args.backend as 'wasm');
  } catch {
    setBackend('cpu');
  }
  const limits = parseLoadLimits(args);
  // refuse a destination that is not ours before any work (never empties a user's folder)
  checkReportFolder(args.out);
  const backend = backendInfo();
  const outDir = resolve(args.out);
  const { model, description } = loadModel(args.model, args.arch, 'float32', limits);
  const { indices, misclassified } = pickImages(model, count);
  const test = mnist({ split: 'test', limit: Math.max(...indices) + 1 });
  const inputs = takeRows(test.images, indices);
  const labels = Int32Array.from(takeRows(test.labels, indices).toTypedArray());
  const predicted = predict(model, inputs);
  log(`pathgrad demo: ${description}, ${count} MNIST test digit(s) [${indices.join(', ')}], ${specs.length} method(s), backend ${backend.name}${backend.mode ? ` (${backend.mode})` : ''}${quick ? ', quick settings' : ''}`);
  const target = predicted; // explain what the model decided, right or wrong
  const ctx = { model, inputs, target, background: mnistBackground(quick ? 32 : 200, 'float32'), seed };
  const progress = makeProgress(specs.length + 4, log);

  const results: DemoMethodResult[] = [];
  const sideLength = inputs.shape[3]!;
  const features = inputs.shape[2]! * sideLength;
  try {
    for (const spec of specs) {
      progress.step(spec.name);
      let settings = resolveOptions(spec, spec.demo as Record<string, string | number | boolean>);
      if (quick) settings = quickSettings(spec, settings);
      const start = performance.now();
      const out = spec.run(ctx, settings);
      const seconds = (performance.now() - start) / 1000;
      const r: DemoMethodResult = { spec, settings, seconds, attributions: out.attributions, evaluations: out.evaluations };
      if (out.delta) {
        r.delta = out.delta;
        r.meanAbsDelta = meanAbs(out.delta);
      }
      results.push(r);
      progress.done(`${spec.name} ${seconds.toFixed(1)} s`);
    }

    let mark = performance.now();
    const lap = (): string => {
      const now = performance.now();
      const text = `${((now - mark) / 1000).toFixed(1)} s`;
      mark = now;
      return text;
    };
    // deletion / insertion: two rows of pixels per step (15 points), tracking the softmax of the explained class
    progress.step('deletion/insertion');
    const stepPixels = quick && features % 4 === 0 ? features / 4 : features % (2 * sideLength) === 0 ? 2 * sideLength : sideLength;
    for (const r of results) {
      if (!r.attributions.shape.every((d, k) => d === inputs.shape[k])) continue;
      const del = deletionCurve(model, inputs, r.attributions, { target, step: stepPixels });
      const ins = insertionCurve(model, inputs, r.attributions, { target, step: stepPixels, blurSigma: 2 });
      r.deletionAuc = meanAbs(del.auc.toTypedArray());
      r.insertionAuc = meanAbs(ins.auc.toTypedArray());
      r.deletion = meanRows(del.curves);
      r.insertion = meanRows(ins.curves);
      r.fractions = del.fractions;
    }
    progress.done(`deletion/insertion curves ${lap()}`);

    // completeness |delta| against steps for every quadrature rule (IG, zero baseline)
    progress.step('completeness');
    const convN = Math.min(count, quick ? 1 : 2);
    const convInputs = takeRows(inputs, Array.from({ length: convN }, (_, i) => i));
    const convTarget = target.slice(0, convN);
    const stepGrid = quick ? [2, 4] : [2, 4, 8, 16, 32];
    const convergence: Point[] = [];
    for (const rule of QUADRATURE_METHODS) {
      for (const s of stepGrid) {
        const { delta } = integratedGradients(model, convInputs, { target: convTarget, steps: s, method: rule, internalBatchSize: 256 });
        convergence.push({ x: s, y: Math.max(1e-12, meanAbs(delta.toTypedArray())), series: rule });
      }
    }
    progress.done(`completeness against steps ${lap()}`);

    // model randomisation (cascading, top layer first) for IG and saliency
    progress.step('sanity checks');
    const sanityN = Math.min(count, quick ? 1 : 2);
    const sanityInputs = takeRows(inputs, Array.from({ length: sanityN }, (_, i) => i));
    const sanityTarget = target.slice(0, sanityN);
    const igSteps = quick ? 4 : 16;
    const sanity: Point[] = [];
    const explainers: [string, (m: Module, x: Tensor) => Tensor][] = [
      [`ig (${igSteps} steps)`, (m, x) => integratedGradients(m, x, { target: sanityTarget, steps: igSteps }).attributions],
      ['saliency', (m, x) => saliency(m, x, { target: sanityTarget }).attributions],
    ];
    let layerOrder: string[] = [];
    for (const [name, explain] of explainers) {
      const res = modelRandomizationCheck(model, explain, sanityInputs, { mode: 'cascading', metrics: ['spearmanAbs', 'spearmanSigned'], seed });
      layerOrder = res.layerOrder;
      for (const row of res.rows) sanity.push({ x: row.stage, y: row.mean, series: `${name}, ${row.metric === 'spearmanAbs' ? '|map|' : 'signed map'}`, group: name });
    }
    progress.done(`model randomisation ${lap()}`);

    // report
    progress.step('report');
    const curvePoints = (key: 'deletion' | 'insertion'): Point[] =>
      results.flatMap((r) => (r[key] && r.fractions ? Array.from(r[key]!, (y, k) => ({ x: r.fractions![k]!, y, series: r.spec.name, group: methodFamily(r.spec.name) })) : []));
    const charts = {
      convergence: await lineChartSvg(convergence, {
        title: `IG completeness error against steps (mean over ${convN} digit(s))`,
        xTitle: 'steps',
        yTitle: 'mean |delta|',
        logX: true,
        logY: true,
        seriesTitle: 'quadrature',
      }),
      deletion: await lineChartSvg(curvePoints('deletion'), { title: 'Deletion (lower is better)', xTitle: 'fraction of pixels removed', yTitle: 'p(class)', seriesTitle: 'method' }),
      insertion: await lineChartSvg(curvePoints('insertion'), { title: 'Insertion (higher is better)', xTitle: 'fraction of pixels inserted', yTitle: 'p(class)', seriesTitle: 'method' }),
      sanity: await lineChartSvg(sanity, {
        title: 'Model randomisation (cascading, top layer first)',
        xTitle: `layers randomised (${layerOrder.join(' → ')})`,
        yTitle: 'Spearman rank correlation',
        seriesTitle: 'map',
        integerX: true,
      }),
    };
    const data: ReportData = {
      title: 'pathgrad demo report',
      model: description,
      backend: `${backend.name}${backend.mode ? ` (${backend.mode})` : ''}`,
      seed,
      quick,
      images: indices.map((idx, i) => ({ index: idx, label: labels[i]!, predicted: predicted[i]!, misclassified: labels[i] !== predicted[i] })),
      misclassifiedNote:
        misclassified === undefined ? 'The model classifies all of the first 2000 test digits correctly.' : `Test digit #${misclassified} is the first one the model gets wrong.`,
      methods: results.map((r) => ({
        name: r.spec.name,
        title: r.spec.title,
        summary: r.spec.summary,
        settings: r.settings,
        seconds: r.seconds,
        meanAbsDelta: r.meanAbsDelta,
        deletionAuc: r.deletionAuc,
        insertionAuc: r.insertionAuc,
        evaluations: r.evaluations,
        shape: r.attributions.shape,
        kind: r.spec.mapKind ?? 'attribution',
        ...(r.spec.pictureNote ? { note: r.spec.pictureNote } : {}),
        scales: [] as number[],
      })),
      charts,
      totalSeconds: 0,
    };
    const files: Record<string, Uint8Array | string> = {};
    indices.forEach((_, i) => {
      files[`images/digit-${i}.png`] = digitPng(inputs, i);
      for (const r of results) {
        const pic = heatmapPng(r.attributions, inputs, i, r.spec.mapKind ?? 'attribution');
        if (pic) {
          files[`heatmaps/${r.spec.name}-${i}.png`] = pic.png;
          data.methods.find((m) => m.name === r.spec.name)!.scales[i] = pic.scale;
        }
      }
    });
    for (const [k, svg] of Object.entries(charts)) files[`charts/${k}.svg`] = svg;
    data.totalSeconds = (performance.now() - t0) / 1000;
    files['index.html'] = renderReport(data, (p) => p in files);
    files['summary.json'] = JSON.stringify({ ...data, charts: Object.keys(charts) }, null, 2);
    await writeReportFolder(args.out, files);
    progress.done('report written');
  } finally {
    progress.stop();
  }

  // summary table on stdout
  const rows = results.map((r) => [
    r.spec.name,
    `${r.seconds.toFixed(2)} s`,
    r.meanAbsDelta === undefined ? '-' : r.meanAbsDelta.toExponential(2),
    r.deletionAuc === undefined ? '-' : r.deletionAuc.toFixed(3),
    r.insertionAuc === undefined ? '-' : r.insertionAuc.toFixed(3),
  ]);
  const header = ['method', 'time', 'mean |delta|', 'deletion AUC', 'insertion AUC'];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]): string => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  process.stdout.write(`${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`);
  const report = join(outDir, 'index.html');
  log(`report: ${report} (open it in a browser); total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return report;
}
