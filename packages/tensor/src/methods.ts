/**
 * Method forms of the ops (`x.add(y)`, `x.sum({ axis: 1 })`), attached to Tensor's
 * prototype once. The free functions in ops/ are the definitions; these only forward.
 */
import type { TensorLike } from './args.js';
import * as ops from './ops/index.js';
import { Tensor } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    /** {@link ops.add} */ add(b: TensorLike): Tensor;
    /** {@link ops.sub} */ sub(b: TensorLike): Tensor;
    /** {@link ops.mul} */ mul(b: TensorLike): Tensor;
    /** {@link ops.div} */ div(b: TensorLike): Tensor;
    /** {@link ops.neg} */ neg(): Tensor;
    /** {@link ops.exp} */ exp(): Tensor;
    /** {@link ops.log} */ log(): Tensor;
    /** {@link ops.relu} */ relu(): Tensor;
    /** {@link ops.greater} */ greater(b: TensorLike): Tensor;
    /** {@link ops.sum} */ sum(opts?: ops.ReduceArg): Tensor;
    /** {@link ops.reshape} */ reshape(shape: readonly number[]): Tensor;
    /** {@link ops.expand} */ expand(shape: readonly number[]): Tensor;
    // @methods-decl: elementwise
    /** {@link ops.pow} */ pow(b: TensorLike): Tensor;
    /** {@link ops.sqrt} */ sqrt(): Tensor;
    /** {@link ops.abs} */ abs(): Tensor;
    /** {@link ops.sign} */ sign(): Tensor;
    /** {@link ops.sigmoid} */ sigmoid(): Tensor;
    /** {@link ops.tanh} */ tanh(): Tensor;
    /** {@link ops.softplus} */ softplus(opts?: ops.SoftplusOptions): Tensor;
    /** {@link ops.erf} */ erf(): Tensor;
    /** {@link ops.gelu} */ gelu(): Tensor;
    /** {@link ops.maximum} */ maximum(b: TensorLike): Tensor;
    /** {@link ops.minimum} */ minimum(b: TensorLike): Tensor;
    /** {@link ops.less} */ less(b: TensorLike): Tensor;
    /** {@link ops.greaterEqual} */ greaterEqual(b: TensorLike): Tensor;
    /** {@link ops.lessEqual} */ lessEqual(b: TensorLike): Tensor;
    /** {@link ops.equal} */ equal(b: TensorLike): Tensor;
    /** {@link ops.notEqual} */ notEqual(b: TensorLike): Tensor;
    /** {@link ops.clip} */ clip(min: number, max: number): Tensor;
    /** {@link ops.cast} */ cast(dtype: import('./dtype.js').DType): Tensor;
    // @methods-decl: reductions
    /** {@link ops.mean} */ mean(opts?: ops.ReduceArg): Tensor;
    /** {@link ops.max} */ max(opts?: ops.ReduceArg): Tensor;
    /** {@link ops.min} */ min(opts?: ops.ReduceArg): Tensor;
    /** {@link ops.argmax} */ argmax(opts?: ops.ArgReduceOptions | number): Tensor;
    /** {@link ops.argmin} */ argmin(opts?: ops.ArgReduceOptions | number): Tensor;
    /** {@link ops.logsumexp} */ logsumexp(opts?: ops.ReduceArg): Tensor;
    /** {@link ops.variance} */ variance(opts?: ops.VarianceOptions | ops.ReduceArg): Tensor;
    /** {@link ops.softmax} */ softmax(axis?: number): Tensor;
    /** {@link ops.logSoftmax} */ logSoftmax(axis?: number): Tensor;
    // @methods-decl: movement
    /** {@link ops.transpose} */ transpose(dim0?: number, dim1?: number): Tensor;
    /** {@link ops.permute} */ permute(dims: readonly number[]): Tensor;
    /** {@link ops.slice} */ slice(spec: ops.SliceSpec): Tensor;
    /** {@link ops.pad} */ pad(pads: readonly (readonly [number, number])[], value?: number): Tensor;
    /** {@link ops.gather} */ gather(axis: number, indices: Tensor): Tensor;
    /** {@link ops.indexSelect} */ indexSelect(axis: number, indices: Tensor): Tensor;
    /** {@link ops.flip} */ flip(axes: number | readonly number[]): Tensor;
    // @methods-decl: linalg
    /** {@link ops.matmul} */ matmul(b: Tensor): Tensor;
    /** {@link ops.conv2d} */ conv2d(weight: Tensor, bias?: Tensor | null, options?: ops.Conv2dOptions): Tensor;
    /** {@link ops.maxPool2d} */ maxPool2d(options: ops.MaxPool2dOptions): Tensor;
    /** {@link ops.avgPool2d} */ avgPool2d(options: ops.AvgPool2dOptions): Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (b) { return ops.add(this, b); };
P.sub = function (b) { return ops.sub(this, b); };
P.mul = function (b) { return ops.mul(this, b); };
P.div = function (b) { return ops.div(this, b); };
P.neg = function () { return ops.neg(this); };
P.exp = function () { return ops.exp(this); };
P.log = function () { return ops.log(this); };
P.relu = function () { return ops.relu(this); };
P.greater = function (b) { return ops.greater(this, b); };
P.sum = function (opts) { return ops.sum(this, opts); };
P.reshape = function (shape) { return ops.reshape(this, shape); };
P.expand = function (shape) { return ops.expand(this, shape); };
// @methods-impl: elementwise
P.pow = function (b) { return ops.pow(this, b); };
P.sqrt = function () { return ops.sqrt(this); };
P.abs = function () { return ops.abs(this); };
P.sign = function () { return ops.sign(this); };
P.sigmoid = function () { return ops.sigmoid(this); };
P.tanh = function () { return ops.tanh(this); };
P.softplus = function (opts) { return ops.softplus(this, opts); };
P.erf = function () { return ops.erf(this); };
P.gelu = function () { return ops.gelu(this); };
P.maximum = function (b) { return ops.maximum(this, b); };
P.minimum = function (b) { return ops.minimum(this, b); };
P.less = function (b) { return ops.less(this, b); };
P.greaterEqual = function (b) { return ops.greaterEqual(this, b); };
P.lessEqual = function (b) { return ops.lessEqual(this, b); };
P.equal = function (b) { return ops.equal(this, b); };
P.notEqual = function (b) { return ops.notEqual(this, b); };
P.clip = function (min, max) { return ops.clip(this, min, max); };
P.cast = function (dtype) { return ops.cast(this, dtype); };
// @methods-impl: reductions
P.mean = function (opts) { return ops.mean(this, opts); };
P.max = function (opts) { return ops.max(this, opts); };
P.min = function (opts) { return ops.min(this, opts); };
P.argmax = function (opts) { return ops.argmax(this, opts); };
P.argmin = function (opts) { return ops.argmin(this, opts); };
P.logsumexp = function (opts) { return ops.logsumexp(this, opts); };
P.variance = function (opts) { return ops.variance(this, opts); };
P.softmax = function (axis) { return ops.softmax(this, axis); };
P.logSoftmax = function (axis) { return ops.logSoftmax(this, axis); };
// @methods-impl: movement
P.transpose = function (dim0, dim1) { return ops.transpose(this, dim0, dim1); };
P.permute = function (dims) { return ops.permute(this, dims); };
P.slice = function (spec) { return ops.slice(this, spec); };
P.pad = function (pads, value) { return ops.pad(this, pads, value); };
P.gather = function (axis, indices) { return ops.gather(this, axis, indices); };
P.indexSelect = function (axis, indices) { return ops.indexSelect(this, axis, indices); };
P.flip = function (axes) { return ops.flip(this, axes); };
// @methods-impl: linalg
P.matmul = function (b) { return ops.matmul(this, b); };
P.conv2d = function (weight, bias, options) { return ops.conv2d(this, weight, bias, options); };
P.maxPool2d = function (options) { return ops.maxPool2d(this, options); };
P.avgPool2d = function (options) { return ops.avgPool2d(this, options); };
