/**
 * Measurement in headless Chromium, Node's side: the browser runtimes' counterpart of isolate.ts.
 *
 * One browser per runtime (and browser path, and isolation) per process, started on first use and
 * kept until `closeBrowsers()` (the sweep's end), each with its own static server (static-server.ts)
 * that serves the page, its script (page-bundle.ts), that runtime's ORT-web files and, for each job,
 * the model. Each job gets a fresh browser context and page, so no cell inherits another's caches,
 * compiled WASM or GPU device. The page runs measure.ts itself (page-entry.ts) and hands back every
 * row as its batch ends, so the rows a page finished are kept whatever happens next.
 *
 * One-off costs: the first job on a browser adds the browser's start to its `runtimeInitMs`, and
 * every job adds its page's load (navigation until the script is ready) to it, so `runtime_init_ms`
 * is what a user's first visit would pay before session creation, and `session_create_ms` is only
 * the model's.
 *
 * Failures, like isolate.ts's: a page whose renderer dies gives `crashed` rows for the batches it
 * did not finish, a browser that exits gives `crashed` rows (and is started again for the next
 * job), a page that finishes no batch within `timeoutMs` gives `timeout` rows (its page is closed).
 * No Chromium gives `unavailable` rows that say where it was looked for.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { errorLine } from '../../errors.ts';
import { withoutEmptyTrailingInputs } from '../../export/onnx.ts';
import type { Availability, BrowserRuntimeName, RowStatus } from '../contract.ts';
import { feedsSha256 } from '../feed-sha256.ts';
import type { BatchResult, MeasureJob } from '../measure.ts';
import { DEFAULT_CHROMIUM, type LaunchedBrowser, launchChromium } from './chromium.ts';
import { PAGE_HTML, pageScript } from './page-bundle.ts';
import type { PageJob, PlainLoop } from './page-entry.ts';
import { BROWSER_PROVIDERS, ORT_FILES, ortBuildFile, type PageSetup } from './page-runner.ts';
import { type RunServer, serveRun } from './static-server.ts';

export interface BrowserOptions {
  /** Chromium or Chrome to drive; default /usr/bin/chromium. */
  executablePath?: string;
  /** Serve the page with COOP/COEP (the default), so it is cross-origin isolated; false: a site without them. */
  isolated?: boolean;
}

interface Host {
  launched: LaunchedBrowser;
  server: RunServer;
  /** The browser's start, charged to the first job only. */
  unpaidLaunchMs: number;
}

const hosts = new Map<string, Promise<Host>>();
let jobCount = 0;

const keyOf = (runtime: BrowserRuntimeName, o: BrowserOptions) => `${runtime}\n${o.executablePath ?? DEFAULT_CHROMIUM}\n${o.isolated !== false}`;

/** ORT-web's dist folder, where its browser builds are. */
function ortDist(): string {
  return dirname(fileURLToPath(import.meta.resolve('onnxruntime-web')));
}

const TYPES: Record<string, string> = { mjs: 'text/javascript; charset=utf-8', wasm: 'application/wasm' };

async function startHost(runtime: BrowserRuntimeName, o: BrowserOptions): Promise<Host> {
  const launched = await launchChromium(runtime, o.executablePath ?? DEFAULT_CHROMIUM);
  try {
    const dist = ortDist();
    const files = {
      'index.html': { body: PAGE_HTML, type: 'text/html; charset=utf-8' },
      'page.mjs': { body: await pageScript(), type: TYPES.mjs },
      ...Object.fromEntries(ORT_FILES[runtime].map((f) => [`ort/${f}`, { body: { path: join(dist, f) }, type: TYPES[f.split('.').at(-1)!] }])),
    };
    const server = await serveRun(files, { isolated: o.isolated !== false });
    launched.browser.once('disconnected', () => {
      hosts.delete(keyOf(runtime, o));
      void server.close();
    });
    // NOTE: one line per browser: which one runs the rows, and where its page is (tests find the server's port here).
    process.stderr.write(`melbench: ${runtime}: ${launched.version} started in ${Math.round(launched.launchMs)} ms; page at ${server.url('index.html')}${o.isolated === false ? ' (not cross-origin isolated)' : ''}\n`);
    return { launched, server, unpaidLaunchMs: launched.launchMs };
  } catch (e) {
    await launched.browser.close().catch(() => {});
    throw e;
  }
}

/** The browser of `runtime`, started once; a start that failed is tried again next time. */
function hostFor(runtime: BrowserRuntimeName, o: BrowserOptions): Promise<Host> {
  const key = keyOf(runtime, o);
  let h = hosts.get(key);
  if (!h) {
    h = startHost(runtime, o);
    hosts.set(key, h);
    h.catch(() => hosts.delete(key));
  }
  return h;
}

/** Closes every browser and server this process started. */
export async function closeBrowsers(): Promise<void> {
  const all = [...hosts.values()];
  hosts.clear();
  await Promise.all(
    all.map(async (h) => {
      const host = await h.catch(() => undefined);
      if (!host) return;
      await host.server.close();
      await host.launched.browser.close().catch(() => {});
    }),
  );
}

function setupFor(runtime: BrowserRuntimeName, host: Host, threads?: number): PageSetup {
  const ortUrl = host.server.url(`ort/${ortBuildFile(runtime)}`);
  return {
    runtime,
    ortUrl,
    wasmPrefix: ortUrl.slice(0, ortUrl.lastIndexOf('/') + 1),
    browser: host.launched.version,
    flags: host.launched.flags,
    ...(threads ? { threads } : {}),
  };
}

/** Milliseconds to wait for a page (or context) to close before the browser itself is closed. */
const CLOSE_GRACE_MS = 5000;

/** A fresh context and page on the host's browser, loaded until its script is ready; `loadMs` is that. */
async function openPage(host: Host, timeoutMs: number, onRow?: (row: BatchResult) => void): Promise<{ context: BrowserContext; page: Page; loadMs: number }> {
  const start = performance.now();
  const context = await host.launched.browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(timeoutMs);
    if (onRow) await page.exposeFunction('melbenchEmit', onRow);
    await page.goto(host.server.url('index.html'), { waitUntil: 'load', timeout: timeoutMs });
    await page.waitForFunction(() => 'melbench' in window, undefined, { timeout: timeoutMs });
    return { context, page, loadMs: performance.now() - start };
  } catch (e) {
    await closeContext(host, context);
    throw e;
  }
}

/** Closes a context; one that does not close in time (a renderer in a busy loop) takes its browser with it. */
async function closeContext(host: Host, context: BrowserContext): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    context.close().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS))),
  ]);
  clearTimeout(timer);
  if (!closed) await host.launched.browser.close().catch(() => {});
}

function placeholder(runtime: BrowserRuntimeName, reason?: string): Availability {
  return { ok: false, runtime, provider: BROWSER_PROVIDERS[runtime], version: 'unknown', ...(reason ? { reason } : {}) };
}

/** A browser runtime's availability as a fresh page sees it; never throws. */
export async function availableInBrowser(runtime: BrowserRuntimeName, options: BrowserOptions = {}, timeoutMs = 60_000): Promise<Availability> {
  let host: Host;
  try {
    host = await hostFor(runtime, options);
  } catch (e) {
    return placeholder(runtime, errorLine(e));
  }
  try {
    const { context, page } = await openPage(host, timeoutMs);
    try {
      return await page.evaluate((setup) => window.melbench.available(setup), setupFor(runtime, host));
    } finally {
      await closeContext(host, context);
    }
  } catch (e) {
    return placeholder(runtime, `${host.launched.version}: ${errorLine(e)}`);
  }
}

/** A row whose page hashed other input bytes than Node sent is an error: its numbers are not of this input. */
function checkReceived(job: MeasureJob, row: BatchResult): BatchResult {
  const feeds = job.batches.find((b) => b.batch === row.batch)?.feeds;
  const sent = feeds ? feedsSha256(feeds, Object.keys(feeds)) : undefined;
  if (row.receivedSha256 === sent) return row;
  return { ...row, status: 'error', error: `the page received other input bytes than were sent (sha256 ${row.receivedSha256 ?? 'none'}, sent ${sent})` };
}

type Outcome = { status: 'ok' } | { status: RowStatus; error: string };

/**
 * Runs `job` in a fresh page of its runtime's browser. Like runIsolated, it never throws for what
 * happens in the browser: finished rows are kept, the rest get a status and the reason.
 */
export async function runInBrowser(job: MeasureJob, options: BrowserOptions = {}): Promise<BatchResult[]> {
  const runtime = job.runtime as BrowserRuntimeName;
  const rows: BatchResult[] = [];
  const fill = (status: RowStatus, error: string) => {
    const availability = rows[0]?.availability ?? placeholder(runtime, error);
    for (const { batch } of job.batches.slice(rows.length)) rows.push({ batch, status, error, availability, sessionCreateMs: 0, fallbackNodes: null });
    return rows;
  };

  let host: Host;
  try {
    host = await hostFor(runtime, options);
  } catch (e) {
    return fill('unavailable', errorLine(e));
  }
  const launchMs = host.unpaidLaunchMs;
  host.unpaidLaunchMs = 0;
  const model = `model-${++jobCount}.onnx`;
  // NOTE: ORT-web's WebGPU Conv fails on an empty '' bias name; dropping it is exact (see webgpu-web.ts).
  host.server.add(model, { body: runtime === 'browser-webgpu' ? withoutEmptyTrailingInputs(job.modelBytes) : job.modelBytes, type: 'application/octet-stream' });

  let rearm = () => {};
  let settled = false;
  let opened: Awaited<ReturnType<typeof openPage>>;
  try {
    opened = await openPage(host, job.timeoutMs, (row) => {
      if (settled) return; // NOTE: a row that arrives after a timeout was given up on.
      rows.push(checkReceived(job, row));
      rearm();
    });
  } catch (e) {
    host.server.remove(model);
    return fill(host.launched.browser.isConnected() ? 'error' : 'crashed', `browser page did not load: ${errorLine(e)}`);
  }
  const { context, page, loadMs } = opened;
  const browser = host.launched.browser;
  const crashed: Outcome = { status: 'crashed', error: `browser page crashed (${host.launched.version} renderer gone)` };
  const exited: Outcome = { status: 'crashed', error: `browser exited (${host.launched.version})` };
  const onExit = () => finish(exited);
  let finish: (o: Outcome) => void = () => {};
  try {
    const outcome = await new Promise<Outcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      rearm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish({ status: 'timeout', error: `no result within ${job.timeoutMs} ms; page closed` }), job.timeoutMs);
      };
      rearm();
      page.once('crash', () => finish(crashed));
      browser.once('disconnected', onExit);
      const { modelBytes: _, crashForTest, ...rest } = job;
      const pageJob: PageJob = { ...rest, modelUrl: host.server.url(model) };
      const run = async () => {
        if (crashForTest === 'hang') await page.evaluate(() => void setTimeout(() => { for (;;); }, 0));
        else if (crashForTest) await page.goto('chrome://crash').catch(() => {});
        await page.evaluate(({ setup, pageJob }) => window.melbench.measure(setup, pageJob), { setup: setupFor(runtime, host, job.open.threads), pageJob });
      };
      run().then(
        () => finish({ status: 'ok' }),
        // NOTE: an evaluate cut short by the renderer's death can reject before the 'crash' event.
        (e) => finish(!browser.isConnected() ? exited : page.isClosed() || /crash/i.test(errorLine(e)) ? crashed : { status: 'error', error: `browser page: ${errorLine(e)}` }),
      );
    });
    if (outcome.status !== 'ok') fill(outcome.status, outcome.error);
  } finally {
    browser.off('disconnected', onExit);
    await closeContext(host, context);
    host.server.remove(model);
  }
  // NOTE: the browser's start (first job only) and this page's load come before the page's own runtime init.
  for (const r of rows) if (r.runtimeInitMs !== undefined) r.runtimeInitMs += launchMs + loadMs;
  return rows;
}

/**
 * benchmarks/browser-threads.ts's reference loop: the median of a plain `await session.run()` loop
 * in a fresh page of `job.runtime` (first batch only, no measure.ts), to hold the harness's
 * browser rows against. Throws on any failure: a benchmark, not a sweep.
 */
export async function plainLoopInBrowser(job: MeasureJob, loop: PlainLoop, options: BrowserOptions = {}): Promise<number> {
  const runtime = job.runtime as BrowserRuntimeName;
  const host = await hostFor(runtime, options);
  const model = `model-${++jobCount}.onnx`;
  host.server.add(model, { body: job.modelBytes, type: 'application/octet-stream' });
  const { context, page } = await openPage(host, job.timeoutMs);
  try {
    const { modelBytes: _, ...rest } = job;
    const pageJob: PageJob = { ...rest, modelUrl: host.server.url(model) };
    return await page.evaluate(({ setup, pageJob, loop }) => window.melbench.plainLoop(setup, pageJob, loop), { setup: setupFor(runtime, host, job.open.threads), pageJob, loop });
  } finally {
    await closeContext(host, context);
    host.server.remove(model);
  }
}
