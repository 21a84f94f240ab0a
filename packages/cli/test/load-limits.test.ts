/**
 * The budgets of what `--model` and `--input` may cost can be set from the command line:
 * `--max-tensor-elements`, `--max-total-elements`, `--max-operations` (an .onnx model) and
 * `--max-image-pixels` (PNG/JPEG inputs). Each is validated, reaches loadOnnx / imageToMnist,
 * and a refusal names the flag that raises it.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { ONNX_DEFAULT_LIMITS } from '@pathgrad/nn';
import { ArgumentError } from '@pathgrad/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { node, onnxBytes } from '../../nn/test/onnx-builders.js';
import { UsageError } from '../src/errors.js';
import { IMAGE_MAX_PIXELS } from '../src/images.js';
import { loadInputs, loadModel, parseLoadLimits } from '../src/load.js';
import { buildProgram } from '../src/main.js';
import { cliRoot, fixture, tempDir } from './helpers.js';

const dir = tempDir();
const p = (name: string): string => join(dir, name);

/** x [n, 1] + transpose(x) [1, n] broadcasts to [n, n]: n² elements, known from the declared shape at load. */
function transposeAdd(n: number): string {
  const file = p(`transpose-add-${n}.onnx`);
  writeFileSync(file, onnxBytes({ nodes: [node('Transpose', ['x'], ['t']), node('Add', ['x', 't'], ['y'])], inputShape: [n, 1] }));
  return file;
}

function png(width: number, height: number): string {
  const img = new PNG({ width, height });
  img.data.fill(255);
  const file = p(`img-${width}x${height}.png`);
  writeFileSync(file, PNG.sync.write(img));
  return file;
}

function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a refusal');
}

describe('parseLoadLimits', () => {
  it('reads each flag as a positive integer (plain, exponent or with _ separators)', () => {
    expect(parseLoadLimits({})).toEqual({});
    expect(parseLoadLimits({ maxTensorElements: '1e9', maxTotalElements: '2_000_000_000', maxOperations: '17179869184', maxImagePixels: '67108864' })).toEqual({
      onnx: { maxTensorElements: 1e9, maxTotalElements: 2e9, maxOperations: 2 ** 34 },
      maxImagePixels: 2 ** 26,
    });
  });

  const bad: [keyof Parameters<typeof parseLoadLimits>[0], string, string][] = [
    ['maxTensorElements', '0', '--max-tensor-elements'],
    ['maxTotalElements', '1.5', '--max-total-elements'],
    ['maxOperations', '-5', '--max-operations'],
    ['maxImagePixels', 'lots', '--max-image-pixels'],
    ['maxImagePixels', '', '--max-image-pixels'],
    ['maxTensorElements', '0x100', '--max-tensor-elements'],
    ['maxTensorElements', '1e300', '--max-tensor-elements'],
  ];
  for (const [key, value, flag] of bad) {
    it(`refuses ${key} = '${value}' naming ${flag}`, () => {
      const e = refusal(() => parseLoadLimits({ [key]: value }));
      expect(e.message).toBe(e.message.split('\n')[0]);
      expect(e.message).toContain(`${flag} must be a positive integer`);
      expect(e.message).toContain(`got '${value}'`);
    });
  }
});

describe('ONNX budgets reach loadOnnx', () => {
  it('a graph over the default per-tensor limit is refused naming --max-tensor-elements, and loads when it is raised', () => {
    // [12000, 12000] = 1.44e8 elements > 2^27 = 1.34e8; the load only infers shapes, it allocates nothing of that size
    const file = transposeAdd(12000);
    const e = refusal(() => loadModel(file, undefined));
    expect(e.message).toContain(file);
    expect(e.message).toContain('[12000, 12000]');
    expect(e.message).toContain('raise it with --max-tensor-elements');
    expect(e.message).not.toContain('an option of loadOnnx');
    expect(() => loadModel(file, undefined, 'float32', parseLoadLimits({ maxTensorElements: '2e8' }))).not.toThrow();
  });

  it('a lower total is refused naming --max-total-elements', () => {
    const file = transposeAdd(2000); // y: 4e6 elements
    expect(() => loadModel(file, undefined)).not.toThrow();
    const e = refusal(() => loadModel(file, undefined, 'float32', parseLoadLimits({ maxTotalElements: '3000000' })));
    expect(e.message).toMatch(/over the limit of 3,000,000 in all \(raise it with --max-total-elements\)/);
  });

  it('the work limit reaches loadOnnx: the shipped MLP (784 x 128 and more multiply-adds) is refused under --max-operations 1000', () => {
    const mlp = fixture('mlp.onnx');
    expect(() => loadModel(mlp, undefined)).not.toThrow();
    const e = refusal(() => loadModel(mlp, undefined, 'float32', parseLoadLimits({ maxOperations: '1000' })));
    expect(e.message).toContain(mlp);
    expect(e.message).toMatch(/over the limit of 1,000 \(raise it with --max-operations\)/);
  });
});

describe('the budgets checked for every input name the flag too', () => {
  it('a batch over --max-tensor-elements is refused at forward naming the flag (the model loaded: one example fits)', () => {
    const { model } = loadModel(fixture('mlp.onnx'), undefined, 'float32', parseLoadLimits({ maxTensorElements: '1000' }));
    const one = loadInputs('mnist:test:0', 'float32').inputs;
    expect(model.forward(one).shape).toEqual([1, 10]);
    const four = loadInputs('mnist:test:0-3', 'float32').inputs;
    let e: Error | undefined;
    try {
      model.forward(four);
    } catch (err) {
      e = err as Error;
    }
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e!.message).toMatch(/\[4, 784\] = 3,136 elements, over the limit of 1,000 per tensor \(raise it with --max-tensor-elements, or explain fewer examples or points at a time\)/);
  });
});

describe('the image pixel limit reaches imageToMnist', () => {
  afterEach(() => {
    delete process.env.PATHGRAD_MAX_IMAGE_PIXELS;
  });

  it('--max-image-pixels lowers and raises the limit, ahead of PATHGRAD_MAX_IMAGE_PIXELS', () => {
    const file = png(100, 60);
    expect(loadInputs(file, 'float32').inputs.shape).toEqual([1, 1, 28, 28]);
    const e = refusal(() => loadInputs(file, 'float32', undefined, parseLoadLimits({ maxImagePixels: '5999' })));
    expect(e.message).toContain(file);
    expect(e.message).toContain('over the limit of 5,999');
    expect(e.message).toContain('raise it with --max-image-pixels');
    expect(loadInputs(file, 'float32', undefined, parseLoadLimits({ maxImagePixels: '6000' })).inputs.shape).toEqual([1, 1, 28, 28]);
    process.env.PATHGRAD_MAX_IMAGE_PIXELS = '100';
    expect(() => loadInputs(file, 'float32')).toThrow(/--max-image-pixels/);
    expect(loadInputs(file, 'float32', undefined, parseLoadLimits({ maxImagePixels: String(IMAGE_MAX_PIXELS) })).inputs.shape).toEqual([1, 1, 28, 28]);
  });
});

describe('the flags are on every command that loads a model or inputs', () => {
  const program = buildProgram(() => {}, () => {});
  const flags = (name: string): string[] => program.commands.find((c) => c.name() === name)!.options.map((o) => o.long!);
  const onnx = ['--max-tensor-elements', '--max-total-elements', '--max-operations'];
  for (const name of ['demo', 'attribute', 'evaluate', 'igc']) {
    it(`${name} takes ${onnx.join(', ')}`, () => expect(flags(name)).toEqual(expect.arrayContaining(onnx)));
  }
  for (const name of ['attribute', 'evaluate']) {
    it(`${name} takes --max-image-pixels`, () => expect(flags(name)).toContain('--max-image-pixels'));
  }

  it('only igc takes --workers (capped at the cores there, tested in igc-shard.test.ts): a new command with it must cap it too', () => {
    const withWorkers = program.commands.filter((c) => c.options.some((o) => o.long === '--workers')).map((c) => c.name());
    expect(withWorkers).toEqual(['igc']);
  });

  it('the README lists each flag with the default the code uses', () => {
    const readme = readFileSync(join(cliRoot, 'README.md'), 'utf8');
    const n = (v: number): string => v.toLocaleString('en-US');
    const rows: [string, number][] = [
      ['--max-tensor-elements', ONNX_DEFAULT_LIMITS.maxTensorElements],
      ['--max-total-elements', ONNX_DEFAULT_LIMITS.maxTotalElements],
      ['--max-operations', ONNX_DEFAULT_LIMITS.maxOperations],
      ['--max-image-pixels', IMAGE_MAX_PIXELS],
    ];
    for (const [flag, value] of rows) expect(readme).toMatch(new RegExp(`\\| \`${flag} N\` \\|.*\\| ${n(value)} \\|`));
  });

  it('every command that calls loadModel or loadInputs is in that list', () => {
    const commands = join(cliRoot, 'src', 'commands');
    const loading = readdirSync(commands).filter((f) => /\bload(Model|Inputs)\(/.test(readFileSync(join(commands, f), 'utf8')));
    expect(loading.sort()).toEqual(['attribute.ts', 'demo.ts', 'evaluate.ts', 'igc.ts']);
  });
});
