/**
 * Latency of `session.run(feeds)`: a plain timed loop, the same loop a user would write.
 *
 * Sequence: one first run (timed alone: it pays lazy allocations, shader compilation and cache
 * misses that a user feels once), then a warm-up, then the timed samples. Each sample is
 * `t0 = performance.now(); await session.run(feeds); push(performance.now() - t0)` with prebuilt
 * feeds, kept in the order taken (drift stays visible); statistics come from sorted copies.
 *
 * Warm-up, two kinds:
 * - a fixed count (`--warmup N`): exactly N runs, nothing added;
 * - steady state (the default): runs in windows (each at least `windowRuns` runs and `windowMs`)
 *   until, after at least `minTimeMs`, the medians of the last three windows are each within
 *   `tolerance` of the one before, or a cap (`maxRuns`, `maxTimeMs`) ends it. The count used and
 *   whether it converged are recorded. NOTE: why it is needed: V8 first compiles WebAssembly with
 *   its baseline compiler (Liftoff) and recompiles a hot function with TurboFan in the background
 *   once it has run enough (dynamic tiering), so ORT-web's kernels get faster over the first tens
 *   of runs of a 100 M-MAC model and the first hundreds of a 0.1 ms one; a fixed count of 10 ends
 *   before that (benchmarks/harness-vs-bare.ts, docs/results.md). Windows are timed, not counted, and a
 *   minimum time applies, because a slow start followed by a plateau of baseline code looks
 *   steady to two short windows (seen on a 0.04 ms model: converged at 0.11 ms after 54 runs);
 *   three windows rather than two, because on a loaded machine two noisy medians of a 100 M-MAC
 *   wasm model still falling agreed by chance (converged after 1 s; the bare loop's 2 s was faster).
 *
 * Runs faster than the clock: where a run takes under 20 times the timer's resolution (a browser
 * page's `performance.now()` steps by 5 us, or 100 us when not cross-origin isolated), a sample is
 * the mean of `runsPerSample` back-to-back runs, that many calibrated after warm-up on groups of
 * 1, 2, 4, ... runs until one spans 10 steps (the fastest of three such groups), so that no sample
 * is mostly clock quantisation.
 *
 * Percentiles use linear interpolation between order statistics (type 7, as numpy). The relative
 * margin of error is Student's t at 95% (two-sided) times the standard error, over the mean.
 */
import type { Feeds, HostTensor, Session } from './contract.ts';

/** Steady-state warm-up: see the module comment. */
export interface SteadyWarmup {
  windowRuns: number;
  windowMs: number;
  /** No verdict before this much warm-up time. */
  minTimeMs: number;
  /** Relative change of the window median that counts as steady, e.g. 0.03. */
  tolerance: number;
  maxRuns: number;
  maxTimeMs: number;
}

export interface TimingConfig {
  /** Without `steady`: exactly this many warm-up runs (and `warmupTimeMs`). With it: the least. */
  warmupIterations: number;
  warmupTimeMs: number;
  /** Warm up until steady state (bounded); absent: a fixed warm-up. */
  steady?: SteadyWarmup;
  /** Timed runs: at least `minSamples` and at least `minTimeMs` of wall time (0: exactly `minSamples`). */
  minSamples: number;
  minTimeMs: number;
}

/**
 * Windows of at least 5 runs and 100 ms, three in a row within 3% after at least 2 s, at most 8 s
 * or 1M runs. The time cap bounds the cost per row on a noisy machine, where two window medians may
 * never agree; the run cap stays above what 1 s holds of a 1 µs model, so it never cuts the
 * minimum time short (a 20k cap did, at 0.02 ms per run).
 */
export const STEADY_WARMUP: SteadyWarmup = { windowRuns: 5, windowMs: 100, minTimeMs: 2000, tolerance: 0.03, maxRuns: 1_000_000, maxTimeMs: 8000 };

/**
 * Warm-up to steady state; then at least 50 samples and 1 s, which keeps the relative margin of
 * error under ~1% on a quiet machine for millisecond models.
 */
export const DEFAULT_TIMING: TimingConfig = { warmupIterations: 0, warmupTimeMs: 0, steady: STEADY_WARMUP, minSamples: 50, minTimeMs: 1000 };

/**
 * For software adapters (SwiftShader: hundreds of ms per run): the row proves the runtime works
 * and gives its outputs; its speed is never a claim, so 10 samples are enough.
 */
export const SOFTWARE_TIMING: TimingConfig = { warmupIterations: 2, warmupTimeMs: 0, minSamples: 10, minTimeMs: 0 };

/** For tests: statistics are valid, numbers are not worth reporting. */
export const QUICK_TIMING: TimingConfig = { warmupIterations: 1, warmupTimeMs: 0, minSamples: 5, minTimeMs: 0 };

/** One run, no warm-up: for jobs that want outputs or a profile rather than a latency (the reference run, test-set scoring, explain). */
export const ONE_RUN: TimingConfig = { warmupIterations: 0, warmupTimeMs: 0, minSamples: 1, minTimeMs: 0 };

export interface Timing {
  firstRunMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  stdMs: number;
  /** Relative margin of error of the mean at 95% confidence, in percent. */
  rmePct: number;
  samples: number;
  /** Every sample in ms, in the order taken. */
  samplesMs: number[];
  /** Wall-clock ISO time at which the first timed sample started. */
  firstSampleAt: string;
  /** Warm-up runs done before sampling (the first run not included). */
  warmup: number;
  /** Steady warm-up: whether it reached steady state (false: it hit the cap). Fixed warm-up: null. */
  warmupConverged: boolean | null;
  /** Runs timed together per sample (each sample their mean); 1 unless a run is under 20x the timer resolution. */
  runsPerSample: number;
  /** Several sessions (src/sweep/sessions.ts): `samplesMs` are theirs one after another, this many each. */
  sessionSizes?: number[];
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

/** Linear-interpolated quantile of ascending `sorted`, q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

/** Student's t 0.975 quantile for 1..30 degrees of freedom (standard tables). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * t(0.975, df): the table up to 30, beyond it the Cornish-Fisher expansion around z = 1.96
 * (t ≈ z + (z³ + z) / 4df + (5z⁵ + 16z³ + 3z) / 96df²), within 1e-4 of the exact value there.
 */
export function tCritical975(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= 30) return T975[df - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** Summary statistics of samples in any order (the input is not modified). */
export function summarize(samplesMs: readonly number[]): Pick<Timing, 'meanMs' | 'p50Ms' | 'p90Ms' | 'p99Ms' | 'minMs' | 'maxMs' | 'stdMs' | 'rmePct' | 'samples'> {
  const n = samplesMs.length;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = samplesMs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(samplesMs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const rme = n > 1 ? ((tCritical975(n - 1) * std) / Math.sqrt(n) / mean) * 100 : Number.NaN;
  return { meanMs: mean, p50Ms: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), p99Ms: quantile(sorted, 0.99), minMs: sorted[0], maxMs: sorted[n - 1], stdMs: std, rmePct: rme, samples: n };
}

/** The mean time of `runs` back-to-back runs. */
async function runTimed(session: Session, feeds: Feeds, runs = 1): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  return (performance.now() - t0) / runs;
}

/** A sample must span at least this many clock steps. */
export const MIN_STEPS_PER_SAMPLE = 20;
/** A calibration group must span this many steps, so its per-run time is within 10% of the truth. */
const CALIBRATION_STEPS = 10;
const MAX_RUNS_PER_SAMPLE = 1 << 20;

/** How many runs one sample times, from a group of `groupRuns` runs that took `groupMs`: enough to span MIN_STEPS_PER_SAMPLE steps of a clock of `resolutionMs`. */
export function runsPerSample(groupMs: number, groupRuns: number, resolutionMs: number): number {
  const span = MIN_STEPS_PER_SAMPLE * resolutionMs;
  const perRun = groupMs / groupRuns;
  if (!(resolutionMs > 0) || perRun >= span) return 1;
  return Math.min(MAX_RUNS_PER_SAMPLE, Math.ceil(span / Math.max(perRun, Number.MIN_VALUE)));
}

/**
 * Calibration: groups of 1, 2, 4, ... runs until one spans CALIBRATION_STEPS clock steps (as
 * timeit's autorange), then two more groups of that size, and `runsPerSample` of the fastest of
 * the three. NOTE: a single run shorter than the clock's step reads as 0 or one step, which says
 * nothing of its length; only a group that spans several steps does. And a hiccup (a GC pause, a
 * busy neighbour) only ever lengthens a group: one slow group would make every sample too short.
 */
async function calibrate(session: Session, feeds: Feeds, resolutionMs: number): Promise<number> {
  const group = async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await session.run(feeds);
    return performance.now() - t0;
  };
  for (let n = 1; ; n *= 2) {
    const ms = await group(n);
    if (ms >= CALIBRATION_STEPS * resolutionMs || n >= MAX_RUNS_PER_SAMPLE) {
      const fastest = Math.min(ms, await group(n), await group(n));
      return runsPerSample(fastest, n, resolutionMs);
    }
  }
}

/** Runs timed windows until three consecutive window medians agree within the tolerance (after the minimum time), or a cap. */
async function steadyWarmup(session: Session, feeds: Feeds, s: SteadyWarmup, minRuns: number): Promise<{ runs: number; converged: boolean }> {
  const start = performance.now();
  let runs = 0;
  let window: number[] = [];
  let windowStart = start;
  let previous: number | undefined;
  let agreed = 0;
  for (;;) {
    window.push(await runTimed(session, feeds));
    runs++;
    const now = performance.now();
    if (window.length >= s.windowRuns && now - windowStart >= s.windowMs) {
      const m = median(window);
      agreed = previous !== undefined && Math.abs(m - previous) <= s.tolerance * previous ? agreed + 1 : 0;
      if (agreed >= 2 && runs >= minRuns && now - start >= s.minTimeMs) return { runs, converged: true };
      previous = m;
      window = [];
      windowStart = now;
    }
    if (runs >= s.maxRuns || now - start >= s.maxTimeMs) return { runs, converged: false };
  }
}

export async function timeSession(
  session: Session,
  feeds: Feeds,
  config: TimingConfig,
  onFirstRun?: (outputs: Record<string, HostTensor>) => void | Promise<void>,
  /** The clock's resolution where this runs (timer-resolution.ts); 0: fine enough for any run. */
  clockResolutionMs = 0,
): Promise<Timing> {
  const first = await timed(() => session.run(feeds));
  await onFirstRun?.(first.value);

  let warmup = 0;
  let warmupConverged: boolean | null = null;
  if (config.steady) {
    const w = await steadyWarmup(session, feeds, config.steady, config.warmupIterations);
    warmup = w.runs;
    warmupConverged = w.converged;
  } else {
    const warmStart = performance.now();
    while (warmup < config.warmupIterations || performance.now() - warmStart < config.warmupTimeMs) {
      await session.run(feeds);
      warmup++;
    }
  }

  // NOTE: Node's clock steps by well under 1 us, 20 steps of it shorter than any model's run: no calibration there.
  const perSample = clockResolutionMs >= 0.001 ? await calibrate(session, feeds, clockResolutionMs) : 1;

  const samplesMs: number[] = [];
  const firstSampleAt = new Date().toISOString();
  const sampleStart = performance.now();
  const minSamples = Math.max(1, config.minSamples);
  while (samplesMs.length < minSamples || performance.now() - sampleStart < config.minTimeMs) {
    samplesMs.push(await runTimed(session, feeds, perSample));
  }
  return { firstRunMs: first.ms, ...summarize(samplesMs), samplesMs, firstSampleAt, warmup, warmupConverged, runsPerSample: perSample };
}
