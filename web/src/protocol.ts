/** Messages between the page and the worker that runs the model (see worker.ts). */
import type { BackendInfo, BackendName } from '@pathgrad/tensor';
import type { QuadratureMethod } from '@pathgrad/attribution';

/** Which backend to use: 'auto' picks gpu.js on a real GPU, else wasm, else cpu. */
export type BackendChoice = 'auto' | BackendName;

export interface ExplainRequest {
  type: 'explain';
  id: number;
  /** 28x28 row-major pixels in [0, 1]. */
  pixels: Float32Array;
  steps: number;
  quadrature: QuadratureMethod;
  backend: BackendChoice;
}

export interface HeatmapResult {
  method: string;
  /** 28x28x4 RGBA bytes. */
  rgba: Uint8ClampedArray;
  /** The attribution drawn at full colour (blue −scale, white 0, red +scale). */
  scale: number;
  /** Sum of the attributions. */
  sum: number;
  ms: number;
}

export interface ExplainResponse {
  type: 'result';
  id: number;
  probabilities: number[];
  predicted: number;
  heatmaps: HeatmapResult[];
  /** IG completeness for the predicted class, baseline 0. */
  completeness: { sum: number; logitDifference: number; delta: number; tolerance: number };
  backend: BackendInfo;
  model: string;
  ms: number;
}

export interface ErrorResponse {
  type: 'error';
  id: number;
  message: string;
}

export type WorkerResponse = ExplainResponse | ErrorResponse;
