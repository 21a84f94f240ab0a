/**
 * Long commands say how far they are and how long is left; `--quiet` silences that (errors
 * still print, on one line); evaluate's means say how many examples they cover.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatDuration, setQuiet, startProgress } from '../src/progress.js';
import { pathgrad } from './helpers.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => out };
}

describe('startProgress', () => {
  it('writes a line per step with the time left, off a terminal', () => {
    const s = sink();
    const p = startProgress('work', 4, s.stream, 0);
    p.tick(1, 'a');
    p.tick(3, 'b');
    p.stop();
    const lines = s.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^work: 1\/4 \(a\), \d+ s so far, about \d+ s left$/);
    expect(lines[1]).toMatch(/^work: 4\/4 \(b\), \d+ s so far$/);
  });

  it('prints nothing when quiet', () => {
    const s = sink();
    setQuiet(true);
    try {
      const p = startProgress('work', 2, s.stream, 0);
      p.tick(2);
      p.stop();
    } finally {
      setQuiet(false);
    }
    expect(s.text()).toBe('');
  });

  it('formats durations', () => {
    expect([formatDuration(5), formatDuration(65), formatDuration(3725), formatDuration(Number.NaN)]).toEqual(['5 s', '1 min 05 s', '1 h 02 min', '?']);
  });
});

describe('the command line', () => {
  it('attribute --quiet prints nothing but still fails with one line', () => {
    const ok = pathgrad(['attribute', '--model', 'mlp', '--input', 'mnist:test:0-3', '--method', 'saliency', '--quiet']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('');
    const bad = pathgrad(['attribute', '--model', 'mlp', '--input', 'mnist:test:0-3', '--method', 'salincy', '--quiet']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('attribute shows its progress and which class it explained', () => {
    const r = pathgrad(['attribute', '--model', 'mlp', '--input', 'mnist:test:0-2', '--method', 'saliency', '--target', 'label']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^saliency: 3\/3 \(block 1\/1\)/m);
    expect(r.stderr).toContain('explained class (the true label): mnist test #0: 7, mnist test #1: 2, mnist test #2: 1');
  });

  it('evaluate refuses a pixels-per-step that does not divide the image and says how many examples a mean covers', () => {
    const bad = pathgrad(['evaluate', '--model', 'cnn', '--input', 'mnist:test:0-1', '--pixels-per-step', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/--pixels-per-step 5 must divide the 784 pixels/);
    const r = pathgrad(['evaluate', '--model', 'cnn', '--input', 'mnist:test:0-3', '--methods', 'saliency', '--metrics', 'deletion,sic', '--backend', 'cpu', '--out', 'm']);
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('saliency'))!;
    const sic = row.split('\t')[2]!;
    // PIC skips an image whose blurred version is not less informative or less predicted; the
    // mean must then say over how many images it was taken
    if (/\(\d+\/4\)$/.test(sic)) expect(r.stdout).toContain('(k/n): the mean covers k of n examples');
    else expect(sic).toMatch(/^\d+\.\d{4}$/);
    expect(r.stderr).toMatch(/backend cpu/);
  });
});
