/**
 * `pathgrad attribute`: one method on a model file and inputs, written as .npy, .json or .png.
 */
import { extname } from 'node:path';
import { attributionPicture, colorBar, colorBarLabels, encodePNG, pictureGrid, type MapKind, type Picture } from '@pathgrad/attribution';
import { noGrad } from '@pathgrad/autograd';
import type { Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, argmax, concat, getBackend, writeNpy } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { loadInputs, loadModel, modelSha256, parseDType, parseLoadLimits, takeRows, type FloatDType, type LoadLimitArgs } from '../load.js';
import { checkOutputFile } from '../output.js';
import { startProgress } from '../progress.js';
import { resolveShard } from '../shard.js';
import { mergeAttributeParts, writeAttributePart, type AttributeRunSettings } from './attributeParts.js';
import { methodByName, resolveOptions, type MethodContext, type MethodOutput, type MethodSpec } from '../methods.js';

/** Parsed options of `attribute` (as commander gives them). */
export interface AttributeArgs extends LoadLimitArgs {
  model?: string;
  arch?: string;
  input?: string;
  method: string;
  target: string;
  steps?: string;
  quadrature?: string;
  baseline?: string;
  batchSize?: string;
  dtype: string;
  option: string[];
  out?: string;
  seed: string;
  /** `i/n`, `auto` or `auto/N`: compute one shard of the inputs and write a part into the --out folder. */
  shard?: string;
  /** Examples per block (block k's random draws use seed + k). */
  blockSize?: string;
}

/**
 * Runs the model once and checks that the inputs fit it, naming the shapes when not.
 * @example
 * ```ts
 * const logits = probeModel(model, inputs); // [N, C]
 * ```
 */
export function probeModel(model: Module, inputs: Tensor): Tensor {
  let out: Tensor;
  try {
    out = noGrad(() => model.forward(inputs));
  } catch (err) {
    throw new UsageError(`--input of shape [${inputs.shape.join(', ')}] does not fit the model: ${(err as Error).message.split('\n')[0]}`);
  }
  if (out.rank !== 2 || out.shape[0] !== inputs.shape[0]) {
    throw new UsageError(`the model maps [${inputs.shape.join(', ')}] to [${out.shape.join(', ')}], expected [N, classes]`);
  }
  return out;
}

/**
 * Resolves `--target`: a class index, `auto`/`predicted` (the model's argmax), or `label`
 * (the true label, for MNIST inputs).
 * @example
 * ```ts
 * resolveTargetArg('3', logits, undefined); // Int32Array [3, 3, ...]
 * ```
 */
export function resolveTargetArg(spec: string, logits: Tensor, labels: Int32Array | undefined): Int32Array {
  const n = logits.shape[0]!;
  const classes = logits.shape[1]!;
  if (spec === 'auto' || spec === 'predicted') return Int32Array.from(argmax(logits, { axis: 1 }).toTypedArray());
  if (spec === 'label') {
    if (labels === undefined) throw new UsageError('--target label needs inputs with labels (mnist:test:0-15); use --target auto or a class index');
    return labels;
  }
  const t = Number(spec);
  if (!Number.isInteger(t) || spec.trim() === '') throw new UsageError(`--target must be a class index, auto, predicted or label, got '${spec}'`);
  if (t < 0 || t >= classes) throw new UsageError(`--target ${t} is out of range: the model has ${classes} outputs (0-${classes - 1})`);
  return new Int32Array(n).fill(t);
}

function parseKeyValues(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`-o/--option takes key=value (e.g. -o samples=16), got '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/**
 * A lazily loaded MNIST training subset used as background/reference data.
 * @example
 * ```ts
 * const bg = mnistBackground(200, 'float32');
 * ```
 */
export function mnistBackground(count: number, dtype: FloatDType): () => { images: Tensor; labels: Int32Array } {
  let cached: { images: Tensor; labels: Int32Array } | undefined;
  return () => {
    if (cached === undefined) {
      const d = mnist({ split: 'train', limit: count, dtype });
      cached = { images: d.images, labels: Int32Array.from(d.labels.toTypedArray()) };
    }
    return cached;
  };
}

/**
 * Runs `spec` with command-line style overrides.
 * @example
 * ```ts
 * runMethod(methodByName('ig'), ctx, { steps: '64' });
 * ```
 */
export function runMethod(spec: MethodSpec, ctx: MethodContext, overrides: Record<string, string | number | boolean>): { output: MethodOutput; seconds: number; settings: Record<string, unknown> } {
  const settings = resolveOptions(spec, overrides);
  const t0 = performance.now();
  const output = spec.run(ctx, settings);
  return { output, seconds: (performance.now() - t0) / 1000, settings };
}

/** Examples per block when `--block-size` is not given. */
export const DEFAULT_BLOCK_SIZE = 64;

/** `pathgrad attribute`. */
export function attributeCommand(args: AttributeArgs, log: (line: string) => void): void {
  // not commander requiredOptions: those would be demanded of `attribute merge` too
  if (args.model === undefined) throw new UsageError("required option '--model <model>' not specified (mlp, cnn, FILE.onnx, or FILE.safetensors with --arch)");
  if (args.input === undefined) throw new UsageError("required option '--input <input>' not specified (FILE.npy, PNG/JPEG files, or mnist:test:0-15)");
  const out = args.out;
  const ext = out === undefined ? '' : extname(out).toLowerCase();
  if (args.shard !== undefined) {
    if (out === undefined) throw new UsageError('--shard needs --out FOLDER: each shard writes its part into that folder (merge them with pathgrad attribute merge FOLDER --out result.npy)');
  } else if (out !== undefined && !['.npy', '.json', '.png'].includes(ext)) {
    throw new UsageError(`--out must end in .npy, .json or .png, got '${out}'`);
  }
  if (out !== undefined && args.shard === undefined) checkOutputFile(out); // before any work, not after it
  const dtype = parseDType(args.dtype);
  const spec = methodByName(args.method);
  const overrides: Record<string, string> = parseKeyValues(args.option);
  const common: [string, string | undefined][] = [
    ['steps', args.steps],
    ['quadrature', args.quadrature],
    ['baseline', args.baseline],
    ['batchSize', args.batchSize],
  ];
  for (const [k, v] of common) if (v !== undefined) overrides[k] = v;
  const settings = resolveOptions(spec, overrides); // validate before any heavy loading
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  const blockSize = args.blockSize === undefined ? DEFAULT_BLOCK_SIZE : Number(args.blockSize);
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new UsageError(`--block-size must be a positive integer, got '${args.blockSize}'`);
  const limits = parseLoadLimits(args);
  const { model, description } = loadModel(args.model, args.arch, dtype, limits);
  // block by block, so a whole MNIST split fits in memory
  const { inputs, labels, names } = loadInputs(args.input, dtype, 60000, limits);
  const examples = inputs.shape[0]!;
  if (examples === 0) throw new UsageError(`--input ${args.input} holds no examples (shape [${inputs.shape.join(', ')}])`);
  const blocks = Math.ceil(examples / blockSize);
  const shard = args.shard === undefined ? undefined : resolveShard(args.shard, blocks, '--block-size');
  const [b0, b1] = shard?.range ?? [0, blocks];
  const rows: [number, number] = [b0 * blockSize, Math.min(b1 * blockSize, examples)];
  const where = shard === undefined ? '' : `, shard ${shard.index}/${shard.count} (${shard.source}): examples ${rows[0]}-${rows[1] - 1} of ${examples}`;
  // the model must take the inputs and --target fit its outputs: checked on the first block before the first progress line
  const probe = Array.from({ length: Math.min(blockSize, examples - rows[0]) }, (_, i) => rows[0] + i);
  resolveTargetArg(args.target, probeModel(model, blocks === 1 ? inputs : takeRows(inputs, probe)), labels === undefined ? undefined : Int32Array.from(probe, (i) => labels[i]!));
  // printed once the first block has run: the method checks its options as it starts, and a
  // refusal must be the only line on stderr
  let startLine: string | undefined = `${spec.title} on ${examples} input(s) [${inputs.shape.join(', ')}], model ${description}, ${dtype}${where}`;

  const background = mnistBackground(200, dtype);
  // examples as units: the estimate improves block by block (--block-size makes blocks finer)
  const progress = startProgress(spec.name, rows[1] - rows[0]);
  const maps: Tensor[] = [];
  const targets: number[] = [];
  const deltas: number[] = [];
  let hasDelta = true;
  let evaluations = 0;
  let seconds = 0;
  for (let k = b0; k < b1; k++) {
    const idx = Array.from({ length: Math.min((k + 1) * blockSize, examples) - k * blockSize }, (_, i) => k * blockSize + i);
    const x = blocks === 1 ? inputs : takeRows(inputs, idx);
    const target = resolveTargetArg(args.target, probeModel(model, x), labels === undefined ? undefined : Int32Array.from(idx, (i) => labels[i]!));
    // block k's random draws use seed + k: an example's numbers do not depend on the shard
    const run = runMethod(spec, { model, inputs: x, target, background, seed: seed + k }, overrides);
    if (startLine !== undefined) log(startLine);
    startLine = undefined;
    maps.push(run.output.attributions);
    targets.push(...target);
    if (run.output.delta === undefined) hasDelta = false;
    else deltas.push(...run.output.delta);
    evaluations = run.output.evaluations;
    seconds += run.seconds;
    progress.tick(idx.length, `block ${k - b0 + 1}/${b1 - b0}`);
  }
  progress.stop();
  const attributions = maps.length === 1 ? maps[0]! : concat(maps, 0);
  const why = args.target === 'auto' || args.target === 'predicted' ? "the model's prediction" : args.target === 'label' ? 'the true label' : '--target';
  const listed = targets.slice(0, 16).map((t, i) => `${names[rows[0] + i] ?? `#${rows[0] + i}`}: ${t}`).join(', ');
  log(`explained class (${why}): ${listed}${targets.length > 16 ? `, ... (${targets.length} in all; every target is in the .json output)` : ''}`);
  const delta = hasDelta ? Float64Array.from(deltas) : undefined;
  log(`done in ${seconds.toFixed(2)} s${delta ? `, mean |delta| ${(delta.reduce((a, d) => a + Math.abs(d), 0) / delta.length).toExponential(3)}` : ''}`);
  if (out === undefined) {
    log('no --out given: nothing written (use --out FILE.npy, .json or .png)');
    return;
  }
  if (shard !== undefined) {
    const run: AttributeRunSettings = {
      method: spec.name,
      options: settings,
      dtype,
      target: args.target,
      input: args.input,
      seed,
      blockSize,
      backend: getBackend(),
      model: { sha256: modelSha256(args.model), arch: args.arch ?? null },
      examples,
    };
    const file = writeAttributePart(out, {
      settings: run,
      modelPath: args.model,
      shard: { index: shard.index, count: shard.count, blocks: [b0, b1], rows },
      names: names.slice(rows[0], rows[1]),
      targets,
      delta: delta === undefined ? null : [...delta],
      evaluations,
    }, attributions);
    log(`wrote ${file}; when every shard is done: pathgrad attribute merge ${out} --out attributions.npy`);
    return;
  }
  writeAttributions(out, { method: spec.name, settings, model: description, input: args.input, names, dtype, target: targets, delta: delta ? [...delta] : null, seconds, evaluations, ...(spec.mapKind ? { mapKind: spec.mapKind } : {}), ...(spec.pictureNote ? { pictureNote: spec.pictureNote } : {}) }, attributions, inputs, log);
  log(`wrote ${out}`);
}

/** What `attribute` writes besides the attributions (the .json output). */
export interface AttributionRecord {
  method: string;
  settings: Record<string, unknown>;
  model: string;
  input: string;
  names: string[];
  dtype: string;
  target: number[];
  delta: number[] | null;
  seconds: number | null;
  evaluations: number;
  /** What the maps' values are (for the picture). */
  mapKind?: MapKind;
  /** A note for the reader of the picture. */
  pictureNote?: string;
}

/**
 * Writes attributions as `.npy`, `.json` (with `record`) or `.png` (heatmaps over `inputs`),
 * chosen by `out`'s extension; the file is written beside and renamed into place.
 * @example
 * ```ts
 * writeAttributions('maps.npy', record, attributions, inputs);
 * ```
 */
export function writeAttributions(out: string, record: AttributionRecord, attributions: Tensor, inputs: Tensor | undefined, log?: (line: string) => void): void {
  const ext = extname(out).toLowerCase();
  if (ext === '.npy') {
    writeFileAtomic(out, writeNpy(attributions));
  } else if (ext === '.json') {
    const json = {
      method: record.method,
      settings: record.settings,
      model: record.model,
      input: record.input,
      inputs: record.names,
      dtype: record.dtype,
      target: record.target,
      shape: attributions.shape,
      attributions: Array.from(attributions.toTypedArray()),
      delta: record.delta,
      seconds: record.seconds,
      gradientEvaluations: record.evaluations,
    };
    writeFileAtomic(out, JSON.stringify(json));
  } else if (ext === '.png') {
    if (inputs === undefined) throw new UsageError(`--out ${out}: a .png output draws the maps over the inputs; write .npy or .json from merged parts`);
    const { png, scales } = heatmapPngGrid(attributions, inputs, record.mapKind);
    writeFileAtomic(out, png);
    const { unit } = colorBarLabels({ kind: record.mapKind ?? 'attribution', sign: record.mapKind === 'rank' ? 'absolute' : 'all' });
    log?.(`${out}: a row per example (input, map, colour bar); the bar's ends are ${record.mapKind === 'rank' ? '0 and' : '±'} ${scales.map((v) => v.toPrecision(3)).join(', ')} (${unit}, 99.5th percentile of |map| per example)${record.pictureNote ? `; ${record.pictureNote}` : ''}`);
  } else {
    throw new UsageError(`--out must end in .npy, .json or .png, got '${out}'`);
  }
}

/**
 * `pathgrad attribute merge PARTS... --out FILE`: checks the parts against each other and
 * writes the attributions in input order (byte-identical to a one-pass `.npy`).
 * @example
 * ```ts
 * attributeMergeCommand(['parts/'], 'attributions.npy', console.error);
 * ```
 */
export function attributeMergeCommand(inputs: string[], out: string | undefined, log: (line: string) => void): void {
  if (out === undefined) throw new UsageError('attribute merge: --out is required (e.g. pathgrad attribute merge parts/ --out attributions.npy)');
  const ext = extname(out).toLowerCase();
  if (ext !== '.npy' && ext !== '.json') throw new UsageError(`attribute merge: --out must end in .npy or .json, got '${out}'`);
  const m = mergeAttributeParts(inputs);
  const s = m.settings;
  writeAttributions(out, { method: s.method, settings: s.options, model: `sha256:${s.model.sha256}`, input: s.input, names: m.names, dtype: s.dtype, target: m.targets, delta: m.delta, seconds: null, evaluations: m.evaluations }, m.attributions, undefined);
  log(`attribute merge: ${m.parts} part(s), ${s.examples} examples; wrote ${out}`);
}

/**
 * One PNG with a row per example: the input, its map (blended over the input when they have
 * the same shape) and the map's colour bar, 4x upscaled; signed maps on the diverging colour
 * map scaled by the 99.5th percentile of |a| per example, ranks on a sequential map. Returns
 * the bytes and, per example, the value at the colour bar's ends.
 * @example
 * ```ts
 * const { png, scales } = heatmapPngGrid(attributions, inputs, 'attribution');
 * writeFileSync('maps.png', png);
 * ```
 */
export function heatmapPngGrid(attributions: Tensor, inputs: Tensor, kind: MapKind = 'attribution'): { png: Uint8Array; scales: number[] } {
  const n = attributions.shape[0]!;
  const s = attributions.shape;
  if (s.length !== 4 && s.length !== 3) throw new UsageError(`a .png output needs image-shaped attributions [N, C, H, W], got [${s.join(', ')}] (write .npy or .json instead)`);
  if (n > 256) throw new UsageError(`a .png output draws at most 256 examples, got ${n} (write .npy or .json, or pick fewer inputs)`);
  const h = s[s.length - 2]!;
  const w = s[s.length - 1]!;
  const per = attributions.size / n;
  const a = attributions.toTypedArray();
  const mapShape = s.length === 4 ? [s[1]!, h, w] : [h, w];
  const x = inputs.toTypedArray();
  const sameShape = inputs.size === attributions.size && (s.length === 3 || s[1] === 1 || s[1] === 3);
  const upscale = Math.max(1, Math.round(112 / Math.max(h, w)));
  const cells: Picture[] = [];
  const scales: number[] = [];
  for (let i = 0; i < n; i++) {
    const map = new Tensor(Float64Array.from(a.subarray(i * per, (i + 1) * per)), mapShape, 'float64');
    const image = sameShape ? new Tensor(Float64Array.from(x.subarray(i * per, (i + 1) * per)), mapShape, 'float64') : undefined;
    const pic = attributionPicture(map, image, { kind, upscale, ...(image ? { mode: 'blendedHeatMap' as const, alpha: 0.75 } : {}) });
    scales.push(pic.scale ?? 0);
    if (image) cells.push(attributionPicture(map, image, { mode: 'originalImage', upscale }));
    cells.push(pic, colorBar(pic, { length: pic.height, thickness: 8 }));
  }
  return { png: encodePNG(pictureGrid(cells, { columns: sameShape ? 3 : 2, gap: 4 })), scales };
}
