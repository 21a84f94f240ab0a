/**
 * @pathgrad/nn: modules with PyTorch's names and weight layouts, layers, initialisers,
 * losses, optimizers, a small training loop, the MNIST model zoo with pretrained weights,
 * and (below) safetensors/ONNX import and the IDX reader. The MNIST loader reads files and
 * is exported by the Node-only entry `@pathgrad/nn/node`.
 *
 * @module @pathgrad/nn
 * @document ../README.md
 */
export { Parameter, Module, withForwardHook, type ForwardHook, type LoadStateDictResult } from './module.js';
export {
  kaimingUniform,
  kaimingNormal,
  xavierUniform,
  xavierNormal,
  calculateGain,
  computeFans,
  defaultWeightInit,
  defaultBiasInit,
  type FanMode,
  type Nonlinearity,
  type InitOptions,
  type KaimingOptions,
  type XavierOptions,
  type RngOrSeed,
} from './init.js';

export { Linear, type LinearOptions } from './layers/linear.js';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d.js';
export { ReLU, Softplus, Sigmoid, Tanh, GELU, Softmax, LogSoftmax, type SoftplusLayerOptions } from './layers/activation.js';
export { MaxPool2d, AvgPool2d, type Pool2dLayerOptions, type MaxPool2dLayerOptions, type AvgPool2dLayerOptions } from './layers/pooling.js';
export { Flatten } from './layers/flatten.js';
export { Dropout } from './layers/dropout.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './layers/batchnorm.js';
export { Sequential } from './layers/sequential.js';
export type { Pair } from './layers/checks.js';
export { crossEntropy, nllLoss, mse, type Reduction, type LossOptions } from './losses.js';
export { Optimizer } from './optim/optimizer.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { fit, batches, evaluateAccuracy, predict, type Batch, type BatchOptions, type FitOptions, type TrainProgress, type EpochSummary, type EvaluateOptions, type ProgressStream } from './train.js';
export { mnistMlp, mnistCnn, MnistMlp, type ZooOptions } from './zoo.js';
export { loadPretrained, pretrainedBytes, type PretrainedName } from './pretrained.js';

// io and data
export { loadSafetensors, saveSafetensors, SAFETENSORS_MAX_HEADER, type Safetensors } from './io/safetensors.js';
export { readIdx, readIdxHeader, type IdxHeader } from './data/idx.js';
// mnist() and mnistDataDir() read files: they live in the Node-only entry '@pathgrad/nn/node' (src/node.ts)
export { loadOnnx, OnnxModel, OnnxScope, ONNX_SUPPORTED_OPS, ONNX_DEFAULT_LIMITS, type LoadOnnxOptions } from './io/onnx.js';
