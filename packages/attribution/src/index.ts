/**
 * @pathgrad/attribution: Integrated Gradients and its family, written against pathgrad's
 * own autodiff, with shared quadrature, baselines and batching.
 *
 * @packageDocumentation
 */
export { quadrature, gaussLegendreNodes, QUADRATURE_METHODS, type Quadrature, type QuadratureMethod } from './quadrature.js';
export type { Model } from './model.js';
export type { Target, OutputTransform } from './target.js';
export type { ExplainOptions } from './explain.js';
export {
  zerosBaseline,
  constantBaseline,
  uniformNoiseBaseline,
  gaussianBlurBaseline,
  datasetSamplesBaseline,
  meanBaseline,
  resolveBaselines,
  type Baseline,
  type BaselineBuilder,
} from './baselines.js';
export { gaussianBlur2d, gaussianKernel1d, type BlurMode } from './blur.js';
export { integratedGradients, type IntegratedGradientsOptions, type IntegratedGradientsResult } from './methods/integratedGradients.js';
export { saliency, inputXGradient, type SaliencyOptions, type AttributionResult } from './methods/saliency.js';
export { noiseTunnel, type NoiseTunnelOptions, type NoiseTunnelResult, type AttributionMethod } from './methods/noiseTunnel.js';
export { expectedGradients, type ExpectedGradientsOptions, type ExpectedGradientsResult } from './methods/expectedGradients.js';
export {
  layerIntegratedGradients,
  type LayerIntegratedGradientsOptions,
  type LayerIntegratedGradientsResult,
} from './methods/layerIntegratedGradients.js';
