// Entry point of the wasm kernels: everything the runtime (src/wasm/runtime.ts) calls.
export { gemm, gemmBatched, gemmPackedA, gemmPackedB, gemmScratchBytes, packAFull, packedASize, packBFull, packedBSize, gemmBiasAct, gemmPackedABiasAct, gemmPackedBBiasAct, biasAct } from './gemm';
export { conv2dForward, conv2dBackwardInput, conv2dBackwardWeight, convScratchBytes, convPackedWeightSize, packConvWeight } from './conv';
export { maxPool2dForward, maxPool2dScatter } from './pool';
export { reduceSum3 } from './reduce';
export { gemmSmallM, gemmSmallMPackedB } from './gemv';
export { add3, sub3, mul3, div3, maximum3, minimum3, greater3, reluMask3, relu, neg, sqrt, exp, log } from './elementwise';
export { abs32, sign32, clip32, sigmoid32, tanh32, softplus32, pow3 } from './unary';
export { softmax32, logSoftmax32, logsumexp32 } from './softmax';
export { gather32, indexSelect32, addAt32 } from './gather';
export { less3, lessEqual3, greaterEqual3, equal3, notEqual3 } from './compare';
export { erf32, gelu32 } from './special';
export { where3 } from './where';
export { rowsMax32, rowsMin32, rowsArgmax32, rowsArgmin32, rowsVar32 } from './rows';

/** First byte after static data: the runtime manages memory from here on. */
export function heapBase(): usize {
  return __heap_base;
}
