/**
 * @pathgrad/attribution: Integrated Gradients and its family, written against pathgrad's
 * own autodiff, with shared quadrature, baselines and batching.
 *
 * @module @pathgrad/attribution
 * @document ../README.md
 */
export { quadrature, gaussLegendreNodes, QUADRATURE_METHODS, type Quadrature, type QuadratureMethod } from './quadrature.js';
export type { Model } from './model.js';
export type { Target, OutputTransform } from './target.js';
export type { ExplainOptions } from './explain.js';
export { DEFAULT_CHUNK_ELEMENTS, MAX_BASELINES, MAX_SAMPLES, MAX_STEPS } from './options.js';
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
export { resolveFeatureMask, patchMask, groupSums, type FeatureGroups } from './featureMask.js';
export { exactShapley, shapleyWeights, EXACT_SHAPLEY_MAX_FEATURES, type ExactShapleyOptions, type ExactShapleyResult } from './methods/exactShapley.js';
export { shapleyIG, type ShapleyIGOptions, type ShapleyIGResult } from './methods/shapleyIG.js';
export { greedyPIG, type GreedyPIGOptions, type GreedyPIGResult } from './methods/greedyPIG.js';
export { idgi, type IDGIOptions, type IDGIResult } from './methods/idgi.js';
export { guidedIG, type GuidedIGOptions, type GuidedIGResult } from './methods/guidedIG.js';
export { blurIG, type BlurIGOptions, type BlurIGResult } from './methods/blurIG.js';
export {
  geometricallyGuidedIG,
  type GeometricallyGuidedIGOptions,
  type GeometricallyGuidedIGResult,
} from './methods/geometricallyGuidedIG.js';
export {
  integratedHessians,
  INTEGRATED_HESSIANS_MAX_FEATURES,
  type IntegratedHessiansOptions,
  type IntegratedHessiansResult,
} from './methods/integratedHessians.js';
export {
  integratedGradientCorrelation,
  igcAccumulate,
  IGCAccumulator,
  type IGCOptions,
  type IGCResult,
  type IGCState,
  type DataBatch,
} from './methods/integratedGradientCorrelation.js';

// visualize
export {
  normalizeAttribution,
  attributionScale,
  reduceChannels,
  heatmapRGBA,
  colormapRGB,
  type NormalizeOptions,
  type AttributionSign,
  type NormalizeMode,
  type HeatmapOptions,
  type Colormap,
  attributionPicture,
  upscalePicture,
  colorBar,
  colorBarLabels,
  pictureGrid,
  encodePNG,
  type Picture,
  type PictureOptions,
  type PictureMode,
  type MapKind,
  type ColorBarOptions,
  type GridOptions,
} from './visualize/index.js';

// metrics
export { auc, deletionCurve, insertionCurve, type Substrate, type CausalMetricOptions, type CausalMetricResult } from './metrics/deletion.js';
export {
  pic,
  aggregatePic,
  createBlurredImage,
  generateRandomMask,
  PIC_DEFAULT_THRESHOLDS,
  type PicOptions,
  type PicResult,
  type PicCurve,
  type AggregatePicResult,
} from './metrics/pic.js';
export { webpLosslessSize } from './metrics/webp.js';
export { infidelity, gaussianPerturbation, squarePerturbation, type Perturbation, type InfidelityOptions, type InfidelityResult } from './metrics/infidelity.js';
export { sensitivityMax, type ExplainFunction, type SensitivityMaxOptions, type SensitivityMaxResult } from './metrics/sensitivity.js';
export { averageRanks, pearson, spearman, ssim, quantile, normalizeAbs, normalizeSigned, type SsimOptions } from './metrics/similarity.js';
export { sanityMaps, type SimilarityMetric, type SanityMaps } from './metrics/sanity.js';
export {
  modelRandomizationCheck,
  randomLogitCheck,
  truncatedNormalInit,
  parameterisedLayers,
  type ModelExplainFunction,
  type TargetExplainFunction,
  type ParameterInit,
  type ModelRandomizationOptions,
  type ModelRandomizationResult,
  type RandomizationRow,
  type RandomLogitOptions,
} from './metrics/randomization.js';
export {
  modelPerturbationCheck,
  type PerturbedExplainFunction,
  type ModelPerturbationOptions,
  type ModelPerturbationResult,
  type PerturbationRow,
} from './metrics/perturbation.js';
export { completenessStats, sparseness, complexity, type CompletenessStats } from './metrics/complexity.js';
export {
  evaluateMethods,
  type EvaluateMethodsOptions,
  type EvaluationResult,
  type EvaluationRow,
  type MethodFunction,
  type MethodOutput,
  type MetricName,
  type MetricSpec,
  type MetricContext,
  type CustomMetric,
} from './metrics/runner.js';
