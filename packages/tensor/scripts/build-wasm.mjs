#!/usr/bin/env node
// Builds the `wasm` backend's kernels from the AssemblyScript sources in ../assembly with the
// `assemblyscript` compiler from npm, and writes src/wasm/kernels.generated.ts holding the
// module's bytes base64-encoded (no file IO at run time, works in browsers).
//
//   node scripts/build-wasm.mjs            rebuild src/wasm/kernels.generated.ts
//   node scripts/build-wasm.mjs --out F    write the generated module to F instead
//   node scripts/build-wasm.mjs --check    exit 1 if the committed module is out of date
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assemblyDir = join(root, 'assembly');
const defaultOut = join(root, 'src', 'wasm', 'kernels.generated.ts');

/** The compiler flags; part of the source hash so a flag change marks the module stale. */
export const ASC_FLAGS = ['-O3', '--enable', 'simd', '--runtime', 'stub', '--noAssert'];
/**
 * The threaded build: the same sources against an imported shared memory (up to 4 GiB), so
 * worker threads can run kernels on the same buffers (src/wasm/threads.ts).
 */
export const ASC_THREAD_FLAGS = [...ASC_FLAGS, '--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', '65536'];
/**
 * The relaxed-SIMD builds of both: the GEMM micro-kernels' multiply-adds become
 * f32x4.relaxed_madd (assembly/madd.ts), fused on CPUs with FMA. The runtime picks them only
 * where the engine validates them (Chrome 114+, Node 22+; Node 20 behind
 * --experimental-wasm-relaxed-simd).
 */
export const ASC_RELAXED_FLAGS = [...ASC_FLAGS, '--enable', 'relaxed-simd'];
export const ASC_RELAXED_THREAD_FLAGS = [...ASC_THREAD_FLAGS, '--enable', 'relaxed-simd'];

/** SHA-256 over the kernel sources (sorted by name), the flags and the compiler version. */
export function sourceHash() {
  const h = createHash('sha256');
  const files = readdirSync(assemblyDir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  for (const f of files) {
    h.update(f + '\0');
    h.update(readFileSync(join(assemblyDir, f)));
    h.update('\0');
  }
  h.update(ASC_FLAGS.join(' '));
  h.update('\0' + ASC_THREAD_FLAGS.join(' '));
  h.update('\0' + ASC_RELAXED_FLAGS.join(' '));
  h.update('\0' + ASC_RELAXED_THREAD_FLAGS.join(' '));
  h.update(asc.version);
  return h.digest('hex');
}

/** Compiles assembly/index.ts with `flags` and returns the wasm bytes. */
export async function compile(flags = ASC_FLAGS) {
  const outputs = new Map();
  const stderr = [];
  const { error } = await asc.main(
    [join(assemblyDir, 'index.ts'), '--outFile', 'kernels.wasm', ...flags],
    {
      writeFile: (name, contents) => void outputs.set(name, contents),
      stdout: { write: () => true },
      stderr: { write: (s) => (stderr.push(String(s)), true) },
    },
  );
  if (error) throw new Error(`asc failed: ${error.message}\n${stderr.join('')}`);
  const bytes = outputs.get('kernels.wasm');
  if (!bytes) throw new Error(`asc produced no kernels.wasm (got ${[...outputs.keys()].join(', ')})`);
  return new Uint8Array(bytes);
}

function base64Lines(bytes) {
  const lines = Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? [];
  return lines.map((l) => `  '${l}'`).join(' +\n');
}

/** The generated TypeScript module's text. */
export function render(bytes, threadBytes, relaxedBytes, relaxedThreadBytes, hash) {
  return `// GENERATED FILE, do not edit. Built from packages/tensor/assembly/*.ts by our own build
// script packages/tensor/scripts/build-wasm.mjs (AssemblyScript ${asc.version}, flags: ${ASC_FLAGS.join(' ')};
// threaded build: ${ASC_THREAD_FLAGS.join(' ')};
// relaxed-SIMD builds of both: the same flags plus --enable relaxed-simd).
// Rebuild with \`pnpm --filter @pathgrad/tensor build:wasm\`; test/wasm.test.ts checks it is up to date.

/** SHA-256 of the AssemblyScript sources, compiler flags and version this module was built from. */
export const KERNELS_SOURCE_HASH = '${hash}';

/** The kernels' WebAssembly module (${bytes.length} bytes), base64. */
export const KERNELS_WASM_BASE64 =
${base64Lines(bytes)};

/** The same kernels built against an imported shared memory, for worker threads (${threadBytes.length} bytes), base64. */
export const KERNELS_THREADS_WASM_BASE64 =
${base64Lines(threadBytes)};

/** The kernels with relaxed-SIMD fused multiply-adds in the GEMMs (${relaxedBytes.length} bytes), base64. */
export const KERNELS_RELAXED_WASM_BASE64 =
${base64Lines(relaxedBytes)};

/** The relaxed-SIMD kernels against an imported shared memory (${relaxedThreadBytes.length} bytes), base64. */
export const KERNELS_RELAXED_THREADS_WASM_BASE64 =
${base64Lines(relaxedThreadBytes)};
`;
}

async function main() {
  const args = process.argv.slice(2);
  const hash = sourceHash();
  if (args.includes('--check')) {
    const text = readFileSync(defaultOut, 'utf8');
    const ok = text.includes(`KERNELS_SOURCE_HASH = '${hash}'`);
    console.log(ok ? 'kernels.generated.ts is up to date' : 'kernels.generated.ts is STALE: run pnpm --filter @pathgrad/tensor build:wasm');
    process.exit(ok ? 0 : 1);
  }
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args[outIdx + 1] : defaultOut;
  if (!out) throw new Error('--out: expected a file path after it');
  const bytes = await compile(ASC_FLAGS);
  const threadBytes = await compile(ASC_THREAD_FLAGS);
  const relaxedBytes = await compile(ASC_RELAXED_FLAGS);
  const relaxedThreadBytes = await compile(ASC_RELAXED_THREAD_FLAGS);
  // validate before writing: a module that does not compile here must not be committed
  // (the relaxed ones need relaxed SIMD in this engine: test/wasm-relaxed.test.ts compiles
  // them in a Node with it)
  new WebAssembly.Module(bytes);
  new WebAssembly.Module(threadBytes);
  writeFileSync(out, render(bytes, threadBytes, relaxedBytes, relaxedThreadBytes, hash));
  console.log(`wrote ${relative(process.cwd(), out)} (${bytes.length} + ${threadBytes.length} + ${relaxedBytes.length} + ${relaxedThreadBytes.length} bytes of wasm)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
