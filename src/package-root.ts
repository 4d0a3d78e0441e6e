/**
 * melbench's own folder (where its package.json is), found by walking up from this module: the
 * same answer whether the code runs from src/ through tsx or from the compiled bundle in dist/
 * (bin/melbench.mjs), where relative paths like '../..' would point somewhere else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'melbench') return (root = dir);
    if (dirname(dir) === dir) throw new Error(`melbench's package.json was not found above ${fileURLToPath(import.meta.url)}`);
  }
}

/** True when running from the compiled bundle (dist/*.mjs), false from the TypeScript sources. */
export const compiled = !import.meta.url.endsWith('.ts');
