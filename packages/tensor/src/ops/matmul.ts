import type * as FastCheck from '../sampling.js';
import { assertTensor, resultDType } from '../args.js';
import { matmulCpu, matmulPlan } from '../kernels/matmul.js';
import { defineOp, dispatch } from '../op.js';
import { NO_ATTRS } from '../opkit.js';
import type { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex, getBroadcast } from '../testing/reference.js';
import { reshape } from './reshape.js';
import { sumToShape } from './sum.js';
import { transpose } from './transpose.js';
import { matmulGpujs } from '../gpujs/matmul.js';
import { matmulWasm } from '../wasm/kernels.js';

/** Random matmul operands: vectors, matrices and stacks with broadcasting batch dimensions. */
function matmulSample(fc: typeof FastCheck) {
  const dim = fc.integer({ min: 0, max: 4 });
  const batchDim = fc.integer({ min: 1, max: 3 });
  return fc
    .record({
      m: dim,
      k: dim,
      n: dim,
      rankA: fc.integer({ min: 1, max: 4 }),
      rankB: fc.integer({ min: 1, max: 4 }),
      batch: fc.array(batchDim, { minLength: 2, maxLength: 2 }),
      onesA: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      onesB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      modeA: fc.nat(2),
      modeB: fc.nat(2),
    })
    .chain(({ m, k, n, rankA, rankB, batch, onesA, onesB, modeA, modeB }) => {
      // batch dims of each operand: a suffix of `batch`, some set to 1 so they broadcast
      const batchOf = (rank: number, ones: boolean[]) =>
        batch.slice(batch.length - Math.max(0, rank - 2)).map((d, i, arr) => (ones[i + batch.length - arr.length] ? 1 : d));
      const aShape = rankA === 1 ? [k] : [...batchOf(rankA, onesA), m, k];
      const bShape = rankB === 1 ? [k] : [...batchOf(rankB, onesB), k, n];
      return fc
        .tuple(arbTensorOfShape(fc, aShape), arbTensorOfShape(fc, bShape))
        .map(([a, b]) => ({ inputs: [asStridedView(a, modeA), asStridedView(b, modeB)], attrs: NO_ATTRS }));
    });
}

/** Matrix product by its definition, element by element through `Tensor.get`. */
function referenceMatmul(a: Tensor, b: Tensor): Tensor {
  const { outShape, k } = matmulPlan(a.shape, b.shape);
  return fromIndex(outShape, 'float64', (idx) => {
    // split the output index into batch, row and column as NumPy describes
    const batchRank = outShape.length - (a.rank > 1 ? 1 : 0) - (b.rank > 1 ? 1 : 0);
    const batchIdx = idx.slice(0, batchRank);
    const i = a.rank > 1 ? idx[batchRank]! : 0;
    const j = b.rank > 1 ? idx[idx.length - 1]! : 0;
    let s = 0;
    for (let kk = 0; kk < k; kk++) {
      const av = a.rank === 1 ? a.get(kk) : getBroadcast(a, [...batchIdx, i, kk]);
      const bv = b.rank === 1 ? b.get(kk) : getBroadcast(b, [...batchIdx, kk, j]);
      s += av * bv;
    }
    return s;
  });
}

/**
 * Matrix product with NumPy / torch semantics (see {@link matmul}). VJP: `g @ b^T` and
 * `a^T @ g`, computed on the promoted (matrix) shapes and summed back over broadcast
 * batch dimensions.
 */
export const matmulOp = defineOp<Record<string, never>>({
  name: 'matmul',
  infer: ([a, b]) => {
    assertTensor(a, 'a', 'matmul');
    assertTensor(b, 'b', 'matmul');
    return { shape: matmulPlan(a.shape, b.shape).outShape, dtype: resultDType(a, b) };
  },
  kernels: { cpu: matmulCpu, gpujs: matmulGpujs, wasm: matmulWasm },
  vjp: (g, { inputs: [a, b], needs }) => {
    const { batch, m, n, aShape, bShape } = matmulPlan(a!.shape, b!.shape);
    // work on the promoted matrix shapes, where both products are plain matmuls
    const a2 = reshape(a!, aShape);
    const b2 = reshape(b!, bShape);
    const g2 = reshape(g, [...batch, m, n]);
    const ga = needs[0] ? reshape(sumToShape(matmul(g2, transpose(b2)), aShape), a!.shape) : null;
    const gb = needs[1] ? reshape(sumToShape(matmul(transpose(a2), g2), bShape), b!.shape) : null;
    return [ga, gb];
  },
  spec: {
    sample: matmulSample,
    reference: ([a, b]) => referenceMatmul(a!, b!),
    // float32 kernels accumulate in float32: partial sums of up to 4 products of values
    // up to 3 in magnitude reach 36, each rounding costs up to ~2e-6, so a result that
    // cancels towards 0 can be off by ~1e-5 absolute; 1e-4 bounds that with margin and
    // leaves room for wasm/gpu kernels that reassociate the sum.
    float32Tolerance: 1e-4,
  },
});

/**
 * Matrix product with NumPy / torch semantics: 1-D x 1-D is the dot product (a 0-d
 * result); a 1-D `a` is treated as a row `[1, k]` and a 1-D `b` as a column `[k, 1]`,
 * the added dimension removed from the result; leading (batch) dimensions broadcast.
 * Shapes `[..., m, k] @ [..., k, n] -> [..., m, n]`.
 * @example
 * ```ts
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])).toArray(); // [[19, 22], [43, 50]]
 * matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).item();                  // 32
 * matmul(zeros([5, 2, 3]), zeros([3, 4])).shape;                        // [5, 2, 4]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertTensor(a, 'a', 'matmul');
  assertTensor(b, 'b', 'matmul');
  return dispatch(matmulOp, [a, b], NO_ATTRS);
}
