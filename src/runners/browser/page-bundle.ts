/**
 * The page's script, page-entry.ts and what it imports (measure.ts, the timing protocol, the
 * page runner), bundled for the browser by esbuild in memory, once per process: the page runs the
 * very code a Node row is timed with. onnxruntime-web is not in it: the page imports ORT-web's own
 * browser build from the static server (page-runner.ts).
 */
import { join } from 'node:path';
import { packageRoot } from '../../package-root.ts';

let bundle: Promise<Uint8Array> | undefined;

export const PAGE_HTML = new TextEncoder().encode('<!doctype html>\n<meta charset="utf-8">\n<title>melbench</title>\n<script type="module" src="page.mjs"></script>\n');

export function pageScript(): Promise<Uint8Array> {
  bundle ??= (async () => {
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [join(packageRoot(), 'src/runners/browser/page-entry.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    });
    return out.outputFiles[0].contents;
  })();
  return bundle;
}
