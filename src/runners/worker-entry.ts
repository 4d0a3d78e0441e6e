/**
 * How to fork one of melbench's child processes (the isolate and interleave workers): from the
 * TypeScript sources through tsx's loader, or, when melbench runs from its compiled bundle
 * (bin/melbench.mjs -> dist/cli.mjs), the worker's own bundle in dist/ with no loader at all.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiled, packageRoot } from '../package-root.ts';

export interface WorkerEntry {
  /** The file to fork. */
  path: string;
  /** The child's Node options. */
  execArgv: string[];
}

/** `source` is the worker's path under src/, e.g. 'runners/isolate-worker.ts'; its bundle is dist/<base>.mjs. */
export function workerEntry(source: string): WorkerEntry {
  const root = packageRoot();
  if (compiled) return { path: join(root, 'dist', `${source.split('/').at(-1)!.replace(/\.ts$/, '')}.mjs`), execArgv: [] };
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return { path: join(root, 'src', source), execArgv: ['--import', tsx] };
}
