/**
 * The relaxed-SIMD kernels (GEMM multiply-adds as f32x4.relaxed_madd): Node 20 has relaxed
 * SIMD only behind --experimental-wasm-relaxed-simd, so these run relaxed-child.ts in a
 * child Node with the flag (and once with PATHGRAD_WASM_RELAXED_SIMD=0). The tolerance is the
 * dot product's forward error bound, not a number fitted to the output (see the child).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

function child(env: Record<string, string> = {}) {
  const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', join(here, 'relaxed-child.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as {
    mode: string;
    note: string;
    cases: Record<string, number>;
    bitsEqualAcrossThreads: Record<string, boolean>;
  };
}

describe('wasm relaxed SIMD', () => {
  it('is picked where the engine has it, and its GEMM-based kernels stay within the float32 dot-product error bound', () => {
    const r = child();
    expect(r.mode).toBe('relaxed-simd');
    expect(r.note).toMatch(/fused with relaxed SIMD/);
    expect(Object.keys(r.cases).length).toBe(9);
    for (const [name, ratio] of Object.entries(r.cases)) expect(ratio, name).toBeLessThanOrEqual(1);
    // each chunk runs the same kernel on its own rows or columns: threads change no bit
    for (const [name, same] of Object.entries(r.bitsEqualAcrossThreads)) expect(same, name).toBe(true);
  }, 150_000);

  it('PATHGRAD_WASM_RELAXED_SIMD=0 keeps the plain SIMD kernels and says why', () => {
    const r = child({ PATHGRAD_WASM_RELAXED_SIMD: '0' });
    expect(r.mode).toBe('simd');
    expect(r.note).toMatch(/turned off by PATHGRAD_WASM_RELAXED_SIMD=0/);
    for (const [name, ratio] of Object.entries(r.cases)) expect(ratio, name).toBeLessThanOrEqual(1);
  }, 150_000);
});
