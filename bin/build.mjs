// Compiles melbench to dist/: one esbuild bundle per process entry (the CLI and its two workers),
// npm packages left external. Run by bin/melbench.mjs whenever dist/ is missing or older than a
// source file (so `npm ci && npx melbench` needs no build step and no install script), and by
// `npm run build`. Files are written under temporary names and renamed over the old ones, the CLI
// last, so a process started during a build sees either the old bundle or the whole new one.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(root, 'dist');
export const CLI = join(DIST, 'cli.mjs');
const ENTRIES = { 'isolate-worker': 'src/runners/isolate-worker.ts', 'interleave-worker': 'src/sweep/interleave-worker.ts', cli: 'src/cli.ts' };

/** The newest modification time of any source the bundles are built from (ms). */
function newestSource() {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  return Math.max(newest, statSync(fileURLToPath(import.meta.url)).mtimeMs);
}

/** Whether every bundle exists and is newer than every source. */
export function isFresh() {
  let oldest = Infinity;
  for (const name of Object.keys(ENTRIES)) {
    try {
      oldest = Math.min(oldest, statSync(join(DIST, `${name}.mjs`)).mtimeMs);
    } catch {
      return false;
    }
  }
  return oldest >= newestSource();
}

export async function build() {
  const { build: esbuild } = await import('esbuild');
  const tmp = join(DIST, `.build-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await esbuild({
      absWorkingDir: root,
      entryPoints: ENTRIES,
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    // NOTE: the CLI last: a fresh cli.mjs implies fresh workers.
    for (const name of Object.keys(ENTRIES)) {
      renameSync(join(tmp, `${name}.mjs.map`), join(DIST, `${name}.mjs.map`));
      renameSync(join(tmp, `${name}.mjs`), join(DIST, `${name}.mjs`));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
