/**
 * `pathgrad igc`: Integrated Gradient Correlation over a dataset, in one pass, as shards
 * (`--shard i/n --out part-i.json`) merged later (`pathgrad igc merge part-*.json --out
 * igc.json`), or spread over worker threads of one machine (`--workers N`).
 *
 * Bit-exact sharding. Float addition is not associative, so "merge in any order" cannot
 * give the same bits. The reduction is therefore fixed, independent of how the work is
 * split: the dataset is cut into batches of `--batch-size` examples (batch k = examples
 * [k·B, (k+1)·B)), each batch gives one accumulator (`igcAccumulate`), and the result is the
 * reduction of those accumulators over a fixed binary tree: node (L, k) covers batches
 * [k·2^L, (k+1)·2^L) and is `merge(node(L-1, 2k), node(L-1, 2k+1))`, or just its left child
 * when the right one holds no batch. A shard covers a contiguous range of batches and
 * writes the tree nodes that tile its range (the ones whose parent reaches outside it);
 * `merge` rebuilds the root from any such tiling. The one-pass run is the same tree, so
 * sharded + merged equals one pass bit for bit (float64 states travel as base64 bytes, so
 * even the sign of zero survives). Batch k's random baselines are seeded with seed + k, so
 * an example's IG does not depend on the shard either.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Command } from 'commander';
import { IGCAccumulator, QUADRATURE_METHODS, igcAccumulate, type IGCState, type QuadratureMethod } from '@pathgrad/attribution';
import type { Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, backendInfo, setBackend, type BackendName } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { loadModel } from '../load.js';

/** Parsed options of `pathgrad igc` (as commander gives them). */
export interface IgcArgs {
  model: string;
  arch?: string;
  data: string;
  steps: string;
  method: string;
  batchSize: string;
  internalBatchSize?: string;
  components?: string;
  seed: string;
  backend: string;
  shard?: string;
  workers?: string;
  out?: string;
}

/** Everything that decides the numbers: parts merge only when these agree. */
export interface IgcSettings {
  model: string;
  arch: string | null;
  data: string;
  examples: number;
  batchSize: number;
  batches: number;
  steps: number;
  method: QuadratureMethod;
  internalBatchSize: number | null;
  components: number[] | null;
  seed: number;
  backend: BackendName;
}

/** One node of the fixed reduction tree: batches [index·2^level, (index+1)·2^level) ∩ [0, batches). */
export interface IgcNode {
  level: number;
  index: number;
  /** The accumulator state, float64 arrays as base64 little-endian bytes. */
  state: EncodedState;
}

/** An {@link IGCState} with every number array stored as base64 float64 bytes (exact, -0 included). */
export interface EncodedState {
  featureShape: number[];
  components: number[];
  count: number;
  scalars: string;
  meanIG: string[];
  coIGY: string[];
}

/** A shard's file: its settings, its range of batches and the tree nodes that tile it. */
export interface IgcPartFile {
  format: 'pathgrad-igc-part';
  version: 1;
  settings: IgcSettings;
  shard: { index: number; count: number; batches: [number, number] };
  nodes: IgcNode[];
}

/** The final result file. */
export interface IgcResultFile {
  format: 'pathgrad-igc';
  version: 1;
  settings: IgcSettings;
  count: number;
  components: number[];
  featureShape: number[];
  correlation: number[];
  igcSum: number[];
  /** IGC maps, one flat row-major array per component. */
  igc: number[][];
  /** SHA-256 of the root accumulator's bytes: equal digests = bit-identical results. */
  digest: string;
  root: EncodedState;
}

const f64ToB64 = (v: ArrayLike<number>): string => Buffer.from(Float64Array.from(v).buffer).toString('base64');
function b64ToF64(s: string): number[] {
  const b = Buffer.from(s, 'base64');
  return [...new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
}

/**
 * Encodes an accumulator exactly (JSON numbers would lose -0).
 * @example
 * ```ts
 * const enc = encodeState(acc); IGCAccumulator.fromState(decodeState(enc)); // the same bits
 * ```
 */
export function encodeState(acc: IGCAccumulator): EncodedState {
  const s = acc.toState();
  return {
    featureShape: s.featureShape,
    components: s.components,
    count: s.count,
    scalars: f64ToB64([...s.meanY, ...s.meanYhat, ...s.m2Y, ...s.m2Yhat, ...s.coYhatY]),
    meanIG: s.meanIG.map(f64ToB64),
    coIGY: s.coIGY.map(f64ToB64),
  };
}

/**
 * Decodes {@link encodeState}'s output.
 * @example
 * ```ts
 * const acc = IGCAccumulator.fromState(decodeState(part.nodes[0].state));
 * ```
 */
export function decodeState(e: EncodedState): IGCState {
  const J = e.components.length;
  const sc = b64ToF64(e.scalars);
  const part = (i: number) => sc.slice(i * J, (i + 1) * J);
  return {
    featureShape: e.featureShape,
    components: e.components,
    count: e.count,
    meanY: part(0),
    meanYhat: part(1),
    m2Y: part(2),
    m2Yhat: part(3),
    coYhatY: part(4),
    meanIG: e.meanIG.map(b64ToF64),
    coIGY: e.coIGY.map(b64ToF64),
  };
}

/** Batches covered by node (level, index), clipped to the dataset. */
function nodeRange(level: number, index: number, batches: number): [number, number] {
  const size = 2 ** level;
  return [index * size, Math.min((index + 1) * size, batches)];
}

/** `merge(a, b)` into a fresh accumulator (tree nodes are shared and must not change). */
function combine(a: IGCAccumulator, b: IGCAccumulator): IGCAccumulator {
  return IGCAccumulator.fromState(a.toState()).merge(b);
}

/**
 * The root of the fixed reduction tree over `batches` batches from nodes that tile
 * [0, batches) exactly (a shard's nodes, or all shards' together).
 * @example
 * ```ts
 * const acc = reduceTree(parts.flatMap((p) => p.nodes), parts[0].settings.batches);
 * ```
 */
export function reduceTree(nodes: readonly TreeNode[], batches: number): IGCAccumulator {
  const covered = new Int32Array(batches);
  const byKey = new Map<string, IGCAccumulator>();
  for (const n of nodes) {
    const [a, b] = nodeRange(n.level, n.index, batches);
    if (a >= b) throw new UsageError(`igc merge: node (level ${n.level}, index ${n.index}) lies outside the ${batches} batches of the run`);
    for (let k = a; k < b; k++) covered[k]!++;
    byKey.set(`${n.level}/${n.index}`, n.acc);
  }
  const missing = covered.findIndex((c) => c === 0);
  if (missing >= 0) throw new UsageError(`igc merge: batch ${missing} of ${batches} is in no part file (a shard is missing)`);
  const twice = covered.findIndex((c) => c > 1);
  if (twice >= 0) throw new UsageError(`igc merge: batch ${twice} is in more than one part file (a shard was given twice)`);
  let top = 0;
  while (2 ** top < batches) top++;
  const evalNode = (level: number, index: number): IGCAccumulator => {
    const own = byKey.get(`${level}/${index}`);
    if (own) return own;
    // level 0 is always present: every batch is covered
    const left = evalNode(level - 1, 2 * index);
    const [r0, r1] = nodeRange(level - 1, 2 * index + 1, batches);
    return r0 >= r1 ? left : combine(left, evalNode(level - 1, 2 * index + 1));
  };
  return evalNode(top, 0);
}

/**
 * Runs batches [first, last) and returns the tree nodes that tile that range, combining
 * siblings as soon as both exist (a binary counter: memory is O(log batches) accumulators).
 * @example
 * ```ts
 * const nodes = runBatches(settings, model, 0, settings.batches);
 * ```
 */
export function runBatches(settings: IgcSettings, model: Module, first: number, last: number, log?: (line: string) => void): TreeNode[] {
  const { images, labels } = loadData(settings);
  const per = images.size / Math.max(1, images.shape[0]!);
  const x = images.toTypedArray();
  const y = labels.toTypedArray();
  const stack: TreeNode[] = [];
  for (let k = first; k < last; k++) {
    const a = k * settings.batchSize;
    const b = Math.min(a + settings.batchSize, settings.examples);
    const inputs = new Tensor(x.slice(a * per, b * per), [b - a, ...images.shape.slice(1)], images.dtype);
    const targets = new Tensor(y.slice(a, b), [b - a], 'int32');
    const acc = igcAccumulate(model, { inputs, targets }, {
      steps: settings.steps,
      method: settings.method,
      seed: settings.seed + k,
      ...(settings.internalBatchSize !== null ? { internalBatchSize: settings.internalBatchSize } : {}),
      ...(settings.components !== null ? { components: settings.components } : {}),
    });
    pushLeaf(stack, k, acc);
    log?.(`igc: batch ${k + 1 - first}/${last - first} (examples ${a}-${b - 1})`);
  }
  return stack;
}

/** A tree node with its accumulator. */
export interface TreeNode {
  level: number;
  index: number;
  acc: IGCAccumulator;
}

/**
 * Pushes batch `index`'s accumulator on a stack of tree nodes, folding it with its left
 * sibling while that is on top (a binary counter): the stack always tiles the batches pushed
 * so far, in O(log batches) nodes. Leaves must be pushed in increasing, contiguous order.
 * @example
 * ```ts
 * const stack: TreeNode[] = [];
 * for (const [k, acc] of leaves.entries()) pushLeaf(stack, k, acc);
 * reduceTree(stack, leaves.length);
 * ```
 */
export function pushLeaf(stack: TreeNode[], index: number, acc: IGCAccumulator): void {
  let node: TreeNode = { level: 0, index, acc };
  for (;;) {
    const top = stack[stack.length - 1];
    if (!top || top.level !== node.level || top.index !== node.index - 1 || node.index % 2 !== 1) break;
    stack.pop();
    node = { level: node.level + 1, index: top.index / 2, acc: combine(top.acc, node.acc) };
  }
  stack.push(node);
}

function loadData(s: IgcSettings): { images: Tensor; labels: Tensor } {
  const { split, start } = parseData(s.data);
  const all = mnist({ split, limit: start + s.examples });
  if (start === 0) return all;
  const per = 784;
  return {
    images: new Tensor(all.images.toTypedArray().slice(start * per), [s.examples, 1, 28, 28], all.images.dtype),
    labels: new Tensor(all.labels.toTypedArray().slice(start), [s.examples], 'int32'),
  };
}

/** `mnist:test`, `mnist:train` or a contiguous range `mnist:test:a-b` (inclusive). */
function parseData(spec: string): { split: 'train' | 'test'; start: number; count: number } {
  const m = /^mnist:(train|test)(?::(\d+)-(\d+))?$/.exec(spec);
  if (m === null) throw new UsageError(`--data '${spec}': expected mnist:test, mnist:train or a contiguous range such as mnist:test:0-999`);
  const split = m[1] as 'train' | 'test';
  const size = split === 'test' ? 10000 : 60000;
  const start = m[2] === undefined ? 0 : Number(m[2]);
  const end = m[3] === undefined ? size - 1 : Number(m[3]);
  if (end < start) throw new UsageError(`--data '${spec}': range ${start}-${end} is empty (write the smaller index first)`);
  if (end >= size) throw new UsageError(`--data '${spec}': index ${end} is out of range, the ${split} split has ${size} images (0-${size - 1})`);
  return { split, start, count: end - start + 1 };
}

function positiveInt(value: string, option: string): number {
  const v = Number(value);
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  return v;
}

/**
 * Validates `pathgrad igc`'s options into settings.
 * @example
 * ```ts
 * const s = igcSettings({ model: 'mlp', data: 'mnist:test:0-99', steps: '16', method: 'riemannTrapezoid', batchSize: '50', seed: '100', backend: 'cpu', out: 'x.json' });
 * ```
 */
export function igcSettings(args: IgcArgs): IgcSettings {
  const { count } = parseData(args.data);
  const batchSize = positiveInt(args.batchSize, '--batch-size');
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  if (!(QUADRATURE_METHODS as readonly string[]).includes(args.method)) throw new UsageError(`--method must be one of ${QUADRATURE_METHODS.join(', ')}, got '${args.method}'`);
  if (!['cpu', 'wasm', 'gpujs'].includes(args.backend)) throw new UsageError(`--backend must be wasm, cpu or gpujs, got '${args.backend}'`);
  const components = args.components === undefined ? null : args.components.split(',').map((c) => {
    const v = Number(c);
    if (!Number.isSafeInteger(v) || v < 0) throw new UsageError(`--components must be a comma-separated list of class indices, got '${args.components}'`);
    return v;
  });
  return {
    model: args.model,
    arch: args.arch ?? null,
    data: args.data,
    examples: count,
    batchSize,
    batches: Math.ceil(count / batchSize),
    steps: positiveInt(args.steps, '--steps'),
    method: args.method as QuadratureMethod,
    internalBatchSize: args.internalBatchSize === undefined ? null : positiveInt(args.internalBatchSize, '--internal-batch-size'),
    components,
    seed,
    backend: args.backend as BackendName,
  };
}

function parseShard(spec: string, batches: number): { index: number; count: number; range: [number, number] } {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (m === null) throw new UsageError(`--shard must be i/n with 0 <= i < n (e.g. --shard 0/4), got '${spec}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UsageError(`--shard must be i/n with 0 <= i < n, got '${spec}'`);
  if (count > batches) throw new UsageError(`--shard ${spec}: ${count} shards but only ${batches} batches; use fewer shards or a smaller --batch-size`);
  return { index, count, range: shardRange(index, count, batches) };
}

/** Shard i of n covers batches [⌊i·B/n⌋, ⌊(i+1)·B/n⌋): contiguous, disjoint, covering. */
function shardRange(i: number, n: number, batches: number): [number, number] {
  return [Math.floor((i * batches) / n), Math.floor(((i + 1) * batches) / n)];
}

function useBackend(name: BackendName): void {
  setBackend(name);
  const info = backendInfo();
  if (!info.available) throw new UsageError(`--backend ${name} is not available here: ${info.note ?? ''}`);
}

/** Runs batches [first, last), split over `workers` worker threads (contiguous sub-ranges). */
async function runRange(settings: IgcSettings, first: number, last: number, workers: number, log: (line: string) => void): Promise<TreeNode[]> {
  const n = Math.min(workers, last - first);
  if (n <= 1) {
    useBackend(settings.backend);
    const { model } = loadModel(settings.model, settings.arch ?? undefined, 'float32');
    return runBatches(settings, model, first, last, log);
  }
  const require = createRequire(import.meta.url);
  // require.resolve gives tsx's CommonJS build of the API; the ESM one sits beside it
  const tsx = import.meta.url.endsWith('.ts') ? pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : null;
  // an eval worker is CommonJS: register tsx (when running from source) and import this module
  const boot = `const { workerData } = require('node:worker_threads');
(async () => { if (workerData.tsx) { const { register } = await import(workerData.tsx); register(); } await import(workerData.self); })();`;
  const jobs = Array.from({ length: n }, (_, w) => {
    const a = first + Math.floor((w * (last - first)) / n);
    const b = first + Math.floor(((w + 1) * (last - first)) / n);
    return new Promise<IgcNode[]>((resolvePromise, reject) => {
      const worker = new Worker(boot, { eval: true, workerData: { pathgradIgc: true, tsx, self: import.meta.url, settings, first: a, last: b } });
      worker.once('message', (m: { nodes?: IgcNode[]; error?: string }) => (m.error !== undefined ? reject(new UsageError(m.error)) : resolvePromise(m.nodes ?? [])));
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`igc: worker for batches ${a}-${b - 1} exited with code ${code}`));
      });
    });
  });
  log(`igc: ${last - first} batches over ${n} worker threads`);
  const parts = await Promise.all(jobs);
  return parts.flat().map((nd) => ({ level: nd.level, index: nd.index, acc: IGCAccumulator.fromState(decodeState(nd.state)) }));
}

function resultFile(settings: IgcSettings, acc: IGCAccumulator): IgcResultFile {
  const r = acc.result();
  const root = encodeState(acc);
  const per = r.igc.size / Math.max(1, r.components.length);
  const flat = r.igc.toTypedArray();
  const digest = createHash('sha256').update(JSON.stringify(root)).digest('hex');
  return {
    format: 'pathgrad-igc',
    version: 1,
    settings,
    count: r.count,
    components: r.components,
    featureShape: r.igc.shape.slice(1),
    correlation: [...r.correlation],
    igcSum: [...r.igcSum],
    igc: r.components.map((_, c) => [...flat.subarray(c * per, (c + 1) * per)]),
    digest,
    root,
  };
}

/** `pathgrad igc` (one pass, one shard, or worker threads). */
export async function igcCommand(args: IgcArgs, log: (line: string) => void): Promise<void> {
  // not a commander requiredOption: that would also be demanded of `igc merge`
  if (args.out === undefined) throw new UsageError('--out is required (e.g. --out igc.json, or --out part-0.json with --shard 0/4)');
  if (!args.out.toLowerCase().endsWith('.json')) throw new UsageError(`--out must be a .json file, got '${args.out}'`);
  const settings = igcSettings(args);
  const workers = args.workers === undefined ? 1 : positiveInt(args.workers, '--workers');
  const t0 = performance.now();
  if (args.shard !== undefined) {
    const shard = parseShard(args.shard, settings.batches);
    const [a, b] = shard.range;
    log(`igc shard ${shard.index}/${shard.count}: batches ${a}-${b - 1} of ${settings.batches} (examples ${a * settings.batchSize}-${Math.min(b * settings.batchSize, settings.examples) - 1})`);
    // the stack of each worker is a tiling of its sub-range; together they tile the shard
    const nodes = await runRange(settings, a, b, workers, log);
    const part: IgcPartFile = {
      format: 'pathgrad-igc-part',
      version: 1,
      settings,
      shard: { index: shard.index, count: shard.count, batches: [a, b] },
      nodes: nodes.map((nd) => ({ level: nd.level, index: nd.index, state: encodeState(nd.acc) })),
    };
    writeFileAtomic(args.out, JSON.stringify(part));
    log(`wrote ${args.out} (${((performance.now() - t0) / 1000).toFixed(1)} s); combine the parts with: pathgrad igc merge part-*.json --out igc.json`);
    return;
  }
  const nodes = await runRange(settings, 0, settings.batches, workers, log);
  const out = resultFile(settings, reduceTree(nodes, settings.batches));
  writeFileAtomic(args.out, JSON.stringify(out));
  const secs = (performance.now() - t0) / 1000;
  log(`igc: ${settings.examples} examples in ${secs.toFixed(1)} s (${(settings.examples / secs).toFixed(1)} images/s); correlation ${out.correlation.map((c) => c.toFixed(3)).join(' ')}; wrote ${args.out}`);
}

/** `pathgrad igc merge part-*.json --out igc.json`. */
export function igcMergeCommand(files: string[], out: string | undefined, log: (line: string) => void): void {
  if (out === undefined) throw new UsageError('igc merge: --out is required (e.g. pathgrad igc merge part-*.json --out igc.json)');
  if (!out.toLowerCase().endsWith('.json')) throw new UsageError(`--out must be a .json file, got '${out}'`);
  if (files.length === 0) throw new UsageError('igc merge: give the part files, e.g. pathgrad igc merge part-*.json --out igc.json');
  const parts = files.map((f) => {
    let p: IgcPartFile;
    try {
      p = JSON.parse(readFileSync(f, 'utf8')) as IgcPartFile;
    } catch (e) {
      throw new UsageError(`igc merge: cannot read ${f}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (p.format !== 'pathgrad-igc-part' || p.version !== 1) throw new UsageError(`igc merge: ${f} is not a pathgrad igc part file (written by pathgrad igc --shard i/n)`);
    return { file: f, part: p };
  });
  const settings = parts[0]!.part.settings;
  const key = JSON.stringify(settings);
  for (const { file, part } of parts) {
    if (JSON.stringify(part.settings) !== key) throw new UsageError(`igc merge: ${file} was computed with other settings than ${parts[0]!.file} (${JSON.stringify(part.settings)} vs ${key})`);
  }
  const nodes = parts.flatMap(({ part }) => part.nodes.map((nd) => ({ level: nd.level, index: nd.index, acc: IGCAccumulator.fromState(decodeState(nd.state)) })));
  const result = resultFile(settings, reduceTree(nodes, settings.batches));
  writeFileAtomic(out, JSON.stringify(result));
  log(`igc merge: ${parts.length} part(s), ${result.count} examples; wrote ${out} (digest ${result.digest.slice(0, 16)})`);
}

/**
 * Adds `igc` and `igc merge` to the program (one line in the CLI's command setup).
 * @example
 * ```ts
 * registerIgcCommand(program, console.error);
 * ```
 */
export function registerIgcCommand(program: Command, log: (line: string) => void): void {
  const igc = program
    .command('igc')
    .description('Integrated Gradient Correlation over a dataset; --shard i/n writes a part file, `igc merge` combines parts bit-exactly')
    .option('--model <model>', 'mlp, cnn, FILE.onnx, or FILE.safetensors with --arch', 'cnn')
    .option('--arch <arch>', 'architecture of a .safetensors model: mnist-mlp or mnist-cnn')
    .option('--data <spec>', 'mnist:test, mnist:train or a contiguous range like mnist:test:0-999', 'mnist:test')
    .option('--steps <n>', 'IG steps', '64')
    .option('--method <rule>', `quadrature rule (${QUADRATURE_METHODS.join(', ')})`, 'riemannTrapezoid')
    .option('--batch-size <n>', 'examples per batch: the unit of the fixed reduction (all parts of one run must agree)', '100')
    .option('--internal-batch-size <n>', 'at most this many path points per forward/backward pass (memory bound)')
    .option('--components <list>', 'comma-separated classes to explain (default: all)')
    .option('--seed <n>', 'seed of random baselines (batch k uses seed + k)', '100')
    .option('--backend <name>', 'tensor backend: cpu, wasm or gpujs (all parts of one run must agree)', 'wasm')
    .option('--shard <i/n>', 'compute only shard i of n (contiguous batches) and write a part file')
    .option('--workers <n>', 'split the work over n worker threads of this machine')
    .option('--out <file>', 'output .json (required): the IGC maps, or a part file with --shard')
    .action((opts: IgcArgs) => igcCommand(opts, log));
  igc
    .command('merge')
    .description('merge part files of `pathgrad igc --shard i/n` into the result (bit-identical to a one-pass run)')
    .argument('<parts...>', 'part files')
    // --out is igc's own option (commander gives options found after the subcommand to the parent)
    .usage('<parts...> --out igc.json')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') })
    .action((files: string[]) => igcMergeCommand(files, (igc.opts() as IgcArgs).out, log));
}

// worker thread of --workers: run a sub-range and send back its nodes
const job = workerData as { pathgradIgc?: boolean; settings: IgcSettings; first: number; last: number } | null;
if (!isMainThread && job?.pathgradIgc === true && parentPort) {
  const port = parentPort;
  try {
    useBackend(job.settings.backend);
    const { model } = loadModel(job.settings.model, job.settings.arch ?? undefined, 'float32');
    const nodes = runBatches(job.settings, model, job.first, job.last);
    port.postMessage({ nodes: nodes.map((nd) => ({ level: nd.level, index: nd.index, state: encodeState(nd.acc) })) });
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}
