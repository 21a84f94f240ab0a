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
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Command } from 'commander';
import { IGCAccumulator, MAX_BASELINES, QUADRATURE_METHODS, igcAccumulate, type IGCState, type QuadratureMethod } from '@pathgrad/attribution';
import { noGrad } from '@pathgrad/autograd';
import type { Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { PathgradError, Tensor, backendInfo, setBackend, type BackendName } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { readUserFile, writeFileAtomic } from '../files.js';
import { addModelLimitOptions, loadModel, modelSha256, parseLoadLimits, type LoadLimitArgs, type LoadLimits } from '../load.js';
import { checkOutputFile } from '../output.js';
import { resolveShard, shardRange } from '../shard.js';

/** Parsed options of `pathgrad igc` (as commander gives them). */
export interface IgcArgs extends LoadLimitArgs {
  model: string;
  arch?: string;
  data: string;
  steps: string;
  method: string;
  batchSize: string;
  internalBatchSize?: string;
  components?: string;
  baselines?: string;
  seed: string;
  backend: string;
  shard?: string;
  workers?: string;
  out?: string;
}

/** Everything that decides the numbers: parts merge only when these agree (the model's path may differ, its bytes may not). */
export interface IgcSettings {
  /** The model as given (a zoo name or a file path). */
  model: string;
  /** SHA-256 of the model's bytes (a file's content; for a zoo name, the shipped safetensors): the model by content. */
  modelSha256: string;
  arch: string | null;
  data: string;
  examples: number;
  batchSize: number;
  batches: number;
  steps: number;
  method: QuadratureMethod;
  internalBatchSize: number | null;
  components: number[] | null;
  /** K random baselines drawn from the --data examples for every batch (IGC v1's MNIST setting: 32), or null for a zero baseline. */
  baselines: number | null;
  seed: number;
  backend: BackendName;
  /** The pathgrad version that computed it. */
  pathgrad: string;
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
  version: 2;
  settings: IgcSettings;
  shard: { index: number; count: number; batches: [number, number] };
  nodes: IgcNode[];
  /** SHA-256 of `JSON.stringify({ settings, shard, nodes })`: any change after writing is refused. */
  checksum: string;
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
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `length` float64 values from base64 bytes; anything else is refused naming `field`. */
function b64ToF64(s: unknown, field: string, length: number): number[] {
  if (typeof s !== 'string') throw new UsageError(`${field} must be a base64 string of float64 bytes, got ${s === null ? 'null' : typeof s}`);
  if (!B64_RE.test(s)) throw new UsageError(`${field} is not valid base64 (damaged?)`);
  const b = Buffer.from(s, 'base64');
  if (b.byteLength !== length * 8) throw new UsageError(`${field} holds ${b.byteLength / 8} float64 values, expected ${length}`);
  return [...new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))];
}

function intArray(v: unknown, field: string, min: number): number[] {
  if (!Array.isArray(v)) throw new UsageError(`${field} must be an array of integers, got ${v === null ? 'null' : typeof v}`);
  v.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || (d as number) < min) throw new UsageError(`${field}[${i}] must be an integer >= ${min}, got ${JSON.stringify(d)}`);
  });
  return v as number[];
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
 * Decodes {@link encodeState}'s output, checking every field's type and length; a damaged
 * state is refused with a {@link UsageError} naming the field under `where` (e.g.
 * `part-1.json: nodes[0].state.meanIG[2]`).
 * @example
 * ```ts
 * const acc = IGCAccumulator.fromState(decodeState(part.nodes[0].state));
 * ```
 */
export function decodeState(e: EncodedState, where = 'state'): IGCState {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new UsageError(`${where} must be an object, got ${e === null ? 'null' : typeof e}`);
  for (const f of ['featureShape', 'components', 'count', 'scalars', 'meanIG', 'coIGY'] as const) {
    if (!(f in e)) throw new UsageError(`${where}.${f} is missing`);
  }
  const featureShape = intArray(e.featureShape, `${where}.featureShape`, 1);
  const components = intArray(e.components, `${where}.components`, 0);
  const J = components.length;
  const per = featureShape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(per) || per > 2 ** 28) throw new UsageError(`${where}.featureShape [${featureShape.join(', ')}] is too large`);
  const sc = b64ToF64(e.scalars, `${where}.scalars`, 5 * J);
  const part = (i: number) => sc.slice(i * J, (i + 1) * J);
  const rows = (f: 'meanIG' | 'coIGY'): number[][] => {
    const v: unknown = e[f];
    if (!Array.isArray(v)) throw new UsageError(`${where}.${f} must be an array of ${J} base64 strings, got ${v === null ? 'null' : typeof v}`);
    if (v.length !== J) throw new UsageError(`${where}.${f} has ${v.length} entries, expected ${J} (one per component)`);
    return v.map((r, c) => b64ToF64(r, `${where}.${f}[${c}]`, per));
  };
  return {
    featureShape,
    components,
    count: e.count,
    meanY: part(0),
    meanYhat: part(1),
    m2Y: part(2),
    m2Yhat: part(3),
    coYhatY: part(4),
    meanIG: rows('meanIG'),
    coIGY: rows('coIGY'),
  };
}

/**
 * {@link decodeState} then `IGCAccumulator.fromState` (which checks counts and values),
 * every refusal a {@link UsageError} naming the field under `where`.
 * @example
 * ```ts
 * const acc = restoreState(part.nodes[0].state, 'part-0.json: nodes[0].state');
 * ```
 */
export function restoreState(e: EncodedState, where = 'state'): IGCAccumulator {
  const state = decodeState(e, where);
  try {
    return IGCAccumulator.fromState(state);
  } catch (err) {
    if (!(err instanceof PathgradError)) throw err;
    throw new UsageError(err.message.replace(/^IGCAccumulator\.fromState: state/, where));
  }
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
      // drawn from the whole --data set, so every shard draws from the same pool
      ...(settings.baselines !== null ? { baseline: { samples: settings.baselines, data: images } } : {}),
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
  const steps = positiveInt(args.steps, '--steps');
  const internalBatchSize = args.internalBatchSize === undefined ? null : positiveInt(args.internalBatchSize, '--internal-batch-size');
  const baselines = args.baselines === undefined ? null : positiveInt(args.baselines, '--baselines');
  // each baseline is a copy of the batch held in memory: refused here, not after the first batch
  if (baselines !== null && baselines > MAX_BASELINES) throw new UsageError(`--baselines must be at most ${MAX_BASELINES} (each is a copy of the batch held in memory; IGC's MNIST setting is 32), got ${baselines}`);
  return {
    model: args.model,
    modelSha256: modelDigest(args.model),
    arch: args.arch ?? null,
    data: args.data,
    examples: count,
    batchSize,
    batches: Math.ceil(count / batchSize),
    steps,
    method: args.method as QuadratureMethod,
    internalBatchSize,
    components,
    baselines,
    seed,
    backend: args.backend as BackendName,
    pathgrad: PATHGRAD_VERSION,
  };
}

const PATHGRAD_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** The model by content (load.ts's modelSha256), after the same check of its kind that loadModel makes. */
function modelDigest(spec: string): string {
  const ext = extname(spec).toLowerCase();
  if (!['mlp', 'cnn', 'mnist-mlp', 'mnist-cnn'].includes(spec) && ext !== '.onnx' && ext !== '.safetensors') {
    throw new UsageError(`--model must be mlp, cnn, an .onnx file or a .safetensors file (with --arch), got '${spec}'`);
  }
  return modelSha256(spec);
}

/** One forward pass on the first example: the model must take the data and have every class of --components. */
function probeModel(model: Module, settings: IgcSettings): void {
  const { images } = loadData({ ...settings, examples: 1 });
  let classes: number;
  try {
    const out = noGrad(() => model.forward(images));
    classes = out.rank === 2 ? out.shape[1]! : NaN;
  } catch (err) {
    throw new UsageError(`--model ${settings.model} does not take the images of ${settings.data} ([1, 1, 28, 28]): ${(err as Error).message.split('\n')[0]}`);
  }
  if (Number.isNaN(classes)) throw new UsageError(`--model ${settings.model} must map [N, 1, 28, 28] to [N, classes]`);
  const bad = settings.components?.find((c) => c >= classes);
  if (bad !== undefined) throw new UsageError(`--components: class ${bad} is out of range, the model has ${classes} outputs (0-${classes - 1})`);
}

/** Loads the model and makes sure it still is the one the settings name by content. */
function loadCheckedModel(settings: IgcSettings, limits: LoadLimits): Module {
  if (modelDigest(settings.model) !== settings.modelSha256) {
    throw new UsageError(`--model ${settings.model} changed while the run was going (its SHA-256 is no longer ${settings.modelSha256.slice(0, 16)}...)`);
  }
  return loadModel(settings.model, settings.arch ?? undefined, 'float32', limits).model;
}

function useBackend(name: BackendName): void {
  setBackend(name);
  const info = backendInfo();
  if (!info.available) throw new UsageError(`--backend ${name} is not available here: ${info.note ?? ''}`);
}

/** Runs batches [first, last), split over `workers` worker threads (contiguous sub-ranges). */
async function runRange(settings: IgcSettings, limits: LoadLimits, first: number, last: number, workers: number, log: (line: string) => void): Promise<TreeNode[]> {
  const n = Math.min(workers, last - first);
  if (n <= 1) {
    useBackend(settings.backend);
    return runBatches(settings, loadCheckedModel(settings, limits), first, last, log);
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
      const worker = new Worker(boot, { eval: true, workerData: { pathgradIgc: true, tsx, self: import.meta.url, settings, limits, first: a, last: b } });
      worker.once('message', (m: { nodes?: IgcNode[]; error?: string }) => (m.error !== undefined ? reject(new UsageError(m.error)) : resolvePromise(m.nodes ?? [])));
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`igc: worker for batches ${a}-${b - 1} exited with code ${code}`));
      });
    });
  });
  log(`igc: ${last - first} batches over ${n} worker threads`);
  const parts = await Promise.all(jobs);
  return parts.flat().map((nd) => ({ level: nd.level, index: nd.index, acc: restoreState(nd.state, `worker node (${nd.level}, ${nd.index})`) }));
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
  const requested = args.workers === undefined ? 1 : positiveInt(args.workers, '--workers');
  // the budgets of an .onnx --model: they bound memory, not the numbers, so they are no setting
  const limits = parseLoadLimits(args);
  const shard = args.shard === undefined ? undefined : resolveShard(args.shard, settings.batches, '--batch-size');
  // everything the user gave is checked before the first progress line
  checkOutputFile(args.out);
  useBackend(settings.backend);
  probeModel(loadCheckedModel(settings, limits), settings);
  const cores = availableParallelism();
  const workers = Math.min(requested, cores);
  // each worker holds a model and a batch of path points: more than the cores only costs memory
  if (requested > cores) log(`igc: --workers ${requested} is more than the ${cores} cores here; using ${cores}`);
  const t0 = performance.now();
  if (shard !== undefined) {
    const [a, b] = shard.range;
    log(`igc shard ${shard.index}/${shard.count} (${shard.source}): batches ${a}-${b - 1} of ${settings.batches} (examples ${a * settings.batchSize}-${Math.min(b * settings.batchSize, settings.examples) - 1})`);
    // the stack of each worker is a tiling of its sub-range; together they tile the shard
    const nodes = await runRange(settings, limits, a, b, workers, log);
    const payload = {
      settings,
      shard: { index: shard.index, count: shard.count, batches: [a, b] as [number, number] },
      nodes: nodes.map((nd) => ({ level: nd.level, index: nd.index, state: encodeState(nd.acc) })),
    };
    const part: IgcPartFile = { format: 'pathgrad-igc-part', version: 2, ...payload, checksum: sha256(JSON.stringify(payload)) };
    writeFileAtomic(args.out, JSON.stringify(part));
    log(`wrote ${args.out} (${((performance.now() - t0) / 1000).toFixed(1)} s); combine the parts with: pathgrad igc merge part-*.json --out igc.json`);
    return;
  }
  const nodes = await runRange(settings, limits, 0, settings.batches, workers, log);
  const out = resultFile(settings, reduceTree(nodes, settings.batches));
  writeFileAtomic(args.out, JSON.stringify(out));
  const secs = (performance.now() - t0) / 1000;
  log(`igc: ${settings.examples} examples in ${secs.toFixed(1)} s (${(settings.examples / secs).toFixed(1)} images/s); correlation ${out.correlation.map((c) => c.toFixed(3)).join(' ')}; wrote ${args.out}`);
}

const SETTING_KEYS = ['model', 'modelSha256', 'arch', 'data', 'examples', 'batchSize', 'batches', 'steps', 'method', 'internalBatchSize', 'components', 'baselines', 'seed', 'backend', 'pathgrad'] as const;

/** Checks a part's settings field by field (types, and that the derived counts agree). */
function checkSettings(v: unknown, where: string): IgcSettings {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${where} must be an object`);
  const s = v as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!(SETTING_KEYS as readonly string[]).includes(k)) throw new UsageError(`${where}.${k} is not a setting pathgrad writes (damaged or edited part?)`);
  for (const k of SETTING_KEYS) if (!(k in s)) throw new UsageError(`${where}.${k} is missing`);
  const bad = (k: string, expected: string): never => {
    throw new UsageError(`${where}.${k} must be ${expected}, got ${JSON.stringify(s[k])}`);
  };
  const posInt = (k: string, min: number): number => (Number.isSafeInteger(s[k]) && (s[k] as number) >= min ? (s[k] as number) : bad(k, `an integer >= ${min}`));
  if (typeof s['model'] !== 'string') bad('model', 'a string');
  if (typeof s['modelSha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(s['modelSha256'])) bad('modelSha256', '64 hex digits');
  if (s['arch'] !== null && typeof s['arch'] !== 'string') bad('arch', 'a string or null');
  if (typeof s['data'] !== 'string') bad('data', 'a data spec such as mnist:test:0-999');
  let count: number;
  try {
    count = parseData(s['data'] as string).count;
  } catch (e) {
    throw new UsageError(`${where}.data: ${(e as Error).message}`);
  }
  if (posInt('examples', 1) !== count) bad('examples', `${count} (the size of ${s['data'] as string})`);
  const batchSize = posInt('batchSize', 1);
  if (posInt('batches', 1) !== Math.ceil(count / batchSize)) bad('batches', `${Math.ceil(count / batchSize)} (examples / batchSize)`);
  posInt('steps', 1);
  if (!(QUADRATURE_METHODS as readonly string[]).includes(s['method'] as string)) bad('method', `one of ${QUADRATURE_METHODS.join(', ')}`);
  if (s['internalBatchSize'] !== null) posInt('internalBatchSize', 1);
  if (s['components'] !== null) {
    const c = intArray(s['components'], `${where}.components`, 0);
    if (c.length === 0 || new Set(c).size !== c.length) bad('components', 'null or distinct class indices');
  }
  if (s['baselines'] !== null) posInt('baselines', 1);
  posInt('seed', 0);
  if (!['cpu', 'wasm', 'gpujs'].includes(s['backend'] as string)) bad('backend', 'cpu, wasm or gpujs');
  if (typeof s['pathgrad'] !== 'string') bad('pathgrad', 'a version string');
  return s as unknown as IgcSettings;
}

/** A part file read and checked: structure, settings, shard range, every node's state and count, and the checksum. */
interface CheckedPart {
  file: string;
  part: IgcPartFile;
  nodes: TreeNode[];
}

/**
 * Reads a part file and checks everything in it; any damage or inconsistency is refused
 * with a {@link UsageError} naming the file and the field.
 * @example
 * ```ts
 * const { part, nodes } = readPart('part-0.json');
 * ```
 */
export function readPart(file: string): CheckedPart {
  const where = `igc merge: ${file}`;
  const text = new TextDecoder().decode(readUserFile(file, 'igc merge'));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${where} is not valid JSON (${(e as Error).message.split('\n')[0]}); damaged or truncated?`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${where} is not a pathgrad igc part file (written by pathgrad igc --shard i/n)`);
  const p = raw as Record<string, unknown>;
  if (p['format'] !== 'pathgrad-igc-part') throw new UsageError(`${where}: field format is ${JSON.stringify(p['format'])}, not a pathgrad igc part file (written by pathgrad igc --shard i/n)`);
  if (p['version'] === 1) throw new UsageError(`${where}: field version is 1 (an older pathgrad, which did not record the model by content); compute the part again`);
  if (p['version'] !== 2) throw new UsageError(`${where}: field version is ${JSON.stringify(p['version'])}, this pathgrad reads version 2`);
  for (const k of ['settings', 'shard', 'nodes', 'checksum']) if (!(k in p)) throw new UsageError(`${where}: field ${k} is missing`);
  for (const k of Object.keys(p)) if (!['format', 'version', 'settings', 'shard', 'nodes', 'checksum'].includes(k)) throw new UsageError(`${where}: field ${k} is not one pathgrad writes`);
  const settings = checkSettings(p['settings'], `${where}: settings`);
  const sh = p['shard'] as Record<string, unknown> | null;
  if (typeof sh !== 'object' || sh === null) throw new UsageError(`${where}: field shard must be an object`);
  const index = sh['index'];
  const count = sh['count'];
  if (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > settings.batches) throw new UsageError(`${where}: field shard.count must be an integer from 1 to ${settings.batches}, got ${JSON.stringify(count)}`);
  if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= (count as number)) throw new UsageError(`${where}: field shard.index must be an integer from 0 to ${(count as number) - 1}, got ${JSON.stringify(index)}`);
  const range = shardRange(index as number, count as number, settings.batches);
  if (JSON.stringify(sh['batches']) !== JSON.stringify(range)) throw new UsageError(`${where}: field shard.batches must be ${JSON.stringify(range)} for shard ${index as number}/${count as number}, got ${JSON.stringify(sh['batches'])}`);
  if (!Array.isArray(p['nodes']) || p['nodes'].length === 0) throw new UsageError(`${where}: field nodes must be a non-empty array`);
  const nodes = (p['nodes'] as unknown[]).map((n, i): TreeNode => {
    const f = `${where}: field nodes[${i}]`;
    const nd = n as Record<string, unknown> | null;
    if (typeof nd !== 'object' || nd === null) throw new UsageError(`${f} must be an object`);
    const level = nd['level'];
    const idx = nd['index'];
    if (!Number.isSafeInteger(level) || (level as number) < 0 || (level as number) > 52) throw new UsageError(`${f}.level must be an integer from 0 to 52, got ${JSON.stringify(level)}`);
    if (!Number.isSafeInteger(idx) || (idx as number) < 0) throw new UsageError(`${f}.index must be a non-negative integer, got ${JSON.stringify(idx)}`);
    const [a, b] = nodeRange(level as number, idx as number, settings.batches);
    if (a >= b || a < range[0] || b > range[1]) throw new UsageError(`${f}: node (level ${level as number}, index ${idx as number}) covers batches outside the shard's ${range[0]}-${range[1] - 1}`);
    const acc = restoreState(nd['state'] as EncodedState, `${f}.state`);
    const state = acc.toState();
    const expected = Math.min(b * settings.batchSize, settings.examples) - a * settings.batchSize;
    if (state.count !== expected) throw new UsageError(`${f}.state.count is ${state.count}, but batches ${a}-${b - 1} hold ${expected} examples`);
    if (settings.components !== null && !intsEqual(state.components, settings.components)) throw new UsageError(`${f}.state.components [${state.components.join(', ')}] differ from settings.components [${settings.components.join(', ')}]`);
    return { level: level as number, index: idx as number, acc };
  });
  // every node of one run has the same features and components
  const first = nodes[0]!.acc;
  nodes.forEach((n, i) => {
    if (!intsEqual(n.acc.featureShape, first.featureShape) || !intsEqual(n.acc.components, first.components)) {
      throw new UsageError(`${where}: field nodes[${i}].state: features [${n.acc.featureShape.join(', ')}] / components [${n.acc.components.join(', ')}] differ from nodes[0]'s`);
    }
  });
  const checksum = sha256(JSON.stringify({ settings: p['settings'], shard: p['shard'], nodes: p['nodes'] }));
  if (p['checksum'] !== checksum) throw new UsageError(`${where}: field checksum does not match the content: the file was changed or damaged after pathgrad wrote it`);
  return { file, part: raw as IgcPartFile, nodes };
}

const intsEqual = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** `pathgrad igc merge part-*.json --out igc.json`. */
export function igcMergeCommand(files: string[], out: string | undefined, log: (line: string) => void): void {
  if (out === undefined) throw new UsageError('igc merge: --out is required (e.g. pathgrad igc merge part-*.json --out igc.json)');
  if (!out.toLowerCase().endsWith('.json')) throw new UsageError(`--out must be a .json file, got '${out}'`);
  if (files.length === 0) throw new UsageError('igc merge: give the part files, e.g. pathgrad igc merge part-*.json --out igc.json');
  checkOutputFile(out);
  const parts = files.map(readPart);
  const { file: firstFile, part: firstPart, nodes: firstNodes } = parts[0]!;
  const settings = firstPart.settings;
  for (const { file, part, nodes } of parts) {
    // the model's path may differ between machines; its content (modelSha256) may not
    for (const k of SETTING_KEYS) {
      if (k === 'model') continue;
      const [x, y] = [JSON.stringify(part.settings[k]), JSON.stringify(settings[k])];
      if (x !== y) {
        const why = k === 'modelSha256' ? ': the parts were computed with different model weights' : '';
        throw new UsageError(`igc merge: ${file}: field settings.${k} is ${x}, but ${firstFile} has ${y}${why} (parts of one run must agree)`);
      }
    }
    if (part.shard.count !== firstPart.shard.count) throw new UsageError(`igc merge: ${file}: field shard.count is ${part.shard.count}, but ${firstFile} has ${firstPart.shard.count}`);
    const [n0, n] = [firstNodes[0]!.acc, nodes[0]!.acc];
    if (!intsEqual(n.featureShape, n0.featureShape) || !intsEqual(n.components, n0.components)) {
      throw new UsageError(`igc merge: ${file}: field nodes[0].state: features/components differ from ${firstFile}'s`);
    }
  }
  const result = resultFile(settings, reduceTree(parts.flatMap((p) => p.nodes), settings.batches));
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
    .option('--baselines <k>', 'K random baselines drawn from the --data examples for every batch, IG averaged over them (IGC v1 MNIST: 32; at most 1024); default: a zero baseline')
    .option('--seed <n>', 'seed of random baselines (batch k uses seed + k)', '100')
    .option('--backend <name>', 'tensor backend: cpu, wasm or gpujs (all parts of one run must agree)', 'wasm')
    .option('--shard <i/n|auto>', 'compute only shard i of n (contiguous batches) and write a part file; auto or auto/N takes i (and n) from a Slurm array or Kubernetes Indexed Job')
    .option('--workers <n>', 'split the work over n worker threads of this machine')
    .option('--out <file>', 'output .json (required): the IGC maps, or a part file with --shard');
  addModelLimitOptions(igc).action((opts: IgcArgs) => igcCommand(opts, log));
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
const job = workerData as { pathgradIgc?: boolean; settings: IgcSettings; limits: LoadLimits; first: number; last: number } | null;
if (!isMainThread && job?.pathgradIgc === true && parentPort) {
  const port = parentPort;
  try {
    useBackend(job.settings.backend);
    const nodes = runBatches(job.settings, loadCheckedModel(job.settings, job.limits), job.first, job.last);
    port.postMessage({ nodes: nodes.map((nd) => ({ level: nd.level, index: nd.index, state: encodeState(nd.acc) })) });
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}
