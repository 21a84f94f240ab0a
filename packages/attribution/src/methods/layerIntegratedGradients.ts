import { noGrad } from '@pathgrad/autograd';
import { Module, withForwardHook } from '@pathgrad/nn';
import { ArgumentError, Tensor, allocate, describe, optionKeys } from '@pathgrad/tensor';
import { resolveBaselines } from '../baselines.js';
import { chunkSize, fromFlat, scalarAndGradient, toFloat64 } from '../gradients.js';
import { prepare } from '../explain.js';
import { boolOption, checkOptions, intOption, quadratureOptions } from '../options.js';
import { exampleScores, rowSums } from '../path.js';
import { quadrature } from '../quadrature.js';
import type { IntegratedGradientsOptions } from './integratedGradients.js';

/**
 * Options of {@link layerIntegratedGradients}.
 *
 * @example
 * ```ts
 * const options: LayerIntegratedGradientsOptions = { target: labels, steps: 32, attributeToLayerInput: false };
 * layerIntegratedGradients(model, '3', images, options); // attributions to the output of layer '3'
 * ```
 */
export interface LayerIntegratedGradientsOptions extends IntegratedGradientsOptions {
  /** Attribute to the layer's input instead of its output (default false). */
  attributeToLayerInput?: boolean;
}

const LAYER_IG_KEYS = optionKeys<LayerIntegratedGradientsOptions>({
  attributeToLayerInput: true, baseline: true, steps: true, method: true, internalBatchSize: true,
  multiplyByInputs: true, seed: true, target: true, outputTransform: true,
});

/**
 * Result of {@link layerIntegratedGradients}.
 *
 * @example
 * ```ts
 * const { attributions, delta }: LayerIntegratedGradientsResult = layerIntegratedGradients(model, '3', images, { target: labels });
 * ```
 */
export interface LayerIntegratedGradientsResult {
  /** Attributions with the layer activation's shape `[N, ...]`. */
  attributions: Tensor;
  /** `Σ attributions − (F(x) − F(x'))` per example, float64 `[N]`. */
  delta: Tensor;
  gradientEvaluations: number;
}

/**
 * Layer Integrated Gradients (Captum `LayerIntegratedGradients`): IG in the activation
 * space of one layer. The layer's activations at the input, h(x), and at the baseline,
 * h(x'), are interpolated, and the interpolated activation replaces the layer's output in
 * the forward pass (the rest of the network runs normally). Attributions have the layer's
 * shape and sum to F(x) − F(x') up to quadrature error. The layer is addressed by its
 * Module name (`'3'`, `'features.3'`) or given as a Module.
 *
 * @example
 * ```ts
 * const cnn = mnistCnn();
 * const { attributions } = layerIntegratedGradients(cnn, '3', images, { target: labels });
 * ```
 */
export function layerIntegratedGradients(
  model: Module,
  layer: string | Module,
  inputs: Tensor,
  opts: LayerIntegratedGradientsOptions = {},
): LayerIntegratedGradientsResult {
  const name = 'layerIntegratedGradients';
  checkOptions(opts, LAYER_IG_KEYS, name);
  if (!(model instanceof Module)) throw new ArgumentError(`${name}: model must be an nn Module, got ${describe(model)}`);
  const spec = prepare(model, inputs, opts, name);
  const target = typeof layer === 'string' ? model.getSubmodule(layer) : layer;
  if (!(target instanceof Module)) throw new ArgumentError(`${name}: layer must be a Module name or a Module, got ${describe(layer)}`);
  const toInput = boolOption(opts.attributeToLayerInput, false, 'attributeToLayerInput', name);
  const multiply = boolOption(opts.multiplyByInputs, true, 'multiplyByInputs', name);
  const { method, steps } = quadratureOptions(opts.method, opts.steps, name);
  const quad = quadrature(method, steps);
  const baselines = resolveBaselines(inputs, opts.baseline, intOption(opts.seed, 0, 'seed', name, 0), name);
  const n = inputs.shape[0]!;
  const per = inputs.size / Math.max(n, 1);
  const xIn = toFloat64(inputs);

  const activation = (x: Tensor): Tensor => {
    let captured: Tensor | undefined;
    noGrad(() =>
      withForwardHook(target, (inp, out) => {
        captured = toInput ? inp : out;
      }, () => model.forward(x)),
    );
    if (!captured) throw new ArgumentError(`${name}: the layer was not called during the model's forward pass`);
    return captured;
  };
  const hx = activation(inputs);
  const layerShape = hx.shape.slice(1);
  const hper = hx.size / Math.max(n, 1);
  const hxf = toFloat64(hx);
  const attr = new Float64Array(hx.size);
  let baselineMean = new Float64Array(n);
  let replacing = false;

  for (const baseline of baselines) {
    const hb = toFloat64(activation(baseline));
    const total = n * steps;
    const size = chunkSize(opts.internalBatchSize, total, name, per);
    const pathGrad = new Float64Array(hx.size);
    for (let start = 0; start < total; start += size) {
      const end = Math.min(total, start + size);
      const rows = end - start;
      const xs = allocate(inputs.dtype, rows * per);
      const hs = allocate(hx.dtype, rows * hper);
      const rowExamples = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        const i = start + r;
        const k = Math.floor(i / n);
        const e = i - k * n;
        rowExamples[r] = e;
        const a = quad.alphas[k]!;
        for (let d = 0; d < per; d++) xs[r * per + d] = xIn[e * per + d]!;
        for (let d = 0; d < hper; d++) hs[r * hper + d] = hb[e * hper + d]! + a * (hxf[e * hper + d]! - hb[e * hper + d]!);
      }
      const xChunk = new Tensor(xs, [rows, ...inputs.shape.slice(1)], inputs.dtype);
      // the model as a function of the layer activation: the hook swaps in h
      const layerModel = (h: Tensor): Tensor =>
        withForwardHook(
          target,
          () => {
            if (replacing) return undefined;
            if (!toInput) return h;
            replacing = true;
            try {
              return target.forward(h);
            } finally {
              replacing = false;
            }
          },
          () => model.forward(xChunk),
        );
      const { grads } = scalarAndGradient(
        { ...spec, model: layerModel },
        { points: new Tensor(hs, [rows, ...layerShape], hx.dtype), rowExamples },
      );
      const gf = toFloat64(grads);
      for (let r = 0; r < rows; r++) {
        const i = start + r;
        const k = Math.floor(i / n);
        const e = i - k * n;
        const w = quad.weights[k]!;
        for (let d = 0; d < hper; d++) pathGrad[e * hper + d]! += w * gf[r * hper + d]!;
      }
    }
    for (let i = 0; i < attr.length; i++) attr[i]! += (multiply ? pathGrad[i]! * (hxf[i]! - hb[i]!) : pathGrad[i]!) / baselines.length;
    const fb = exampleScores(spec, baseline);
    baselineMean = baselineMean.map((v, i) => v + fb[i]! / baselines.length);
  }
  const fx = exampleScores(spec, inputs);
  const sums = rowSums(attr, n);
  const delta = Float64Array.from({ length: n }, (_, i) => sums[i]! - (fx[i]! - baselineMean[i]!));
  return { attributions: fromFlat(attr, hx.shape, hx.dtype), delta: new Tensor(delta, [n], 'float64'), gradientEvaluations: steps * baselines.length };
}
