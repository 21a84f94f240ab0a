/**
 * Generic kernel tests over the whole op registry: every op, on random shapes (size-0 and
 * size-1 dimensions, broadcasting, strided views), against its naive float64 reference;
 * then its float32 path and every other backend's kernel against the same reference.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPS, Tensor, runKernel, type BackendName, type OpDef } from '../src/index.js';
import { compareTensors } from '../src/testing/index.js';

const BACKENDS: BackendName[] = ['wasm', 'gpujs'];

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
      fc.assert(
        fc.property(def.spec.sample(fc), ({ inputs, attrs }) => {
          const want = def.spec.reference(inputs, attrs);
          const f32 = inputs.map(toFloat32);
          // the reference at float32-rounded inputs isolates kernel error from input rounding
          const wantAt32 = def.spec.reference(f32.map((t) => new Tensor(Float64Array.from(t.toTypedArray()), t.shape, 'float64')), attrs);
          void want;
          for (const backend of ['cpu', ...BACKENDS] as BackendName[]) {
            const got = runKernel(def, backend, f32, attrs);
            if (got === undefined) continue; // backend lacks this op: it falls back to cpu
            const r = compareTensors(got, wantAt32, { rtol: tol, atol: tol });
            if (!r.ok) throw new Error(`${name} on ${backend} (float32): ${r.message}`);
          }
        }),
        { numRuns: 30 },
      );
    });
  }

  it('the registry names match the op definitions', () => {
    for (const [key, def] of Object.entries(OPS)) expect(def.name).toBe(key);
  });
});
