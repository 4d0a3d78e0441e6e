import { describe, expect, it } from 'vitest';
import { bencherMetricFormat, githubActionBenchmark, markdownReport } from '../../src/report/compare-output.ts';
import { type CellData, compareCell, compareLatency, compareRuns, DEFAULT_GATE, fingerprintDiffs, gateFails, inForceDifferences, judgedCells } from '../../src/report/compare.ts';
import { isAscending, mannWhitney, medianCi, normalCdf, ratioOfMedians, ratioOfMediansBlocks, ratioOfMediansPaired } from '../../src/report/stats.ts';
import { Rng } from '../../src/rng.ts';

/** n latencies around `median` ms with a lognormal spread (sigma 0.05) and a 3% tail of 1.5x outliers. */
function latencies(seed: number, n: number, median: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => median * Math.exp(rng.normal(0, 0.05)) * (rng.next() < 0.03 ? 1.5 : 1));
}

const key = (runtime = 'cpu', model = 'm') => ({ model, variant: 'fp32', runtime, batch: '1', threads: '0', preset: 'default' });
const cell = (over: Partial<CellData> = {}): CellData => ({ key: key(), status: 'ok', software: false, samples: latencies(1, 200, 1), modelBytes: 1000, ...over });

describe('stats', () => {
  it('Mann–Whitney U matches the textbook normal approximation (scipy asymptotic, continuity-corrected)', () => {
    // U = 0, E[U] = 12.5, Var = 25·11/12, z = 12/sqrt(22.9167) = 2.5067, p = 2(1 - Φ(z)) = 0.01219.
    const r = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.u).toBe(0);
    expect(r.z).toBeCloseTo(2.5067, 3);
    expect(r.p).toBeCloseTo(0.01219, 4);
  });

  it('Mann–Whitney U: the tie correction shrinks the variance', () => {
    // x = [1,1,2], y = [2,3,3]: ranks 1.5,1.5,3.5 | 3.5,5.5,5.5 -> W = 6.5, U = 0.5.
    // ties: three pairs, Σ(t³-t) = 18; Var = 9/12 · (7 - 18/30) = 4.8; z = (4.5 - 0.5 - 0.5)/sqrt(4.8).
    const r = mannWhitney([1, 1, 2], [2, 3, 3]);
    expect(r.u).toBe(0.5);
    expect(r.z).toBeCloseTo(3.5 / Math.sqrt(4.8), 6);
    expect(r.p).toBeCloseTo(2 * (1 - normalCdf(3.5 / Math.sqrt(4.8))), 6);
  });

  it('the bootstrap CI of the ratio of medians covers a planted 10% shift and excludes 1', () => {
    const base = latencies(1, 300, 2);
    const cur = latencies(2, 300, 2.2);
    const ci = ratioOfMedians(base, cur, { confidence: 0.95, resamples: 1000, seed: 7 });
    expect(ci.ratio).toBeGreaterThan(1.07);
    expect(ci.ratio).toBeLessThan(1.13);
    expect(ci.lo).toBeGreaterThan(1);
    expect(ci.lo).toBeLessThan(1.1);
    expect(ci.hi).toBeGreaterThan(1.1);
    // seeded: the same draw twice
    expect(ratioOfMedians(base, cur, { confidence: 0.95, resamples: 1000, seed: 7 })).toEqual(ci);
  });

  it('the paired round bootstrap: a burst that slows both sides of a round cancels in the ratio', () => {
    const rng = new Rng(5);
    const base: number[] = [];
    const cur: number[] = [];
    for (let round = 0; round < 10; round++) {
      const load = 1 + 2 * rng.next(); // the machine's state during this round: up to 3x slower
      for (let i = 0; i < 30; i++) base.push(load * Math.exp(rng.normal(0, 0.02)));
      for (let i = 0; i < 30; i++) cur.push(1.1 * load * Math.exp(rng.normal(0, 0.02)));
    }
    const paired = ratioOfMediansPaired(base, cur, 30, { confidence: 0.95, resamples: 1000, seed: 3 });
    expect(paired.lo).toBeGreaterThan(1);
    expect(paired.hi - paired.lo).toBeLessThan(0.5);
    // resampling whole rounds sees the between-round spread that single runs hide
    const shuffledRounds = [...cur.slice(150), ...cur.slice(0, 150)];
    const unpairedRounds = ratioOfMediansPaired(base, shuffledRounds, 30, { confidence: 0.95, resamples: 1000, seed: 3 });
    expect(unpairedRounds.hi - unpairedRounds.lo).toBeGreaterThan(paired.hi - paired.lo);
    expect(() => ratioOfMediansPaired(base, cur.slice(1), 30)).toThrow(/whole blocks/);
  });

  it('stored runs in the order taken: blocks of consecutive runs carry a burst into the CI; sorted samples fall back to single runs', () => {
    // base: quiet; cur: the same distribution, but one stretch of 60 runs hit by a 1.6x burst.
    const base = latencies(31, 600, 1);
    const cur = latencies(32, 600, 1).map((x, i) => (i >= 300 && i < 360 ? 1.6 * x : x));
    const boot = { confidence: 0.95, resamples: 1000, seed: 2 };
    const single = ratioOfMedians(base, cur, boot);
    const blocks = ratioOfMediansBlocks(base, cur, 20, boot);
    expect(blocks.ratio).toBe(single.ratio);
    expect(blocks.hi - blocks.lo).toBeGreaterThan(1.3 * (single.hi - single.lo));
    expect(isAscending([...cur].sort((a, b) => a - b))).toBe(true);
    expect(isAscending(cur)).toBe(false);
    // compareLatency picks the block bootstrap for time-ordered samples, single runs for sorted ones
    const ordered = compareLatency(base, cur, { ...DEFAULT_GATE, resamples: 1000, seed: 2 });
    const sorted = compareLatency([...base].sort((a, b) => a - b), [...cur].sort((a, b) => a - b), { ...DEFAULT_GATE, resamples: 1000, seed: 2 });
    expect(ordered.hi - ordered.lo).toBeGreaterThan(sorted.hi - sorted.lo);
  });

  it('the median CI brackets the median and narrows with n', () => {
    const small = medianCi(latencies(3, 50, 1), 0.95);
    const large = medianCi(latencies(3, 5000, 1), 0.95);
    for (const c of [small, large]) {
      expect(c.lo).toBeLessThanOrEqual(c.value);
      expect(c.hi).toBeGreaterThanOrEqual(c.value);
    }
    expect(large.hi - large.lo).toBeLessThan((small.hi - small.lo) / 4);
  });
});

describe('latency gate', () => {
  it('flags a significant 10% slowdown, not the same distribution, and not a significant 2% one', () => {
    const base = latencies(11, 400, 1);
    expect(compareLatency(base, latencies(12, 400, 1.1), DEFAULT_GATE).verdict).toBe('regression');
    expect(compareLatency(base, latencies(13, 400, 1), DEFAULT_GATE).verdict).toBe('unchanged');
    const small = compareLatency(base, latencies(14, 4000, 1.02), DEFAULT_GATE);
    expect(small.significant).toBe(true);
    expect(small.verdict).toBe('unchanged');
    expect(compareLatency(base, latencies(15, 400, 0.85), DEFAULT_GATE).verdict).toBe('improvement');
  });

  it('needs significance: a 10% shift on 4 samples each is not flagged', () => {
    const r = compareLatency([1, 1.3, 0.8, 1.1], [1.1, 1.4, 0.9, 1.2], DEFAULT_GATE);
    expect(r.ratio).toBeGreaterThan(1.05);
    expect(r.verdict).toBe('unchanged');
  });

  it('the threshold and the test are configurable', () => {
    const base = latencies(21, 400, 1);
    const cur = latencies(22, 400, 1.04);
    expect(compareLatency(base, cur, DEFAULT_GATE).verdict).toBe('unchanged');
    expect(compareLatency(base, cur, { ...DEFAULT_GATE, latency: 0.02 }).verdict).toBe('regression');
    expect(compareLatency(base, cur, { ...DEFAULT_GATE, latency: 0.02, test: 'mwu' }).verdict).toBe('regression');
  });
});

describe('cell gates', () => {
  it('macro-F1 and agreement drops are absolute, size growth relative', () => {
    const base = cell({ macroF1: 0.8, agreementFp32: 1, modelBytes: 1000 });
    expect(compareCell(base, cell({ macroF1: 0.795, agreementFp32: 1, modelBytes: 1000 })).category).toBe('unchanged');
    const f1 = compareCell(base, cell({ macroF1: 0.78, agreementFp32: 1, modelBytes: 1000 }));
    expect(f1.category).toBe('regression');
    expect(f1.reasons.join()).toMatch(/macro-F1 0\.8000 -> 0\.7800/);
    expect(compareCell(base, cell({ macroF1: 0.8, agreementFp32: 0.98, modelBytes: 1000 })).agreementFp32?.verdict).toBe('regression');
    expect(compareCell(base, cell({ macroF1: 0.8, agreementFp32: 1, modelBytes: 1011 })).modelBytes?.verdict).toBe('regression');
    expect(compareCell(base, cell({ macroF1: 0.8, agreementFp32: 1, modelBytes: 1009 })).category).toBe('unchanged');
    expect(compareCell(base, cell({ macroF1: 0.8, agreementFp32: 1, modelBytes: 500 })).category).toBe('improvement');
    // F1 is compared only when both have it
    expect(compareCell(base, cell({ agreementFp32: 1, modelBytes: 1000 })).macroF1).toBeUndefined();
  });

  it('status changes: ok -> a failure is a regression; ok -> absent, unavailable or unsupported is missing (fails the gate); new is reported', () => {
    for (const s of ['crashed', 'timeout', 'error', 'nonfinite']) {
      const r = compareCell(cell(), cell({ status: s, samples: undefined, error: 'boom' }));
      expect(r.category, s).toBe('regression');
      expect(r.reasons[0]).toBe(`status ok -> ${s} (boom)`);
    }
    for (const s of ['unavailable', 'unsupported']) {
      const r = compareCell(cell(), cell({ status: s, samples: undefined, error: 'no adapter' }));
      expect(r.category, s).toBe('missing');
      expect(r.reasons[0]).toBe(`status ok -> ${s}: no adapter`);
      expect(gateFails([r]), s).toBe(true);
      expect(gateFails([r], { allowMissing: true }), s).toBe(false);
    }
    expect(compareCell(cell(), undefined).category).toBe('missing');
    expect(gateFails([compareCell(cell(), undefined)])).toBe(true);
    // a baseline cell that was not ok had nothing to judge: its absence loses nothing
    expect(compareCell(cell({ status: 'crashed', samples: undefined }), undefined).category).toBe('unchanged');
    expect(compareCell(undefined, cell()).category).toBe('new');
    expect(gateFails([compareCell(undefined, cell())])).toBe(false);
    expect(compareCell(cell({ status: 'crashed', samples: undefined }), cell()).category).toBe('improvement');
    expect(compareCell(cell({ status: 'crashed', samples: undefined }), cell({ status: 'timeout', samples: undefined })).category).toBe('unchanged');
  });

  it('software adapters: latency is not compared when both are; a flip between hardware and software is not comparable and fails', () => {
    const r = compareCell(cell({ software: true }), cell({ software: true, samples: latencies(5, 200, 3) }));
    expect(r.latency).toBeUndefined();
    expect(r.category).toBe('unchanged');
    expect(r.note).toMatch(/software adapter/);
    const flip = compareCell(cell(), cell({ software: true, samples: latencies(5, 200, 3) }));
    expect(flip.category).toBe('incomparable');
    expect(flip.reasons[0]).toMatch(/^not comparable: .*software_adapter false -> true/);
    expect(gateFails([flip])).toBe(true);
    expect(gateFails([flip], { allowMissing: true })).toBe(false);
    expect(judgedCells([flip])).toEqual([]);
  });

  it('cells measured under other conditions (threads_used, cross_origin_isolated, simd) are not comparable and fail; an unstated side is no difference', () => {
    const isolated = { threads_used: '2', cross_origin_isolated: 'true', simd: 'true' };
    // current is 40% faster, but on 2 threads against 1: not an improvement to report
    const r = compareCell(cell({ inForce: { ...isolated, threads_used: '1', cross_origin_isolated: 'false' } }), cell({ samples: latencies(5, 200, 0.6), inForce: isolated }));
    expect(r.category).toBe('incomparable');
    expect(r.latency).toBeUndefined();
    expect(r.reasons[0]).toMatch(/threads_used 1 -> 2, cross_origin_isolated false -> true/);
    expect(gateFails([r])).toBe(true);
    expect(gateFails([r], { allowMissing: true })).toBe(false);
    expect(compareCell(cell({ inForce: { simd: 'true' } }), cell({ inForce: { simd: 'false' } })).reasons[0]).toMatch(/simd true -> false/);
    // the same conditions, or a side that does not state a column (a schema-5 run, onnxruntime-node), are judged as usual
    expect(compareCell(cell({ inForce: isolated }), cell({ inForce: isolated })).category).toBe('unchanged');
    expect(compareCell(cell(), cell({ inForce: isolated })).category).toBe('unchanged');
    expect(inForceDifferences(cell({ inForce: { threads_used: '4' } }), cell({ inForce: { simd: 'true' } }))).toEqual([]);
  });

  it('a metric blank on one side is not judged, and says so', () => {
    const r = compareCell(cell({ macroF1: 0.8, modelBytes: 1000 }), cell({ macroF1: 0.8, modelBytes: undefined }));
    expect(r.modelBytes).toBeUndefined();
    expect(r.notJudged).toEqual(['model_bytes (blank in current)']);
    expect(compareCell(cell(), cell({ agreementFp32: 1 })).notJudged).toEqual(['agreement_fp32 (blank in the baseline)']);
    expect(compareCell(cell(), cell()).notJudged).toBeUndefined();
  });

  it('pairs cells by the whole key', () => {
    const base = [cell({ key: key('cpu') }), cell({ key: key('wasm') }), cell({ key: { ...key('cpu'), threads: '1' } })];
    const cur = [cell({ key: key('wasm'), samples: latencies(9, 200, 1.3) }), cell({ key: key('cpu') }), cell({ key: key('webgpu') })];
    const rs = compareRuns(base, cur);
    const by = Object.fromEntries(rs.map((r) => [`${r.key.runtime}${r.key.threads}`, r.category]));
    expect(by).toEqual({ cpu0: 'unchanged', wasm0: 'regression', cpu1: 'missing', webgpu0: 'new' });
    expect(gateFails(rs)).toBe(true);
    expect(gateFails(compareRuns(base.slice(0, 1), cur.slice(1, 2)))).toBe(false);
  });
});

describe('fingerprint and output', () => {
  it('names the environment fields that differ, only those both runs have', () => {
    const b = { cpu: 'AMD EPYC', cores: '2', node: 'v20.20.2', ort_version: '1.30.0', os: 'linux', p50_ms: '1', cpu_flags: 'avx2' };
    const c = { cpu: 'Intel Xeon', cores: '2', node: 'v20.20.2', ort_version: '1.31.0', os: 'linux', p50_ms: '2' };
    expect(fingerprintDiffs([[b, c]]).map((d) => `${d.column}:${d.base}>${d.cur}`)).toEqual(['cpu:AMD EPYC>Intel Xeon', 'ort_version:1.30.0>1.31.0']);
  });

  it('the Markdown report has a section per category present', () => {
    const rs = compareRuns([cell(), cell({ key: key('wasm') })], [cell({ samples: latencies(4, 200, 1.5) }), cell({ key: key('webgpu') })]);
    const md = markdownReport(rs, [], { title: 't', baseLabel: 'a.csv', curLabel: 'b.csv', confidence: 0.95, test: 'bootstrap', latencyThreshold: 0.05 });
    expect(md).toMatch(/\*\*1 regression\(s\)\*\*, \*\*1 missing\*\*, 0 incomparable, 0 improvement\(s\), 0 unchanged, 1 new\./);
    expect(md).toMatch(/### Regressions\n\n\| cell \|/);
    expect(md).toMatch(/\| m fp32 cpu b1 t0 default \| ok \| 0\.999 → 1\.51 \| 1\.5\d+ \[1\.\d+, 1\.\d+\] \|/);
    expect(md).toMatch(/### Missing\n\n[^#]*status ok -> absent from current/);
    expect(md).toMatch(/### New/);
    // the summary's counts are the table's rows, per category
    for (const [title, n] of [['Regressions', 1], ['Missing', 1], ['New', 1]] as const) {
      const section = md.split(`### ${title}\n\n`)[1].split('\n### ')[0];
      expect(section.trim().split('\n').length - 2, title).toBe(n);
    }
    expect(md).not.toMatch(/### Unchanged/);
  });

  it('exports parse as Bencher Metric Format and customSmallerIsBetter', () => {
    const cells = [cell({ macroF1: 0.9 }), cell({ key: key('webgpu'), software: true }), cell({ key: key('wasm'), status: 'crashed', samples: undefined })];
    const bmf = JSON.parse(JSON.stringify(bencherMetricFormat(cells, 0.95)));
    expect(Object.keys(bmf)).toEqual(['m/fp32/cpu/b1/t0/default', 'm/fp32/webgpu/b1/t0/default']);
    const lat = bmf['m/fp32/cpu/b1/t0/default'].latency;
    // BMF's built-in latency measure is in nanoseconds
    expect(lat.value).toBeGreaterThan(0.9e6);
    expect(lat.value).toBeLessThan(1.1e6);
    expect(lat.lower_value).toBeLessThanOrEqual(lat.value);
    expect(lat.upper_value).toBeGreaterThanOrEqual(lat.value);
    expect(bmf['m/fp32/cpu/b1/t0/default']['file-size']).toEqual({ value: 1000 });
    expect(bmf['m/fp32/cpu/b1/t0/default']['macro-f1']).toEqual({ value: 0.9 });
    expect(bmf['m/fp32/webgpu/b1/t0/default'].latency).toBeUndefined();
    for (const measures of Object.values(bmf) as Record<string, { value: unknown }>[]) for (const m of Object.values(measures)) expect(typeof m.value).toBe('number');

    const gab = JSON.parse(JSON.stringify(githubActionBenchmark(cells, 0.95)));
    expect(Array.isArray(gab)).toBe(true);
    expect(gab.map((e: { name: string; unit: string }) => `${e.name} [${e.unit}]`)).toEqual([
      'm/fp32/cpu/b1/t0/default p50 [ms]',
      'm/fp32/cpu/b1/t0/default model bytes [bytes]',
      'm/fp32/webgpu/b1/t0/default model bytes [bytes]',
    ]);
    for (const e of gab) expect(typeof e.value).toBe('number');
    expect(gab[0].range).toMatch(/^± [\d.]+$/);
  });
});
