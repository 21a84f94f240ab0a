/**
 * @pathgrad/tensor: immutable typed-array tensors, their ops (one file each, with shape
 * rule, kernels and vector-Jacobian product together), seeded randomness and backends.
 *
 * @module @pathgrad/tensor
 * @document ../README.md
 */
import './methods.js';

export { Tensor, forEachOffset, viewOf, type NestedArray } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export { allocate, dtypeOf, isFloat, promote, DTYPES } from './dtype.js';
export { PathgradError, ShapeError, DTypeError, ArgumentError, FormatError, describe } from './errors.js';
export {
  broadcastShapes,
  broadcastAll,
  contiguousStrides,
  normalizeAxis,
  normalizeAxes,
  reductionAxes,
  shapesEqual,
  sizeOf,
  type Shape,
} from './shape.js';
export { tensor, scalar, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, randint, type CreateOptions } from './create.js';
export { Rng, rng } from './random.js';
export {
  defineOp,
  dispatch,
  runKernel,
  setOpRecorder,
  getOpRecorder,
  type OpDef,
  type DifferentiableOpDef,
  type NonDifferentiableOpDef,
  type Kernel,
  type Vjp,
  type VjpContext,
  type OpSpec,
  type OpSample,
  type OpRecorder,
  type OutputInfo,
} from './op.js';
export {
  setBackend,
  getBackend,
  backendInfo,
  withBackend,
  registerBackend,
  type BackendName,
  type BackendChoice,
  type BackendInfo,
  type BackendProvider,
  type BackendSelection,
} from './backend.js';
export { setThreads, getThreads } from './wasm/threads.js';
export { wasmScope } from './wasm/runtime.js';
export { type TensorLike, scalarTensor, checkOptionKeys, optionKeys, nearestKey, editDistance } from './args.js';
export * from './ops/index.js';

// interop and gpujs
export {
  gpujsInfo,
  gpujsStats,
  clearGpujsCache,
  configureGpujs,
  provideGpujs,
  chooseGpujsMode,
  GPUJS_MODE_PREFERENCE,
  type GpujsConstructor,
  type GpujsInstance,
  type GpujsKernel,
  type GpujsKernelSettings,
  type GpujsMode,
  type GpujsSupport,
  type GpujsModeChoice,
  type GpujsStats,
} from './gpujs/runtime.js';
export { toNdarray, fromNdarray, NDARRAY_DTYPE_RULE, type TensorNdarray, type AnyNdarray } from './interop/ndarray.js';
export {
  readNpy,
  readNpyHeader,
  writeNpy,
  NPY_TYPES,
  MAX_NPY_HEADER,
  MAX_NPY_RANK,
  type NpyHeader,
  type NpyTypeRule,
  type WriteNpyOptions,
} from './interop/npy.js';
