import { ArgumentError, mul, sum, tensor, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { Tape, grad, gradcheck, valueAndGrad, withGradOverrides } from '../src/index.js';

const f = (x: Tensor) => sum(mul(x, x));
const x = tensor([1, 2], { dtype: 'float64' });

/** Every autograd entry point taking an options object: [name, call, options (typo last), suggestion]. */
const MISSPELLED: [string, (opts: never) => unknown, Record<string, unknown>, string][] = [
  ['grad', (o) => grad(f, o), { argnum: 0 }, 'argnums'],
  ['valueAndGrad', (o) => valueAndGrad(f, o), { argNums: [0] }, 'argnums'],
  ['gradcheck', (o) => gradcheck(f, [x], o), { atol: 1e-6, rtoll: 1e-3 }, 'rtol'],
  ['Tape.gradient', (o) => new Tape().gradient([], [], [], o), { retian: true }, 'retain'],
];

describe('autograd options objects refuse unknown keys', () => {
  for (const [name, call, opts, suggestion] of MISSPELLED) {
    const typo = Object.keys(opts).at(-1)!;
    it(`${name} names '${typo}' and suggests '${suggestion}'`, () => {
      expect(() => call(opts as never)).toThrow(ArgumentError);
      expect(() => call(opts as never)).toThrow(`${name}: unknown option '${typo}' (did you mean '${suggestion}'?)`);
    });
    it(`${name} refuses an array where its options object belongs`, () => {
      expect(() => call([opts] as never)).toThrow(new RegExp(`^${name.replace('.', '\\.')}: options must be an object .*got an array`));
    });
  }
  it('withGradOverrides names the op it does not know and the nearest registered one', () => {
    expect(() => withGradOverrides({ rellu: (g: unknown) => [g] } as never, () => 0)).toThrow(`withGradOverrides: unknown op "rellu" (did you mean 'relu'?)`);
    expect(() => withGradOverrides({ zzzzzz: (g: unknown) => [g] } as never, () => 0)).toThrow(/unknown op "zzzzzz" \(expected one of the registered ops \(/);
  });
  it('valid options still work', () => {
    expect(grad(f, { argnums: 0 })(x).toArray()).toEqual([2, 4]);
    expect(gradcheck(f, [x], { mode: 'full' }).ok).toBe(true);
  });
});
