/**
 * `pathgrad evaluate`: runs several methods on a model and inputs, scores them with the
 * metrics of @pathgrad/attribution (evaluateMethods), prints the mean per (method, metric)
 * and writes the full tidy table as CSV and JSON.
 */
import { evaluateMethods, type MetricSpec } from '@pathgrad/attribution';
import type { Tensor } from '@pathgrad/tensor';
import { backendInfo, getBackend, setBackend, type BackendChoice } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { startProgress } from '../progress.js';
import { writeFileAtomic } from '../files.js';
import { checkOutputFile } from '../output.js';
import { loadInputs, loadModel, parseLoadLimits, type LoadLimitArgs } from '../load.js';
import { methodByName, resolveOptions, type MethodContext } from '../methods.js';
import { mnistBackground, probeModel, resolveTargetArg } from './attribute.js';

/** Parsed options of `evaluate`. */
export interface EvaluateArgs extends LoadLimitArgs {
  model: string;
  arch?: string;
  input: string;
  methods: string;
  metrics: string;
  target: string;
  seed: string;
  out: string;
  backend: string;
  pixelsPerStep: string;
}

/** The metrics by their command-line names; deletion/insertion move `step` pixels per model call. */
const metricSpecs = (step: number): Record<string, MetricSpec> => ({
  deletion: { metric: 'deletion', options: { step } },
  insertion: { metric: 'insertion', options: { blurSigma: 2, step } },
  infidelity: 'infidelity',
  sensitivity: 'sensitivityMax',
  sic: 'sic',
  aic: 'aic',
  sparseness: 'sparseness',
  complexity: 'complexity',
});

function useBackend(name: string): void {
  const names = ['auto', 'cpu', 'wasm', 'gpujs'];
  if (!names.includes(name)) throw new UsageError(`--backend must be one of ${names.join(', ')}, got '${name}'`);
  setBackend(name as BackendChoice);
  const info = backendInfo();
  if (!info.available) throw new UsageError(`--backend ${name} is not available here: ${info.note ?? ''}`);
}

/** `pathgrad evaluate`. */
export async function evaluateCommand(args: EvaluateArgs, log: (line: string) => void): Promise<void> {
  const methods = args.methods.split(',').map((m) => methodByName(m.trim()));
  const metricNames = args.metrics.split(',').map((m) => m.trim());
  const step = Number(args.pixelsPerStep);
  if (!Number.isSafeInteger(step) || step < 1) throw new UsageError(`--pixels-per-step must be a positive integer, got '${args.pixelsPerStep}'`);
  const known = metricSpecs(step);
  const metrics = metricNames.map((m) => {
    const spec = known[m];
    if (spec === undefined) throw new UsageError(`--metrics: unknown metric '${m}'; choose from ${Object.keys(known).join(', ')}`);
    return spec;
  });
  useBackend(args.backend);
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  const limits = parseLoadLimits(args);
  const stem = args.out.replace(/\.(csv|json)$/i, '');
  // before any work: both outputs must be writable (and not someone's existing files)
  checkOutputFile(`${stem}.csv`);
  checkOutputFile(`${stem}.json`);
  const { model } = loadModel(args.model, args.arch, 'float32', limits);
  const { inputs, labels } = loadInputs(args.input, 'float32', undefined, limits);
  const pixels = inputs.shape.slice(2).reduce((a, b) => a * b, 1);
  if (pixels % step !== 0) throw new UsageError(`--pixels-per-step ${step} must divide the ${pixels} pixels of each input (e.g. ${inputs.shape[inputs.rank - 1] ?? 1} for a row)`);
  const logits = probeModel(model, inputs);
  const targets = resolveTargetArg(args.target, logits, labels);
  const background = mnistBackground(200, 'float32');
  // one unit per method: each method's maps, then its metrics (the estimate is per method)
  const progress = startProgress('evaluate', methods.length);
  const fns = Object.fromEntries(
    methods.map((spec) => {
      const settings = resolveOptions(spec, spec.demo as Record<string, string | number | boolean>);
      const fn = (_m: unknown, x: Tensor, o: { target: Int32Array }): { attributions: Tensor } => {
        const ctx: MethodContext = { model, inputs: x, target: o.target, background, seed };
        const out = { attributions: spec.run(ctx, settings).attributions };
        progress.tick(1, `${spec.name} maps done`);
        return out;
      };
      return [spec.name, fn];
    }),
  );
  log(`evaluating ${methods.map((m) => m.name).join(', ')} with ${metricNames.join(', ')} on ${inputs.shape[0]} input(s), ${step} pixel(s) per deletion/insertion step, backend ${getBackend()}`);
  const result = await evaluateMethods({ model, inputs, targets, methods: fns, metrics });
  progress.stop();
  const csv = ['example,method,metric,value,note', ...result.rows.map((r) => [r.example, r.method, r.metric, r.value ?? '', JSON.stringify(r.note ?? '')].join(','))].join('\n');
  writeFileAtomic(`${stem}.csv`, `${csv}\n`);
  writeFileAtomic(`${stem}.json`, JSON.stringify({ targets: Array.from(result.targets), rows: result.rows, timings: result.timings }, null, 2));
  // means per method and metric
  const metricsSeen = [...new Set(result.rows.map((r) => r.metric))];
  const lines = [['method', ...metricsSeen].join('\t')];
  let partial = false;
  for (const m of methods) {
    const cells = metricsSeen.map((k) => {
      const rows = result.rows.filter((r) => r.method === m.name && r.metric === k);
      const vals = rows.filter((r) => r.value !== null).map((r) => r.value as number);
      const mean = vals.length ? (vals.reduce((a, b) => a + b, 0) / vals.length).toFixed(4) : '-';
      if (vals.length < rows.length) partial = true;
      // a mean over fewer examples than were given says over how many
      return vals.length === rows.length ? mean : `${mean} (${vals.length}/${rows.length})`;
    });
    lines.push([m.name, ...cells].join('\t'));
  }
  if (partial) lines.push('(k/n): the mean covers k of n examples; the others were skipped by the metric (the reason is in the note column of the CSV)');
  process.stdout.write(`${lines.join('\n')}\n`);
  log(`wrote ${stem}.csv and ${stem}.json`);
}
