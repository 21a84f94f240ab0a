/**
 * Every attribution method of @pathgrad/attribution behind one uniform interface, with its
 * options described (name, kind, default, help) so `attribute` can take any of them as
 * `-o key=value` and `demo` can run all of them with budget-conscious settings.
 */
import { readFileSync } from 'node:fs';
import {
  QUADRATURE_METHODS,
  blurIG,
  constantBaseline,
  exactShapley,
  expectedGradients,
  gaussianBlurBaseline,
  geometricallyGuidedIG,
  greedyPIG,
  guidedIG,
  idgi,
  inputXGradient,
  integratedGradientCorrelation,
  integratedGradients,
  integratedHessians,
  layerIntegratedGradients,
  meanBaseline,
  noiseTunnel,
  patchMask,
  saliency,
  shapleyIG,
  type Baseline,
  type QuadratureMethod,
  type MapKind,
} from '@pathgrad/attribution';
import type { Module } from '@pathgrad/nn';
import { Tensor, cast, expand, nearestKey, readNpy, reshape } from '@pathgrad/tensor';
import { UsageError } from './errors.js';

/**
 * Kinds of method options.
 *
 * @example
 * ```ts
 * const choice: OptionKind = ['gaussLegendre', 'riemannTrapezoid']; // one of these strings
 * const count: OptionKind = 'int';
 * ```
 */
export type OptionKind = 'int' | 'number' | 'bool' | 'string' | readonly string[];

/**
 * One option of a method.
 *
 * @example
 * ```ts
 * const steps: MethodOption = { name: 'steps', kind: 'int', default: 50, help: 'interpolation steps' };
 * ```
 */
export interface MethodOption {
  name: string;
  kind: OptionKind;
  default: string | number | boolean | undefined;
  help: string;
}

/**
 * What a method run gets.
 *
 * @example
 * ```ts
 * const { images, labels } = mnist({ split: 'test', limit: 4 });
 * const ctx: MethodContext = {
 *   model: loadPretrained('mnist-cnn'),
 *   inputs: images,
 *   target: labels.toTypedArray() as Int32Array,
 *   background: () => { const b = mnist({ split: 'train', limit: 100 }); return { images: b.images, labels: b.labels.toTypedArray() as Int32Array }; },
 *   seed: 0,
 * };
 * ```
 */
export interface MethodContext {
  model: Module;
  /** `[N, ...]` inputs. */
  inputs: Tensor;
  /** Class explained per example. */
  target: Int32Array;
  /** Background / reference data `[M, ...]` (same feature shape), for expected gradients, IGC, mean baselines. */
  background: () => { images: Tensor; labels: Int32Array };
  seed: number;
}

/**
 * What a method run returns.
 *
 * @example
 * ```ts
 * const out: MethodOutput = methodByName('ig').run(ctx, resolveOptions(methodByName('ig'), {}));
 * out.delta?.[0]; // completeness error of example 0
 * ```
 */
export interface MethodOutput {
  /** Attributions with the inputs' shape (layer IG: the layer's shape). */
  attributions: Tensor;
  /** Completeness error per example where the method defines one. */
  delta?: Float64Array;
  /** Gradient (or forward, for exact Shapley) evaluations per example. */
  evaluations: number;
}

/**
 * Parsed option values.
 *
 * @example
 * ```ts
 * const values: OptionValues = resolveOptions(methodByName('ig'), { steps: 64, quadrature: 'gaussLegendre' });
 * ```
 */
export type OptionValues = Record<string, string | number | boolean | undefined>;

/**
 * A method as the command line sees it.
 *
 * @example
 * ```ts
 * const ig: MethodSpec = methodByName('ig');
 * const options = resolveOptions(ig, { steps: 32 });
 * const { attributions, delta } = ig.run(ctx, options);
 * ```
 */
export interface MethodSpec {
  /** Command-line name, e.g. `ig`. */
  name: string;
  /** Human name for reports. */
  title: string;
  /** One-line description. */
  summary: string;
  options: readonly MethodOption[];
  /** Settings the demo uses (a subset of options), chosen to keep the demo under two minutes. */
  demo: OptionValues;
  /** What the maps' values are (default `'attribution'`): Greedy PIG returns selection ranks. */
  mapKind?: MapKind;
  /** What a reader of the picture should know (block structure, what the colours mean). */
  pictureNote?: string;
  run(ctx: MethodContext, opts: OptionValues): MethodOutput;
}

const steps = (def: number, help = 'quadrature points along the path'): MethodOption => ({ name: 'steps', kind: 'int', default: def, help });
const quad = (def: QuadratureMethod = 'gaussLegendre'): MethodOption => ({ name: 'quadrature', kind: QUADRATURE_METHODS, default: def, help: 'quadrature rule' });
const baselineOpt: MethodOption = {
  name: 'baseline',
  kind: 'string',
  default: 'zeros',
  help: "zeros, a number, blur (Gaussian blur of the input, sigma 5) or blur:SIGMA, mean (mean of the background data), or FILE.npy broadcastable to the inputs",
};
const batchOpt: MethodOption = { name: 'batchSize', kind: 'int', default: 256, help: 'at most this many points per forward/backward pass (bounds memory)' };
const patchOpt = (def: number): MethodOption => ({ name: 'patch', kind: 'int', default: def, help: 'group pixels into patch x patch squares (0 = every element is a feature)' });

const num = (v: OptionValues[string]): number => v as number;
const str = (v: OptionValues[string]): string => v as string;
const bool = (v: OptionValues[string]): boolean => v as boolean;

/**
 * Parses a `--baseline` value into a baseline the library takes.
 * @example
 * ```ts
 * parseBaseline('blur:3', ctx); // gaussianBlurBaseline(3)
 * ```
 */
export function parseBaseline(spec: string, ctx: MethodContext): Baseline {
  if (spec === 'zeros' || spec === 'zero') return 0;
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(spec)) return constantBaseline(Number(spec));
  const blur = /^blur(?::(\d+(?:\.\d+)?))?$/.exec(spec);
  if (blur !== null) return gaussianBlurBaseline(blurSigma(spec, blur[1]));
  if (spec === 'mean') return meanBaseline(cast(ctx.background().images, ctx.inputs.dtype));
  if (spec.toLowerCase().endsWith('.npy')) {
    const t = readBaselineNpy(spec);
    return t.dtype === ctx.inputs.dtype ? t : cast(t, ctx.inputs.dtype);
  }
  throw new UsageError(`--baseline must be zeros, a number, blur, blur:SIGMA, mean or a .npy file, got '${spec}'`);
}

/** A `--baseline FILE.npy`, read and parsed (a missing file is one line naming it). */
function readBaselineNpy(spec: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(spec));
  } catch {
    throw new UsageError(`--baseline: cannot read ${spec} (check the path)`);
  }
  return readNpy(bytes);
}

/** The sigma of `blur[:SIGMA]` (default 5); 0 would be the input itself, an all-zero map. */
function blurSigma(spec: string, raw: string | undefined): number {
  const sigma = raw === undefined ? 5 : Number(raw);
  if (!(sigma > 0)) throw new UsageError(`--baseline ${spec}: the blur sigma must be greater than 0 (blur:0 is the input itself, so every attribution would be 0); e.g. blur:5`);
  return sigma;
}

/**
 * Checks a baseline spec before any work (syntax, blur sigma, the .npy file readable and
 * parseable), so a bad `--baseline` is refused before the first progress line.
 */
function checkBaselineSpec(spec: string): void {
  if (spec === 'zeros' || spec === 'zero' || spec === 'mean' || /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(spec)) return;
  const blur = /^blur(?::(\d+(?:\.\d+)?))?$/.exec(spec);
  if (blur !== null) {
    blurSigma(spec, blur[1]);
    return;
  }
  if (spec.toLowerCase().endsWith('.npy')) {
    readBaselineNpy(spec);
    return;
  }
  throw new UsageError(`--baseline must be zeros, a number, blur, blur:SIGMA, mean or a .npy file, got '${spec}'`);
}

function featureMaskFor(ctx: MethodContext, patch: number, method: string): Tensor | undefined {
  if (patch === 0) return undefined;
  const s = ctx.inputs.shape;
  if (s.length !== 4) throw new UsageError(`${method}: patch needs image inputs [N, C, H, W], got [${s.join(', ')}] (use -o patch=0)`);
  return patchMask(s[2]!, s[3]!, patch, s[1]!);
}

function deltaOf(t: Tensor): Float64Array {
  return Float64Array.from(t.toTypedArray());
}

/**
 * Integrated Hessians on superpixels: the model is explained as a function of the
 * `k x k`-average-pooled image (upsampled back by repetition inside the model), so an
 * MNIST image has 49 features at k = 4 instead of 784 (the method needs D <= 512). Each
 * pixel gets its superpixel's row sum / k^2, so the map still sums to IG's total.
 */
function integratedHessiansOnSuperpixels(ctx: MethodContext, opts: OptionValues): MethodOutput {
  const k = num(opts['superpixel']);
  const s = ctx.inputs.shape;
  if (s.length !== 4 || s[2]! % k !== 0 || s[3]! % k !== 0) {
    throw new UsageError(`integrated-hessians: superpixel ${k} must divide the image size; inputs are [${s.join(', ')}] (try -o superpixel=4 for 28x28)`);
  }
  const [n, c, h, w] = s as [number, number, number, number];
  const hs = h / k;
  const ws = w / k;
  const x = ctx.inputs.toTypedArray();
  const pooled = new Float64Array(n * c * hs * ws);
  for (let i = 0; i < n * c; i++) {
    for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) pooled[i * hs * ws + Math.floor(y / k) * ws + Math.floor(xx / k)]! += x[i * h * w + y * w + xx]! / (k * k);
  }
  const z = cast(new Tensor(pooled, [n, c, hs, ws], 'float64'), ctx.inputs.dtype);
  const upsampled = (t: Tensor): Tensor => {
    const m = t.shape[0]!;
    return reshape(expand(reshape(t, [m, c, hs, 1, ws, 1]), [m, c, hs, k, ws, k]), [m, c, h, w]);
  };
  const wrapped = (t: Tensor): Tensor => ctx.model.forward(upsampled(t));
  const r = integratedHessians(wrapped, z, { target: ctx.target, steps: num(opts['steps']), method: str(opts['quadrature']) as QuadratureMethod, internalBatchSize: num(opts['batchSize']) });
  const sums = r.rowSums.toTypedArray();
  const out = new Float64Array(n * c * h * w);
  for (let i = 0; i < n * c; i++) {
    for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) out[i * h * w + y * w + xx] = sums[i * hs * ws + Math.floor(y / k) * ws + Math.floor(xx / k)]! / (k * k);
  }
  return { attributions: cast(new Tensor(out, [n, c, h, w], 'float64'), ctx.inputs.dtype), evaluations: r.gradientEvaluations };
}

/**
 * Every method, in the order reports list them.
 *
 * @example
 * ```ts
 * METHODS.map((m) => m.name); // ['saliency', 'ig', ...], the names `pathgrad attribute --method` takes
 * ```
 */
export const METHODS: readonly MethodSpec[] = [
  {
    name: 'saliency',
    title: 'Saliency',
    summary: 'gradient of the target (|gradient| by default, as Captum)',
    options: [{ name: 'abs', kind: 'bool', default: true, help: 'absolute value of the gradient' }],
    demo: {},
    run: (ctx, o) => {
      const r = saliency(ctx.model, ctx.inputs, { target: ctx.target, abs: bool(o['abs']) });
      return { attributions: r.attributions, evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'input-x-gradient',
    title: 'Input × Gradient',
    summary: 'input times the gradient',
    options: [],
    demo: {},
    run: (ctx) => {
      const r = inputXGradient(ctx.model, ctx.inputs, { target: ctx.target });
      return { attributions: r.attributions, evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'ig',
    title: 'Integrated Gradients',
    summary: 'Integrated Gradients along the straight path from the baseline',
    options: [steps(50), quad(), baselineOpt, { name: 'multiplyByInputs', kind: 'bool', default: true, help: 'multiply by (x - baseline)' }, batchOpt],
    demo: { steps: 32 },
    run: (ctx, o) => {
      const r = integratedGradients(ctx.model, ctx.inputs, {
        target: ctx.target,
        steps: num(o['steps']),
        method: str(o['quadrature']) as QuadratureMethod,
        baseline: parseBaseline(str(o['baseline']), ctx),
        multiplyByInputs: bool(o['multiplyByInputs']),
        internalBatchSize: num(o['batchSize']),
        seed: ctx.seed,
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'smoothgrad',
    title: 'SmoothGrad (noise tunnel)',
    summary: 'noise tunnel: a base method averaged over noisy copies of the input',
    options: [
      { name: 'base', kind: ['saliency', 'input-x-gradient', 'ig'], default: 'saliency', help: 'the method that is smoothed' },
      { name: 'type', kind: ['smoothgrad', 'smoothgradSq', 'vargrad'], default: 'smoothgrad', help: 'mean, mean of squares, or variance' },
      { name: 'samples', kind: 'int', default: 25, help: 'noisy samples' },
      { name: 'noiseLevel', kind: 'number', default: 0.15, help: "noise std relative to each input's range" },
      { name: 'abs', kind: 'bool', default: true, help: "with base saliency: |gradient| as the saliency method itself (and Captum's NoiseTunnel over Saliency) does; false smooths the signed gradient" },
    ],
    demo: { samples: 16 },
    run: (ctx, o) => {
      const nt = { type: str(o['type']) as 'smoothgrad', samples: num(o['samples']), noiseLevel: num(o['noiseLevel']), seed: ctx.seed };
      const base = str(o['base']);
      const r =
        base === 'ig'
          ? noiseTunnel(integratedGradients, nt)(ctx.model, ctx.inputs, { target: ctx.target, steps: 16 })
          : base === 'input-x-gradient'
            ? noiseTunnel(inputXGradient, nt)(ctx.model, ctx.inputs, { target: ctx.target })
            : noiseTunnel(saliency, nt)(ctx.model, ctx.inputs, { target: ctx.target, abs: bool(o['abs']) });
      return { attributions: r.attributions, evaluations: r.samples * (base === 'ig' ? 16 : 1) };
    },
  },
  {
    name: 'expected-gradients',
    title: 'Expected Gradients',
    summary: 'IG averaged over baselines drawn from the background data (GradientSHAP)',
    options: [
      { name: 'samples', kind: 'int', default: 50, help: 'reference samples per example' },
      { name: 'stdev', kind: 'number', default: 0, help: 'Gaussian noise added to the input of every sample' },
      batchOpt,
    ],
    demo: { samples: 32 },
    run: (ctx, o) => {
      const r = expectedGradients(ctx.model, ctx.inputs, {
        target: ctx.target,
        data: cast(ctx.background().images, ctx.inputs.dtype),
        samples: num(o['samples']),
        stdev: num(o['stdev']),
        internalBatchSize: num(o['batchSize']),
        seed: ctx.seed,
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'layer-ig',
    title: 'Layer Integrated Gradients',
    summary: "IG to a layer's output (the map has the layer's shape)",
    options: [
      { name: 'layer', kind: 'string', default: '0', help: "the layer's PyTorch-style name (e.g. 0, features.3)" },
      { name: 'attributeToLayerInput', kind: 'bool', default: false, help: "attribute to the layer's input instead" },
      steps(50),
      quad(),
      baselineOpt,
      batchOpt,
    ],
    demo: { steps: 32 },
    run: (ctx, o) => {
      const r = layerIntegratedGradients(ctx.model, str(o['layer']), ctx.inputs, {
        target: ctx.target,
        steps: num(o['steps']),
        method: str(o['quadrature']) as QuadratureMethod,
        baseline: parseBaseline(str(o['baseline']), ctx),
        attributeToLayerInput: bool(o['attributeToLayerInput']),
        internalBatchSize: num(o['batchSize']),
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'igc',
    title: 'Integrated Gradient Correlation',
    summary: "dataset-level IGC over the background data; each input gets its target class's map",
    options: [
      { name: 'data', kind: 'int', default: 200, help: 'background images the correlation is computed over' },
      steps(64),
      quad('riemannTrapezoid'),
      batchOpt,
    ],
    demo: { data: 24, steps: 8 },
    run: (ctx, o) => {
      const bg = ctx.background();
      const m = Math.min(num(o['data']), bg.images.shape[0]!);
      const per = bg.images.size / bg.images.shape[0]!;
      const images = new Tensor(bg.images.toTypedArray().slice(0, m * per), [m, ...bg.images.shape.slice(1)], bg.images.dtype);
      const labels = new Tensor(bg.labels.slice(0, m), [m], 'int32');
      const components = [...new Set(ctx.target)].sort((a, b) => a - b);
      const r = integratedGradientCorrelation(ctx.model, { inputs: cast(images, ctx.inputs.dtype), targets: labels }, {
        components,
        steps: num(o['steps']),
        method: str(o['quadrature']) as QuadratureMethod,
        internalBatchSize: num(o['batchSize']),
      });
      const maps = r.igc.toTypedArray();
      const featureSize = ctx.inputs.size / ctx.inputs.shape[0]!;
      const out = new Float64Array(ctx.inputs.size);
      ctx.target.forEach((t, i) => out.set(maps.subarray(r.components.indexOf(t) * featureSize, (r.components.indexOf(t) + 1) * featureSize), i * featureSize));
      return { attributions: cast(new Tensor(out, ctx.inputs.shape, 'float64'), ctx.inputs.dtype), evaluations: (m * num(o['steps'])) / ctx.inputs.shape[0]! };
    },
  },
  {
    name: 'ggig',
    title: 'Geometrically Guided IG',
    summary: 'gradient ascent in a neighbourhood of each scaled input, max over scales',
    options: [
      { name: 'scales', kind: 'int', default: 50, help: 'scale intervals m' },
      { name: 'iterations', kind: 'int', default: 200, help: 'gradient-ascent iterations per scale' },
      { name: 'learningRate', kind: 'number', default: 1e-4, help: 'ascent step' },
      { name: 'reduce', kind: ['max', 'integral'], default: 'max', help: 'max over scales (GGIG) or trapezoid mean (GGIG_IG)' },
      baselineOpt,
      batchOpt,
    ],
    demo: { scales: 8, iterations: 8 },
    run: (ctx, o) => {
      const r = geometricallyGuidedIG(ctx.model, ctx.inputs, {
        target: ctx.target,
        scales: num(o['scales']),
        iterations: num(o['iterations']),
        learningRate: num(o['learningRate']),
        reduce: str(o['reduce']) as 'max',
        baseline: parseBaseline(str(o['baseline']), ctx),
        internalBatchSize: num(o['batchSize']),
        seed: ctx.seed,
      });
      return { attributions: r.attributions, evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'greedy-pig',
    title: 'Greedy PIG',
    summary: 'greedy path IG: features selected in rounds are moved to the input',
    mapKind: 'rank',
    pictureNote: 'selection ranks, not attributions: features selected in earlier rounds score higher; the bands are the later rounds filling in the rest',
    options: [
      { name: 'rounds', kind: 'int', default: 10, help: 'selection rounds' },
      steps(50),
      quad(),
      patchOpt(0),
      { name: 'selection', kind: ['signed', 'absolute'], default: 'signed', help: 'rank by signed or absolute attribution' },
      baselineOpt,
      batchOpt,
    ],
    demo: { rounds: 3, steps: 8 },
    run: (ctx, o) => {
      const r = greedyPIG(ctx.model, ctx.inputs, {
        target: ctx.target,
        rounds: num(o['rounds']),
        steps: num(o['steps']),
        method: str(o['quadrature']) as QuadratureMethod,
        featureMask: featureMaskFor(ctx, num(o['patch']), 'greedy-pig'),
        selection: str(o['selection']) as 'signed',
        baseline: parseBaseline(str(o['baseline']), ctx),
        internalBatchSize: num(o['batchSize']),
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'shapley-ig',
    title: 'Shapley IG',
    summary: 'IG from random coalition baselines, an estimate of baseline Shapley values',
    pictureNote: 'features are 4 x 4 patches by default (-o patch): the square blocks are the coalition groups',
    options: [
      { name: 'coalitions', kind: 'int', default: 0, help: 'coalition baselines per example (0 = one per feature)' },
      steps(50),
      quad(),
      patchOpt(4),
      { name: 'sampling', kind: ['stratified', 'random'], default: 'stratified', help: 'how coalition sizes are drawn' },
      batchOpt,
    ],
    demo: { coalitions: 8, steps: 8 },
    run: (ctx, o) => {
      const k = num(o['coalitions']);
      const r = shapleyIG(ctx.model, ctx.inputs, {
        target: ctx.target,
        ...(k > 0 ? { coalitions: k } : {}),
        steps: num(o['steps']),
        method: str(o['quadrature']) as QuadratureMethod,
        featureMask: featureMaskFor(ctx, num(o['patch']), 'shapley-ig'),
        sampling: str(o['sampling']) as 'stratified',
        internalBatchSize: num(o['batchSize']),
        seed: ctx.seed,
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'exact-shapley',
    title: 'Exact Shapley (patches)',
    summary: 'exact baseline Shapley values of patches (at most 20 groups: 2^groups forward passes)',
    pictureNote: 'one Shapley value per patch, spread evenly over its pixels: the square blocks are the patches, not artefacts',
    options: [patchOpt(7), { name: 'reference', kind: 'string', default: 'zeros', help: 'value of absent features (as --baseline)' }, batchOpt],
    demo: { patch: 14 },
    run: (ctx, o) => {
      const patch = num(o['patch']);
      if (patch === 0) throw new UsageError('exact-shapley: needs patches (at most 20 groups); use e.g. -o patch=7 for 28x28 images');
      const r = exactShapley(ctx.model, ctx.inputs, {
        target: ctx.target,
        featureMask: featureMaskFor(ctx, patch, 'exact-shapley'),
        reference: parseBaseline(str(o['reference']), ctx),
        batchSize: Math.max(num(o['batchSize']), 512),
      });
      const total = r.total;
      const sums = new Float64Array(ctx.inputs.shape[0]!);
      const a = r.attributions.toTypedArray();
      const per = a.length / sums.length;
      for (let i = 0; i < a.length; i++) sums[Math.floor(i / per)]! += a[i]!;
      return { attributions: r.attributions, delta: sums.map((s, i) => s - total[i]!), evaluations: r.evaluations };
    },
  },
  {
    name: 'guided-ig',
    title: 'Guided IG',
    summary: 'adaptive path that first moves the features with the smallest gradient',
    options: [
      steps(200, 'steps, one gradient each'),
      { name: 'fraction', kind: 'number', default: 0.25, help: 'fraction of features moved per inner iteration' },
      { name: 'maxDist', kind: 'number', default: 0.02, help: 'how far a feature may run ahead of the straight path' },
      baselineOpt,
      batchOpt,
    ],
    demo: { steps: 32 },
    run: (ctx, o) => {
      const r = guidedIG(ctx.model, ctx.inputs, {
        target: ctx.target,
        steps: num(o['steps']),
        fraction: num(o['fraction']),
        maxDist: num(o['maxDist']),
        baseline: parseBaseline(str(o['baseline']), ctx),
        internalBatchSize: num(o['batchSize']),
        seed: ctx.seed,
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'blur-ig',
    title: 'Blur IG',
    summary: 'IG along a path of decreasing Gaussian blur',
    options: [
      { name: 'maxSigma', kind: 'number', default: 10, help: 'largest blur sigma in pixels (10 suits 28x28; the paper uses 50 for 224x224)' },
      steps(100, 'steps along sigma'),
      { name: 'gradStep', kind: 'number', default: 0.01, help: 'finite-difference step for d blur / d sigma' },
      { name: 'sqrt', kind: 'bool', default: false, help: 'space the sigmas as sqrt' },
      batchOpt,
    ],
    demo: { steps: 32 },
    run: (ctx, o) => {
      const r = blurIG(ctx.model, ctx.inputs, {
        target: ctx.target,
        maxSigma: num(o['maxSigma']),
        steps: num(o['steps']),
        gradStep: num(o['gradStep']),
        sqrt: bool(o['sqrt']),
        internalBatchSize: num(o['batchSize']),
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'idgi',
    title: 'IDGI',
    summary: 'important-direction gradient integration on the IG (or Blur IG) path',
    options: [
      { name: 'path', kind: ['straight', 'blur'], default: 'straight', help: 'the path IDGI is applied to' },
      steps(50, 'path segments'),
      { name: 'maxSigma', kind: 'number', default: 10, help: 'largest sigma of the blur path' },
      baselineOpt,
      batchOpt,
    ],
    demo: { steps: 32 },
    run: (ctx, o) => {
      const r = idgi(ctx.model, ctx.inputs, {
        target: ctx.target,
        path: str(o['path']) as 'straight',
        steps: num(o['steps']),
        maxSigma: num(o['maxSigma']),
        baseline: parseBaseline(str(o['baseline']), ctx),
        internalBatchSize: num(o['batchSize']),
        seed: ctx.seed,
      });
      return { attributions: r.attributions, delta: deltaOf(r.delta), evaluations: r.gradientEvaluations };
    },
  },
  {
    name: 'integrated-hessians',
    title: 'Integrated Hessians (row sums)',
    summary: 'pairwise interactions on superpixels; the map shows their row sums (= IG on superpixels)',
    pictureNote: 'computed on k x k superpixels (the method takes at most 512 features): the square blocks are the superpixels',
    options: [
      steps(8, 'quadrature points per axis (steps^2 points)'),
      quad(),
      { name: 'superpixel', kind: 'int', default: 4, help: 'explain k x k average-pooled superpixels (the method takes at most 512 features)' },
      batchOpt,
    ],
    demo: { steps: 2, superpixel: 7 },
    run: integratedHessiansOnSuperpixels,
  },
];

/** The family each method belongs to, for charts that group methods by colour. */
const FAMILIES: Record<string, string> = {
  saliency: 'gradients',
  'input-x-gradient': 'gradients',
  smoothgrad: 'gradients',
  ig: 'straight-path IG',
  'layer-ig': 'straight-path IG',
  idgi: 'straight-path IG',
  'integrated-hessians': 'straight-path IG',
  'blur-ig': 'other paths',
  'guided-ig': 'other paths',
  ggig: 'other paths',
  'greedy-pig': 'other paths',
  'expected-gradients': 'baselines and Shapley',
  'shapley-ig': 'baselines and Shapley',
  'exact-shapley': 'baselines and Shapley',
  igc: 'baselines and Shapley',
};

/**
 * The family of a method (gradients, straight-path IG, other paths, baselines and Shapley).
 * @example
 * ```ts
 * methodFamily('blur-ig'); // 'other paths'
 * ```
 */
export function methodFamily(name: string): string {
  return FAMILIES[name] ?? 'other';
}

/**
 * The method named `name`, or a UsageError listing the names.
 * @example
 * ```ts
 * methodByName('ig').title; // 'Integrated Gradients'
 * ```
 */
export function methodByName(name: string): MethodSpec {
  const m = METHODS.find((s) => s.name === name);
  if (m === undefined) throw new UsageError(`unknown method '${name}'; choose one of: ${METHODS.map((s) => s.name).join(', ')}`);
  return m;
}

function parseValue(method: string, opt: MethodOption, raw: string): string | number | boolean {
  const bad = (what: string): never => {
    throw new UsageError(`${method}: option ${opt.name} must be ${what}, got '${raw}'`);
  };
  if (Array.isArray(opt.kind)) return opt.kind.includes(raw) ? raw : bad(`one of ${opt.kind.join(', ')}`);
  switch (opt.kind) {
    case 'int': {
      const v = Number(raw);
      return Number.isSafeInteger(v) && v >= 0 ? v : bad('a non-negative integer');
    }
    case 'number': {
      const v = Number(raw);
      return raw.trim() !== '' && Number.isFinite(v) ? v : bad('a finite number');
    }
    case 'bool':
      return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : bad('true or false');
    default:
      if (opt.name === 'baseline' || opt.name === 'reference') checkBaselineSpec(raw);
      return raw;
  }
}

/**
 * A method's option values: defaults, overridden by `overrides` (strings from the command
 * line, or typed values from the demo). Unknown names are a UsageError naming the valid ones.
 * @example
 * ```ts
 * resolveOptions(methodByName('ig'), { steps: '64' }).steps; // 64
 * ```
 */
export function resolveOptions(spec: MethodSpec, overrides: Record<string, string | number | boolean>): OptionValues {
  const values: OptionValues = {};
  for (const o of spec.options) values[o.name] = o.default;
  for (const [k, v] of Object.entries(overrides)) {
    const opt = spec.options.find((o) => o.name === k);
    if (opt === undefined) {
      const names = spec.options.map((o) => o.name);
      const near = nearestKey(k, names);
      const hint = near !== undefined ? ` (did you mean ${near}?)` : names.length ? `; its options are ${names.join(', ')}` : ' (it takes no options)';
      throw new UsageError(`method ${spec.name} has no option '${k}'${hint}`);
    }
    values[k] = typeof v === 'string' ? parseValue(spec.name, opt, v) : v;
  }
  return values;
}

/**
 * Text listing every method and its options with defaults, for `--help` and `--list-methods`.
 * @example
 * ```ts
 * console.log(describeMethods());
 * ```
 */
export function describeMethods(): string {
  return METHODS.map((m) => {
    const opts = m.options.map((o) => `      ${o.name}=${Array.isArray(o.kind) ? o.kind.join('|') : `<${o.kind}>`}  ${o.help} (default ${String(o.default)})`);
    return [`  ${m.name}: ${m.summary}`, ...opts].join('\n');
  }).join('\n');
}
