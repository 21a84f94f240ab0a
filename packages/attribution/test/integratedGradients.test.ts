/**
 * Integrated Gradients checked against mathematics outside IG, over generated settings
 * (architecture, activation, baseline: number, tensor, builder or a list of them, rule, steps,
 * dtype):
 * - closed forms: on F(x) = b + wᵀx + ½ Σ_r q_r (p_rᵀx)², the gradient along the path is
 *   affine in α, so every rule gives exactly S0·Δ⊙∇F(x') + S1·Δ⊙(HΔ), with S0 = Σ w_k and
 *   S1 = Σ w_k α_k known in closed form per rule (1 and 1/2 for the midpoint-symmetric rules,
 *   whence IG = Δ ⊙ ∇F(x' + Δ/2)); a list of baselines averages these.
 * - completeness within the rule's error bound, from derivative bounds of one-hidden-layer
 *   networks (smooth activations) or from the exact total variation of the path gradient
 *   (ReLU: a step function of α with jumps at the units' kinks).
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, add, cast, conv2d, matmul, mul, randn, relu, reshape, rng, softplus, tanh, type DType } from '@pathgrad/tensor';
import {
  constantBaseline,
  integratedGradients,
  resolveBaselines,
  uniformNoiseBaseline,
  QUADRATURE_METHODS,
  type Baseline,
  type QuadratureMethod,
} from '../src/index.js';
import { expectedBias, ruleBound } from './bounds.js';
import { runs } from './fc.js';

const EPS: Record<DType, number> = { float64: 2 ** -52, float32: 2 ** -23 } as Record<DType, number>;
const toF64 = (t: Tensor) => Float64Array.from(t.toTypedArray());

/** Σ w_k and Σ w_k α_k of each rule with n points, from the rules' definitions. */
function moments(m: QuadratureMethod, n: number): [number, number] {
  switch (m) {
    case 'riemannLeft':
      return [1, (n - 1) / (2 * n)];
    case 'riemannRight':
      return [1, (n + 1) / (2 * n)];
    case 'captumTrapezoid':
      return [(n - 1) / n, (n - 1) / (2 * n)];
    default: // gaussLegendre, riemannMiddle, riemannTrapezoid, equalWeight: symmetric about 1/2
      return [1, 0.5];
  }
}

type Shape = 'flat' | 'image';
const featureShape = (s: Shape): number[] => (s === 'flat' ? [6] : [1, 2, 3]);
const D = 6;
const K = 3;

/** The generated setting of one IG call. */
interface Setting {
  seed: number;
  shape: Shape;
  rule: QuadratureMethod;
  steps: number;
  dtype: DType;
  baselineKinds: ('number' | 'tensor' | 'rowTensor' | 'constant' | 'noise')[];
  multiply: boolean;
}

const settingArb: fc.Arbitrary<Setting> = fc
  .record({
    seed: fc.integer({ min: 0, max: 1e6 }),
    shape: fc.constantFrom<Shape>('flat', 'image'),
    rule: fc.constantFrom(...QUADRATURE_METHODS),
    steps: fc.integer({ min: 1, max: 40 }),
    dtype: fc.constantFrom<DType>('float64', 'float32'),
    baselineKinds: fc.array(fc.constantFrom('number', 'tensor', 'rowTensor', 'constant', 'noise') as fc.Arbitrary<Setting['baselineKinds'][number]>, { minLength: 1, maxLength: 3 }),
    multiply: fc.boolean(),
  })
  .map((s) => ({ ...s, steps: s.rule === 'gaussLegendre' ? s.steps : Math.max(2, s.steps) }));

function makeBaseline(s: Setting, n: number): Baseline {
  const g = rng(s.seed + 17);
  const shape = featureShape(s.shape);
  const items = s.baselineKinds.map((k) => {
    switch (k) {
      case 'number':
        return g.uniform() * 2 - 1;
      case 'tensor':
        return cast(randn([n, ...shape], g, { dtype: 'float64' }), s.dtype);
      case 'rowTensor': // broadcast over the examples
        return cast(randn([1, ...shape], g, { dtype: 'float64' }), s.dtype);
      case 'constant':
        return constantBaseline(g.uniform() - 0.5);
      case 'noise':
        return uniformNoiseBaseline({ low: -1, high: 1, samples: 2 });
    }
  });
  return items.length === 1 ? items[0]! : items;
}

/** F(x)_k = b_k + Σ_i W_ik x_i + ½ Σ_r Q_rk (Σ_i P_ir x_i)² on the flattened input. */
function quadraticModel(seed: number, linear: boolean) {
  const g = rng(seed);
  const R = 4;
  const W = randn([D, K], g, { dtype: 'float64' });
  const P = randn([D, R], g, { dtype: 'float64', std: 0.5 });
  const Q = linear ? new Tensor(new Float64Array(R * K), [R, K], 'float64') : randn([R, K], g, { dtype: 'float64' });
  const b = randn([K], g, { dtype: 'float64' });
  const [w, p, q] = [toF64(W), toF64(P), toF64(Q)];
  const forward = (x: Tensor): Tensor => {
    const z = reshape(x, [x.shape[0]!, D]);
    const pz = matmul(z, cast(P, x.dtype));
    return add(add(matmul(z, cast(W, x.dtype)), cast(b, x.dtype)), matmul(mul(mul(pz, pz), 0.5), cast(Q, x.dtype)));
  };
  /** ∇F_k at a point, and H_k v (H_k = Σ_r Q_rk p_r p_rᵀ), in float64. */
  const gradient = (pt: ArrayLike<number>, k: number): Float64Array => {
    const out = new Float64Array(D);
    for (let i = 0; i < D; i++) out[i] = w[i * K + k]!;
    for (let r = 0; r < R; r++) {
      let pr = 0;
      for (let i = 0; i < D; i++) pr += p[i * R + r]! * pt[i]!;
      for (let i = 0; i < D; i++) out[i]! += q[r * K + k]! * pr * p[i * R + r]!;
    }
    return out;
  };
  const hessianTimes = (v: ArrayLike<number>, k: number) => {
    const out = new Float64Array(D);
    for (let r = 0; r < R; r++) {
      let pr = 0;
      for (let i = 0; i < D; i++) pr += p[i * R + r]! * v[i]!;
      for (let i = 0; i < D; i++) out[i]! += q[r * K + k]! * pr * p[i * R + r]!;
    }
    return out;
  };
  // |∇F_k| elementwise over the box |z| ≤ c: |W| + Σ_r |Q_rk| |p_r| (Σ_i |P_ir|) c
  const gradBound = (c: number, k: number) => {
    const out = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      out[i] = Math.abs(w[i * K + k]!);
      for (let r = 0; r < R; r++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += Math.abs(p[j * R + r]!);
        out[i]! += Math.abs(q[r * K + k]!) * Math.abs(p[i * R + r]!) * s * c;
      }
    }
    return out;
  };
  return { forward, gradient, hessianTimes, gradBound };
}

describe('integratedGradients: closed forms over generated settings', () => {
  for (const linear of [true, false]) {
    it(`${linear ? 'linear' : 'quadratic'} models: IG = mean over baselines of S0·Δ⊙∇F(x') + S1·Δ⊙HΔ, for every rule, steps, baseline kind and dtype`, () => {
      fc.assert(
        fc.property(settingArb, (s) => {
          const n = 3;
          const model = quadraticModel(s.seed, linear);
          const x = cast(randn([n, ...featureShape(s.shape)], rng(s.seed + 1), { dtype: 'float64' }), s.dtype);
          const target = [0, 2, 1];
          const baseline = makeBaseline(s, n);
          const r = integratedGradients(model.forward, x, { target, baseline, method: s.rule, steps: s.steps, multiplyByInputs: s.multiply, seed: s.seed });
          expect(r.attributions.dtype).toBe(s.dtype);
          expect(r.attributions.shape).toEqual(x.shape);
          // the baselines themselves come from resolveBaselines (the same seed), checked in its own tests
          const bs = resolveBaselines(x, baseline, s.seed, 'test').map(toF64);
          const xf = toF64(x);
          const [S0, S1] = moments(s.rule, s.steps);
          const got = toF64(r.attributions);
          let maxAbs = 1;
          for (const v of xf) maxAbs = Math.max(maxAbs, Math.abs(v));
          for (const b of bs) for (const v of b) maxAbs = Math.max(maxAbs, Math.abs(v));
          for (let e = 0; e < n; e++) {
            const expected = new Float64Array(D);
            for (const b of bs) {
              const xb = b.subarray(e * D, (e + 1) * D);
              const delta = Float64Array.from({ length: D }, (_, i) => xf[e * D + i]! - xb[i]!);
              const g0 = model.gradient(xb, target[e]!);
              const hd = model.hessianTimes(delta, target[e]!);
              for (let i = 0; i < D; i++) {
                const pathGrad = S0 * g0[i]! + S1 * hd[i]!;
                expected[i]! += (s.multiply ? delta[i]! * pathGrad : pathGrad) / bs.length;
              }
            }
            // rounding: each gradient is a sum of O(D·R) products of size ≤ gradBound, formed
            // at points rounded to the dtype, accumulated over `steps` points (then rounded to
            // the dtype once more): 64·D·ε per gradient, times 2·maxAbs for the multiplier
            const gb = model.gradBound(maxAbs, target[e]!);
            for (let i = 0; i < D; i++) {
              const tol = 64 * D * EPS[s.dtype] * (gb[i]! + 1) * (s.multiply ? 2 * maxAbs : 1) * (1 + s.steps * EPS[s.dtype]);
              expect(Math.abs(got[e * D + i]! - expected[i]!), `example ${e} feature ${i}`).toBeLessThanOrEqual(tol);
            }
          }
        }),
        { numRuns: runs(60) },
      );
    });
  }

  it('a list of baselines averages: [b1, b2] gives (IG(b1) + IG(b2))/2, not their sum (hand example F = x², x = 2, baselines 0 and 1)', () => {
    // IG(x' → x) for F = x² is x² − x'²: 4 and 3, averaged 3.5 (exact for every midpoint-symmetric rule)
    const sq = (z: Tensor) => reshape(mul(z, z), [z.shape[0]!]);
    const x = new Tensor(Float64Array.of(2), [1, 1], 'float64');
    for (const method of ['gaussLegendre', 'riemannMiddle', 'riemannTrapezoid', 'equalWeight'] as const) {
      const r = integratedGradients(sq, x, { baseline: [0, 1], steps: 4, method });
      expect(Math.abs(r.attributions.get(0, 0) - 3.5)).toBeLessThanOrEqual(8 * EPS.float64);
      expect(Math.abs(r.baselineScores[0]! - 0.5)).toBeLessThanOrEqual(EPS.float64);
      expect(Math.abs(r.delta.get(0))).toBeLessThanOrEqual(8 * EPS.float64);
    }
  });
});

// ---------------------------------------------------------------------------------------
// completeness within the rule's error bound, on one-hidden-layer networks
// F_k(x) = Σ_j V_jk act(z_j(x)) + c_k, z = pre(x) affine (a dense layer or a 3×3 convolution)

type Act = 'tanh' | 'softplus' | 'relu';
const actOp = (a: Act, t: Tensor) => (a === 'tanh' ? tanh(t) : a === 'softplus' ? softplus(t) : relu(t));
/** act' at z, and sup |act''|, sup |act'''| (tanh: 4/(3√3), 2; softplus: 1/4, √3/18). */
const actDeriv = (a: Act, z: number) => (a === 'tanh' ? 1 - Math.tanh(z) ** 2 : a === 'softplus' ? 1 / (1 + Math.exp(-z)) : z > 0 ? 1 : 0);
const SUP2: Record<Act, number> = { tanh: 4 / (3 * Math.sqrt(3)), softplus: 0.25, relu: NaN };
const SUP3: Record<Act, number> = { tanh: 2, softplus: Math.sqrt(3) / 18, relu: NaN };

function hiddenNet(seed: number, shape: Shape, a: Act) {
  const g = rng(seed);
  const H = shape === 'flat' ? 8 : 2 * 6; // image: 2 channels of 2×3
  const W1 = randn([D, 8], g, { dtype: 'float64' });
  const b1 = randn([8], g, { dtype: 'float64', std: 0.5 });
  const Kc = randn([2, 1, 3, 3], g, { dtype: 'float64', std: 0.6 });
  const bc = randn([2], g, { dtype: 'float64', std: 0.5 });
  const V = randn([H, K], g, { dtype: 'float64', std: 0.7 });
  const c = randn([K], g, { dtype: 'float64' });
  const pre = (x: Tensor): Tensor =>
    shape === 'flat' ? add(matmul(reshape(x, [x.shape[0]!, D]), cast(W1, x.dtype)), cast(b1, x.dtype)) : reshape(conv2d(x, cast(Kc, x.dtype), cast(bc, x.dtype), { padding: 1 }), [x.shape[0]!, H]);
  const forward = (x: Tensor) => add(matmul(actOp(a, pre(x)), cast(V, x.dtype)), cast(c, x.dtype));
  return { H, pre, forward, V: toF64(V) };
}

describe('integratedGradients: completeness within the rule’s error bound', () => {
  it('one-hidden-layer networks (dense or convolutional; tanh, softplus or ReLU), every rule, steps and baseline kind', () => {
    fc.assert(
      fc.property(settingArb, fc.constantFrom<Act>('tanh', 'softplus', 'relu'), (s0, a) => {
        const s = { ...s0, dtype: 'float64' as DType };
        const n = 2;
        const net = hiddenNet(s.seed, s.shape, a);
        const x = randn([n, ...featureShape(s.shape)], rng(s.seed + 1), { dtype: 'float64' });
        const target = [1, 0];
        const baseline = makeBaseline(s, n);
        const r = integratedGradients(net.forward, x, { target, baseline, method: s.rule, steps: s.steps, seed: s.seed });
        const bs = resolveBaselines(x, baseline, s.seed, 'test');
        const zx = toF64(net.pre(x));
        const H = net.H;
        const bound = new Float64Array(n);
        const bias = new Float64Array(n);
        const scale = new Float64Array(n);
        for (const b of bs) {
          const zb = toF64(net.pre(b));
          const fb = toF64(net.forward(b));
          const fx = toF64(net.forward(x));
          for (let e = 0; e < n; e++) {
            const k = target[e]!;
            let M1 = 0;
            let M2 = 0;
            let TV = 0;
            let g0 = 0;
            let g1 = 0;
            let mass = 0;
            for (let j = 0; j < H; j++) {
              const v = net.V[j * K + k]!;
              const z0 = zb[e * H + j]!;
              const dz = zx[e * H + j]! - z0;
              M1 += Math.abs(v) * dz * dz * SUP2[a];
              M2 += Math.abs(v * dz ** 3) * SUP3[a];
              // ReLU: g jumps by |v dz| where z_j(α) = z0 + α dz crosses 0 inside (0, 1)
              const kink = -z0 / dz;
              if (kink > 0 && kink < 1) TV += Math.abs(v * dz);
              g0 += v * dz * actDeriv(a, z0);
              g1 += v * dz * actDeriv(a, z0 + dz);
              mass += Math.abs(v * dz);
            }
            const I = fx[e * K + k]! - fb[e * K + k]!;
            bound[e]! += ruleBound(s.rule, s.steps, a === 'relu' ? { TV } : { M1, M2 }) / bs.length;
            bias[e]! += expectedBias(s.rule, s.steps, I, g0, g1) / bs.length;
            scale[e] = Math.max(scale[e]!, mass + Math.abs(fx[e * K + k]!) + Math.abs(fb[e * K + k]!));
          }
        }
        for (let e = 0; e < n; e++) {
          // float64 rounding: `steps` gradients of H terms each, plus the two forward passes
          const rounding = 64 * (s.steps + H) * EPS.float64 * scale[e]!;
          expect(Math.abs(r.delta.get(e) - bias[e]!), `example ${e}: bound ${bound[e]}`).toBeLessThanOrEqual(bound[e]! + rounding);
        }
      }),
      { numRuns: runs(80) },
    );
  });

  it('the bound is not vacuous: tanh network, 10-point trapezoid, the measured error is within 100× of it', () => {
    // guards against a bound so loose that any quadrature would pass
    const net = hiddenNet(5, 'flat', 'tanh');
    const x = randn([1, 6], rng(6), { dtype: 'float64' });
    const r = integratedGradients(net.forward, x, { target: 0, steps: 10, method: 'riemannTrapezoid' });
    expect(Math.abs(r.delta.get(0))).toBeGreaterThan(0);
    const zx = toF64(net.pre(x));
    const zb = toF64(net.pre(new Tensor(new Float64Array(6), [1, 6], 'float64')));
    let M2 = 0;
    for (let j = 0; j < 8; j++) M2 += Math.abs(net.V[j * K]! * (zx[j]! - zb[j]!) ** 3) * 2;
    expect(Math.abs(r.delta.get(0))).toBeGreaterThan(M2 / (12 * 81) / 100);
  });
});

/** Keeps float32 runs honest: the same settings in float32 agree with float64 to float32 rounding. */
describe('integratedGradients: float32 against float64', () => {
  it('tanh networks: float32 attributions equal the float64 ones to 1e3·ε32 of the attribution scale', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...QUADRATURE_METHODS), (seed, method) => {
        const net = hiddenNet(seed, 'flat', 'tanh');
        const x = randn([2, 6], rng(seed + 1), { dtype: 'float64' });
        const o = { target: 1, steps: 16, method };
        const a64 = toF64(integratedGradients(net.forward, x, o).attributions);
        const a32 = toF64(integratedGradients(net.forward, cast(x, 'float32'), o).attributions);
        // inputs rounded to float32 (relative ε32) move every path point; the network's
        // Lipschitz constants here are O(10), and the sums have O(100) terms
        const scale = a64.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
        a64.forEach((v, i) => expect(Math.abs(v - a32[i]!)).toBeLessThanOrEqual(1e3 * EPS.float32 * scale));
      }),
      { numRuns: runs(20) },
    );
  });
});
