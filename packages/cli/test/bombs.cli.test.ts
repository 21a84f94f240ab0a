/**
 * The small files of the issue that used to take the machine down, run through the real
 * `pathgrad` bin: each ends within seconds, in exit 2 with one line naming the file and the
 * limit (or, for the legitimate 65535 x 1 image, succeeds just as quickly), and the process
 * stays well under 1.5 GB (peak RSS measured by /usr/bin/time where the system has it).
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { A, node, onnxBytes } from '../../nn/test/onnx-builders.js';
import { bin, inPool, tempDir } from './helpers.js';

const dir = tempDir();
const p = (name: string): string => join(dir, name);
const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** A gray 8-bit PNG with any header size and the given (compressed) pixel data. */
function png(width: number, height: number, idat: Uint8Array): Uint8Array {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    let c = 0xffffffff;
    for (const b of out.subarray(4, 8 + data.length)) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
    out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

interface Case {
  name: string;
  args: string[];
  /** The one stderr line (refusals), or undefined for a call that must succeed. */
  line?: RegExp;
}

const att = (model: string, input: string): string[] => ['attribute', '--model', model, '--input', input, '--method', 'saliency', '--target', '0', '--out', p(`out-${Math.random().toString(36).slice(2)}.npy`)];

const cases: Case[] = [
  { name: 'a 1.3 KB chain of doubling Concat nodes', args: att(p('concat.onnx'), 'mnist:test:0'), line: /concat\.onnx|double_\d+.*maxTensorElements/ },
  { name: 'a 113-byte Transpose+Add graph broadcasting to [30000, 30000]', args: att(p('transpose-add.onnx'), 'mnist:test:0'), line: /\[30000, 30000\].*limit/ },
  { name: 'broadcast to [1e6, 1e6]', args: att(p('broadcast-1e6.onnx'), 'mnist:test:0'), line: /\[1000000, 1000000\]/ },
  { name: 'Conv pads of 1e6', args: att(p('conv-pads.onnx'), 'mnist:test:0'), line: /pads \[1000000/ },
  { name: 'a ~190 KB chain of 1000 convolutions sharing one weight (minutes of CPU)', args: att(p('conv-chain.onnx'), 'mnist:test:0'), line: /conv_594.*multiply-adds per example/ },
  { name: 'a 65535 x 1 PNG (legitimate: succeeds quickly)', args: att('mlp', p('wide.png')) },
  { name: 'a PNG of width 0 and height 2^31-1', args: att('mlp', p('flat.png')), line: /flat\.png.*0 x 2147483647/ },
  { name: 'an 8000 x 8000 PNG', args: att('mlp', p('huge.png')), line: /huge\.png.*8000 x 8000.*PATHGRAD_MAX_IMAGE_PIXELS/ },
];

interface Outcome {
  code: number | null;
  stderr: string;
  seconds: number;
  /** Peak resident memory in bytes, when /usr/bin/time measured it. */
  peakRss?: number;
}

function run(args: string[]): Promise<Outcome> {
  const start = performance.now();
  const [cmd, argv] = hasTime ? [TIME, ['-f', 'peak-kb %M', process.execPath, bin, ...args]] : [process.execPath, [bin, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: dir, env: { ...process.env, FORCE_COLOR: '0' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /peak-kb (\d+)/.exec(stderr);
      const rest = stderr.replace(/.*peak-kb \d+\n?/, '').replace(/Command exited with non-zero status \d+\n?/, '');
      resolve({ code, stderr: rest, seconds: (performance.now() - start) / 1000, peakRss: m ? Number(m[1]) * 1024 : undefined });
    });
  });
}

const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  const chain: object[] = [];
  for (let i = 0; i < 30; i++) chain.push(node('Concat', [i === 0 ? 'x' : `c${i - 1}`, i === 0 ? 'x' : `c${i - 1}`], [i === 29 ? 'y' : `c${i}`], [A.int('axis', 1)], `double_${i}`));
  writeFileSync(p('concat.onnx'), onnxBytes({ nodes: chain, inputShape: ['N', 784] }));
  const transposeAdd = (n: number): Uint8Array => onnxBytes({ nodes: [node('Transpose', ['x'], ['t']), node('Add', ['x', 't'], ['y'])], inputShape: [n, 1] });
  writeFileSync(p('transpose-add.onnx'), transposeAdd(30000));
  writeFileSync(p('broadcast-1e6.onnx'), transposeAdd(1_000_000));
  const w = { name: 'w', dims: [1, 1, 3, 3], data_type: 1, raw_data: new Uint8Array(36) };
  writeFileSync(p('conv-pads.onnx'), onnxBytes({ nodes: [node('Conv', ['x', 'w'], ['y'], [A.ints('pads', [1e6, 1e6, 1e6, 1e6])])], initializers: [w], inputShape: ['N', 1, 28, 28] }));
  const convs: object[] = [];
  for (let i = 0; i < 1000; i++) convs.push(node('Conv', [i === 0 ? 'x' : `h${i - 1}`, 'k'], [i === 999 ? 'y' : `h${i}`], [A.ints('pads', [1, 1, 1, 1])], `conv_${i}`));
  const k = { name: 'k', dims: [64, 64, 3, 3], data_type: 1, raw_data: new Uint8Array(64 * 64 * 9 * 4) };
  writeFileSync(p('conv-chain.onnx'), onnxBytes({ nodes: convs, initializers: [k], inputShape: ['N', 64, 28, 28] }));
  writeFileSync(p('wide.png'), png(65535, 1, deflateSync(new Uint8Array(65536), { level: 9 })));
  writeFileSync(p('flat.png'), png(0, 2 ** 31 - 1, deflateSync(new Uint8Array(0))));
  writeFileSync(p('huge.png'), png(8000, 8000, deflateSync(new Uint8Array(8001 * 8000), { level: 9 })));
  await inPool(cases, 3, async (c) => {
    outcomes.set(c.name, await run(c.args));
  });
}, 240_000);

describe('resource bombs through the CLI: seconds, well under 1.5 GB, one clear line', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = outcomes.get(c.name)!;
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      if (c.line) {
        expect({ code: r.code, lines: lines.length }).toEqual({ code: 2, lines: 1 });
        expect(lines[0]).toMatch(c.line);
        expect(lines[0]).not.toMatch(/internal error|typed array/i);
      } else {
        expect(r.code, r.stderr).toBe(0);
      }
      // bounds against a hang or a huge allocation (start-up is about a second), not speed measurements
      expect(r.seconds).toBeLessThan(20);
      if (hasTime) expect(r.peakRss, 'peak RSS from /usr/bin/time').toBeLessThan(1.5e9 / 2);
    });
  }
});
