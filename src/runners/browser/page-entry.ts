/**
 * The page's script (bundled for the browser by page-bundle.ts): what Node calls through
 * Playwright's `page.evaluate`. `window.melbench.measure` fetches the model from the static
 * server and runs measure.ts on the page's runner; each row goes back through
 * `window.melbenchEmit`, a binding Node exposes before the page loads (run-in-browser.ts), as soon
 * as its batch is done, so the rows of a page that later crashes or hangs are kept.
 */
import type { Availability } from '../contract.ts';
import { type BatchResult, type MeasureJob, measure } from '../measure.ts';
import { type PageSetup, pageRunner } from './page-runner.ts';

/** A job as the page receives it: the model is fetched from `modelUrl` rather than copied through the protocol. */
export type PageJob = Omit<MeasureJob, 'modelBytes'> & { modelUrl: string };

export interface PageApi {
  available(setup: PageSetup): Promise<Availability>;
  measure(setup: PageSetup, job: PageJob): Promise<void>;
}

declare global {
  interface Window {
    melbench: PageApi;
    melbenchEmit(row: BatchResult): Promise<void>;
  }
}

window.melbench = {
  available: (setup) => pageRunner(setup).available(),

  async measure(setup, job) {
    const response = await fetch(job.modelUrl);
    if (!response.ok) throw new Error(`model fetch ${job.modelUrl}: HTTP ${response.status}`);
    const { modelUrl: _, ...rest } = job;
    const sent: Promise<void>[] = [];
    await measure(pageRunner(setup), { ...rest, modelBytes: new Uint8Array(await response.arrayBuffer()) }, (row) => {
      sent.push(window.melbenchEmit(row));
    });
    await Promise.all(sent);
  },
};
