/**
 * A matrix of bad `pathgrad` calls, each run as the real bin in a child process. Every one
 * must end in exit code 2 with exactly one line on stderr (so no progress line came before
 * it), that line naming the bad path or value, no stack trace and no "internal error"; and
 * nothing written. The calls run a few at a time so the file stays well under two minutes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { Tensor, writeNpy } from '@pathgrad/tensor';
import { bin, fixture, inPool, tempDir } from './helpers.js';

interface Case {
  name: string;
  args: string[];
  /** What the one stderr line must contain: the user's path or value. */
  names: RegExp;
}

interface Outcome {
  code: number | null;
  stderr: string;
  stdout: string;
}

const dir = tempDir();
const p = (name: string): string => join(dir, name);
const MLP = fixture('mlp.safetensors');
const ONNX = fixture('mlp.onnx');
const mlp = ['--model', MLP, '--arch', 'mnist-mlp'];
const att = (...more: string[]): string[] => ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'saliency', ...more];

/** A .npy header declaring `shape` with no data after it (what a 128-byte bomb file is). */
function npyHeaderOnly(shape: string): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}

const cases: Case[] = [
  // models
  { name: 'model file missing', args: ['attribute', '--model', p('nope.onnx'), '--input', 'mnist:test:0'], names: /nope\.onnx/ },
  { name: 'model of an unknown kind', args: ['attribute', '--model', p('model.pt'), '--input', 'mnist:test:0'], names: /model\.pt/ },
  { name: 'garbage ONNX', args: ['attribute', '--model', p('junk.onnx'), '--input', 'mnist:test:0'], names: /junk\.onnx|onnx/i },
  { name: 'garbage safetensors', args: ['attribute', '--model', p('junk.safetensors'), '--arch', 'mnist-mlp', '--input', 'mnist:test:0'], names: /junk\.safetensors|safetensors/i },
  { name: 'safetensors without --arch', args: ['attribute', '--model', MLP, '--input', 'mnist:test:0'], names: /--arch/ },
  { name: 'unknown --arch', args: ['attribute', '--model', MLP, '--arch', 'resnet', '--input', 'mnist:test:0'], names: /'resnet'/ },
  // inputs
  { name: 'input file missing', args: ['attribute', ...mlp, '--input', p('nope.npy')], names: /nope\.npy/ },
  { name: 'empty [0, 1, 28, 28] input', args: ['attribute', ...mlp, '--input', p('empty.npy')], names: /empty\.npy.*\[0, 1, 28, 28\]/ },
  { name: '(1e8, 0) npy header', args: ['attribute', ...mlp, '--input', p('bomb.npy')], names: /bomb\.npy/ },
  { name: 'garbage npy', args: ['attribute', ...mlp, '--input', p('junk.npy')], names: /junk\.npy|npy/i },
  { name: 'garbage PNG', args: ['attribute', ...mlp, '--input', p('junk.png')], names: /junk\.png/ },
  { name: 'input of another type', args: ['attribute', ...mlp, '--input', p('data.csv')], names: /data\.csv/ },
  { name: 'MNIST index out of range', args: ['attribute', ...mlp, '--input', 'mnist:test:5-99999'], names: /mnist:test:5-99999/ },
  { name: 'input that does not fit the model', args: ['attribute', ...mlp, '--input', p('wrong.npy')], names: /\[2, 5\]/ },
  // methods and options
  { name: 'unknown method', args: att('--method', 'lime'), names: /'lime'/ },
  { name: 'unknown -o key, with a suggestion', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '-o', 'batchsize=3'], names: /'batchsize'.*did you mean batchSize/ },
  { name: '-o without =', args: att('-o', 'steps'), names: /'steps'/ },
  { name: 'steps not a number', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '--steps', 'many'], names: /'many'/ },
  { name: 'blur baseline with sigma 0', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '--baseline', 'blur:0'], names: /blur:0/ },
  { name: 'baseline file missing', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '--baseline', p('nope-baseline.npy')], names: /nope-baseline\.npy/ },
  { name: 'baseline of an unknown kind', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '--baseline', 'gray'], names: /'gray'/ },
  { name: 'unknown quadrature', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '--quadrature', 'simpson'], names: /simpson/ },
  // refused by the library as the method starts: still the only line
  { name: 'steps 0', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'ig', '--steps', '0'], names: /steps must be .*got 0/ },
  { name: 'smoothgrad with 0 samples', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'smoothgrad', '-o', 'samples=0'], names: /samples must be .*got 0/ },
  { name: 'superpixel not dividing the image', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'integrated-hessians', '-o', 'superpixel=5'], names: /superpixel 5/ },
  { name: 'layer that does not exist', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'layer-ig', '-o', 'layer=99'], names: /"99"/ },
  { name: 'target out of range', args: att('--target', '12'), names: /--target 12/ },
  { name: 'target not a class', args: att('--target', 'x'), names: /'x'/ },
  { name: 'target label without labels', args: ['attribute', ...mlp, '--input', p('ok.npy'), '--target', 'label'], names: /--target label/ },
  { name: 'bad dtype', args: att('--dtype', 'float16'), names: /'float16'/ },
  { name: 'negative seed', args: att('--seed', '-1'), names: /'-1'/ },
  { name: 'unknown flag', args: att('--frobnicate'), names: /--frobnicate/ },
  // outputs
  { name: 'output of an unknown kind', args: att('--out', p('x.txt')), names: /x\.txt/ },
  { name: 'output file exists (no --force)', args: att('--out', p('exists.npy')), names: /exists\.npy.*--force/ },
  { name: 'relative output named as given', args: att('--out', 'exists.npy'), names: /^pathgrad: --out exists\.npy already exists/ },
  { name: 'output is a folder', args: att('--out', p('folder.npy')), names: /folder\.npy.*folder/ },
  { name: 'output under a file', args: att('--out', join(p('notes.txt'), 'a.npy')), names: /notes\.txt/ },
  { name: 'output name ends in /', args: att('--out', `${p('a.npy')}/`), names: /a\.npy\// },
  // demo
  { name: 'demo into a folder with the user\'s files', args: ['demo', '--quick', '--images', '1', '--methods', 'saliency', '--model', 'mlp', '--out', p('user')], names: /user.*notes\.md/ },
  { name: 'demo into the current folder', args: ['demo', '--quick', '--images', '1', '--methods', 'saliency', '--model', 'mlp', '--out', '.'], names: /--out \. / },
  { name: 'demo onto a file', args: ['demo', '--quick', '--images', '1', '--methods', 'saliency', '--model', 'mlp', '--out', p('notes.txt')], names: /notes\.txt.*file/ },
  { name: 'demo with 0 images', args: ['demo', '--images', '0'], names: /'0'/ },
  { name: 'demo with an unknown method', args: ['demo', '--methods', 'saliency,lime'], names: /'lime'/ },
  { name: 'demo with an unknown backend', args: ['demo', '--backend', 'tpu'], names: /'tpu'/ },
  // train, evaluate
  { name: 'train an unknown arch', args: ['train', '--arch', 'resnet', '--out', p('t.safetensors')], names: /'resnet'/ },
  { name: 'train onto an existing file', args: ['train', '--arch', 'mnist-mlp', '--out', p('exists.safetensors')], names: /exists\.safetensors.*--force/ },
  { name: 'train with 0 epochs', args: ['train', '--arch', 'mnist-mlp', '--epochs', '0', '--out', p('t.safetensors')], names: /'0'/ },
  { name: 'train with a negative learning rate', args: ['train', '--arch', 'mnist-mlp', '--lr', '-1', '--out', p('t.safetensors')], names: /'-1'/ },
  { name: 'evaluate with an unknown metric', args: ['evaluate', ...mlp, '--input', 'mnist:test:0', '--metrics', 'deletion,vibes'], names: /'vibes'/ },
  { name: 'evaluate onto an existing table', args: ['evaluate', ...mlp, '--input', 'mnist:test:0', '--out', p('table')], names: /table\.csv.*--force/ },
  // igc
  { name: 'igc with an empty data range', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:9-1', '--out', p('i.json')], names: /mnist:test:9-1/ },
  { name: 'igc shard out of range', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--batch-size', '5', '--shard', '5/3', '--out', p('i.json')], names: /'5\/3'/ },
  { name: 'igc with 0 workers', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--workers', '0', '--out', p('i.json')], names: /--workers.*'0'/ },
  { name: 'igc shard with a class the model does not have', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--batch-size', '5', '--shard', '0/2', '--components', '3,12', '--out', p('i.json')], names: /--components: class 12/ },
  { name: 'igc with a missing model', args: ['igc', '--model', p('gone.onnx'), '--data', 'mnist:test:0-9', '--out', p('i.json')], names: /gone\.onnx/ },
  { name: 'igc with an unknown rule', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--method', 'simpson', '--out', p('i.json')], names: /'simpson'/ },
  { name: 'igc onto an existing file', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--out', p('exists.json')], names: /exists\.json.*--force/ },
  { name: 'igc merge of a missing part', args: ['igc', 'merge', p('part-9.json'), '--out', p('m.json')], names: /part-9\.json/ },
  { name: 'igc merge of a garbage part', args: ['igc', 'merge', p('junk.json'), '--out', p('m.json')], names: /junk\.json/ },
  { name: 'igc merge of a part of another format', args: ['igc', 'merge', p('exists.json'), '--out', p('m.json')], names: /exists\.json.*format/ },
  // budgets of what --model and --input may cost: validated, and a refusal names the flag that raises it
  { name: 'attribute with --max-tensor-elements 0', args: att('--max-tensor-elements', '0'), names: /--max-tensor-elements must be a positive integer.*'0'/ },
  { name: 'evaluate with --max-image-pixels lots', args: ['evaluate', ...mlp, '--input', 'mnist:test:0', '--max-image-pixels', 'lots'], names: /--max-image-pixels must be a positive integer.*'lots'/ },
  { name: 'demo with --max-operations 1.5', args: ['demo', '--quick', '--images', '1', '--methods', 'saliency', '--model', 'mlp', '--max-operations', '1.5', '--out', p('demo-limits')], names: /--max-operations must be a positive integer.*'1\.5'/ },
  { name: 'igc with --max-total-elements x', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--max-total-elements', 'x', '--out', p('i.json')], names: /--max-total-elements must be a positive integer.*'x'/ },
  { name: 'an ONNX model over --max-operations', args: ['attribute', '--model', ONNX, '--input', 'mnist:test:0', '--max-operations', '1000'], names: /mlp\.onnx.*limit of 1,000 \(raise it with --max-operations\)/ },
  { name: 'an ONNX model over --max-tensor-elements (evaluate)', args: ['evaluate', '--model', ONNX, '--input', 'mnist:test:0', '--max-tensor-elements', '10', '--out', p('limits-table')], names: /mlp\.onnx.*raise it with --max-tensor-elements/ },
  { name: 'an ONNX model over --max-total-elements (igc)', args: ['igc', '--model', ONNX, '--data', 'mnist:test:0-9', '--max-total-elements', '100', '--out', p('i.json')], names: /mlp\.onnx.*raise it with --max-total-elements/ },
  { name: 'an ONNX model over --max-tensor-elements (demo)', args: ['demo', '--quick', '--images', '1', '--methods', 'saliency', '--model', ONNX, '--max-tensor-elements', '10', '--out', p('demo-limits')], names: /mlp\.onnx.*raise it with --max-tensor-elements/ },
  { name: 'a batch over --max-tensor-elements at forward', args: ['attribute', '--model', ONNX, '--input', 'mnist:test:0-3', '--method', 'saliency', '--max-tensor-elements', '1000'], names: /\[4, 784\].*raise it with --max-tensor-elements/ },
  { name: 'an image over --max-image-pixels', args: ['attribute', ...mlp, '--input', p('wide.png'), '--max-image-pixels', '999'], names: /wide\.png.*limit of 999 \(raise it with --max-image-pixels/ },
  // counts of draws and baselines have maxima: refused at once, not after hours
  { name: 'smoothgrad with 1e9 samples', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'smoothgrad', '-o', 'samples=1e9'], names: /samples must be at most 65536 .*got 1000000000/ },
  { name: 'expected gradients with 65537 samples', args: ['attribute', ...mlp, '--input', 'mnist:test:0', '--method', 'expected-gradients', '-o', 'samples=65537'], names: /samples must be at most 65536 .*got 65537/ },
  { name: 'igc with 1e6 baselines', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--baselines', '1000000', '--out', p('i.json')], names: /--baselines must be at most 1024 .*got 1000000/ },
  { name: 'igc with 2.5 workers', args: ['igc', '--model', 'mlp', '--data', 'mnist:test:0-9', '--workers', '2.5', '--out', p('i.json')], names: /--workers.*'2\.5'/ },
  // the rest
  { name: 'unknown paper', args: ['reproduce', 'no-such-paper'], names: /'no-such-paper'/ },
  { name: 'unknown command', args: ['frobnicate'], names: /'frobnicate'/ },
];

/** Runs `pathgrad args` as a child process (as helpers.ts's pathgrad() does, but without blocking). */
function run(args: string[]): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const outcomes = new Map<string, Outcome>();
const before = new Map<string, string>();

/** Every file under the temp folder with its content: nothing may change. */
function snapshot(): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else m.set(f, readFileSync(f, 'latin1'));
    }
  };
  walk(dir);
  return m;
}

beforeAll(async () => {
  writeFileSync(p('junk.onnx'), new Uint8Array([1, 2, 3, 4, 5, 250, 251]));
  writeFileSync(p('junk.safetensors'), new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123, 34]));
  writeFileSync(p('empty.npy'), writeNpy(new Tensor(new Float32Array(0), [0, 1, 28, 28], 'float32')));
  writeFileSync(p('bomb.npy'), npyHeaderOnly('(100000000, 0)'));
  writeFileSync(p('junk.npy'), 'this is not an array');
  writeFileSync(p('junk.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  writeFileSync(p('data.csv'), '1,2,3\n');
  writeFileSync(p('wrong.npy'), writeNpy(new Tensor(new Float32Array(10), [2, 5], 'float32')));
  writeFileSync(p('ok.npy'), writeNpy(new Tensor(new Float32Array(784), [1, 1, 28, 28], 'float32')));
  writeFileSync(p('exists.npy'), 'the user\'s file');
  writeFileSync(p('exists.safetensors'), 'the user\'s file');
  writeFileSync(p('exists.json'), '{"the user\'s": "file"}');
  writeFileSync(p('table.csv'), 'the user\'s table');
  writeFileSync(p('junk.json'), '{"format": "pathgrad-igc-part", "version": 2, "nodes": [');
  writeFileSync(p('notes.txt'), 'the user\'s notes');
  writeFileSync(p('wide.png'), PNG.sync.write(new PNG({ width: 100, height: 10 })));
  mkdirSync(p('folder.npy'));
  mkdirSync(p('user'));
  writeFileSync(join(p('user'), 'notes.md'), 'the user\'s notes');
  for (const [k, v] of snapshot()) before.set(k, v);
  await inPool(cases, 3, async (c) => {
    outcomes.set(c.name, await run(c.args));
  });
}, 240_000);

describe('bad input: exit 2, one line naming the path or value, nothing before it, nothing written', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = outcomes.get(c.name)!;
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      expect({ code: r.code, lines }).toEqual({ code: 2, lines: [expect.stringMatching(/^(pathgrad: |error: )/)] });
      expect(lines[0]).toMatch(c.names);
      expect(lines[0]).not.toMatch(/internal error|\bat .+:\d+:\d+/);
      expect(r.stdout).toBe('');
    });
  }

  it('left every file as it was, and no temporary files', () => {
    const after = snapshot();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k), k).toBe(v);
  });
});

