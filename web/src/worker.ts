/**
 * Runs the model and the attribution methods off the page's main thread: the page stays
 * responsive while drawing, and WebAssembly modules above 4 KB may only be compiled
 * synchronously (as pathgrad's wasm backend does) inside workers.
 */
import {
  attributionPicture,
  idgi,
  integratedGradients,
  noiseTunnel,
  saliency,
} from '@pathgrad/attribution';
import { loadPretrained, type Sequential } from '@pathgrad/nn';
import { Tensor, backendInfo, getBackend, provideGpujs, setBackend, softmax, type BackendInfo, type BackendName } from '@pathgrad/tensor';
import { GPU } from 'gpu.js';
import type { BackendChoice, ExplainRequest, HeatmapResult, WorkerResponse } from './protocol.js';

// The page offers the gpujs backend ('auto' tries it first). pathgrad only loads gpu.js by
// itself in Node, so a browser build bundles it here and hands its class over.
provideGpujs(GPU);

const ctx = self as unknown as {
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ExplainRequest>) => void) | null;
};

/** gpu.js modes that actually run on the GPU (its 'webasm' and 'cpu' modes do not). */
const GPU_MODES = new Set(['webgl', 'webgl2', 'webgpu', 'headlessgl']);

let model: Sequential | undefined;
let modelName = '';
let chosen: BackendChoice | undefined;
let chosenInfo: BackendInfo | undefined;

function loadModel(): Sequential {
  if (model) return model;
  // the shipped CNN; the MLP only if no CNN weights were trained into this build
  try {
    model = loadPretrained('mnist-cnn');
    modelName = 'mnist-cnn';
  } catch (e) {
    model = loadPretrained('mnist-mlp');
    modelName = `mnist-mlp (mnist-cnn unavailable: ${e instanceof Error ? e.message : String(e)})`;
  }
  return model;
}

function tryBackend(name: BackendName): BackendInfo | undefined {
  try {
    return setBackend(name);
  } catch {
    return undefined;
  }
}

/**
 * The WebGL renderer when it is a software rasteriser (SwiftShader, llvmpipe): gpu.js
 * kernels there are slower than the WebAssembly ones, so 'auto' passes over them.
 */
function softwareRenderer(): string | undefined {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return /swiftshader|llvmpipe|softpipe|software/i.test(renderer) ? renderer : undefined;
  } catch {
    return undefined;
  }
}

/** 'auto': gpu.js when it reaches a hardware GPU (WebGL/WebGPU), else WebAssembly, else JS. */
function useBackend(choice: BackendChoice): BackendInfo {
  if (choice === chosen && chosenInfo) return chosenInfo;
  chosen = choice;
  chosenInfo = pickBackend(choice);
  return chosenInfo;
}

function pickBackend(choice: BackendChoice): BackendInfo {
  if (choice !== 'auto') {
    const info = tryBackend(choice);
    if (info) return info;
    setBackend('cpu');
    return { ...backendInfo(), note: `${choice} unavailable here (${backendInfo(choice).note ?? ''}); using cpu` };
  }
  const gpu = backendInfo('gpujs');
  const software = softwareRenderer();
  if (gpu.available && GPU_MODES.has(gpu.mode ?? '') && software === undefined && tryBackend('gpujs')) return backendInfo();
  const why = software ? `auto: gpu.js skipped, WebGL is a software renderer (${software})` : `auto: gpu.js has no GPU mode here (${gpu.mode ?? gpu.note ?? 'unavailable'})`;
  const info = tryBackend('wasm') ?? setBackend('cpu');
  return { ...info, note: [info.note, why].filter(Boolean).join('; ') };
}

function sumOf(t: Tensor): number {
  const a = t.toTypedArray();
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function explain(req: ExplainRequest): WorkerResponse {
  const started = performance.now();
  const backend = useBackend(req.backend);
  const net = loadModel();
  const x = new Tensor(Float32Array.from(req.pixels), [1, 1, 28, 28], 'float32');
  const logits = net.forward(x);
  const probabilities = Array.from(softmax(logits, 1).toTypedArray());
  const predicted = probabilities.indexOf(Math.max(...probabilities));
  const zeroLogits = net.forward(new Tensor(new Float32Array(784), [1, 1, 28, 28], 'float32')).toTypedArray();
  const logitDifference = logits.toTypedArray()[predicted]! - zeroLogits[predicted]!;

  const heatmaps: HeatmapResult[] = [];
  const overlay = x.reshape([28, 28]);
  const timed = (method: string, run: () => Tensor): Tensor => {
    const t0 = performance.now();
    const attributions = run();
    const map = attributions.reshape([28, 28]);
    const picture = attributionPicture(map, overlay, { mode: 'blendedHeatMap', alpha: 0.75 });
    heatmaps.push({ method, rgba: picture.rgba, scale: picture.scale ?? 0, sum: sumOf(attributions), ms: performance.now() - t0 });
    return attributions;
  };
  const common = { target: predicted };
  let igDelta = 0;
  const ig = timed('Integrated Gradients', () => {
    const r = integratedGradients(net, x, { ...common, baseline: 0, steps: req.steps, method: req.quadrature });
    igDelta = r.delta.toTypedArray()[0]!;
    return r.attributions;
  });
  timed('Saliency |∂F/∂x|', () => saliency(net, x, common).attributions);
  timed('SmoothGrad', () => noiseTunnel(saliency, { samples: 16, noiseLevel: 0.15, seed: 0 })(net, x, common).attributions);
  timed('IDGI', () => idgi(net, x, { ...common, baseline: 0, steps: req.steps }).attributions);

  const sum = sumOf(ig);
  return {
    type: 'result',
    id: req.id,
    probabilities,
    predicted,
    heatmaps,
    // the page states this tolerance next to the numbers it compares
    completeness: { sum, logitDifference, delta: igDelta, tolerance: 0.05 * Math.max(1, Math.abs(logitDifference)) },
    backend: { ...backend, name: getBackend() },
    model: modelName,
    ms: performance.now() - started,
  };
}

ctx.onmessage = (event) => {
  const req = event.data;
  let res: WorkerResponse;
  try {
    res = explain(req);
  } catch (e) {
    res = { type: 'error', id: req.id, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  ctx.postMessage(res);
};
