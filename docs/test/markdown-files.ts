/** The user-facing markdown files the docs tests read: the root README, every package README and docs/**. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every user-facing markdown file under `root` (skipping hidden folders, the generated API
 * reference and node_modules).
 * @example
 * ```ts
 * markdownFiles(repoRoot).filter((f) => f.endsWith('README.md'));
 * ```
 */
export function markdownFiles(root: string): string[] {
  const files = [join(root, 'README.md')];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const readme = join(root, 'packages', pkg, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.startsWith('.') || name === 'api' || name === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) files.push(p);
    }
  };
  walk(join(root, 'docs'));
  return files;
}
