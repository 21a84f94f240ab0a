/**
 * `pathgrad evaluate`: runs several methods on a model and inputs, scores them with the
 * metrics of @pathgrad/attribution (evaluateMethods), prints the mean per (method, metric)
 * and writes the full tidy table as CSV and JSON.
 */
import { evaluateMethods, type MetricSpec } from '@pathgrad/attribution';
import type { Tensor } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { checkOutputFile } from '../output.js';
import { loadInputs, loadModel } from '../load.js';
import { methodByName, resolveOptions, type MethodContext } from '../methods.js';
import { mnistBackground, probeModel, resolveTargetArg } from './attribute.js';

/** Parsed options of `evaluate`. */
export interface EvaluateArgs {
  model: string;
  arch?: string;
  input: string;
  methods: string;
  metrics: string;
  target: string;
  seed: string;
  out: string;
}

const METRICS: Record<string, MetricSpec> = {
  deletion: 'deletion',
  insertion: { metric: 'insertion', options: { blurSigma: 2 } },
  infidelity: 'infidelity',
  sensitivity: 'sensitivityMax',
  sic: 'sic',
  aic: 'aic',
  sparseness: 'sparseness',
  complexity: 'complexity',
};

/** `pathgrad evaluate`. */
export async function evaluateCommand(args: EvaluateArgs, log: (line: string) => void): Promise<void> {
  const methods = args.methods.split(',').map((m) => methodByName(m.trim()));
  const metricNames = args.metrics.split(',').map((m) => m.trim());
  const metrics = metricNames.map((m) => {
    const spec = METRICS[m];
    if (spec === undefined) throw new UsageError(`--metrics: unknown metric '${m}'; choose from ${Object.keys(METRICS).join(', ')}`);
    return spec;
  });
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  const stem = args.out.replace(/\.(csv|json)$/i, '');
  // before any work: both outputs must be writable (and not someone's existing files)
  checkOutputFile(`${stem}.csv`);
  checkOutputFile(`${stem}.json`);
  const { model } = loadModel(args.model, args.arch, 'float32');
  const { inputs, labels } = loadInputs(args.input, 'float32');
  const logits = probeModel(model, inputs);
  const targets = resolveTargetArg(args.target, logits, labels);
  const background = mnistBackground(200, 'float32');
  const fns = Object.fromEntries(
    methods.map((spec) => {
      const settings = resolveOptions(spec, spec.demo as Record<string, string | number | boolean>);
      const fn = (_m: unknown, x: Tensor, o: { target: Int32Array }): { attributions: Tensor } => {
        const ctx: MethodContext = { model, inputs: x, target: o.target, background, seed };
        return { attributions: spec.run(ctx, settings).attributions };
      };
      return [spec.name, fn];
    }),
  );
  log(`evaluating ${methods.map((m) => m.name).join(', ')} with ${metricNames.join(', ')} on ${inputs.shape[0]} input(s)`);
  const result = await evaluateMethods({ model, inputs, targets, methods: fns, metrics });
  const csv = ['example,method,metric,value,note', ...result.rows.map((r) => [r.example, r.method, r.metric, r.value ?? '', JSON.stringify(r.note ?? '')].join(','))].join('\n');
  writeFileAtomic(`${stem}.csv`, `${csv}\n`);
  writeFileAtomic(`${stem}.json`, JSON.stringify({ targets: Array.from(result.targets), rows: result.rows, timings: result.timings }, null, 2));
  // means per method and metric
  const metricsSeen = [...new Set(result.rows.map((r) => r.metric))];
  const lines = [['method', ...metricsSeen].join('\t')];
  for (const m of methods) {
    const cells = metricsSeen.map((k) => {
      const vals = result.rows.filter((r) => r.method === m.name && r.metric === k && r.value !== null).map((r) => r.value as number);
      return vals.length ? (vals.reduce((a, b) => a + b, 0) / vals.length).toFixed(4) : '-';
    });
    lines.push([m.name, ...cells].join('\t'));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  log(`wrote ${stem}.csv and ${stem}.json`);
}
