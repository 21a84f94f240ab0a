/**
 * Generic kernel tests over the whole op registry: every op, on random shapes (size-0 and
 * size-1 dimensions, broadcasting, strided views), against its naive float64 reference;
 * then its float32 path and every other backend's kernel against the same reference. Which
 * ops a backend leaves to cpu is listed in EXPECTED_FALLBACK and checked, so a missing
 * kernel is never skipped silently.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPS, Tensor, runKernel, type BackendName, type OpDef } from '../src/index.js';
import { compareTensors } from '../src/testing/index.js';

/**
 * The ops each backend has NO kernel for: dispatch runs cpu's kernel instead. This list is a
 * decision, not an observation: the test below fails when it differs from the registry in
 * either direction. Added a kernel? Delete its line here. Removed one, or added an op
 * without a kernel on some backend? Add its line (or write the kernel). One name per line,
 * sorted, so concurrent edits merge cleanly.
 */
const EXPECTED_FALLBACK: Record<Exclude<BackendName, 'cpu'>, readonly string[]> = {
  wasm: [
    'avgPool2d',
    'avgPool2dBackward',
    'cast',
    'concat',
    'expand',
    'flip',
    'maxPool2dGather',
    'oneHot',
    'pad',
    'permute',
    'reshape',
    'slice',
    'sliceScatter',
  ],
  gpujs: [
    'abs',
    'argmax',
    'argmin',
    'avgPool2d',
    'avgPool2dBackward',
    'cast',
    'clip',
    'concat',
    'conv2dBackwardInput',
    'conv2dBackwardWeight',
    'conv2dBiasAct',
    'conv2dMaxPoolBackwardInput',
    'conv2dReluMaxPool',
    'equal',
    'erf',
    'expand',
    'flip',
    'gather',
    'gelu',
    'greater',
    'greaterEqual',
    'indexAdd',
    'indexSelect',
    'less',
    'lessEqual',
    'linear',
    'linearReluBackwardInput',
    'logSoftmax',
    'logsumexp',
    'max',
    'maxPool2d',
    'maxPool2dBackward',
    'maxPool2dGather',
    'maxPool2dIndices',
    'maximum',
    'mean',
    'min',
    'minimum',
    'notEqual',
    'oneHot',
    'pad',
    'permute',
    'pow',
    'reluBackward',
    'reshape',
    'scatterAdd',
    'sigmoid',
    'sign',
    'slice',
    'sliceScatter',
    'softmax',
    'softplus',
    'sqrt',
    'sum',
    'tanh',
    'var',
    'where',
  ],
};
const BACKENDS = Object.keys(EXPECTED_FALLBACK) as Exclude<BackendName, 'cpu'>[];

/** The backends with a kernel for `def` (the others are in EXPECTED_FALLBACK, checked below). */
const backendsWith = (def: OpDef<any>): BackendName[] => BACKENDS.filter((b) => def.kernels[b] !== undefined);

function toFloat32(t: Tensor): Tensor {
  if (t.dtype !== 'float64') return t;
  return new Tensor(Float32Array.from(t.toTypedArray()), t.shape, 'float32');
}

describe('every op matches its float64 reference', () => {
  for (const [name, def] of Object.entries(OPS) as [string, OpDef<any>][]) {
    it(`${name}: cpu float64 == reference`, () => {
      fc.assert(
        fc.property(def.spec.sample(fc), ({ inputs, attrs }) => {
          const got = runKernel(def, 'cpu', inputs, attrs)!;
          const want = def.spec.reference(inputs, attrs);
          const r = compareTensors(got, want, { rtol: 1e-12, atol: 1e-12 });
          if (!r.ok) throw new Error(`${name}: ${r.message}`);
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: float32 kernels (cpu and every backend) are within tolerance of the float64 reference`, () => {
      const tol = def.spec.float32Tolerance ?? 1e-5;
      const ran = new Map<string, number>();
      fc.assert(
        fc.property(def.spec.sample(fc), ({ inputs, attrs }) => {
          const want = def.spec.reference(inputs, attrs);
          const f32 = inputs.map(toFloat32);
          // the reference at float32-rounded inputs isolates kernel error from input rounding
          const wantAt32 = def.spec.reference(f32.map((t) => new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64')), attrs);
          void want;
          for (const backend of ['cpu', ...backendsWith(def)] as BackendName[]) {
            const got = runKernel(def, backend, f32, attrs);
            // a kernel may decline some inputs (then cpu's runs); it must not decline them all
            if (got === undefined) continue;
            ran.set(backend, (ran.get(backend) ?? 0) + 1);
            const r = compareTensors(got, wantAt32, { rtol: tol, atol: tol });
            if (!r.ok) throw new Error(`${name} on ${backend} (float32): ${r.message}`);
          }
        }),
        { numRuns: 30 },
      );
      for (const backend of ['cpu', ...backendsWith(def)]) {
        expect(ran.get(backend) ?? 0, `${name}: the ${backend} kernel declined every sampled float32 input, so nothing checked it`).toBeGreaterThan(0);
      }
    });
  }

  for (const backend of BACKENDS) {
    it(`${backend} lacks a kernel for exactly the ops in EXPECTED_FALLBACK.${backend}`, () => {
      const listed = new Set(EXPECTED_FALLBACK[backend]);
      const unknown = [...listed].filter((n) => !(n in OPS));
      const lacking = Object.entries(OPS).filter(([, def]) => (def as OpDef<any>).kernels[backend] === undefined).map(([n]) => n);
      const unlisted = lacking.filter((n) => !listed.has(n));
      const implemented = [...listed].filter((n) => n in OPS && !lacking.includes(n));
      const problems = [
        unknown.length ? `not ops: ${unknown.join(', ')} (remove from EXPECTED_FALLBACK.${backend})` : '',
        unlisted.length ? `no ${backend} kernel for ${unlisted.join(', ')}: write it, or add the names to EXPECTED_FALLBACK.${backend} if falling back to cpu is intended` : '',
        implemented.length ? `${backend} now has kernels for ${implemented.join(', ')}: delete them from EXPECTED_FALLBACK.${backend}` : '',
      ].filter(Boolean);
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }

  it('the registry names match the op definitions', () => {
    for (const [key, def] of Object.entries(OPS)) expect(def.name).toBe(key);
  });
});
