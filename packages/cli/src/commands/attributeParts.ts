/**
 * `pathgrad attribute --shard i/n` part files and `pathgrad attribute merge`.
 *
 * The inputs are explained block by block (block k = examples [k·B, (k+1)·B), its random
 * draws seeded with seed + k), so an example's attributions do not depend on which process
 * computed it. A shard covers a contiguous range of blocks and writes two files into the
 * parts folder: `part-IIIII-of-NNNNN.npy` (its rows of the attributions) and
 * `part-IIIII-of-NNNNN.json` (the manifest: the run's settings, the model by sha256, the
 * rows and example names it covers, targets, deltas, the .npy's sha256, and a checksum of
 * the manifest itself). `merge` checks every part against the others (same settings, same
 * model bytes, shards that tile the data exactly once, files that hash to what their
 * manifests say) and concatenates the rows, so the merged .npy is byte-identical to the
 * one-pass run's.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { concat, readNpy, writeNpy, type Tensor } from '@pathgrad/tensor';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../files.js';

/** Everything that decides the numbers of an attribute run: parts merge only when these agree. */
export interface AttributeRunSettings {
  method: string;
  options: Record<string, unknown>;
  dtype: string;
  target: string;
  input: string;
  seed: number;
  blockSize: number;
  backend: string;
  /** sha256 of the model's bytes (the file, or the shipped weights) and its architecture. */
  model: { sha256: string; arch: string | null };
  /** Examples in the whole input. */
  examples: number;
}

/** A part's manifest (`part-IIIII-of-NNNNN.json`). */
export interface AttributePartManifest {
  format: 'pathgrad-attribute-part';
  version: 1;
  settings: AttributeRunSettings;
  /** The model as the user named it (informational: parts are matched by sha256). */
  modelPath: string;
  shard: { index: number; count: number; blocks: [number, number]; rows: [number, number] };
  names: string[];
  targets: number[];
  delta: number[] | null;
  evaluations: number;
  npy: { file: string; sha256: string; shape: number[]; dtype: string };
  /** sha256 of this manifest's JSON without the checksum field. */
  checksum: string;
}

/**
 * The sha256 hex digest of some bytes.
 * @example
 * ```ts
 * sha256Hex(new TextEncoder().encode('abc')).slice(0, 8); // 'ba7816bf'
 * ```
 */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function manifestChecksum(m: Omit<AttributePartManifest, 'checksum'>): string {
  return sha256Hex(JSON.stringify(m));
}

/**
 * The base name of shard `index` of `count` in a parts folder (zero-padded so `ls` lists
 * them in order).
 * @example
 * ```ts
 * partBaseName(2, 4); // 'part-00002-of-00004'
 * ```
 */
export function partBaseName(index: number, count: number): string {
  return `part-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;
}

/**
 * Writes one shard's rows and manifest into `folder` (created if missing; each file is
 * written beside its final name and renamed, so a killed task leaves no partial part).
 * @example
 * ```ts
 * writeAttributePart('parts', { settings, modelPath: 'cnn', shard, names, targets, delta: null, evaluations: 64 }, attributions);
 * ```
 */
export function writeAttributePart(folder: string, manifest: Omit<AttributePartManifest, 'format' | 'version' | 'npy' | 'checksum'>, attributions: Tensor): string {
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    throw new UsageError(`--out ${folder}: with --shard, --out is the parts folder, but ${folder} is a file`);
  }
  const base = partBaseName(manifest.shard.index, manifest.shard.count);
  const npyBytes = writeNpy(attributions);
  const body: Omit<AttributePartManifest, 'checksum'> = {
    format: 'pathgrad-attribute-part',
    version: 1,
    ...manifest,
    npy: { file: `${base}.npy`, sha256: sha256Hex(npyBytes), shape: [...attributions.shape], dtype: attributions.dtype },
  };
  const full: AttributePartManifest = { ...body, checksum: manifestChecksum(body) };
  writeFileAtomic(join(folder, `${base}.npy`), npyBytes);
  // the manifest last: a part counts only once both files are complete
  writeFileAtomic(join(folder, `${base}.json`), JSON.stringify(full));
  return join(folder, `${base}.json`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIntPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0) && (v[0] as number) <= (v[1] as number);
}

/** Reads and checks one manifest; every failure names the file and the field. */
function readManifest(file: string): AttributePartManifest {
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`attribute merge: cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const bad = (field: string, why: string): never => {
    throw new UsageError(`attribute merge: ${file}: ${field} ${why}`);
  };
  if (!isRecord(m) || m['format'] !== 'pathgrad-attribute-part') bad('format', "is not 'pathgrad-attribute-part' (not a part written by pathgrad attribute --shard)");
  const r = m as Record<string, unknown>;
  if (r['version'] !== 1) bad('version', `must be 1, got ${JSON.stringify(r['version'])}`);
  if (typeof r['checksum'] !== 'string') bad('checksum', 'is missing');
  const { checksum, ...body } = r;
  if (manifestChecksum(body as Omit<AttributePartManifest, 'checksum'>) !== checksum) bad('checksum', 'does not match the manifest (the file was changed after it was written)');
  if (!isRecord(r['settings'])) bad('settings', 'is missing');
  const s = r['settings'] as Record<string, unknown>;
  if (!Number.isSafeInteger(s['examples']) || (s['examples'] as number) < 1) bad('settings.examples', 'must be a positive integer');
  if (!Number.isSafeInteger(s['blockSize']) || (s['blockSize'] as number) < 1) bad('settings.blockSize', 'must be a positive integer');
  if (!isRecord(s['model']) || typeof (s['model'] as Record<string, unknown>)['sha256'] !== 'string') bad('settings.model.sha256', 'is missing');
  const shard = r['shard'];
  if (!isRecord(shard)) bad('shard', 'is missing');
  const sh = shard as Record<string, unknown>;
  if (!Number.isSafeInteger(sh['count']) || (sh['count'] as number) < 1) bad('shard.count', 'must be a positive integer');
  if (!Number.isSafeInteger(sh['index']) || (sh['index'] as number) < 0 || (sh['index'] as number) >= (sh['count'] as number)) bad('shard.index', 'must be in 0..count-1');
  if (!isIntPair(sh['blocks'])) bad('shard.blocks', 'must be [first, end)');
  if (!isIntPair(sh['rows'])) bad('shard.rows', 'must be [first, end)');
  const [r0, r1] = sh['rows'] as [number, number];
  const rows = r1 - r0;
  if (!Array.isArray(r['names']) || r['names'].length !== rows) bad('names', `must list ${rows} examples`);
  if (!Array.isArray(r['targets']) || r['targets'].length !== rows || !r['targets'].every((t) => Number.isSafeInteger(t))) bad('targets', `must be ${rows} integers`);
  if (r['delta'] !== null && (!Array.isArray(r['delta']) || r['delta'].length !== rows || !r['delta'].every((d) => typeof d === 'number'))) bad('delta', `must be null or ${rows} numbers`);
  const npy = r['npy'];
  if (!isRecord(npy) || typeof npy['file'] !== 'string' || typeof npy['sha256'] !== 'string' || !Array.isArray(npy['shape'])) bad('npy', 'must name the rows file, its sha256 and shape');
  const n = npy as Record<string, unknown>;
  if (basename(n['file'] as string) !== n['file']) bad('npy.file', 'must be a file name in the parts folder');
  if ((n['shape'] as number[])[0] !== rows) bad('npy.shape', `must start with the part's ${rows} rows`);
  return m as AttributePartManifest;
}

function manifestFiles(inputs: string[]): string[] {
  const files: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new UsageError(`attribute merge: ${p} does not exist`);
    if (statSync(p).isDirectory()) {
      const found = readdirSync(p).filter((f) => /^part-\d+-of-\d+\.json$/.test(f)).sort();
      if (found.length === 0) throw new UsageError(`attribute merge: ${p} holds no part manifests (part-*-of-*.json written by pathgrad attribute --shard)`);
      files.push(...found.map((f) => join(p, f)));
    } else {
      if (extname(p).toLowerCase() !== '.json') throw new UsageError(`attribute merge: give the parts folder or the part-*.json manifests, got ${p}`);
      files.push(p);
    }
  }
  return files;
}

/** Parts checked against each other and sorted by row; the merged arrays. */
export interface MergedAttributions {
  settings: AttributeRunSettings;
  attributions: Tensor;
  names: string[];
  targets: number[];
  delta: number[] | null;
  /** Gradient evaluations per example (the same in every part). */
  evaluations: number;
  parts: number;
}

/**
 * Reads, checks and concatenates the parts named by `inputs` (folders and/or manifests).
 * Refuses a part that is damaged, computed with other settings or another model, given
 * twice, overlapping another, or missing.
 * @example
 * ```ts
 * const { attributions } = mergeAttributeParts(['parts/']);
 * ```
 */
export function mergeAttributeParts(inputs: string[]): MergedAttributions {
  if (inputs.length === 0) throw new UsageError('attribute merge: give the parts folder, e.g. pathgrad attribute merge parts/ --out attributions.npy');
  const files = manifestFiles(inputs);
  const parts = files.map((file) => ({ file, m: readManifest(file) }));
  const first = parts[0]!;
  const key = JSON.stringify(first.m.settings);
  for (const { file, m } of parts) {
    if (m.settings.model.sha256 !== first.m.settings.model.sha256) {
      throw new UsageError(`attribute merge: ${file}: settings.model.sha256 differs from ${first.file} (the parts were computed with different model files)`);
    }
    if (JSON.stringify(m.settings) !== key) {
      const a = m.settings as unknown as Record<string, unknown>;
      const b = first.m.settings as unknown as Record<string, unknown>;
      const field = Object.keys({ ...a, ...b }).find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])) ?? '?';
      throw new UsageError(`attribute merge: ${file}: settings.${field} differs from ${first.file} (${JSON.stringify(a[field])} vs ${JSON.stringify(b[field])})`);
    }
    if (m.shard.count !== first.m.shard.count) throw new UsageError(`attribute merge: ${file}: shard.count ${m.shard.count} differs from ${first.file}'s ${first.m.shard.count}`);
  }
  const { examples, blockSize } = first.m.settings;
  const blocks = Math.ceil(examples / blockSize);
  parts.sort((p, q) => p.m.shard.rows[0] - q.m.shard.rows[0] || p.m.shard.index - q.m.shard.index);
  let next = 0;
  for (let i = 0; i < parts.length; i++) {
    const { file, m } = parts[i]!;
    const [b0, b1] = m.shard.blocks;
    const [r0, r1] = m.shard.rows;
    if (r0 !== b0 * blockSize || r1 !== Math.min(b1 * blockSize, examples) || b1 > blocks) {
      throw new UsageError(`attribute merge: ${file}: shard.rows [${r0}, ${r1}) do not match its blocks [${b0}, ${b1}) of ${blockSize} examples`);
    }
    if (i > 0 && parts[i - 1]!.m.shard.index === m.shard.index) throw new UsageError(`attribute merge: ${file} and ${parts[i - 1]!.file} are the same shard ${m.shard.index} (given twice)`);
    if (r0 < next) throw new UsageError(`attribute merge: ${file} (rows ${r0}-${r1 - 1}) overlaps ${parts[i - 1]!.file}`);
    if (r0 > next) throw new UsageError(`attribute merge: rows ${next}-${r0 - 1} are in no part (a shard is missing; resubmit it and merge again)`);
    next = r1;
  }
  if (next !== examples) throw new UsageError(`attribute merge: rows ${next}-${examples - 1} are in no part (a shard is missing; resubmit it and merge again)`);

  const tensors = parts.map(({ file, m }) => {
    const npyPath = join(file, '..', m.npy.file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(npyPath));
    } catch (e) {
      throw new UsageError(`attribute merge: ${file}: npy.file ${npyPath} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (sha256Hex(bytes) !== m.npy.sha256) throw new UsageError(`attribute merge: ${npyPath}: its sha256 does not match npy.sha256 in ${file} (damaged or replaced)`);
    const t = readNpy(bytes);
    if (JSON.stringify(t.shape) !== JSON.stringify(m.npy.shape) || t.dtype !== m.npy.dtype) throw new UsageError(`attribute merge: ${npyPath}: shape/dtype differ from ${file}`);
    return t;
  });
  const feature = JSON.stringify(tensors[0]!.shape.slice(1));
  tensors.forEach((t, i) => {
    if (JSON.stringify(t.shape.slice(1)) !== feature || t.dtype !== tensors[0]!.dtype) throw new UsageError(`attribute merge: ${parts[i]!.file}: rows of shape [${t.shape.slice(1).join(', ')}] ${t.dtype} do not match the other parts`);
  });
  const hasDelta = parts[0]!.m.delta !== null;
  return {
    settings: first.m.settings,
    attributions: tensors.length === 1 ? tensors[0]! : concat(tensors, 0),
    names: parts.flatMap(({ m }) => m.names),
    targets: parts.flatMap(({ m }) => m.targets),
    delta: hasDelta ? parts.flatMap(({ m, file }) => {
      if (m.delta === null) throw new UsageError(`attribute merge: ${file}: delta is null while other parts have it`);
      return m.delta;
    }) : null,
    evaluations: first.m.evaluations,
    parts: parts.length,
  };
}
