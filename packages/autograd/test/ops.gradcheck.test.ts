/**
 * One generic property test over the whole op registry: every differentiable op's VJP is
 * gradchecked in float64 against central finite differences on its own spec samples, and
 * every other op must say `differentiable: false` (and really record nothing). A new op is
 * covered the moment it is registered; no per-op test file.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatch, isFloat, onesLike, OPS, type OpDef, type OpSample, type Tensor } from '@pathgrad/tensor';
import { gradcheck, Tape } from '../src/index.js';

const entries = Object.entries(OPS) as [string, OpDef<any>][];
const RUNS = 25;

/**
 * The inputs the op differentiates: float inputs whose VJP gives a gradient when asked for
 * every input. An input the VJP answers with null (where's condition, gather's indices) is
 * declared non-differentiable by the op and is held constant.
 */
function differentiableInputs(def: OpDef<any>, { inputs, attrs }: OpSample<any>): number[] {
  if (!('vjp' in def)) return [];
  const output = dispatch(def, inputs, attrs);
  const grads = def.vjp(onesLike(output), { inputs, output, attrs, needs: inputs.map(() => true) });
  return inputs.map((x, i) => (isFloat(x.dtype) && grads[i] != null ? i : -1)).filter((i) => i >= 0);
}

describe('op registry', () => {
  it('every op either has a vjp or says differentiable: false with a reason', () => {
    for (const [name, def] of entries) {
      const hasVjp = 'vjp' in def && typeof def.vjp === 'function';
      const saysNo = def.differentiable === false && 'why' in def && typeof def.why === 'string' && def.why.length > 0;
      expect(hasVjp || saysNo, `${name}: needs a vjp or differentiable:false with why`).toBe(true);
      expect(hasVjp && saysNo, `${name}: has a vjp but says differentiable:false`).toBe(false);
    }
  });
});

describe('every differentiable op: VJP matches float64 central differences', () => {
  for (const [name, def] of entries) {
    if (!('vjp' in def)) continue;
    it(`${name}`, () => {
      fc.assert(
        fc.property(def.spec.sample(fc), (sample) => {
          fc.pre(!def.spec.gradcheckSkip?.(sample));
          const wrt = differentiableInputs(def, sample);
          const f = (...xs: Tensor[]) => dispatch(def, xs, sample.attrs);
          const report = gradcheck(f, sample.inputs, { wrt });
          if (!(report.ok && report.maxRelError < 1e-6)) {
            throw new Error(
              `${name} (inputs ${sample.inputs.map((x) => `[${x.shape.join(',')}]`).join(' ')}, attrs ${JSON.stringify(sample.attrs)}): ` +
                `${report.mode} check failed, max rel error ${report.maxRelError}, worst ${report.worst}`,
            );
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('every non-differentiable op records nothing', () => {
  for (const [name, def] of entries) {
    if ('vjp' in def) continue;
    it(`${name}`, () => {
      fc.assert(
        fc.property(def.spec.sample(fc), ({ inputs, attrs }) => {
          const floats = inputs.filter((x) => isFloat(x.dtype));
          const tape = new Tape().watch(...floats);
          tape.run(() => dispatch(def, inputs, attrs));
          expect(tape.size).toBe(0);
        }),
        { numRuns: 10 },
      );
    });
  }
});
