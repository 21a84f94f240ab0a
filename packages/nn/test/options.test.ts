import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArgumentError, ones, rng, tensor, zeros } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Linear,
  MaxPool2d,
  MnistMlp,
  SGD,
  Softplus,
  batches,
  crossEntropy,
  evaluateAccuracy,
  fit,
  kaimingNormal,
  kaimingUniform,
  loadOnnx,
  loadPretrained,
  mnistCnn,
  mnistMlp,
  mse,
  nllLoss,
  predict,
  xavierNormal,
  xavierUniform,
} from '../src/index.js';
import { mnist } from '../src/node.js';

const params = () => new Linear(2, 2).parameters();
const images = zeros([4, 2]);
const labels = tensor([0, 1, 0, 1], { dtype: 'int32' });
const logits = zeros([4, 2]);

/**
 * Every public nn function or constructor that takes an options object, called with one
 * misspelled key (the last one): [name in the message, the call, the options, the key it
 * must suggest].
 * A new options-taking export belongs in this table.
 */
const MISSPELLED: [string, (opts: never) => unknown, Record<string, unknown>, string][] = [
  ['mnistCnn', (o) => mnistCnn(o), { pretrianed: true }, 'pretrained'],
  ['mnistMlp', (o) => mnistMlp(o), { Seed: 1 }, 'seed'],
  ['MnistMlp', (o) => new MnistMlp(o), { sed: 1 }, 'seed'],
  ['Linear', (o) => new Linear(2, 2, o), { baias: false }, 'bias'],
  ['Conv2d', (o) => new Conv2d(1, 1, 3, o), { rng: 0, padd: 1 }, 'padding'],
  ['MaxPool2d', (o) => new MaxPool2d(2, o), { strid: 2 }, 'stride'],
  ['AvgPool2d', (o) => new AvgPool2d(2, o), { countIncludePads: false }, 'countIncludePad'],
  ['BatchNorm2d', (o) => new BatchNorm2d(2, o), { momentun: 0.2 }, 'momentum'],
  ['Softplus', (o) => new Softplus(o), { treshold: 10 }, 'threshold'],
  ['Adam', (o) => new Adam(params(), o), { weight_decay: 0.1 }, 'weightDecay'],
  ['SGD', (o) => new SGD(params(), o), { lr: 0.1, nestrov: true }, 'nesterov'],
  ['fit', (o) => fit(new Linear(2, 2), { images, labels }, o), { epoch: 1 }, 'epochs'],
  ['batches', (o) => [...batches(images, labels, o)], { batchSize: 2, shufle: true }, 'shuffle'],
  ['predict', (o) => predict(new Linear(2, 2), images, o), { batchsize: 2 }, 'batchSize'],
  ['evaluateAccuracy', (o) => evaluateAccuracy(new Linear(2, 2), images, labels, o), { batch_size: 2 }, 'batchSize'],
  ['nllLoss', (o) => nllLoss(logits, labels, o), { reducton: 'sum' }, 'reduction'],
  ['crossEntropy', (o) => crossEntropy(logits, labels, o), { reductoin: 'sum' }, 'reduction'],
  ['mse', (o) => mse(logits, logits, o), { Reduction: 'sum' }, 'reduction'],
  ['kaimingUniform', (o) => kaimingUniform([2, 2], rng(0), o), { nonLinearity: 'relu' }, 'nonlinearity'],
  ['kaimingNormal', (o) => kaimingNormal([2, 2], rng(0), o), { mod: 'fanOut' }, 'mode'],
  ['xavierUniform', (o) => xavierUniform([2, 2], rng(0), o), { gian: 2 }, 'gain'],
  ['xavierNormal', (o) => xavierNormal([2, 2], rng(0), o), { dtyp: 'float64' }, 'dtype'],
  ['mnist', (o) => mnist(o), { split: 'test', limt: 1 }, 'limit'],
  ['loadOnnx', (o) => loadOnnx(new Uint8Array(0), o), { maxTensorElement: 1 }, 'maxTensorElements'],
  ['loadStateDict', (o) => new Linear(2, 2).loadStateDict(new Linear(2, 2).stateDict(), o), { stict: false }, 'strict'],
];

describe('nn options objects refuse unknown keys', () => {
  for (const [name, call, opts, suggestion] of MISSPELLED) {
    const typo = Object.keys(opts).at(-1)!; // the misspelled key comes last
    it(`${name} names '${typo}' and suggests '${suggestion}'`, () => {
      let caught: unknown;
      try {
        call(opts as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ArgumentError);
      expect((caught as Error).message).toBe(`${name}: unknown option '${typo}' (did you mean '${suggestion}'?)`);
    });
    it(`${name} refuses an array where its options object belongs`, () => {
      expect(() => call([opts] as never)).toThrow(new RegExp(`^${name}: options must be an object .*got an array`));
    });
  }
});

describe('the table covers every options-taking export', () => {
  it('every exported function or class constructor with an options parameter has a MISSPELLED row', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const files = readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    const found = new Set<string>();
    for (const f of files) {
      const text = readFileSync(src + f, 'utf8');
      for (const m of text.matchAll(/^export (?:async )?function\*? (\w+)(?:<[^>]*>)?\(([^)]*)\)/gm)) {
        if (/\b(opts|options)\??:/.test(m[2]!)) found.add(m[1]!);
      }
      for (const m of text.matchAll(/^export class (\w+)[^{]*\{([\s\S]*?)^}/gm)) {
        const ctor = /constructor\(([^)]*)\)/.exec(m[2]!);
        if (ctor && /\b(opts|options)\??:/.test(ctor[1]!)) found.add(m[1]!);
      }
    }
    const tested = new Set(MISSPELLED.map(([name]) => name));
    // each needs checkOptionKeys(options, optionKeys<TheOptions>({...}), name) and a row above
    expect([...found].filter((name) => !tested.has(name)), 'options-taking exports without a MISSPELLED row').toEqual([]);
    expect(found.size).toBeGreaterThan(20);
  });
});

describe('zoo pretrained option', () => {
  it('mnistCnn({ pretrained: true }) is the shipped model in eval mode, not a random init', () => {
    const model = mnistCnn({ pretrained: true });
    const shipped = loadPretrained('mnist-cnn');
    expect(model.training).toBe(false);
    const a = model.stateDict();
    const b = shipped.stateDict();
    const fresh = mnistCnn().stateDict();
    for (const k of Object.keys(b)) expect(Array.from(a[k]!.toTypedArray())).toEqual(Array.from(b[k]!.toTypedArray()));
    expect(Array.from(a['0.weight']!.toTypedArray())).not.toEqual(Array.from(fresh['0.weight']!.toTypedArray()));
    expect(model.forward(ones([1, 1, 28, 28])).toArray()).toEqual(shipped.forward(ones([1, 1, 28, 28])).toArray());
  });
  it('mnistMlp({ pretrained: true }) matches loadPretrained and stays an MnistMlp', () => {
    const model = mnistMlp({ pretrained: true });
    expect(model).toBeInstanceOf(MnistMlp);
    expect(model.forward(ones([1, 784])).toArray()).toEqual(loadPretrained('mnist-mlp').forward(ones([1, 784])).toArray());
  });
  it('refuses pretrained together with seed, and a non-boolean pretrained', () => {
    expect(() => mnistCnn({ pretrained: true, seed: 3 })).toThrow(/mnistCnn: seed has no effect with pretrained: true/);
    expect(() => mnistMlp({ pretrained: 1 as never })).toThrow(/mnistMlp: pretrained must be true or false, got 1/);
  });
  it('pretrained: false is a fresh init from the seed', () => {
    expect(mnistCnn({ pretrained: false, seed: 5 }).stateDict()['0.weight']!.toArray()).toEqual(mnistCnn({ seed: 5 }).stateDict()['0.weight']!.toArray());
  });
});
