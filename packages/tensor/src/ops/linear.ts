import type * as FastCheck from '../sampling.js';
import { assertTensor, checkOptionKeys, optionKeys, resultDType } from '../args.js';
import { allocate, isFloat, promote, type DType } from '../dtype.js';
import { ArgumentError, ShapeError, describe } from '../errors.js';
import { gemmAccumulate, matmulCpu } from '../kernels/matmul.js';
import { NO_ATTRS } from '../opkit.js';
import { defineOp, dispatch, type OutputInfo } from '../op.js';
import { Tensor } from '../tensor.js';
import { arbTensorOfShape, asStridedView } from '../testing/arbitraries.js';
import { fromIndex } from '../testing/reference.js';
import { matmul } from './matmul.js';
import { reluBackward, reluBackwardOp } from './reluBackward.js';
import { reshape } from './reshape.js';
import { sumToShape } from './sum.js';
import { transpose } from './transpose.js';
import { linearReluBackwardInputWasm, linearWasm } from '../wasm/linear.js';

/**
 * Attributes of the `linear` op: the activation applied to `x W^T + b` (`'none'` or `'relu'`).
 *
 * @example
 * ```ts
 * const attrs: LinearAttrs = { activation: 'relu' };
 * ```
 */
export interface LinearAttrs {
  activation: 'none' | 'relu';
}

/** max(v, 0) with NaN kept, exactly as the relu op's kernel. */
function reluScalar(v: number): number {
  return v > 0 || v !== v ? v : 0;
}

function checkShapes(inputs: readonly Tensor[], attrs: LinearAttrs): { m: number; k: number; n: number } {
  const [x, w, b] = inputs;
  assertTensor(x, 'x', 'linear');
  assertTensor(w, 'weight', 'linear');
  if (inputs.length > 3) throw new ArgumentError(`linear: takes x, weight and an optional bias, got ${inputs.length} inputs`);
  if (attrs.activation !== 'none' && attrs.activation !== 'relu') {
    throw new ArgumentError(`linear: activation must be 'none' or 'relu', got ${describe(attrs.activation)}`);
  }
  if (x.rank !== 2 || w.rank !== 2 || w.shape[1] !== x.shape[1]) {
    throw new ShapeError(
      `linear: x must be [N, in] and weight [out, in] with the same in; x has shape [${x.shape.join(', ')}], weight has shape [${w.shape.join(', ')}]`,
    );
  }
  const n = w.shape[0]!;
  if (b !== undefined) {
    assertTensor(b, 'bias', 'linear');
    if (b.rank !== 1 || b.shape[0] !== n) {
      throw new ShapeError(`linear: bias must have shape [${n}] (one value per output feature), got [${b.shape.join(', ')}]`);
    }
  }
  return { m: x.shape[0]!, k: x.shape[1]!, n };
}

/**
 * Reference kernel, in exactly the steps (and roundings) of `relu(add(matmul(x, transpose(w)), b))`:
 * the same i-k-j GEMM into an array of matmul's dtype, then `+ b` into the promoted dtype, then
 * max(., 0). Float64 results are therefore bit-identical to the unfused ops.
 */
function linearCpu(inputs: readonly Tensor[], attrs: LinearAttrs, out: OutputInfo): Tensor {
  const { m, k, n } = checkShapes(inputs, attrs);
  const x = inputs[0]!.contiguous();
  const w = inputs[1]!;
  const b = inputs[2];
  // W^T as a contiguous [k, n] matrix, as matmul's kernel would make of transpose(w)
  const wt = allocate(w.dtype, k * n);
  const wd = w.data;
  const [s0, s1] = w.strides as [number, number];
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) wt[i * n + o] = wd[w.offset + o * s0 + i * s1]!;
  const mmDType: DType = resultDType(inputs[0]!, w);
  const y = allocate(mmDType, m * n);
  gemmAccumulate(x.data, 0, wt, 0, y, 0, m, k, n);
  const res = b === undefined || mmDType === out.dtype ? y : allocate(out.dtype, m * n);
  if (b !== undefined) {
    const bd = b.data;
    const bo = b.offset;
    const bs = b.strides[0]!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) res[i * n + j] = y[i * n + j]! + bd[bo + j * bs]!;
    }
  }
  if (attrs.activation === 'relu') for (let i = 0; i < res.length; i++) res[i] = reluScalar(res[i]!);
  return new Tensor(res, out.shape, out.dtype);
}

/** `act(x W^T + b)` by its definition, element by element. */
function referenceLinear(inputs: readonly Tensor[], attrs: LinearAttrs): Tensor {
  const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
  const k = x.shape[1]!;
  return fromIndex([x.shape[0]!, w.shape[0]!], 'float64', ([i, j]) => {
    let s = 0;
    for (let kk = 0; kk < k; kk++) s += x.get(i!, kk) * w.get(j!, kk);
    if (b) s += b.get(j!);
    return attrs.activation === 'relu' ? reluScalar(s) : s;
  });
}

/** Random linear-layer operands: x `[m, k]`, weight `[n, k]`, an optional bias `[n]`, either activation, any strides. */
function linearSample(fc: typeof FastCheck) {
  const dim = fc.integer({ min: 0, max: 4 });
  return fc
    .record({ m: dim, k: dim, n: dim, bias: fc.boolean(), relu: fc.boolean(), modes: fc.array(fc.nat(2), { minLength: 3, maxLength: 3 }) })
    .chain(({ m, k, n, bias, relu, modes }) =>
      fc
        .tuple(arbTensorOfShape(fc, [m, k]), arbTensorOfShape(fc, [n, k]), arbTensorOfShape(fc, [n]))
        .map(([x, w, b]) => ({
          inputs: [asStridedView(x, modes[0]!), asStridedView(w, modes[1]!), ...(bias ? [asStridedView(b, modes[2]!)] : [])],
          attrs: { activation: relu ? 'relu' : 'none' } as LinearAttrs,
        })),
    );
}

/**
 * Fused fully connected layer `act(x W^T + b)`: x `[N, in]`, weight `[out, in]` (PyTorch's
 * layout, read as stored), optional bias `[out]`, activation `'none'` or `'relu'` (see
 * {@link linear}). One op, so one tape node and, on wasm, one copy in per operand and one copy
 * out. VJP: with ReLU the mask comes from the output (`y > 0`, as relu's own VJP), `gz = g * mask`;
 * then `dx = gz W`, `dW = gz^T x`, `db = sum of gz over rows`, with the same ops (and so the
 * same float64 bits) as the gradient of the unfused matmul, add and relu; when only `dx` is
 * wanted (attribution), mask and product are the one op {@link linearReluBackwardInputOp}.
 */
export const linearOp = defineOp<LinearAttrs>({
  name: 'linear',
  infer: (inputs, attrs) => {
    const { m, n } = checkShapes(inputs, attrs);
    return { shape: [m, n], dtype: resultDType(...inputs) };
  },
  kernels: { cpu: linearCpu, wasm: linearWasm },
  vjp: (g, { inputs: [x, w, b], output, attrs, needs }) => {
    // only the input's gradient (attribution): the ReLU mask and the product as one op
    if (attrs.activation === 'relu' && needs[0] && !needs[1] && !needs[2]) return [linearReluBackwardInput(g, output, w!), null, null];
    const gz = attrs.activation === 'relu' ? reluBackward(g, output) : g;
    return [
      needs[0] ? matmul(gz, w!) : null,
      needs[1] ? matmul(transpose(gz), x!) : null,
      b !== undefined && needs[2] ? sumToShape(gz, b.shape) : null,
    ];
  },
  spec: {
    sample: linearSample,
    reference: referenceLinear,
    // pre-activations within 1e-3 of ReLU's kink: central differences straddle it
    gradcheckSkip: ({ inputs, attrs }) =>
      attrs.activation === 'relu' &&
      Array.from(referenceLinear(inputs, { activation: 'none' }).toTypedArray()).some((v) => Math.abs(v) < 1e-3),
    // as matmul: float32 partial sums of up to 4 products of values up to 3 (plus the bias)
    float32Tolerance: 1e-4,
  },
});

/**
 * Options of {@link linear}.
 *
 * @example
 * ```ts
 * const options: LinearOpOptions = { activation: 'relu' };
 * ```
 */
export interface LinearOpOptions {
  /** Applied to `x W^T + b`: `'none'` (default) or `'relu'`. */
  activation?: 'none' | 'relu';
}

const LINEAR_KEYS = optionKeys<LinearOpOptions>({ activation: true });

/**
 * Fully connected layer as one op, PyTorch's `torch.nn.functional.linear` with an optional
 * fused ReLU: `act(x W^T + b)` for x `[..., in]`, weight `[out, in]`, bias `[out]` (or
 * null); the result is `[..., out]`. Same values as `relu(add(matmul(x, transpose(weight)), bias))`
 * (bit for bit in float64 for 1-D and 2-D x), one tape node instead of four.
 * @example
 * ```ts
 * const x = tensor([[1, -2]]);
 * const w = tensor([[1, 1], [1, -1]]);
 * linear(x, w, tensor([0, 1])).toArray();                           // [[-1, 4]]
 * linear(x, w, tensor([0, 1]), { activation: 'relu' }).toArray();   // [[0, 4]]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: LinearOpOptions): Tensor {
  assertTensor(x, 'x', 'linear');
  assertTensor(weight, 'weight', 'linear');
  const { activation = 'none' } = checkOptionKeys(options, LINEAR_KEYS, 'linear') ?? {};
  if (weight.rank !== 2) throw new ShapeError(`linear: weight must be [out, in], got shape [${weight.shape.join(', ')}]`);
  const inF = weight.shape[1]!;
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) {
    throw new ShapeError(`linear: x must have last dimension ${inF} (shape [..., ${inF}]), got shape [${x.shape.join(', ')}]`);
  }
  const inputs = bias === undefined || bias === null ? [x, weight] : [x, weight, bias];
  if (x.rank === 2) return dispatch(linearOp, inputs, { activation });
  // [..., in] as rows of one matrix, then back
  inputs[0] = reshape(x, [-1, inF]);
  const y = dispatch(linearOp, inputs, { activation });
  return reshape(y, [...x.shape.slice(0, -1), weight.shape[0]!]);
}

/** `(g * (y > 0)) W` with the two kernels the unfused ops run, so the bits are theirs. */
function linearReluBackwardInputCpu(inputs: readonly Tensor[], _attrs: unknown, out: OutputInfo): Tensor {
  const [g, y, w] = inputs as [Tensor, Tensor, Tensor];
  let dtype = resultDType(g, y);
  if (!isFloat(dtype)) dtype = 'float32';
  const gz = reluBackwardOp.kernels.cpu([g, y], NO_ATTRS, { shape: g.shape, dtype })!;
  return matmulCpu([gz, w], NO_ATTRS, out);
}

function checkBackwardShapes(inputs: readonly Tensor[]): void {
  const [g, y, w] = inputs;
  assertTensor(g, 'g', 'linearReluBackwardInput');
  assertTensor(y, 'y', 'linearReluBackwardInput');
  assertTensor(w, 'weight', 'linearReluBackwardInput');
  if (g.rank !== 2 || y.rank !== 2 || w.rank !== 2 || g.shape[0] !== y.shape[0] || g.shape[1] !== y.shape[1] || w.shape[0] !== g.shape[1]) {
    throw new ShapeError(
      `linearReluBackwardInput: g and y must be [N, out] and weight [out, in]; got g [${g.shape.join(', ')}], y [${y.shape.join(', ')}], weight [${w.shape.join(', ')}]`,
    );
  }
}

/**
 * The input gradient of a linear layer with ReLU, `(g * (y > 0)) W` for the output gradient
 * `g` `[N, out]`, the layer's output `y` `[N, out]` and weight `[out, in]`: relu's backward
 * and the product in one op (on wasm one call: the mask is applied in wasm memory, the masked
 * gradient never copied out and in again). Same values, bit for bit, as
 * `matmul(reluBackward(g, y), weight)`. VJP: `reluBackward(gg W^T, y)` for `g` and
 * `reluBackward(g, y)^T gg` for the weight, the same ops as the unfused gradient's; `y` is
 * piecewise constant (no gradient).
 */
export const linearReluBackwardInputOp = defineOp<Record<string, never>>({
  name: 'linearReluBackwardInput',
  infer: (inputs) => {
    checkBackwardShapes(inputs);
    const [g, y, w] = inputs as [Tensor, Tensor, Tensor];
    let dtype: DType = resultDType(g, y);
    if (!isFloat(dtype)) dtype = 'float32';
    return { shape: [g.shape[0]!, w.shape[1]!], dtype: promote(dtype, w.dtype) };
  },
  kernels: { cpu: linearReluBackwardInputCpu, wasm: linearReluBackwardInputWasm },
  vjp: (gg, { inputs: [g, y, w], needs }) => [
    needs[0] ? reluBackward(matmul(gg, transpose(w!)), y!) : null,
    null,
    needs[2] ? matmul(transpose(reluBackward(g!, y!)), gg) : null,
  ],
  spec: {
    sample: (fc: typeof FastCheck) => {
      const dim = fc.integer({ min: 0, max: 4 });
      return fc
        .record({ m: dim, n: dim, k: dim, modes: fc.array(fc.nat(2), { minLength: 3, maxLength: 3 }) })
        .chain(({ m, n, k, modes }) =>
          fc
            .tuple(arbTensorOfShape(fc, [m, n]), arbTensorOfShape(fc, [m, n], { avoid: [0] }), arbTensorOfShape(fc, [n, k]))
            .map(([g, y, w]) => ({ inputs: [asStridedView(g, modes[0]!), asStridedView(y, modes[1]!), asStridedView(w, modes[2]!)], attrs: NO_ATTRS })),
        );
    },
    reference: ([g, y, w]) =>
      fromIndex([g!.shape[0]!, w!.shape[1]!], 'float64', ([i, j]) => {
        let s = 0;
        for (let o = 0; o < g!.shape[1]!; o++) s += (y!.get(i!, o) > 0 ? g!.get(i!, o) : 0) * w!.get(o, j!);
        return s;
      }),
    float32Tolerance: 1e-4,
  },
});

/**
 * `(g * (y > 0)) W`: the input gradient of `linear(x, W, b, { activation: 'relu' })` with output
 * `y`, in one op (see {@link linearReluBackwardInputOp}).
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4]]);
 * linearReluBackwardInput(tensor([[1, 1]]), tensor([[0, 5]]), w).toArray(); // [[3, 4]]
 * ```
 */
export function linearReluBackwardInput(g: Tensor, y: Tensor, weight: Tensor): Tensor {
  checkBackwardShapes([g, y, weight]);
  return dispatch(linearReluBackwardInputOp, [g, y, weight], NO_ATTRS);
}
