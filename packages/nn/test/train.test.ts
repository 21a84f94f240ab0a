import { Writable } from 'node:stream';
import { arange, backendInfo, rand, randint, rng, tensor, withBackend, zeros, type Tensor } from '@pathgrad/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, SGD, batches, crossEntropy, evaluateAccuracy, fit, mnistMlp, predict, type TrainProgress } from '../src/index.js';
import { mnist } from '../src/node.js';

function sink(): Writable & { text: string; isTTY: boolean } {
  const s = new Writable({
    write(chunk, _enc, cb) {
      s.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean };
  s.text = '';
  s.isTTY = false;
  return s;
}

describe('batches', () => {
  const images = arange(10).reshape([10, 1]);
  const labels = tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { dtype: 'int32' });

  it('splits in order, keeping rows paired with labels, with a smaller last batch', () => {
    const bs = [...batches(images, labels, { batchSize: 4 })];
    expect(bs.map((b) => b.images.shape[0])).toEqual([4, 4, 2]);
    expect(bs[2]!.labels.toArray()).toEqual([8, 9]);
    expect([...batches(images, labels, { batchSize: 4, dropLast: true })]).toHaveLength(2);
  });

  it('shuffles reproducibly per seed and visits every row once', () => {
    const order = (seed: number) => [...batches(images, labels, { batchSize: 3, shuffle: true, rng: seed })].flatMap((b) => b.labels.toArray() as number[]);
    const a = order(1);
    expect(a).toEqual(order(1));
    expect(a).not.toEqual(order(2));
    expect([...a].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const b of batches(images, labels, { batchSize: 3, shuffle: true, rng: rng(5) })) {
      expect(b.images.toArray()).toEqual((b.labels.toArray() as number[]).map((v) => [v]));
    }
  });

  it('rejects mismatched data, bad sizes and shuffling without a generator', () => {
    expect(() => [...batches(images, zeros([9], 'int32'), { batchSize: 2 })]).toThrow(/same first dimension.*\[10, 1\].*\[9\]/);
    expect(() => [...batches(images, labels, { batchSize: 0 })]).toThrow(/batchSize must be a positive integer/);
    expect(() => [...batches(images, labels, { batchSize: 2, shuffle: true })]).toThrow(/shuffle needs rng/);
  });
});

describe('fit on real MNIST (seeded smoke test)', () => {
  const backend = backendInfo('wasm').available ? 'wasm' : 'cpu';

  it('a few hundred Adam steps of the MLP on 2,000 images reduce the loss and learn', () => {
    withBackend(backend, () => {
      const train = mnist({ split: 'train', limit: 2000 });
      const test = mnist({ split: 'test', limit: 500 });
      const model = mnistMlp({ seed: 0 });
      const out = sink();
      const seen: TrainProgress[] = [];
      const history = fit(model, train, {
        epochs: 4,
        batchSize: 32,
        optimizer: new Adam(model.parameters(), { lr: 1e-3 }),
        rng: 0,
        stream: out,
        onProgress: (p) => seen.push(p),
      });
      expect(seen).toHaveLength(4 * 63); // 252 steps
      expect(history).toHaveLength(4);
      expect(history[3]!.loss).toBeLessThan(0.5 * history[0]!.loss);
      expect(out.text).toMatch(/epoch 4\/4: done, loss \d\.\d{4}/);
      expect(model.training).toBe(true);
      expect(evaluateAccuracy(model, test.images, test.labels)).toBeGreaterThan(0.8);
    });
  });

  it('is reproducible: the same seed gives the same weights', () => {
    withBackend(backend, () => {
      const train = mnist({ split: 'train', limit: 256 });
      const run = () => {
        const model = mnistMlp({ seed: 3 });
        fit(model, train, { epochs: 1, batchSize: 64, optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), rng: 7, progress: 'none' });
        return Array.from(model.stateDict()['4.weight']!.toTypedArray());
      };
      expect(run()).toEqual(run());
    });
  });

  it('refuses an optimizer over other parameters and a diverging loss', () => {
    const train = mnist({ split: 'train', limit: 64 });
    const model = mnistMlp();
    expect(() => fit(model, train, { optimizer: new Adam(mnistMlp().parameters()), progress: 'none' })).toThrow(/optimizer must be built over model\.parameters\(\)/);
    const nanLoss = (out: Tensor, y: Tensor) => crossEntropy(out, y).mul(Number.NaN);
    expect(() => fit(model, train, { loss: nanLoss, progress: 'none' })).toThrow(/the loss became NaN at epoch 1, batch 1/);
  });
});

describe('fit progress output', () => {
  const data = { images: rand([20, 784], rng(0)), labels: randint([20], 0, 10, rng(1)) };
  it('draws a cli-progress bar on a TTY stream', () => {
    const out = sink();
    out.isTTY = true;
    const model = mnistMlp();
    fit(model, data, { epochs: 1, batchSize: 5, stream: out, rng: 0 });
    expect(out.text).toMatch(/epoch 1\/1 .*100% \| 4\/4 batches \| loss \d\.\d{4}/);
  });

  it('writes plain lines otherwise, and nothing with progress: none', () => {
    const out = sink();
    fit(mnistMlp(), data, { epochs: 2, batchSize: 5, stream: out, rng: 0 });
    expect(out.text.split('\n').filter((l) => l.includes('done'))).toHaveLength(2);
    expect(out.text).not.toMatch(/\u001b\[/); // no terminal escape codes in logs
    const quiet = sink();
    fit(mnistMlp(), data, { epochs: 1, batchSize: 5, stream: quiet, rng: 0, progress: 'none' });
    expect(quiet.text).toBe('');
  });
});

describe('predict', () => {
  it('returns the argmax per row and restores the mode', () => {
    const model = mnistMlp({ seed: 0 });
    model.train();
    const x = mnist({ split: 'test', limit: 5 }).images;
    const logits = model.eval().forward(x).toArray() as number[][];
    model.train();
    const expected = logits.map((row) => row.indexOf(Math.max(...row)));
    expect(Array.from(predict(model, x, { batchSize: 2 }))).toEqual(expected);
    expect(model.training).toBe(true);
  });
});
