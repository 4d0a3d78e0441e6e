/**
 * Latency of `session.run(feeds)`, measured with tinybench.
 *
 * Sequence: one first run (timed alone: it pays lazy allocations, shader compilation and cache
 * misses that a user feels once), then a warm-up of at least `warmupIterations` runs and
 * `warmupTimeMs`, then tinybench samples at least `minSamples` runs and `minTimeMs`. Each sample
 * is one `await session.run(feeds)` with prebuilt feeds: tinybench adds two timer reads and a
 * push per iteration, which benchmarks/overhead.ts measures against a bare loop.
 *
 * Percentiles use linear interpolation between order statistics (type 7, as numpy and tinybench);
 * tinybench has no p90, so all quantiles are taken from the samples here for consistency.
 */
import { Bench } from 'tinybench';
import type { Feeds, HostTensor, Session } from './contract.ts';

export interface TimingConfig {
  warmupIterations: number;
  warmupTimeMs: number;
  minSamples: number;
  minTimeMs: number;
}

/**
 * Warm-up: 10 runs and 100 ms, enough for ORT's arena and the CPU caches to settle on small
 * models. Sampling: 50 runs and 1 s, which keeps the relative margin of error under ~1% on a
 * quiet machine for millisecond models, and bounds a 0.1 ms model to about 10k samples.
 */
export const DEFAULT_TIMING: TimingConfig = { warmupIterations: 10, warmupTimeMs: 100, minSamples: 50, minTimeMs: 1000 };

/**
 * For software adapters (SwiftShader: hundreds of ms per run): the row proves the runtime works
 * and gives its outputs; its speed is never a claim, so 10 samples are enough.
 */
export const SOFTWARE_TIMING: TimingConfig = { warmupIterations: 2, warmupTimeMs: 0, minSamples: 10, minTimeMs: 0 };

/** For tests: statistics are valid, numbers are not worth reporting. */
export const QUICK_TIMING: TimingConfig = { warmupIterations: 1, warmupTimeMs: 0, minSamples: 5, minTimeMs: 0 };

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
  /** Every sample in ms, ascending (tinybench sorts them). */
  samplesMs: number[];
  /** Warm-up runs done before sampling (the first run not included). */
  warmup: number;
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

export async function timeSession(
  session: Session,
  feeds: Feeds,
  config: TimingConfig,
  onFirstRun?: (outputs: Record<string, HostTensor>) => void | Promise<void>,
): Promise<Timing> {
  const first = await timed(() => session.run(feeds));
  await onFirstRun?.(first.value);

  let warmup = 0;
  const warmStart = performance.now();
  while (warmup < config.warmupIterations || performance.now() - warmStart < config.warmupTimeMs) {
    await session.run(feeds);
    warmup++;
  }

  const bench = new Bench({
    warmup: false,
    iterations: Math.max(1, config.minSamples),
    time: config.minTimeMs,
    retainSamples: true,
    throws: true,
  });
  // NOTE: `async: true` is required: without it tinybench probes a non-async function by calling it
  // once at add() time without awaiting, which would start a run concurrently with the first sample.
  // Returning run()'s promise (no async wrapper) saves one await hop per sample.
  bench.add('run', () => session.run(feeds), { async: true });
  const [task] = await bench.run();
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`timing did not complete: ${result.state === 'errored' ? result.error.message : result.state}`);
  const lat = result.latency;
  const samplesMs = lat.samples ? [...lat.samples] : [];
  return {
    firstRunMs: first.ms,
    meanMs: lat.mean,
    p50Ms: quantile(samplesMs, 0.5),
    p90Ms: quantile(samplesMs, 0.9),
    p99Ms: quantile(samplesMs, 0.99),
    minMs: lat.min,
    maxMs: lat.max,
    stdMs: lat.sd,
    rmePct: lat.rme,
    samples: samplesMs.length,
    samplesMs,
    warmup,
  };
}
