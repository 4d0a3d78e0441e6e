/**
 * The page's script (bundled for the browser by page-bundle.ts): what Node calls through
 * Playwright's `page.evaluate`. `window.melbench.measure` fetches the model from the static
 * server and runs measure.ts on the page's runner; each row goes back through
 * `window.melbenchEmit`, a binding Node exposes before the page loads (run-in-browser.ts), as soon
 * as its batch is done, so the rows of a page that later crashes or hangs are kept.
 */
import type { Availability, Feeds } from '../contract.ts';
import { feedsDigestParts } from '../feed-digest.ts';
import { type BatchResult, type MeasureJob, measure } from '../measure.ts';
import { type PageSetup, pageRunner } from './page-runner.ts';

/** A job as the page receives it: the model is fetched from `modelUrl` rather than copied through the protocol. */
export type PageJob = Omit<MeasureJob, 'modelBytes'> & { modelUrl: string };

/** benchmarks/browser-threads.ts's reference: a plain loop, as a page's own code would time a model. */
export interface PlainLoop {
  warmupRuns: number;
  warmupMs: number;
  runs: number;
  runsMs: number;
}

export interface PageApi {
  available(setup: PageSetup): Promise<Availability>;
  measure(setup: PageSetup, job: PageJob): Promise<void>;
  /** The median of `await session.run(feeds)` in a plain loop after a plain warm-up (no measure.ts), in ms. */
  plainLoop(setup: PageSetup, job: PageJob, loop: PlainLoop): Promise<number>;
}

declare global {
  interface Window {
    melbench: PageApi;
    melbenchEmit(row: BatchResult): Promise<void>;
  }
}

/** sha256 (hex) of feeds as received, over the same bytes as Node's input_sha256. */
async function receivedSha256(feeds: Feeds): Promise<string> {
  const parts = feedsDigestParts(feeds, Object.keys(feeds));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

window.melbench = {
  available: (setup) => pageRunner(setup).available(),

  async measure(setup, job) {
    const response = await fetch(job.modelUrl);
    if (!response.ok) throw new Error(`model fetch ${job.modelUrl}: HTTP ${response.status}`);
    const { modelUrl: _, ...rest } = job;
    const received = new Map<number, string>();
    for (const { batch, feeds } of job.batches) received.set(batch, await receivedSha256(feeds));
    const sent: Promise<void>[] = [];
    await measure(pageRunner(setup), { ...rest, modelBytes: new Uint8Array(await response.arrayBuffer()) }, (row) => {
      sent.push(window.melbenchEmit({ ...row, receivedSha256: received.get(row.batch) }));
    });
    await Promise.all(sent);
  },

  async plainLoop(setup, job, loop) {
    const bytes = new Uint8Array(await (await fetch(job.modelUrl)).arrayBuffer());
    const feeds = job.batches[0].feeds;
    const session = await pageRunner(setup).open(bytes, job.open);
    try {
      const w0 = performance.now();
      for (let i = 0; i < loop.warmupRuns || performance.now() - w0 < loop.warmupMs; i++) await session.run(feeds);
      const xs: number[] = [];
      const s0 = performance.now();
      for (let i = 0; i < loop.runs || performance.now() - s0 < loop.runsMs; i++) {
        const t = performance.now();
        await session.run(feeds);
        xs.push(performance.now() - t);
      }
      xs.sort((a, b) => a - b);
      return xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
    } finally {
      await session.close();
    }
  },
};
