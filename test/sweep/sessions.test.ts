/** `--sessions N`: the order sessions run in, and how one cell's sessions become one row. */
import { describe, expect, it } from 'vitest';
import type { BatchResult } from '../../src/runners/measure.ts';
import { summarize } from '../../src/runners/timing.ts';
import { mergeSessions, SessionResults, sessionOrder } from '../../src/sweep/sessions.ts';

const availability = { ok: true, provider: 'cpu', version: '1.30.0' } as BatchResult['availability'];

function session(samplesMs: number[], over: Partial<BatchResult> = {}, warmup = 10, converged: boolean | null = true): BatchResult {
  return {
    batch: 1,
    status: 'ok',
    availability,
    sessionCreateMs: samplesMs[0] * 100,
    runtimeInitMs: samplesMs[0] * 10,
    fallbackNodes: 0,
    timing: { firstRunMs: samplesMs[0] * 3, ...summarize(samplesMs), samplesMs, firstSampleAt: `t${samplesMs[0]}`, warmup, warmupConverged: converged, runsPerSample: 1 },
    ...over,
  };
}

describe('sessions', () => {
  it('run session-major over the runtimes, so one cell is not measured back to back', () => {
    expect(sessionOrder(['cpu', 'wasm'], 3)).toEqual([
      [0, 'cpu'],
      [0, 'wasm'],
      [1, 'cpu'],
      [1, 'wasm'],
      [2, 'cpu'],
      [2, 'wasm'],
    ]);
  });

  it('a row pools the samples, takes the median of the one-off costs, and records the session sizes', () => {
    const m = mergeSessions([session([1, 1.2], {}, 10), session([2, 2.2, 2.4], {}, 30), session([3], {}, 20, false)]);
    expect(m.timing!.samplesMs).toEqual([1, 1.2, 2, 2.2, 2.4, 3]);
    expect(m.timing!.sessionSizes).toEqual([2, 3, 1]);
    expect(m.timing!.p50Ms).toBeCloseTo(2.1, 10);
    expect(m.timing!.samples).toBe(6);
    expect(m.timing!.firstRunMs).toBe(6);
    expect(m.sessionCreateMs).toBe(200);
    expect(m.runtimeInitMs).toBe(20);
    expect(m.timing!.warmup).toBe(20);
    expect(m.timing!.warmupConverged).toBe(false);
    expect(m.timing!.firstSampleAt).toBe('t1');
  });

  it('a failed session fails the row; one session is passed through as it is', () => {
    const crashed: BatchResult = { batch: 1, status: 'crashed', error: 'child died', availability, sessionCreateMs: 0, fallbackNodes: null };
    expect(mergeSessions([session([1]), crashed, session([2])])).toBe(crashed);
    const one = session([1, 2]);
    expect(mergeSessions([one])).toBe(one);
    expect(one.timing!.sessionSizes).toBeUndefined();
  });

  it('SessionResults holds each runtime until its last session', () => {
    const s = new SessionResults(2);
    expect(s.add('cpu', 0, [session([1])])).toBeUndefined();
    expect(s.add('wasm', 0, [session([5])])).toBeUndefined();
    expect(s.add('cpu', 1, [session([2])])![0].timing!.samplesMs).toEqual([1, 2]);
    expect(s.add('wasm', 1, [session([6])])![0].timing!.samplesMs).toEqual([5, 6]);
  });
});
