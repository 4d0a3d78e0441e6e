/**
 * The headless Chromium a browser runtime runs in: Debian's /usr/bin/chromium (or `--browser
 * <path>`), driven by playwright-core, never a downloaded browser (`npx playwright install` cannot
 * work offline). The flags are ../shared/ENVIRONMENT.md's: no sandbox (CI runs as root), nothing
 * that reaches the network by itself, plus each runtime's own:
 * - browser-webgpu: `--enable-unsafe-webgpu`, which gives headless Linux its WebGPU adapter
 *   (SwiftShader where there is no GPU);
 * - browser-webnn: the feature flag behind which Chromium builds put `navigator.ml`.
 *
 * Playwright's own signal handlers are off, so melbench's (cli.ts) decides: it closes the static
 * server (children.ts) and exits; playwright-core kills the browsers it launched when the process
 * exits, whatever the reason.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { errorLine } from '../../errors.ts';
import type { BrowserRuntimeName } from '../contract.ts';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const BASE_FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

/** The flag that exposes WebNN's `navigator.ml` in Chromium builds that have it. */
export const WEBNN_FLAG = '--enable-features=WebMachineLearningNeuralNetwork';

export const RUNTIME_FLAGS: Record<BrowserRuntimeName, readonly string[]> = {
  'browser-wasm': [],
  'browser-webgpu': ['--enable-unsafe-webgpu'],
  'browser-webnn': [WEBNN_FLAG],
};

export interface LaunchedBrowser {
  browser: Browser;
  /** e.g. 'chromium 156.0.8078.129' */
  version: string;
  flags: readonly string[];
  launchMs: number;
}

/** Why the browser at `path` cannot be used, or undefined when it is there. */
export function missingBrowser(path: string, exists: (path: string) => boolean = existsSync): string | undefined {
  if (exists(path)) return undefined;
  return path === DEFAULT_CHROMIUM ? `chromium not found at ${DEFAULT_CHROMIUM} (apt-get install chromium)` : `browser not found at ${path} (--browser takes the path of a Chromium or Chrome executable)`;
}

/** Launches headless Chromium for `runtime`; throws an Error whose message says why it could not. */
export async function launchChromium(runtime: BrowserRuntimeName, path: string): Promise<LaunchedBrowser> {
  const missing = missingBrowser(path);
  if (missing) throw new Error(missing);
  const { chromium } = await import('playwright-core');
  const flags = [...BASE_FLAGS, ...RUNTIME_FLAGS[runtime]];
  const start = performance.now();
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: path, args: flags, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, timeout: 60_000 });
  } catch (e) {
    throw new Error(`${path} did not start: ${errorLine(e)}`);
  }
  const launchMs = performance.now() - start;
  return { browser, version: `chromium ${browser.version()}`, flags, launchMs };
}
