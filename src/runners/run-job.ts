/**
 * Where a measurement job runs: a browser runtime's in a headless Chromium page
 * (browser/run-in-browser.ts), any other in a child process (isolate.ts) or, without isolation,
 * in this one. The sweep asks here, so it never needs to know which runtimes live where.
 */
import { availableInBrowser, type BrowserOptions, closeBrowsers, runInBrowser } from './browser/run-in-browser.ts';
import { availableIsolated, type BatchResult, type MeasureJob, runInProcess, runIsolated } from './isolate.ts';
import { type Availability, getRunner, isBrowserRuntime, type RuntimeName } from './runner.ts';

export interface JobPlace {
  /** Node runtimes: each job in its own child process. Browser runtimes are isolated by their page either way. */
  isolate: boolean;
  /** Browser runtimes: which browser, and whether its page is cross-origin isolated. */
  browser?: BrowserOptions;
}

export function runJob(job: MeasureJob, place: JobPlace): Promise<BatchResult[]> {
  if (isBrowserRuntime(job.runtime)) return runInBrowser(job, place.browser);
  return place.isolate ? runIsolated(job) : runInProcess(job);
}

/** A runtime's availability where its jobs will run; never throws. */
export function availableAt(runtime: RuntimeName, place: JobPlace, timeoutMs: number): Promise<Availability> {
  if (isBrowserRuntime(runtime)) return availableInBrowser(runtime, place.browser, timeoutMs);
  return place.isolate ? availableIsolated(runtime, timeoutMs) : getRunner(runtime).available();
}

/** Ends what jobs left running for the next one (the browsers); call when a sweep is over. */
export function releaseRuntimes(): Promise<void> {
  return closeBrowsers();
}
