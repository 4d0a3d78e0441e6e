/**
 * The session-level latency test (stats.ts, ratioOfSessionMedians) and how compare picks it: a
 * session keeps its own bias for its life, so the test that treats single runs as independent
 * flags two runs of one config, and the one that counts sessions must not.
 */
import { describe, expect, it } from 'vitest';
import { type CellData, compareCell, compareLatency, DEFAULT_GATE, ONE_SESSION_NOTE } from '../../src/report/compare.ts';
import { markdownReport } from '../../src/report/compare-output.ts';
import { ratioOfSessionMedians, splitSessions } from '../../src/report/stats.ts';
import { studentTCdf, studentTQuantile } from '../../src/report/student-t.ts';
import { Rng } from '../../src/rng.ts';

/** One session per bias: `runs` latencies around median·bias, lognormal sigma 0.03 (a quiet session). */
function sessionsOf(seed: number, median: number, biases: number[], runs = 200): { samples: number[]; sizes: number[] } {
  const rng = new Rng(seed);
  const samples = biases.flatMap((b) => Array.from({ length: runs }, () => median * b * Math.exp(rng.normal(0, 0.03))));
  return { samples, sizes: biases.map(() => runs) };
}

describe("Student's t", () => {
  it('quantiles match the printed table, fractional df in between', () => {
    const table: [number, number, number][] = [
      // [df, t 0.975, t 0.95]
      [1, 12.706, 6.314],
      [2, 4.303, 2.92],
      [4, 2.776, 2.132],
      [8, 2.306, 1.86],
      [30, 2.042, 1.697],
    ];
    for (const [df, t975, t95] of table) {
      expect(studentTQuantile(0.975, df)).toBeCloseTo(t975, 2);
      expect(studentTQuantile(0.95, df)).toBeCloseTo(t95, 2);
    }
    const mid = studentTQuantile(0.975, 4.5);
    expect(mid).toBeLessThan(2.776);
    expect(mid).toBeGreaterThan(2.571);
    expect(studentTQuantile(0.025, 8)).toBeCloseTo(-2.306, 3);
    // df → ∞ tends to the normal: Φ(1.96) = 0.975.
    expect(studentTCdf(1.959964, 1e6)).toBeCloseTo(0.975, 4);
  });
});

describe('sessions as the unit', () => {
  it('Welch on the logs of session medians, by hand', () => {
    // Sessions of constant runs: medians e^0, e^0.1 (base) and e^0.2, e^0.4 (cur).
    // d = 0.3 - 0.05 = 0.25; s_x² = 0.005, s_y² = 0.02; se² = 0.0025 + 0.01 = 0.0125;
    // ν = 0.0125² / (0.0025² + 0.01²) = 1.470588...
    const c = (v: number) => Array.from({ length: 9 }, () => Math.exp(v));
    const r = ratioOfSessionMedians([c(0), c(0.1)], [c(0.2), c(0.4)], 0.9);
    expect(r.ratio).toBeCloseTo(Math.exp(0.25), 10);
    expect(r.df).toBeCloseTo(0.0125 ** 2 / (0.0025 ** 2 + 0.01 ** 2), 10);
    const half = studentTQuantile(0.95, r.df) * Math.sqrt(0.0125);
    expect(r.lo).toBeCloseTo(Math.exp(0.25 - half), 10);
    expect(r.hi).toBeCloseTo(Math.exp(0.25 + half), 10);
  });

  it('one session on a side: the pooled variance of the other, ν = n + m - 2', () => {
    // base one session at e^0; cur e^0.1, e^0.3: d = 0.2, s² = 0.02 / 1, se² = 0.02 · (1 + 1/2) = 0.03.
    const c = (v: number) => [Math.exp(v), Math.exp(v)];
    const r = ratioOfSessionMedians([c(0)], [c(0.1), c(0.3)], 0.95);
    expect(r.df).toBe(1);
    expect(r.ratio).toBeCloseTo(Math.exp(0.2), 10);
    expect(r.hi).toBeCloseTo(Math.exp(0.2 + 12.7062 * Math.sqrt(0.03)), 3);
    expect(() => ratioOfSessionMedians([c(0)], [c(0.1)], 0.95)).toThrow(/at least 3 sessions/);
  });

  it('a planted between-session bias: the run-level test flags it, the session-level one does not', () => {
    // Same config on both sides; each session lands ±10% off (as on a shared 2-core machine), and
    // cur's five sessions happened to land slower on the whole (geometric mean ratio ≈ 1.09).
    const base = sessionsOf(1, 2, [0.9, 1.0, 1.1, 0.95, 1.02]);
    const cur = sessionsOf(2, 2, [1.18, 0.96, 1.1, 1.05, 1.13]);
    const blind = compareLatency(base.samples, cur.samples, DEFAULT_GATE);
    expect(blind.unit).toBe('blocks');
    expect(blind.verdict).toBe('regression');
    const bySession = compareLatency(base.samples, cur.samples, DEFAULT_GATE, { baseSessions: base.sizes, curSessions: cur.sizes });
    expect(bySession.unit).toBe('sessions');
    expect([bySession.sessionsBase, bySession.sessionsCur]).toEqual([5, 5]);
    expect(bySession.ratio).toBeGreaterThan(1.05);
    expect(bySession.lo).toBeLessThan(1);
    expect(bySession.verdict).toBe('unchanged');
  });

  it('a real 20% slowdown across 5 sessions of each side is still flagged', () => {
    const base = sessionsOf(3, 2, [0.97, 1.03, 1.0, 0.95, 1.05]);
    const cur = sessionsOf(4, 2.4, [1.02, 0.96, 1.04, 0.99, 1.0]);
    const l = compareLatency(base.samples, cur.samples, DEFAULT_GATE, { baseSessions: base.sizes, curSessions: cur.sizes });
    expect(l.unit).toBe('sessions');
    expect(l.ratio).toBeGreaterThan(1.15);
    expect(l.ratio).toBeLessThan(1.25);
    expect(l.lo).toBeGreaterThan(1.05);
    expect(l.verdict).toBe('regression');
    // and an improvement symmetrically
    expect(compareLatency(cur.samples, base.samples, DEFAULT_GATE, { baseSessions: cur.sizes, curSessions: base.sizes }).verdict).toBe('improvement');
  });

  it('session sizes must cut the samples exactly', () => {
    expect(splitSessions([1, 2, 3, 4, 5], [2, 3])).toEqual([[1, 2], [3, 4, 5]]);
    expect(() => splitSessions([1, 2, 3], [2, 2])).toThrow(/do not cut/);
    expect(() => splitSessions([1, 2, 3], [3, 0])).toThrow(/do not cut/);
  });

  it('compareCell: sessions from the cells; one session per side carries the honest note, in the report too', () => {
    const key = { model: 'm', variant: 'fp32', runtime: 'cpu', batch: '1', threads: '0', preset: 'default' };
    const b = sessionsOf(5, 1, [1, 1.02, 0.98]);
    const c = sessionsOf(6, 1, [1.01, 0.99, 1.0]);
    const cellOf = (s: { samples: number[]; sizes: number[] }, sessions: boolean): CellData => ({ key, status: 'ok', software: false, samples: s.samples, ...(sessions ? { sessions: s.sizes } : {}) });
    const withSessions = compareCell(cellOf(b, true), cellOf(c, true));
    expect(withSessions.latency?.unit).toBe('sessions');
    expect(withSessions.note).toBeUndefined();
    const header = { title: 't', baseLabel: 'a', curLabel: 'b', confidence: 0.95, test: 'bootstrap', latencyThreshold: 0.05 };
    expect(markdownReport([withSessions], [], header)).toMatch(/Stored runs in sessions \(baseline\/current: 3\/3\): 1 cell\(s\)/);
    const old = compareCell(cellOf(b, false), cellOf(c, false));
    expect(old.latency?.unit).toBe('blocks');
    expect(old.note).toBe(ONE_SESSION_NOTE);
    expect(markdownReport([old], [], header)).toMatch(/1 cell\(s\) compared with one session per side: .*cannot see a session's own bias/);
    // one side in sessions, the other one session (an older baseline): still sessions as the unit
    const mixed = compareCell(cellOf(b, false), cellOf(c, true));
    expect(mixed.latency?.unit).toBe('sessions');
    expect([mixed.latency?.sessionsBase, mixed.latency?.sessionsCur]).toEqual([1, 3]);
  });
});
