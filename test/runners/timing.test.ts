import { describe, expect, it } from 'vitest';
import { getRunner, type Session } from '../../src/runners/runner.ts';
import { DEFAULT_TIMING, QUICK_TIMING, quantile, timed, timeSession } from '../../src/runners/timing.ts';
import { TINY_CNN, tinyInput } from './helpers.ts';

describe('quantile', () => {
  it('interpolates linearly between order statistics', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([10, 20], 0.9)).toBeCloseTo(19);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('timeSession', () => {
  it('gives consistent statistics over at least minSamples runs of a real session', async () => {
    const session = await getRunner('cpu').open(TINY_CNN, { threads: 1 });
    const config = { ...QUICK_TIMING, warmupIterations: 3, minSamples: 40 };
    let firstOutputs: unknown;
    const t = await timeSession(session, { x: tinyInput(2) }, config, (o) => {
      firstOutputs = o;
    });
    await session.close();
    expect(firstOutputs).toHaveProperty('probs');
    expect(t.samples).toBeGreaterThanOrEqual(40);
    expect(t.samplesMs).toHaveLength(t.samples);
    expect(t.warmup).toBeGreaterThanOrEqual(3);
    expect(t.firstRunMs).toBeGreaterThan(0);
    expect(t.minMs).toBeGreaterThan(0);
    expect(t.minMs).toBeLessThanOrEqual(t.p50Ms);
    expect(t.p50Ms).toBeLessThanOrEqual(t.p90Ms);
    expect(t.p90Ms).toBeLessThanOrEqual(t.p99Ms);
    expect(t.p99Ms).toBeLessThanOrEqual(t.maxMs);
    expect(t.meanMs).toBeGreaterThanOrEqual(t.minMs);
    expect(t.meanMs).toBeLessThanOrEqual(t.maxMs);
    expect(t.stdMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(t.rmePct)).toBe(true);
    const sum = t.samplesMs.reduce((a, b) => a + b, 0);
    expect(t.meanMs).toBeCloseTo(sum / t.samples, 6);
    expect(t.samplesMs.every((v, i, a) => i === 0 || a[i - 1] <= v)).toBe(true);
  });

  it('honours the time budget as well as the sample count', async () => {
    const session = await getRunner('cpu').open(TINY_CNN, { threads: 1 });
    const t0 = performance.now();
    const t = await timeSession(session, { x: tinyInput(1) }, { warmupIterations: 0, warmupTimeMs: 50, minSamples: 1, minTimeMs: 200 });
    await session.close();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(t.samples).toBeGreaterThan(1);
    expect(t.warmup).toBeGreaterThan(0);
  });

  it('never runs the session concurrently with itself', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const session: Session = {
      inputNames: ['x'],
      outputNames: ['y'],
      async run() {
        inFlight++;
        runs++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // NOTE: at least 1 ms on performance.now's own clock, yielding to the event loop meanwhile
        // (setTimeout(1) can fire early against performance.now, since timers use the loop's cached time).
        const start = performance.now();
        while (performance.now() - start < 1) await new Promise((r) => setImmediate(r));
        inFlight--;
        return {};
      },
      profile: async () => [],
      close: async () => undefined,
    };
    const t = await timeSession(session, {}, { warmupIterations: 2, warmupTimeMs: 0, minSamples: 10, minTimeMs: 0 });
    expect(maxInFlight).toBe(1);
    expect(runs).toBe(1 + t.warmup + t.samples);
    expect(t.minMs).toBeGreaterThanOrEqual(0.999);
  });

  it('documents sane defaults', () => {
    expect(DEFAULT_TIMING.minSamples).toBeGreaterThanOrEqual(30);
    expect(DEFAULT_TIMING.warmupIterations).toBeGreaterThan(0);
  });
});

describe('timed', () => {
  it('returns the value and the elapsed time', async () => {
    const r = await timed(() => new Promise<number>((res) => setTimeout(() => res(7), 20)));
    expect(r.value).toBe(7);
    expect(r.ms).toBeGreaterThanOrEqual(15);
  });
});
