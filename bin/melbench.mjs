#!/usr/bin/env node
// Entry point: runs the compiled bundle dist/cli.mjs, built first by bin/build.mjs (esbuild, well
// under a second) when it is missing or older than a source file. MELBENCH_TSX=1 runs the
// TypeScript sources through tsx instead, as does a failed build (with one line saying why).
import { pathToFileURL } from 'node:url';
import { build, CLI, isFresh } from './build.mjs';

async function entry() {
  if (process.env.MELBENCH_TSX === '1') return undefined;
  if (isFresh()) return CLI;
  try {
    await build();
    return CLI;
  } catch (e) {
    process.stderr.write(`melbench: warning: cannot compile to dist/ (${String(e?.message ?? e).split('\n')[0]}); running the TypeScript sources through tsx (slower start)\n`);
    return undefined;
  }
}

const cli = await entry();
let main;
if (cli) ({ main } = await import(pathToFileURL(cli).href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
