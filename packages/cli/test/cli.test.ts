/**
 * End-to-end tests of the `pathgrad` command: every command's --help, attribute on the
 * reference MLP (safetensors and ONNX) reproducing Captum's float64 IG, every method through
 * the command line, train, evaluate, reproduce, and each kind of bad input (exit 2, one
 * line on stderr, no stack trace, nothing partial left behind).
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadSafetensors } from '@pathgrad/nn';
import { Tensor, readNpy, writeNpy } from '@pathgrad/tensor';
import { PNG } from 'pngjs';
import { main } from '../src/main.js';
import { METHODS } from '../src/methods.js';
import { fixture, pathgrad, tempDir } from './helpers.js';

const MLP = fixture('mlp.safetensors');
const ONNX = fixture('mlp.onnx');
const mlpArgs = ['--model', MLP, '--arch', 'mnist-mlp'];

/** One line on stderr, exit code 2, no stack trace. */
function expectBadInput(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const SLOW = { timeout: 240_000 };

describe('--help', SLOW, () => {
  it('pathgrad --help (spawned) lists every command', () => {
    const r = pathgrad(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['demo', 'attribute', 'train', 'evaluate', 'bench', 'reproduce']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  // the other commands in-process (one process start each would cost seconds on a loaded machine)
  for (const cmd of ['demo', 'attribute', 'train', 'evaluate', 'bench', 'reproduce']) {
    it(`pathgrad ${cmd} --help`, async () => {
      let text = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        text += String(chunk);
        return true;
      });
      let code: number;
      try {
        code = await main([cmd, '--help']);
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(0);
      expect(text).toMatch(new RegExp(`Usage: pathgrad ${cmd}`));
      if (cmd === 'attribute') {
        for (const m of METHODS) expect(text).toContain(`  ${m.name}: `);
        expect(text).toMatch(/area-averaged to 28x28/); // says how images are converted
      }
    });
  }
});

describe('attribute', SLOW, () => {
  it('reproduces Captum float64 IG (Gauss-Legendre, 50 steps) on the reference MLP to 1e-10', () => {
    const dir = tempDir();
    const out = join(dir, 'ig.npy');
    const r = pathgrad(['attribute', ...mlpArgs, '--input', 'mnist:test:0-15', '--target', 'label', '--dtype', 'float64', '--method', 'ig', '--steps', '50', '--quadrature', 'gaussLegendre', '--out', out]);
    expect(r.stderr).toMatch(/wrote/);
    expect(r.code).toBe(0);
    const got = readNpy(new Uint8Array(readFileSync(out)));
    expect(got.shape).toEqual([16, 1, 28, 28]);
    expect(got.dtype).toBe('float64');
    const want = loadSafetensors(new Uint8Array(readFileSync(fixture('mlp-captum.safetensors')))).tensors['ig.gausslegendre.n50.attr.f64']!;
    const a = got.toTypedArray();
    const b = want.toTypedArray();
    let maxAbs = 0;
    for (let i = 0; i < b.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    expect(maxAbs).toBeLessThan(1e-10);
  });

  it('writes JSON with attributions, delta, target, settings and timing (ONNX model)', () => {
    const out = join(tempDir(), 'ig.json');
    const r = pathgrad(['attribute', '--model', ONNX, '--input', 'mnist:test:0-2', '--target', 'label', '--steps', '16', '--out', out]);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(j['shape']).toEqual([3, 1, 28, 28]);
    expect((j['attributions'] as number[]).length).toBe(3 * 784);
    expect(j['target']).toEqual([7, 2, 1]);
    expect((j['delta'] as number[]).length).toBe(3);
    expect((j['delta'] as number[]).every(Number.isFinite)).toBe(true);
    expect((j['settings'] as Record<string, unknown>)['steps']).toBe(16);
    expect(typeof j['seconds']).toBe('number');
  });

  it('writes a PNG heatmap strip and reads .npy and PNG inputs', () => {
    const dir = tempDir();
    // a .npy input
    const npy = join(dir, 'x.npy');
    const x = new Tensor(new Float32Array(2 * 784).map((_, i) => ((i * 37) % 100) / 100), [2, 1, 28, 28], 'float32');
    writeFileSync(npy, writeNpy(x));
    const png = join(dir, 'maps.png');
    expect(pathgrad(['attribute', ...mlpArgs, '--input', npy, '--method', 'saliency', '--out', png]).code).toBe(0);
    const img = PNG.sync.read(readFileSync(png));
    // a row per example: the input and its map (28 x 28, 4x upscaled) and an 8-pixel colour bar, 4-pixel gaps
    expect([img.width, img.height]).toEqual([112 + 4 + 112 + 4 + 8, 2 * 112 + 4]);
    // the input cell shows the input: pixel (0, 0) of example 1 is gray x[1, 0, 0, 0]
    const gray = Math.round(x.toTypedArray()[784]! * 255);
    expect(Array.from(img.data.subarray((116 * img.width) * 4, (116 * img.width) * 4 + 3))).toEqual([gray, gray, gray]);
    // a PNG input (a 56x40 light image with a dark stroke, converted to 28x28)
    const src = new PNG({ width: 56, height: 40 });
    for (let i = 0; i < 56 * 40; i++) src.data.set(i % 56 > 20 && i % 56 < 30 ? [0, 0, 0, 255] : [255, 255, 255, 255], i * 4);
    const digit = join(dir, 'digit.png');
    writeFileSync(digit, PNG.sync.write(src));
    const out = join(dir, 'a.npy');
    expect(pathgrad(['attribute', ...mlpArgs, '--input', digit, '--method', 'input-x-gradient', '--out', out]).code).toBe(0);
    expect(readNpy(new Uint8Array(readFileSync(out))).shape).toEqual([1, 1, 28, 28]);
  });
});

// in-process through main() (the same code path as the bin, without a process start per method)
describe('every method is reachable from the command line', SLOW, () => {
  const tiny: Record<string, string[]> = {
    ig: ['-o', 'steps=4'],
    smoothgrad: ['-o', 'samples=2'],
    'expected-gradients': ['-o', 'samples=2'],
    'layer-ig': ['-o', 'steps=4', '-o', 'layer=2'],
    igc: ['-o', 'data=8', '-o', 'steps=4'],
    ggig: ['-o', 'scales=2', '-o', 'iterations=2'],
    'greedy-pig': ['-o', 'rounds=2', '-o', 'steps=4', '-o', 'patch=7'],
    'shapley-ig': ['-o', 'coalitions=2', '-o', 'steps=2', '-o', 'patch=14'],
    'exact-shapley': ['-o', 'patch=14'],
    'guided-ig': ['-o', 'steps=4'],
    'blur-ig': ['-o', 'steps=4'],
    idgi: ['-o', 'steps=4'],
    'integrated-hessians': ['-o', 'steps=2', '-o', 'superpixel=14'],
  };
  for (const m of METHODS) {
    it(m.name, async () => {
      const out = join(tempDir(), 'a.json');
      const code = await main(['attribute', ...mlpArgs, '--input', 'mnist:test:0-1', '--method', m.name, ...(tiny[m.name] ?? []), '--out', out]);
      expect(code).toBe(0);
      const j = JSON.parse(readFileSync(out, 'utf8')) as { attributions: number[]; shape: number[] };
      expect(j.shape[0]).toBe(2);
      expect(j.attributions.every(Number.isFinite)).toBe(true);
      expect(j.attributions.some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('bad input: exit 2, one line, no stack, nothing partial', SLOW, () => {
  const dir = tempDir();
  const out = join(dir, 'out.npy');
  const cases: [string, string[], RegExp][] = [
    ['missing model file', ['attribute', '--model', join(dir, 'nope.onnx'), '--input', 'mnist:test:0', '--out', out], /file not found: .*nope\.onnx/],
    ['unsupported model format', ['attribute', '--model', join(dir, 'model.pt'), '--input', 'mnist:test:0', '--out', out], /--model must be .*onnx.*safetensors/],
    ['safetensors without --arch', ['attribute', '--model', MLP, '--input', 'mnist:test:0', '--out', out], /--arch/],
    ['missing input file', ['attribute', ...mlpArgs, '--input', join(dir, 'nope.npy'), '--out', out], /file not found/],
    ['bad MNIST range', ['attribute', ...mlpArgs, '--input', 'mnist:test:5-99999', '--out', out], /out of range/],
    ['unknown method', ['attribute', ...mlpArgs, '--input', 'mnist:test:0', '--method', 'lime', '--out', out], /unknown method 'lime'.*ig/],
    ['unknown method option', ['attribute', ...mlpArgs, '--input', 'mnist:test:0', '-o', 'bogus=1', '--out', out], /no option 'bogus'/],
    ['bad option value', ['attribute', ...mlpArgs, '--input', 'mnist:test:0', '--steps', 'many', '--out', out], /steps must be a non-negative integer/],
    ['unknown flag', ['attribute', ...mlpArgs, '--input', 'mnist:test:0', '--frobnicate'], /unknown option '--frobnicate'/],
    ['target out of range', ['attribute', ...mlpArgs, '--input', 'mnist:test:0', '--target', '12', '--out', out], /--target 12 is out of range.*10 outputs/],
    ['bad output extension', ['attribute', ...mlpArgs, '--input', 'mnist:test:0', '--out', join(dir, 'x.txt')], /--out must end in \.npy, \.json or \.png/],
    ['unknown paper', ['reproduce', 'no-such-paper'], /no paper 'no-such-paper'; available/],
    ['unknown command', ['frobnicate'], /unknown command/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, () => {
      expectBadInput(pathgrad(args, { cwd: dir }), pattern);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('input whose shape does not fit the model', () => {
    const npy = join(dir, 'wrong.npy');
    writeFileSync(npy, writeNpy(new Tensor(new Float32Array(10), [2, 5], 'float32')));
    expectBadInput(pathgrad(['attribute', ...mlpArgs, '--input', npy, '--out', out], { cwd: dir }), /--input of shape \[2, 5\] does not fit the model/);
    expect(existsSync(out)).toBe(false);
  });

  it('corrupt and unsupported ONNX files', () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, new Uint8Array([1, 2, 3, 4, 5, 250, 251]));
    expectBadInput(pathgrad(['attribute', '--model', junk, '--input', 'mnist:test:0', '--out', out], { cwd: dir }), /onnx/i);
    // the reference model with its Relu nodes renamed to an op pathgrad does not know
    const bytes = Buffer.from(readFileSync(ONNX));
    const at = bytes.indexOf('Relu');
    expect(at).toBeGreaterThan(0);
    for (let i = bytes.indexOf('Relu'); i >= 0; i = bytes.indexOf('Relu', i + 1)) bytes.write('Rexu', i);
    const odd = join(dir, 'odd-op.onnx');
    writeFileSync(odd, bytes);
    expectBadInput(pathgrad(['attribute', '--model', odd, '--input', 'mnist:test:0', '--out', out], { cwd: dir }), /Rexu/);
    expect(existsSync(out)).toBe(false);
  });

  it('--verbose adds the stack trace', () => {
    const r = pathgrad(['attribute', '--model', join(dir, 'nope.onnx'), '--input', 'mnist:test:0', '--verbose'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('leaves no temporary files behind', () => {
    expect(readdirSync(dir).filter((f) => /\.pathgrad-(tmp|old)\./.test(f))).toEqual([]);
  });
});

describe('train, evaluate, reproduce', SLOW, () => {
  it('train writes safetensors and reports the test accuracy', () => {
    const dir = tempDir();
    const out = join(dir, 'mlp.safetensors');
    const r = pathgrad(['train', '--arch', 'mnist-mlp', '--epochs', '1', '--limit', '2000', '--batch-size', '100', '--out', out], { timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    const acc = /test accuracy ([\d.]+)%/.exec(r.stderr);
    expect(acc).not.toBeNull();
    expect(Number(acc![1])).toBeGreaterThan(60);
    const st = loadSafetensors(new Uint8Array(readFileSync(out)));
    expect(Object.keys(st.tensors).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight']);
    // the trained file is usable by attribute
    const a = join(dir, 'a.npy');
    expect(pathgrad(['attribute', '--model', out, '--arch', 'mnist-mlp', '--input', 'mnist:test:0', '--method', 'saliency', '--out', a]).code).toBe(0);
  });

  it('train rejects a bad architecture', () => {
    expectBadInput(pathgrad(['train', '--arch', 'resnet', '--out', 'x.safetensors']), /--arch must be one of mnist-mlp, mnist-cnn/);
  });

  it('evaluate prints the table and writes CSV and JSON', () => {
    const dir = tempDir();
    const stem = join(dir, 'metrics');
    const r = pathgrad(['evaluate', ...mlpArgs, '--input', 'mnist:test:0-3', '--methods', 'saliency,ig', '--metrics', 'deletion,insertion', '--out', stem]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^method\tdeletion\tinsertion/m);
    expect(r.stdout).toMatch(/^ig\t[\d.]+\t[\d.]+/m);
    const csv = readFileSync(`${stem}.csv`, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('example,method,metric,value,note');
    expect(csv).toHaveLength(1 + 4 * 2 * 2);
    const json = JSON.parse(readFileSync(`${stem}.json`, 'utf8')) as { rows: unknown[] };
    expect(json.rows).toHaveLength(16);
  });

  it('evaluate rejects an unknown metric', () => {
    expectBadInput(pathgrad(['evaluate', ...mlpArgs, '--input', 'mnist:test:0', '--metrics', 'accuracy']), /unknown metric 'accuracy'/);
  });

  it('copies of the fixture load the same from any folder', () => {
    const dir = tempDir();
    copyFileSync(MLP, join(dir, 'm.safetensors'));
    expect(pathgrad(['attribute', '--model', 'm.safetensors', '--arch', 'mnist-mlp', '--input', 'mnist:test:0', '--method', 'saliency'], { cwd: dir }).code).toBe(0);
  });
});
