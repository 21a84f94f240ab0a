/**
 * The workload profiled for docs/benchmarks.md: 64-step IG on one MNIST test image on the
 * pretrained CNN, `--reps` times after a warm-up, on `--backend` (default: none chosen, the default backend). Run under
 * `node --cpu-prof` (the ig suite does: see lib/profile.ts for the breakdown):
 *
 * ```sh
 * node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx benchmarks/perf/profile-ig.ts --reps 40
 * ```
 */
import { parseArgs } from 'node:util';
import { integratedGradients } from '@pathgrad/attribution';
import { loadPretrained } from '@pathgrad/nn';
import { mnist } from '@pathgrad/nn/node';
import { backendInfo, setBackend, type BackendName } from '@pathgrad/tensor';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '30' }, backend: { type: 'string', default: '' }, model: { type: 'string', default: 'cnn' }, images: { type: 'string', default: '1' } } });
const backend = values.backend as BackendName | '';
if (backend !== '' && backendInfo(backend).available) setBackend(backend);
const model = loadPretrained(values.model === 'mlp' ? 'mnist-mlp' : 'mnist-cnn');
const { images, labels } = mnist({ split: 'test', limit: Number(values.images) });
const target = Int32Array.from(labels.toTypedArray());
const ig = () => integratedGradients(model, images, { target, steps: 64 });
for (let i = 0; i < 3; i++) ig();
const t0 = performance.now();
const reps = Number(values.reps);
for (let i = 0; i < reps; i++) ig();
console.log(JSON.stringify({ backend: backendInfo().name, msPerCall: (performance.now() - t0) / reps }));
