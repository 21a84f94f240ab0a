/**
 * CPU-profile breakdown: reads a V8 `.cpuprofile` (written by `node --cpu-prof`, or returned
 * by the inspector's Profiler.stop) and charges each sample's self time to a category by the
 * source file and function it ran in. Builtins without a URL (TypedArray.set, Math.*) are
 * charged to their nearest caller that has one.
 */
import { readFileSync } from 'node:fs';

/** A V8 CPU profile (the `.cpuprofile` JSON). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; functionName: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where the time went, in ms per category, plus the heaviest functions. */
export interface Breakdown {
  totalMs: number;
  byCategory: Record<Category, number>;
  top: { fn: string; where: string; category: Category; ms: number }[];
}

/** The categories the docs name. */
export type Category = 'kernels' | 'copies' | 'allocation' | 'gc' | 'tape' | 'attribution' | 'opLayer' | 'other';
export const CATEGORIES: Category[] = ['kernels', 'copies', 'allocation', 'gc', 'tape', 'attribution', 'opLayer', 'other'];

const COPY_FNS = new Set(['copyIn', 'copyOut', 'copyBlock', 'materialize', 'toTypedArray', 'contiguous', 'toFloat64', 'forEachOffset', 'fromFlat']);
const ALLOC_FNS = new Set(['allocate', 'Tensor', 'zeros', 'ones', 'full', 'alloc', 'allocF32', 'commit', 'grow']);

/** The category of one frame. */
export function categoryOf(url: string, fn: string): Category {
  if (fn === '(garbage collector)') return 'gc';
  if (url.startsWith('wasm://')) return 'kernels';
  if (COPY_FNS.has(fn)) return 'copies';
  if (ALLOC_FNS.has(fn)) return 'allocation';
  if (url.includes('/packages/autograd/')) return 'tape';
  if (url.includes('/packages/attribution/')) return 'attribution';
  if (url.includes('/packages/tensor/src/kernels/') || url.includes('/packages/tensor/src/gpujs') || url.includes('/packages/tensor/src/wasm/kernels')) return 'kernels';
  if (url.includes('/packages/tensor/') || url.includes('/packages/nn/')) return 'opLayer';
  return 'other';
}

/** Breaks a profile down; `keep(url)` can drop frames that are not the measured work (start-up). */
export function breakdown(profile: CpuProfile, keep: (url: string) => boolean = () => true): Breakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = (id: number) => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n && (n.callFrame.url !== '' || n.callFrame.functionName === '(garbage collector)')) return n;
    }
    return undefined;
  };
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const byFn = new Map<string, { fn: string; where: string; category: Category; ms: number }>();
  let totalMs = 0;
  profile.samples.forEach((id, k) => {
    const n = owner(id);
    if (!n || n.callFrame.url.startsWith('node:') || !keep(n.callFrame.url)) return;
    const dt = (profile.timeDeltas[k] ?? 0) / 1000;
    const { url, functionName } = n.callFrame;
    const cat = categoryOf(url, functionName);
    byCategory[cat] += dt;
    totalMs += dt;
    const where = url.replace(/^.*\/packages\//, '').replace(/^file:\/\/.*\/node_modules\//, '');
    const key = `${functionName}@${where}`;
    const e = byFn.get(key) ?? { fn: functionName || '(anonymous)', where, category: cat, ms: 0 };
    e.ms += dt;
    byFn.set(key, e);
  });
  const top = [...byFn.values()].sort((a, b) => b.ms - a.ms).slice(0, 15);
  return { totalMs, byCategory, top };
}

/** Reads a `.cpuprofile` file. */
export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** Samples a CPU profile (the same V8 sampler as `node --cpu-prof`) over `iterations` calls of `fn`. */
export async function profileFn(fn: () => void, iterations: number): Promise<CpuProfile> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let i = 0; i < iterations; i++) fn();
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  return profile;
}

/** `kernels 56.4%, copies 2.0%, …` */
export function shareLine(b: Breakdown): string {
  return CATEGORIES.map((c) => `${c} ${((100 * b.byCategory[c]) / Math.max(b.totalMs, 1e-9)).toFixed(1)}%`).join(', ');
}
