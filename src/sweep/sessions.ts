/**
 * `--sessions N`: each cell measured in N independent sessions, so that `compare` can take the
 * session as its unit (a session keeps its own bias for its life: ±5–20% on a shared 2-core
 * machine; report/stats.ts). Each session is a whole measurement job of its own (in its own child
 * process when the sweep isolates: its own runtime initialisation, session and warm-up).
 *
 * Order: session-major over a model's runtimes (session 1 of every runtime, then session 2...), so
 * the sessions of one cell are not back to back when a model has several runtimes; the cell's row
 * is written when its last session is done.
 *
 * The row summarises all sessions: the latency statistics are over every sample (pooled); the
 * one-off costs (runtime_init_ms, session_create_ms, first_run_ms) and the warm-up count are the
 * median over the sessions; warmup_converged is true only when every session converged. Outputs,
 * fallback count and profile are the first session's. A session that is not ok makes the row not
 * ok (the first such session's status and error), with no samples.
 */
import type { BatchResult } from '../runners/measure.ts';
import { median, summarize, type Timing } from '../runners/timing.ts';
import type { RuntimeName } from '../runners/runner.ts';

/** The (session, runtime) pairs of one model, session-major. */
export function sessionOrder(runtimes: readonly RuntimeName[], sessions: number): [number, RuntimeName][] {
  return Array.from({ length: sessions }, (_, s) => runtimes.map((r): [number, RuntimeName] => [s, r])).flat();
}

/** Merges one cell's sessions (same batch, in order) into the row's result. */
export function mergeSessions(sessions: readonly BatchResult[]): BatchResult {
  if (sessions.length === 1) return sessions[0];
  const failed = sessions.find((r) => r.status !== 'ok' || !r.timing);
  if (failed) return failed;
  const timings = sessions.map((r) => r.timing!);
  const samplesMs = timings.flatMap((t) => t.samplesMs);
  const med = (xs: number[]) => median(xs);
  const converged = timings.map((t) => t.warmupConverged);
  const timing: Timing = {
    ...summarize(samplesMs),
    firstRunMs: med(timings.map((t) => t.firstRunMs)),
    samplesMs,
    firstSampleAt: timings[0].firstSampleAt,
    warmup: Math.round(med(timings.map((t) => t.warmup))),
    warmupConverged: converged.includes(null) ? null : converged.every(Boolean),
    // NOTE: each session chose its own grouping; the largest is what some of the samples were.
    runsPerSample: Math.max(...timings.map((t) => t.runsPerSample ?? 1)),
    sessionSizes: timings.map((t) => t.samplesMs.length),
  };
  const inits = sessions.map((r) => r.runtimeInitMs).filter((x) => x !== undefined);
  const first = sessions[0];
  return {
    ...first,
    sessionCreateMs: med(sessions.map((r) => r.sessionCreateMs)),
    ...(inits.length ? { runtimeInitMs: med(inits) } : {}),
    timing,
  };
}

/**
 * Keeps each (runtime, batch)'s session results until the last session, then gives them merged.
 * `add` returns undefined before the last session.
 */
export class SessionResults {
  private readonly kept = new Map<RuntimeName, BatchResult[][]>();

  constructor(readonly sessions: number) {}

  add(runtime: RuntimeName, session: number, results: BatchResult[]): BatchResult[] | undefined {
    const all = this.kept.get(runtime) ?? [];
    all.push(results);
    this.kept.set(runtime, all);
    if (session < this.sessions - 1) return undefined;
    this.kept.delete(runtime);
    return results.map((r, i) => mergeSessions(all.map((one) => one[i]).filter((x) => x !== undefined && x.batch === r.batch)));
  }
}
