/**
 * Re-makes the pictures the tutorials show (docs/tutorials/images/*.png) by running the
 * tutorials' own `ts example` blocks from that folder: each block writes its PNG next to
 * itself (`new URL('name.png', import.meta.url)`), so the pictures are exactly what the
 * examples draw. Run from the repository root: `npx tsx docs/tutorials/pictures.ts`.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'images');
mkdirSync(out, { recursive: true });

for (const file of readdirSync(here).filter((f) => f.endsWith('.md')).sort()) {
  const blocks = readFileSync(join(here, file), 'utf8').match(/^```ts example\n[\s\S]*?^```$/gm) ?? [];
  for (const [i, block] of blocks.entries()) {
    if (!block.includes('encodePNG')) continue; // only the blocks that draw
    const script = join(out, `.${file.replace(/\.md$/, '')}-${i}.ts`);
    writeFileSync(script, `const console = { log() {} };\n${block.split('\n').slice(1, -1).join('\n')}\nexport {};\n`);
    try {
      await import(pathToFileURL(script).href);
    } finally {
      rmSync(script);
    }
    console.log(`${file} block ${i + 1}: done`);
  }
}
console.log(`pictures in ${out}:`, readdirSync(out).filter((f) => f.endsWith('.png')).join(', '));
