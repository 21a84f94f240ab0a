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
import { reshapeOp } from './reshape.js';
import { subOp } from './sub.js';
import { sumOp } from './sum.js';
// @registry-imports: elementwise
// @registry-imports: reductions
// @registry-imports: movement
// @registry-imports: linalg
import { matmulOp } from './matmul.js';

export const OPS = {
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  neg: negOp,
  exp: expOp,
  log: logOp,
  relu: reluOp,
  greater: greaterOp,
  sum: sumOp,
  reshape: reshapeOp,
  expand: expandOp,
  // @registry-entries: elementwise
  // @registry-entries: reductions
  // @registry-entries: movement
  // @registry-entries: linalg
  matmul: matmulOp,
} satisfies Record<string, OpDef<any>>;

/** Names of every registered op. */
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
export { reshape, resolveShape } from './reshape.js';
export { sub } from './sub.js';
export { sum, sumToShape, type ReduceOptions } from './sum.js';
// @registry-exports: elementwise
// @registry-exports: reductions
// @registry-exports: movement
// @registry-exports: linalg
export { matmul } from './matmul.js';
