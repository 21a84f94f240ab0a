/**
 * The op registry. Every op is listed once; the generic test suites (kernel parity,
 * gradcheck, second order) iterate this table, so a new op is tested the moment it is
 * registered. The `satisfies` clause makes a malformed definition a compile error.
 */
import type { OpDef } from '../op.js';
import { addOp } from './add.js';
import { divOp } from './div.js';
import { expOp } from './exp.js';
import { expandOp } from './expand.js';
import { greaterOp } from './greater.js';
import { logOp } from './log.js';
import { mulOp } from './mul.js';
import { negOp } from './neg.js';
import { reluOp } from './relu.js';
import { reluBackwardOp } from './reluBackward.js';
import { reshapeOp } from './reshape.js';
import { subOp } from './sub.js';
import { sumOp } from './sum.js';
// @registry-imports: elementwise
import { powOp } from './pow.js';
import { sqrtOp } from './sqrt.js';
import { absOp } from './abs.js';
import { signOp } from './sign.js';
import { sigmoidOp } from './sigmoid.js';
import { tanhOp } from './tanh.js';
import { softplusOp } from './softplus.js';
import { erfOp } from './erf.js';
import { geluOp } from './gelu.js';
import { maximumOp } from './maximum.js';
import { minimumOp } from './minimum.js';
import { lessOp } from './less.js';
import { greaterEqualOp } from './greaterEqual.js';
import { lessEqualOp } from './lessEqual.js';
import { equalOp } from './equal.js';
import { notEqualOp } from './notEqual.js';
import { whereOp } from './where.js';
import { clipOp } from './clip.js';
import { castOp } from './cast.js';
// @registry-imports: reductions
import { meanOp } from './mean.js';
import { maxOp } from './max.js';
import { minOp } from './min.js';
import { argmaxOp } from './argmax.js';
import { argminOp } from './argmin.js';
import { logsumexpOp } from './logsumexp.js';
import { varOp } from './var.js';
import { softmaxOp } from './softmax.js';
import { logSoftmaxOp } from './logSoftmax.js';
// @registry-imports: movement
import { concatOp } from './concat.js';
import { flipOp } from './flip.js';
import { gatherOp } from './gather.js';
import { indexAddOp } from './indexAdd.js';
import { indexSelectOp } from './indexSelect.js';
import { oneHotOp } from './oneHot.js';
import { padOp } from './pad.js';
import { permuteOp } from './permute.js';
import { scatterAddOp } from './scatterAdd.js';
import { sliceOp } from './slice.js';
import { sliceScatterOp } from './sliceScatter.js';
// @registry-imports: linalg
import { matmulOp } from './matmul.js';
import { linearOp, linearReluBackwardInputOp } from './linear.js';
import { conv2dOp } from './conv2d.js';
import { conv2dBackwardInputOp } from './conv2dBackwardInput.js';
import { conv2dBackwardWeightOp } from './conv2dBackwardWeight.js';
import { conv2dBiasActOp } from './conv2dBiasAct.js';
import { conv2dReluMaxPoolOp } from './conv2dReluMaxPool.js';
import { conv2dMaxPoolBackwardInputOp } from './conv2dMaxPoolBackwardInput.js';
import { maxPool2dIndicesOp, maxPool2dOp } from './maxPool2d.js';
import { maxPool2dBackwardOp, maxPool2dGatherOp } from './maxPool2dBackward.js';
import { avgPool2dOp } from './avgPool2d.js';
import { avgPool2dBackwardOp } from './avgPool2dBackward.js';

/**
 * The registry of every op definition, keyed by name. The generic tests (parity of every backend
 * with the float64 reference, gradcheck of every VJP) iterate over it, and `satisfies` makes
 * an op that lacks a kernel, a VJP or its reason for having none a compile error.
 *
 * @example
 * ```ts
 * Object.keys(OPS).length; // how many ops are registered
 * OPS.mul.name; // 'mul'
 * ```
 */
export const OPS = {
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  neg: negOp,
  exp: expOp,
  log: logOp,
  relu: reluOp,
  reluBackward: reluBackwardOp,
  greater: greaterOp,
  sum: sumOp,
  reshape: reshapeOp,
  expand: expandOp,
  // @registry-entries: elementwise
  pow: powOp,
  sqrt: sqrtOp,
  abs: absOp,
  sign: signOp,
  sigmoid: sigmoidOp,
  tanh: tanhOp,
  softplus: softplusOp,
  erf: erfOp,
  gelu: geluOp,
  maximum: maximumOp,
  minimum: minimumOp,
  less: lessOp,
  greaterEqual: greaterEqualOp,
  lessEqual: lessEqualOp,
  equal: equalOp,
  notEqual: notEqualOp,
  where: whereOp,
  clip: clipOp,
  cast: castOp,
  // @registry-entries: reductions
  mean: meanOp,
  max: maxOp,
  min: minOp,
  argmax: argmaxOp,
  argmin: argminOp,
  logsumexp: logsumexpOp,
  var: varOp,
  softmax: softmaxOp,
  logSoftmax: logSoftmaxOp,
  // @registry-entries: movement
  permute: permuteOp,
  slice: sliceOp,
  sliceScatter: sliceScatterOp,
  concat: concatOp,
  pad: padOp,
  gather: gatherOp,
  scatterAdd: scatterAddOp,
  indexSelect: indexSelectOp,
  indexAdd: indexAddOp,
  oneHot: oneHotOp,
  flip: flipOp,
  // @registry-entries: linalg
  matmul: matmulOp,
  linear: linearOp,
  linearReluBackwardInput: linearReluBackwardInputOp,
  conv2d: conv2dOp,
  conv2dBackwardInput: conv2dBackwardInputOp,
  conv2dBackwardWeight: conv2dBackwardWeightOp,
  conv2dBiasAct: conv2dBiasActOp,
  conv2dReluMaxPool: conv2dReluMaxPoolOp,
  conv2dMaxPoolBackwardInput: conv2dMaxPoolBackwardInputOp,
  maxPool2d: maxPool2dOp,
  maxPool2dIndices: maxPool2dIndicesOp,
  maxPool2dBackward: maxPool2dBackwardOp,
  maxPool2dGather: maxPool2dGatherOp,
  avgPool2d: avgPool2dOp,
  avgPool2dBackward: avgPool2dBackwardOp,
} satisfies Record<string, OpDef<any>>;

/**
 * Names of every registered op.
 *
 * @example
 * ```ts
 * const name: OpName = 'matmul';
 * OPS[name].name; // 'matmul'
 * ```
 */
export type OpName = keyof typeof OPS;

export { add } from './add.js';
export { div } from './div.js';
export { exp } from './exp.js';
export { expand } from './expand.js';
export { greater } from './greater.js';
export { log } from './log.js';
export { mul } from './mul.js';
export { neg } from './neg.js';
export { relu } from './relu.js';
export { reluBackward } from './reluBackward.js';
export { reshape, resolveShape } from './reshape.js';
export { sub } from './sub.js';
export { sum, sumToShape, type ReduceOptions, type ReduceArg } from './sum.js';
// @registry-exports: elementwise
export { pow } from './pow.js';
export { sqrt } from './sqrt.js';
export { abs } from './abs.js';
export { sign } from './sign.js';
export { sigmoid } from './sigmoid.js';
export { tanh } from './tanh.js';
export { softplus, type SoftplusOptions } from './softplus.js';
export { erf } from './erf.js';
export { erf as erfScalar, erfc as erfcScalar } from '../kernels/special.js';
export { gelu } from './gelu.js';
export { maximum } from './maximum.js';
export { minimum } from './minimum.js';
export { less } from './less.js';
export { greaterEqual } from './greaterEqual.js';
export { lessEqual } from './lessEqual.js';
export { equal } from './equal.js';
export { notEqual } from './notEqual.js';
export { where } from './where.js';
export { clip } from './clip.js';
export { cast } from './cast.js';
// @registry-exports: reductions
export { mean } from './mean.js';
export { max } from './max.js';
export { min } from './min.js';
export { argmax, type ArgReduceOptions } from './argmax.js';
export { argmin } from './argmin.js';
export { logsumexp } from './logsumexp.js';
export { variance, type VarianceOptions } from './var.js';
export { softmax } from './softmax.js';
export { logSoftmax } from './logSoftmax.js';
// @registry-exports: movement
export { concat, type ConcatAttrs } from './concat.js';
export { flip, type FlipAttrs } from './flip.js';
export { gather, type GatherAttrs } from './gather.js';
export { indexAdd } from './indexAdd.js';
export { indexSelect, type IndexSelectAttrs } from './indexSelect.js';
export { oneHot, type OneHotAttrs } from './oneHot.js';
export { pad, type PadAttrs } from './pad.js';
export { permute, type PermuteAttrs } from './permute.js';
export { scatterAdd } from './scatterAdd.js';
export { slice, type SliceAttrs, type SliceEntry, type SliceRange, type SliceSpec } from './slice.js';
export { sliceScatter } from './sliceScatter.js';
export { stack } from './stack.js';
export { transpose } from './transpose.js';
// @registry-exports: linalg
export { matmul } from './matmul.js';
export { linear, linearReluBackwardInput, type LinearAttrs, type LinearOpOptions } from './linear.js';
export { conv2d, resolveConv2dOptions, type Conv2dOptions, type Conv2dAttrs } from './conv2d.js';
export { conv2dBackwardInput, type Conv2dBackwardInputAttrs } from './conv2dBackwardInput.js';
export { conv2dBackwardWeight, type Conv2dBackwardWeightAttrs } from './conv2dBackwardWeight.js';
export { conv2dBiasAct, type Conv2dBiasActOptions, type Conv2dBiasActAttrs } from './conv2dBiasAct.js';
export { conv2dReluMaxPool, type Conv2dReluMaxPoolOptions, type Conv2dReluMaxPoolAttrs } from './conv2dReluMaxPool.js';
export { maxPool2d, maxPool2dIndices, type MaxPool2dOptions, type MaxPool2dAttrs } from './maxPool2d.js';
export { maxPool2dBackward, type MaxPool2dBackwardAttrs } from './maxPool2dBackward.js';
export { avgPool2d, type AvgPool2dOptions, type AvgPool2dAttrs } from './avgPool2d.js';
export { avgPool2dBackward, type AvgPool2dBackwardAttrs } from './avgPool2dBackward.js';
export { poolOutputSize } from '../kernels/pool.js';
export { convOutputSize } from '../kernels/conv.js';
