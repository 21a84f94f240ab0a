import { loadPretrained } from '@pathgrad/nn';
import { zeros } from '@pathgrad/tensor';
import { integratedGradients } from '@pathgrad/attribution';
import { mnist } from '@pathgrad/nn/node';
const model = loadPretrained('mnist-mlp') as any;
const x1 = zeros([1, 1, 28, 28], 'float32'), x64 = zeros([64, 1, 28, 28], 'float32');
function time(name: string, f: () => void, reps = 2000) { for (let i = 0; i < 200; i++) f(); let best = Infinity; for (let r = 0; r < 5; r++) { const t = performance.now(); for (let i = 0; i < reps; i++) f(); best = Math.min(best, (performance.now() - t) / reps * 1000); } console.log(name, best.toFixed(1), 'us'); }
const { images, labels } = mnist({ split: 'test', limit: 1 });
const target = Int32Array.from(labels.toTypedArray());
const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'fwd') { time('fwd b1', () => model.forward(x1)); time('fwd b64', () => model.forward(x64), 500); }
if (which === 'all' || which === 'ig') time('ig mlp 1', () => integratedGradients(model, images, { target, steps: 64 }), 100);
