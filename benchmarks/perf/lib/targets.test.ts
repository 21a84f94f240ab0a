/**
 * The targets verdicts and the summary writer, on made-up figures (no timing happens here): each
 * bound of issue 16 is applied the right way round, a missing peer is "not checked" rather than
 * met or failed, and the summary says plainly when PyTorch was not measured.
 */
import { describe, expect, it } from 'vitest';
import { evaluateTargets, targetsMarkdown, type PeerResults, type PeerRow } from './targets.js';

const t = (minMs: number) => ({ medianMs: minMs * 1.1, madMs: 0.1, minMs, samples: 10 });
const ig = (model: string, images: number, impl: string, ms: number): PeerRow => ({ model, images, impl, timing: t(ms) });

function results(over: Partial<PeerResults> = {}): PeerResults {
  return {
    quick: false,
    defaultBackend: 'wasm',
    defaultLabel: 'pathgrad default (wasm simd)',
    backendInfo: { name: 'wasm', available: true, mode: 'simd', note: 'kernels, 2 threads for GEMM and conv' },
    ig: [ig('mlp', 1, 'pathgrad', 10), ig('mlp', 1, 'PyTorch', 4), ig('mlp', 1, 'tfjs-wasm', 16), ig('mlp', 1, 'jax-js', 11), ig('cnn', 1, 'pathgrad', 30), ig('cnn', 1, 'PyTorch', 20), ig('cnn', 1, 'tfjs-wasm', 40)],
    forward: [
      { model: 'cnn', batch: 64, impl: 'pathgrad', threads: 2, timing: t(5) },
      { model: 'cnn', batch: 64, impl: 'pathgrad 1 thread', threads: 1, timing: t(4) },
      { model: 'cnn', batch: 64, impl: 'onnxruntime-web 1 thread', threads: 1, timing: t(3) },
      { model: 'cnn', batch: 64, impl: 'onnxruntime-web 2 threads', threads: 2, timing: t(6) },
    ],
    kernels: [
      { id: 'matmul-512', impl: 'pathgrad', timing: t(2 * 512 ** 3 / 50e6), gflops: 45 },
      { id: 'conv2', impl: 'pathgrad', timing: t(2), gflops: 1 },
      { id: 'conv2', impl: 'tfjs-wasm', timing: t(1), gflops: 2 },
    ],
    training: [
      { model: 'cnn', impl: 'pathgrad', timing: t(30) },
      { model: 'cnn', impl: 'PyTorch', timing: t(10) },
    ],
    memory: [
      { steps: 64, internalBatchSize: 64, maxRssMB: 100, heapUsedMB: 20 },
      { steps: 1024, internalBatchSize: 64, maxRssMB: 125, heapUsedMB: 20 },
    ],
    checks: [],
    notes: { pytorch: 'PyTorch 1.13, 2 threads' },
    load: { start: 1, end: 1, cores: 2 },
    threads: 2,
    ...over,
  };
}

const verdict = (rows: ReturnType<typeof evaluateTargets>, key: string, caseText: string) => rows.find((r) => r.key === key && r.case.includes(caseText))?.met;

describe('evaluateTargets', () => {
  const rows = evaluateTargets(results());

  it('applies each bound the right way round', () => {
    expect(verdict(rows, 'ig-torch', 'MLP')).toBe(false); // 10 > 2 × 4
    expect(verdict(rows, 'ig-torch', 'CNN')).toBe(true); // 30 ≤ 2 × 20
    expect(verdict(rows, 'ig-tfjs', 'MLP')).toBe(true); // 16 ≥ 1.5 × 10
    expect(verdict(rows, 'ig-tfjs', 'CNN')).toBe(false); // 40 < 1.5 × 30
    expect(verdict(rows, 'ig-jax', 'MLP')).toBe(true); // 10 ≤ 11
    expect(verdict(rows, 'matmul', 'matmul')).toBe(true); // 50 GFLOP/s from the fastest sample
    expect(verdict(rows, 'conv', '32×16')).toBe(false); // 2 ms against 1 ms
    expect(verdict(rows, 'train-torch', 'CNN')).toBe(false); // 30 > 2 × 10
    expect(verdict(rows, 'memory', 'CNN')).toBe(false); // +25%
  });

  it('compares the forward pass with onnxruntime-web at the same thread count', () => {
    expect(verdict(rows, 'forward-ort', 'batch 64 (2 threads)')).toBe(true); // 5 ≤ 6
    expect(verdict(rows, 'forward-ort', 'batch 64 (1 thread)')).toBe(false); // 4 > 3
  });

  it('leaves a target unchecked (not met, not failed) when its peer did not run', () => {
    const r = results({ ig: results().ig.filter((p) => p.impl !== 'PyTorch'), training: results().training.filter((p) => p.impl !== 'PyTorch'), notes: { pytorch: 'python3-torch is not installed' } });
    const out = evaluateTargets(r);
    expect(out.filter((x) => x.key === 'ig-torch').every((x) => x.met === undefined)).toBe(true);
    const md = targetsMarkdown(r, out, 'results/x.json');
    expect(md).toContain('**PyTorch was not measured in this run** (python3-torch is not installed)');
    expect(md).toMatch(/not checked: a peer did not run/);
  });
});

describe('targetsMarkdown', () => {
  it('lists every target not met under "where pathgrad still trails", with its numbers', () => {
    const rows = evaluateTargets(results());
    const md = targetsMarkdown(results(), rows, 'results/x.json');
    const trails = md.slice(md.indexOf('### Where pathgrad still trails'), md.indexOf('### Integrated Gradients'));
    // a case can meet one target and miss another: the line names the target's figures
    const line = (r: (typeof rows)[number]) => `${r.case}: ${r.pathgrad} against ${r.peer}, ${r.detail}`;
    for (const r of rows.filter((x) => x.met === false && x.peer)) expect(trails).toContain(line(r));
    for (const r of rows.filter((x) => x.met === true && x.peer)) expect(trails).not.toContain(line(r));
    expect(md).toContain(`Targets: ${rows.filter((x) => x.met).length} of ${rows.length} met`);
  });

  it('repeats each comparison on the medians and names a verdict that holds on the fastest samples only', () => {
    // pathgrad's fastest sample ties onnxruntime-web's, its median is 1.5x slower
    const r = results({
      forward: [
        { model: 'cnn', batch: 1, impl: 'pathgrad', threads: 2, timing: { medianMs: 0.09, madMs: 0.01, minMs: 0.05, samples: 10 } },
        { model: 'cnn', batch: 1, impl: 'onnxruntime-web 2 threads', threads: 2, timing: { medianMs: 0.06, madMs: 0.01, minMs: 0.05, samples: 10 } },
      ],
    });
    const rows = evaluateTargets(r);
    const row = rows.find((x) => x.key === 'forward-ort')!;
    expect(row.met).toBe(true);
    expect(row.metByMedian).toBe(false);
    expect(row.medianDetail).toBe('0.67×');
    // a target met both ways is met on the medians too (CNN IG: 30/20 on both)
    expect(rows.find((x) => x.key === 'ig-torch' && x.case.startsWith('CNN'))!.metByMedian).toBe(true);
    const md = targetsMarkdown(r, rows, 'results/x.json');
    expect(md).toContain('1 target met on the fastest samples is not met on the medians (CNN forward, batch 1 (2 threads))');
    expect(md).toContain('| 0.67× (not met) |');
    const trails = md.slice(md.indexOf('### Where pathgrad still trails'), md.indexOf('### Integrated Gradients'));
    expect(trails).toContain('CNN forward, batch 1 (2 threads): 0.050 ms against 0.050 ms, 1.00× its speed (bound ≥ 1×), met on the fastest samples only (medians: 0.67×)');
  });
});
