/**
 * @pathgrad/nn: modules with PyTorch's names and weight layouts, layers, initialisers,
 * losses, optimizers, a small training loop, the MNIST model zoo with pretrained weights,
 * and (below) safetensors/ONNX import and the MNIST data.
 *
 * @packageDocumentation
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

// io and data
