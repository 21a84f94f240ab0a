import { Adam, fit, loadPretrained, type Module } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { integratedGradients } from '@pathgrad/attribution';
const what = process.env.W ?? 'train';
const reps = Number(process.env.R ?? 10);
if (what === 'train') {
  const data = mnist({ split: 'train', limit: 640 });
  const model = loadPretrained('mnist-cnn') as Module;
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const run = () => void fit(model, data, { epochs: 1, batchSize: 64, optimizer, shuffle: false, progress: 'none' });
  run();
  let best = Infinity;
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); run(); best = Math.min(best, (performance.now() - t0) / 10); }
  console.log('train ms/batch min', best.toFixed(2));
} else {
  const model = loadPretrained('mnist-cnn');
  const { images, labels } = mnist({ split: 'test', limit: 16 });
  const target = Int32Array.from(labels.toTypedArray());
  const ig = () => integratedGradients(model, images, { target, steps: 64 });
  for (let i = 0; i < 2; i++) ig();
  let best = Infinity;
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); ig(); best = Math.min(best, performance.now() - t0); }
  console.log('IG16 ms min', best.toFixed(1));
}
