/**
 * runInBrowser, below the CLI: a page that crashes gives `crashed` rows and one that hangs a
 * `timeout` row, and the next job on the same runtime runs (the sweep goes on); a model faster
 * than 20 steps of the page's clock is timed in groups of runs; a profiled job gets per-node
 * timings out of the page's console.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHROMIUM, missingBrowser } from '../../src/runners/browser/chromium.ts';
import { closeBrowsers, runInBrowser } from '../../src/runners/browser/run-in-browser.ts';
import type { MeasureJob } from '../../src/runners/measure.ts';
import { MIN_STEPS_PER_SAMPLE, QUICK_TIMING } from '../../src/runners/timing.ts';
import { TINY_CNN, tinyInput } from './helpers.ts';

const job = (over: Partial<MeasureJob> = {}): MeasureJob => ({
  runtime: 'browser-wasm',
  modelBytes: TINY_CNN,
  batches: [
    { batch: 1, feeds: { x: tinyInput(1) } },
    { batch: 2, feeds: { x: tinyInput(2) } },
  ],
  open: {},
  timing: QUICK_TIMING,
  timeoutMs: 60_000,
  ...over,
});

afterAll(() => closeBrowsers());

describe('runInBrowser', () => {
  it('a crashed page gives crashed rows, a hung page timeout rows, and the next job on that browser runs', async () => {
    const crashed = await runInBrowser(job({ crashForTest: 'segfault' }));
    expect(crashed.map((r) => r.status)).toEqual(['crashed', 'crashed']);
    expect(crashed[0].error).toMatch(/browser page crashed/);
    const hung = await runInBrowser(job({ crashForTest: 'hang', timeoutMs: 3000 }));
    expect(hung.map((r) => r.status)).toEqual(['timeout', 'timeout']);
    expect(hung[0].error).toMatch(/no result within 3000 ms/);
    const next = await runInBrowser(job());
    expect(next.map((r) => r.status)).toEqual(['ok', 'ok']);
  });

  it('times a run shorter than 20 clock steps in groups of runs (a page without COOP/COEP: a 100 us clock)', async () => {
    const [row] = await runInBrowser(job({ batches: [{ batch: 1, feeds: { x: tinyInput(1) } }], timing: { ...QUICK_TIMING, minSamples: 20 } }), { isolated: false });
    expect(row.status, row.error).toBe('ok');
    const clockMs = row.validity!.timerResolutionUs / 1000;
    expect(row.validity!.crossOriginIsolated).toBe(false);
    expect(row.timing!.runsPerSample).toBeGreaterThan(1);
    // each sample spans at least 20 steps (give or take the one the median probe may misjudge)
    expect(row.timing!.p50Ms * row.timing!.runsPerSample).toBeGreaterThan(0.5 * MIN_STEPS_PER_SAMPLE * clockMs);
  });

  it('a profiled job gets every node with its provider from the page, and no fallback on wasm', async () => {
    const [row] = await runInBrowser(job({ batches: [{ batch: 1, feeds: { x: tinyInput(1) } }], profile: true }));
    expect(row.status, row.error).toBe('ok');
    expect(row.nodes!.length).toBeGreaterThan(2);
    for (const n of row.nodes!) expect(n.provider).toBe('CPUExecutionProvider');
    expect(row.fallbackNodes).toBe(0);
    expect(row.receivedSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a machine without Chromium is told where it was looked for and what to install', () => {
    expect(missingBrowser(DEFAULT_CHROMIUM, () => false)).toBe('chromium not found at /usr/bin/chromium (apt-get install chromium)');
    expect(missingBrowser('/opt/chrome/chrome', () => false)).toBe('browser not found at /opt/chrome/chrome (--browser takes the path of a Chromium or Chrome executable)');
    expect(missingBrowser(DEFAULT_CHROMIUM, () => true)).toBeUndefined();
  });
});
