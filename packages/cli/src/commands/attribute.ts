/**
 * `pathgrad attribute`: one method on a model file and inputs, written as .npy, .json or .png.
 */
import { extname } from 'node:path';
import { heatmapRGBA } from '@pathgrad/attribution';
import { noGrad } from '@pathgrad/autograd';
import type { Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { Tensor, argmax, writeNpy } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { encodePng, upscaleRGBA, writeFileAtomic } from '../files.js';
import { loadInputs, loadModel, parseDType, type FloatDType } from '../load.js';
import { methodByName, resolveOptions, type MethodContext, type MethodOutput, type MethodSpec } from '../methods.js';

/** Parsed options of `attribute` (as commander gives them). */
export interface AttributeArgs {
  model: string;
  arch?: string;
  input: string;
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

/** `pathgrad attribute`. */
export function attributeCommand(args: AttributeArgs, log: (line: string) => void): void {
  const out = args.out;
  const ext = out === undefined ? '' : extname(out).toLowerCase();
  if (out !== undefined && !['.npy', '.json', '.png'].includes(ext)) {
    throw new UsageError(`--out must end in .npy, .json or .png, got '${out}'`);
  }
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
  resolveOptions(spec, overrides); // validate before any heavy loading
  const seed = Number(args.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${args.seed}'`);
  const { model, description } = loadModel(args.model, args.arch, dtype);
  const { inputs, labels, names } = loadInputs(args.input, dtype);
  const logits = probeModel(model, inputs);
  const target = resolveTargetArg(args.target, logits, labels);
  const ctx: MethodContext = { model, inputs, target, background: mnistBackground(200, dtype), seed };
  log(`${spec.title} on ${inputs.shape[0]} input(s) [${inputs.shape.join(', ')}], model ${description}, ${dtype}`);
  const { output, seconds, settings } = runMethod(spec, ctx, overrides);
  const delta = output.delta;
  log(`done in ${seconds.toFixed(2)} s${delta ? `, mean |delta| ${(delta.reduce((a, d) => a + Math.abs(d), 0) / delta.length).toExponential(3)}` : ''}`);
  if (out === undefined) {
    log('no --out given: nothing written (use --out FILE.npy, .json or .png)');
    return;
  }
  if (ext === '.npy') {
    writeFileAtomic(out, writeNpy(output.attributions));
  } else if (ext === '.json') {
    const a = output.attributions;
    const json = {
      method: spec.name,
      settings,
      model: description,
      input: args.input,
      inputs: names,
      dtype,
      target: Array.from(target),
      shape: a.shape,
      attributions: Array.from(a.toTypedArray()),
      delta: delta ? Array.from(delta) : null,
      seconds,
      gradientEvaluations: output.evaluations,
    };
    writeFileAtomic(out, JSON.stringify(json));
  } else {
    writeFileAtomic(out, heatmapPngGrid(output.attributions, inputs));
  }
  log(`wrote ${out}`);
}

/**
 * One PNG with the heatmaps of every example side by side (diverging colours, signed,
 * 99.5th percentile of |a| per example, blended over the input), 4x upscaled.
 * @example
 * ```ts
 * writeFileSync('maps.png', heatmapPngGrid(attributions, inputs));
 * ```
 */
export function heatmapPngGrid(attributions: Tensor, inputs: Tensor): Uint8Array {
  const n = attributions.shape[0]!;
  const s = attributions.shape;
  if (s.length !== 4 && s.length !== 3) throw new UsageError(`a .png output needs image-shaped attributions [N, C, H, W], got [${s.join(', ')}] (write .npy or .json instead)`);
  const h = s[s.length - 2]!;
  const w = s[s.length - 1]!;
  const per = attributions.size / n;
  const a = attributions.toTypedArray();
  const sameShape = inputs.size === attributions.size;
  const x = inputs.toTypedArray();
  const scale = 4;
  const gridW = n * w * scale;
  const grid = new Uint8ClampedArray(gridW * h * scale * 4);
  for (let i = 0; i < n; i++) {
    const map = new Tensor(Float64Array.from(a.subarray(i * per, (i + 1) * per)), s.length === 4 ? [s[1]!, h, w] : [h, w], 'float64');
    let overlay: Tensor | undefined;
    if (sameShape && (s.length === 3 || s[1] === 1 || s[1] === 3)) {
      overlay = new Tensor(Float64Array.from(x.subarray(i * per, (i + 1) * per)), s.length === 4 ? [s[1]!, h, w] : [h, w], 'float64');
    }
    const tile = upscaleRGBA(heatmapRGBA(map, overlay ? { overlay } : {}), w, h, scale);
    for (let y = 0; y < h * scale; y++) grid.set(tile.subarray(y * w * scale * 4, (y + 1) * w * scale * 4), (y * gridW + i * w * scale) * 4);
  }
  return encodePng(grid, gridW, h * scale);
}
