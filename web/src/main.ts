/**
 * The page: a drawing canvas whose contents are preprocessed like MNIST (fit into 20x20,
 * centred by mass in 28x28), sent to the worker after a short pause in drawing, and the
 * worker's prediction, heatmaps and completeness check shown as they arrive.
 */
import type { QuadratureMethod } from '@pathgrad/attribution';
import { DIGIT_LABELS, DIGITS_BASE64 } from './digits.generated.js';
import type { BackendChoice, ExplainRequest, ExplainResponse, WorkerResponse } from './protocol.js';

// Listed here rather than imported: a value import would pull the whole library into the
// page's main bundle (the worker has it); the type keeps the list in step with the library.
const QUADRATURE_METHODS: readonly QuadratureMethod[] = ['gaussLegendre', 'riemannLeft', 'riemannRight', 'riemannMiddle', 'riemannTrapezoid', 'captumTrapezoid'];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const draw = $<HTMLCanvasElement>('draw');
const dctx = draw.getContext('2d', { willReadFrequently: true })!;
const small = $<HTMLCanvasElement>('input28');
const steps = $<HTMLInputElement>('steps');
const quadrature = $<HTMLSelectElement>('quadrature');
const backend = $<HTMLSelectElement>('backend');
const digit = $<HTMLSelectElement>('digit');
const status = $<HTMLDivElement>('status');

for (const q of QUADRATURE_METHODS) quadrature.add(new Option(q, q, q === 'gaussLegendre', q === 'gaussLegendre'));
const digitBytes = Uint8Array.from(atob(DIGITS_BASE64), (c) => c.charCodeAt(0));
DIGIT_LABELS.forEach((label, i) => digit.add(new Option(`#${i} (label ${label})`, String(i))));

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let nextId = 1;
let inFlight = false;
let pending: ExplainRequest | undefined;
let currentPixels: Float32Array | undefined;

function clearCanvas(): void {
  dctx.fillStyle = '#000';
  dctx.fillRect(0, 0, draw.width, draw.height);
}
clearCanvas();

/** MNIST preprocessing: the ink's bounding box scaled into 20x20, then centred by mass in 28x28. */
function canvasToPixels(): Float32Array | undefined {
  const { data, width, height } = dctx.getImageData(0, 0, draw.width, draw.height);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[4 * (y * width + x)]! > 20) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return undefined;
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  const scale = 20 / Math.max(w, h);
  const box = document.createElement('canvas');
  box.width = box.height = 28;
  const bctx = box.getContext('2d', { willReadFrequently: true })!;
  bctx.fillStyle = '#000';
  bctx.fillRect(0, 0, 28, 28);
  bctx.imageSmoothingQuality = 'high';
  bctx.drawImage(draw, x0, y0, w, h, (28 - w * scale) / 2, (28 - h * scale) / 2, w * scale, h * scale);
  const img = bctx.getImageData(0, 0, 28, 28).data;
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < 784; i++) {
    const v = img[4 * i]! / 255;
    mass += v;
    mx += v * (i % 28);
    my += v * Math.floor(i / 28);
  }
  const dx = Math.round(13.5 - mx / mass), dy = Math.round(13.5 - my / mass);
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = img[4 * (sy * 28 + sx)]! / 255;
    }
  }
  return out;
}

function showInput(pixels: Float32Array): void {
  const c = small.getContext('2d')!;
  const img = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i]! * 255);
    img.data.set([v, v, v, 255], 4 * i);
  }
  const tmp = document.createElement('canvas');
  tmp.width = tmp.height = 28;
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  c.imageSmoothingEnabled = false;
  c.drawImage(tmp, 0, 0, small.width, small.height);
}

function request(pixels: Float32Array): void {
  currentPixels = pixels;
  showInput(pixels);
  const req: ExplainRequest = {
    type: 'explain',
    id: nextId++,
    pixels,
    steps: Number(steps.value),
    quadrature: quadrature.value as ExplainRequest['quadrature'],
    backend: backend.value as BackendChoice,
  };
  $('prediction').dataset.state = 'busy';
  // only the newest drawing matters: a request made while the worker is busy replaces any queued one
  if (inFlight) pending = req;
  else send(req);
}

function send(req: ExplainRequest): void {
  inFlight = true;
  status.textContent = `explaining (request ${req.id})…`;
  worker.postMessage(req);
}

let debounce: ReturnType<typeof setTimeout> | undefined;
function scheduleFromCanvas(delay = 150): void {
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    const pixels = canvasToPixels();
    if (pixels) request(pixels);
  }, delay);
}

function render(res: ExplainResponse): void {
  const pred = $('prediction');
  pred.textContent = `prediction: ${res.predicted} (${(100 * res.probabilities[res.predicted]!).toFixed(1)}%)`;
  pred.dataset.state = 'done';
  pred.dataset.predicted = String(res.predicted);
  const probs = $('probabilities');
  probs.replaceChildren(
    ...res.probabilities.map((p, k) => {
      const row = document.createElement('div');
      row.className = k === res.predicted ? 'bar top' : 'bar';
      row.innerHTML = `<span>${k}</span><span class="fill" style="width:${Math.max(1, 300 * p)}px"></span><span>${(100 * p).toFixed(1)}%</span>`;
      return row;
    }),
  );
  const maps = $('heatmaps');
  maps.replaceChildren(
    ...res.heatmaps.map((h) => {
      const fig = document.createElement('figure');
      fig.className = 'heatmap';
      fig.dataset.method = h.method;
      const c = document.createElement('canvas');
      c.width = c.height = 28;
      c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(h.rgba), 28, 28), 0, 0);
      const cap = document.createElement('figcaption');
      cap.textContent = `${h.method} · Σ=${h.sum.toFixed(3)} · full colour ±${h.scale.toPrecision(2)} · ${h.ms.toFixed(0)} ms`;
      fig.append(c, cap);
      return fig;
    }),
  );
  const { sum, logitDifference, tolerance } = res.completeness;
  const gap = Math.abs(sum - logitDifference);
  const comp = $('completeness');
  comp.dataset.sum = String(sum);
  comp.dataset.logitDifference = String(logitDifference);
  comp.dataset.tolerance = String(tolerance);
  comp.dataset.ok = String(gap <= tolerance);
  comp.dataset.stamp = String(res.id); // lets tests wait for a newer result
  comp.textContent =
    `completeness (IG, class ${res.predicted}, baseline 0): Σ attributions = ${sum.toFixed(4)}, ` +
    `logit difference F(x) − F(0) = ${logitDifference.toFixed(4)}, |gap| = ${gap.toFixed(4)} ` +
    `${gap <= tolerance ? '≤' : '>'} tolerance ${tolerance.toFixed(4)} (5% of max(1, |F(x) − F(0)|)) ${gap <= tolerance ? '✓' : '✗'}`;
  const b = res.backend;
  status.dataset.backend = b.name;
  status.textContent =
    `backend: ${b.name}${b.mode ? ` (${b.mode})` : ''}${b.note ? ` — ${b.note}` : ''}\n` +
    `model: ${res.model} · ${steps.value} steps, ${quadrature.value} · total ${res.ms.toFixed(0)} ms`;
}

worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
  inFlight = false;
  const res = event.data;
  if (res.type === 'error') {
    status.textContent = `error: ${res.message}`;
    $('prediction').dataset.state = 'error';
  } else if (!pending && res.id > clearedAt) {
    // a result for a drawing made before Clear is dropped
    render(res);
  }
  if (pending) {
    const next = pending;
    pending = undefined;
    send(next);
  }
};
worker.onerror = (e) => {
  inFlight = false;
  status.textContent = `worker error: ${e.message}`;
  $('prediction').dataset.state = 'error';
};

// drawing
let drawing = false;
let last: [number, number] | undefined;
function point(e: PointerEvent): [number, number] {
  const r = draw.getBoundingClientRect();
  return [((e.clientX - r.left) * draw.width) / r.width, ((e.clientY - r.top) * draw.height) / r.height];
}
draw.addEventListener('pointerdown', (e) => {
  drawing = true;
  draw.setPointerCapture(e.pointerId);
  last = point(e);
  digit.value = '';
});
draw.addEventListener('pointermove', (e) => {
  if (!drawing || !last) return;
  const p = point(e);
  dctx.strokeStyle = '#fff';
  dctx.lineWidth = 22;
  dctx.lineCap = 'round';
  dctx.lineJoin = 'round';
  dctx.beginPath();
  dctx.moveTo(...last);
  dctx.lineTo(...p);
  dctx.stroke();
  last = p;
  scheduleFromCanvas(250);
});
const stop = () => {
  if (!drawing) return;
  drawing = false;
  last = undefined;
  scheduleFromCanvas(30);
};
draw.addEventListener('pointerup', stop);
draw.addEventListener('pointercancel', stop);

/** Requests numbered up to here were made before the last Clear. */
let clearedAt = -1;

$('clear').addEventListener('click', () => {
  clearCanvas();
  digit.value = '';
  clearTimeout(debounce);
  pending = undefined;
  clearedAt = nextId - 1;
  currentPixels = undefined;
  // back to the page's first state: no prediction, no bars, no maps
  const pred = $('prediction');
  pred.textContent = 'draw a digit to start';
  pred.dataset.state = 'idle';
  delete pred.dataset.predicted;
  $('probabilities').replaceChildren();
  $('heatmaps').replaceChildren();
  $('completeness').textContent = '';
  showInput(new Float32Array(784));
  status.textContent = 'cleared';
});
digit.addEventListener('change', () => {
  if (digit.value === '') return;
  const i = Number(digit.value);
  const pixels = Float32Array.from(digitBytes.subarray(784 * i, 784 * (i + 1)), (v) => v / 255);
  // show it on the drawing canvas too, so strokes can be added on top of it
  const img = new ImageData(28, 28);
  for (let k = 0; k < 784; k++) img.data.set([digitBytes[784 * i + k]!, digitBytes[784 * i + k]!, digitBytes[784 * i + k]!, 255], 4 * k);
  const tmp = document.createElement('canvas');
  tmp.width = tmp.height = 28;
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  dctx.imageSmoothingEnabled = true;
  dctx.drawImage(tmp, 0, 0, draw.width, draw.height);
  request(pixels);
});
steps.addEventListener('input', () => {
  $('steps-out').textContent = steps.value;
});
for (const control of [steps, quadrature, backend]) {
  control.addEventListener('change', () => {
    if (currentPixels) request(currentPixels);
  });
}
