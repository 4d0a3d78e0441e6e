import { afterEach, describe, expect, it, vi } from 'vitest';
import { softwareTimingOf, timingOf } from '../../src/commands/options.ts';
import { getRunner, type Session } from '../../src/runners/runner.ts';
import { DEFAULT_TIMING, MIN_STEPS_PER_SAMPLE, QUICK_TIMING, quantile, runsPerSample, STEADY_WARMUP, summarize, tCritical975, timed, timeSession } from '../../src/runners/timing.ts';
import { TINY_CNN, tinyInput } from './helpers.ts';

/**
 * A fake session whose k-th run (0-based, the first run included) takes latency(k) ms on a fake
 * performance.now clock: the timings are exact, whatever the load on the machine. The clock steps
 * by `stepMs` (0: exact; a browser page's performance.now() steps by 0.005 or 0.1 ms).
 */
function scriptedSession(latency: (k: number) => number, stepMs = 0): Session & { runs: number } {
  let clock = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => (stepMs ? Math.floor(clock / stepMs) * stepMs : clock));
  const s = {
    runs: 0,
    inputNames: ['x'],
    outputNames: ['y'],
    async run() {
      await Promise.resolve();
      clock += latency(s.runs++);
      return {};
    },
    profile: async () => [],
    close: async () => undefined,
  };
  return s;
}

afterEach(() => {
  vi.restoreAllMocks();
});

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
    expect(t.warmupConverged).toBeNull();
    expect(Date.parse(t.firstSampleAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('keeps the samples in the order they were taken', async () => {
    // Runs get slower then faster: sorted samples would hide the shape.
    const session = scriptedSession((k) => (k < 4 ? 0.5 : [3, 1, 2.5, 0.5, 2][(k - 4) % 5]));
    const t = await timeSession(session, {}, { warmupIterations: 3, warmupTimeMs: 0, minSamples: 5, minTimeMs: 0 });
    expect(t.samples).toBe(5);
    const order = t.samplesMs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    expect(t.samplesMs).toEqual([3, 1, 2.5, 0.5, 2]);
    expect(order).toEqual([3, 1, 4, 2, 0]);
    expect(t.minMs).toBe(0.5);
    expect(t.p50Ms).toBe([...t.samplesMs].sort((a, b) => a - b)[2]);
  });

  it('runs exactly the warm-up and samples it is given: no hidden time', async () => {
    const session = scriptedSession(() => 0.2);
    const t = await timeSession(session, {}, { warmupIterations: 0, warmupTimeMs: 0, minSamples: 1, minTimeMs: 0 });
    expect(t.warmup).toBe(0);
    expect(t.samples).toBe(1);
    expect(session.runs).toBe(2);
  });

  it('warms up until two window medians agree, past a slow start', async () => {
    // A kernel that speeds up run after run (as tiered-up WebAssembly does): 1 + 3 * 0.93^k ms.
    // Consecutive 5-run windows differ by 3 * 0.93^k * (1 - 0.93^5) / (1 + 3 * 0.93^k) <= 3% from k ~ 46.
    const session = scriptedSession((k) => 1 + 3 * 0.93 ** k);
    const steady = { windowRuns: 5, windowMs: 5, minTimeMs: 0, tolerance: 0.03, maxRuns: 1000, maxTimeMs: 5000 };
    const t = await timeSession(session, {}, { warmupIterations: 0, warmupTimeMs: 0, steady, minSamples: 10, minTimeMs: 0 });
    expect(t.warmupConverged).toBe(true);
    expect(t.warmup).toBeGreaterThanOrEqual(40);
    expect(t.warmup).toBeLessThanOrEqual(60);
    // Every timed sample within 10% of the asymptote; a fixed warm-up of 10 would give 1 + 3 * 0.93^11 = 2.35 ms.
    expect(t.samplesMs.every((v) => v < 1.1)).toBe(true);
  });

  it('gives no verdict before its minimum time: a slow plateau that later drops is not steady', async () => {
    // 0.1 ms for 3000 runs (baseline code), then 0.04 ms: two 5 ms windows agree on the plateau.
    const session = scriptedSession((k) => (k <= 3000 ? 0.1 : 0.04));
    const steady = { windowRuns: 5, windowMs: 5, minTimeMs: 400, tolerance: 0.03, maxRuns: 100_000, maxTimeMs: 5000 };
    const t = await timeSession(session, {}, { warmupIterations: 0, warmupTimeMs: 0, steady, minSamples: 10, minTimeMs: 0 });
    expect(t.warmupConverged).toBe(true);
    expect(t.warmup).toBeGreaterThan(3000);
    expect(t.p50Ms).toBeCloseTo(0.04, 9);
    const early = await timeSession(scriptedSession((k) => (k <= 3000 ? 0.1 : 0.04)), {}, { warmupIterations: 0, warmupTimeMs: 0, steady: { ...steady, minTimeMs: 0 }, minSamples: 10, minTimeMs: 0 });
    expect(early.p50Ms).toBeCloseTo(0.1, 9);
  });

  it('stops a warm-up that never settles at its cap, and says so', async () => {
    // Window medians alternate 1 ms and 2 ms forever.
    const session = scriptedSession((k) => (Math.floor((k - 1) / 5) % 2 === 0 ? 1 : 2));
    const steady = { windowRuns: 5, windowMs: 0, minTimeMs: 0, tolerance: 0.03, maxRuns: 42, maxTimeMs: 10_000 };
    const t = await timeSession(session, {}, { warmupIterations: 0, warmupTimeMs: 0, steady, minSamples: 3, minTimeMs: 0 });
    expect(t.warmupConverged).toBe(false);
    expect(t.warmup).toBe(42);
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
    expect(DEFAULT_TIMING.steady).toEqual(STEADY_WARMUP);
    expect(STEADY_WARMUP.tolerance).toBeLessThanOrEqual(0.05);
  });
});

describe('runs faster than the clock', () => {
  const coarseClockSession = (runMs: number, stepMs: number) => scriptedSession(() => runMs, stepMs);
  const FIXED = { warmupIterations: 2, warmupTimeMs: 0, minSamples: 10, minTimeMs: 0 };

  it('times a 12 us run on a 100 us clock in groups spanning at least 20 steps, each sample its true mean within 10%', async () => {
    const t = await timeSession(coarseClockSession(0.012, 0.1), {}, FIXED, undefined, 0.1);
    // one run reads as 0 or 100 us: single runs would give p50 0
    expect(t.runsPerSample).toBeGreaterThanOrEqual(Math.ceil((MIN_STEPS_PER_SAMPLE * 0.1 * 0.9) / 0.012));
    for (const x of t.samplesMs) expect(Math.abs(x - 0.012) / 0.012).toBeLessThan(0.1);
    expect(t.samples).toBe(10);
  });

  it('times a run of 20 steps or more one by one, and never batches on a fine clock (Node)', async () => {
    expect((await timeSession(coarseClockSession(2.5, 0.1), {}, FIXED, undefined, 0.1)).runsPerSample).toBe(1);
    vi.restoreAllMocks();
    expect((await timeSession(coarseClockSession(0.012, 0.0001), {}, FIXED, undefined, 0.0001)).runsPerSample).toBe(1);
    expect(runsPerSample(1, 1, 0)).toBe(1);
    expect(runsPerSample(0.5, 10, 0.005)).toBe(2); // 50 us per run, 100 us span
  });
});

describe('summarize', () => {
  it("gives the mean, sample std and Student's t margin of error", () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s.meanMs).toBe(3);
    expect(s.stdMs).toBeCloseTo(Math.sqrt(2.5), 12);
    // t(0.975, 4) = 2.776; sem = sqrt(2.5 / 5); rme = t * sem / mean.
    expect(s.rmePct).toBeCloseTo((2.776 * Math.sqrt(0.5) * 100) / 3, 6);
    expect([s.minMs, s.p50Ms, s.maxMs, s.samples]).toEqual([1, 3, 5, 5]);
  });

  it('t quantiles: the table, then within 1e-3 of the exact values beyond it', () => {
    expect(tCritical975(1)).toBe(12.706);
    expect(tCritical975(30)).toBe(2.042);
    // Exact: t(0.975, 40) = 2.0211, t(0.975, 120) = 1.9799, t(0.975, 1000) = 1.9623.
    expect(tCritical975(40)).toBeCloseTo(2.0211, 3);
    expect(tCritical975(120)).toBeCloseTo(1.9799, 3);
    expect(tCritical975(1000)).toBeCloseTo(1.9623, 3);
  });
});

describe('timingOf (bench options)', () => {
  it('warms up to steady state by default, and exactly as asked when --warmup and --samples are given', () => {
    const base = { runtimes: [], batch: [1], seed: 1, threads: 0, timeoutS: 1, isolate: true, atol: 1e-4, rtol: 1e-3 };
    expect(timingOf(base)).toEqual(DEFAULT_TIMING);
    expect(timingOf({ ...base, warmup: 0, samples: 1 })).toEqual({ warmupIterations: 0, warmupTimeMs: 0, minSamples: 1, minTimeMs: 0 });
    expect(timingOf({ ...base, samples: 7, timeMs: 200 })).toEqual({ ...DEFAULT_TIMING, minSamples: 7, minTimeMs: 200 });
  });

  it('keeps the software-adapter timing unless --warmup or --samples is given', () => {
    const base = { runtimes: [], batch: [1], seed: 1, threads: 0, timeoutS: 1, isolate: true, atol: 1e-4, rtol: 1e-3 };
    expect(softwareTimingOf(base, QUICK_TIMING)).toBe(QUICK_TIMING);
    expect(softwareTimingOf({ ...base, warmup: 0, samples: 1 }, QUICK_TIMING)).toEqual(timingOf({ ...base, warmup: 0, samples: 1 }));
    expect(softwareTimingOf({ ...base, samples: 4 }, QUICK_TIMING).minSamples).toBe(4);
  });
});

describe('timed', () => {
  it('returns the value and the elapsed time', async () => {
    const r = await timed(() => new Promise<number>((res) => setTimeout(() => res(7), 20)));
    expect(r.value).toBe(7);
    expect(r.ms).toBeGreaterThanOrEqual(15);
  });
});
