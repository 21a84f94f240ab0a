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
    /** {@link ops.sum} */ sum(opts?: ops.ReduceOptions): Tensor;
    /** {@link ops.reshape} */ reshape(shape: readonly number[]): Tensor;
    /** {@link ops.expand} */ expand(shape: readonly number[]): Tensor;
    // @methods-decl: elementwise
    // @methods-decl: reductions
    // @methods-decl: movement
    // @methods-decl: linalg
    /** {@link ops.matmul} */ matmul(b: Tensor): Tensor;
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
// @methods-impl: reductions
// @methods-impl: movement
// @methods-impl: linalg
P.matmul = function (b) { return ops.matmul(this, b); };
