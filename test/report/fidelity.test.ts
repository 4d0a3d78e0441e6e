/**
 * The fidelity math (src/report/fidelity.ts) on signals whose answer is known by hand: SNR of a
 * signal plus noise of known energy, the infinite cases, argmax agreement of classifier-like
 * outputs only, worst-case summaries over outputs, and sums that do not depend on batching.
 */
import { describe, expect, it } from 'vitest';
import { FidelityAccumulator, fidelityColumns, fidelityLines, isClassifierLike, snrDb } from '../../src/report/fidelity.ts';
import type { HostTensor } from '../../src/runners/runner.ts';

const f32 = (data: number[], dims: number[]): HostTensor => ({ type: 'float32', data: Float32Array.from(data), dims });

describe('snrDb', () => {
  it('is 10 log10 of the energy ratio, infinite at the edges', () => {
    expect(snrDb(100, 1)).toBeCloseTo(20, 12);
    expect(snrDb(1, 1)).toBe(0);
    expect(snrDb(1, 10)).toBeCloseTo(-10, 12);
    expect(snrDb(5, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(snrDb(0, 3)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('FidelityAccumulator', () => {
  it('gives 20 dB for a +-1 square wave with a 0.1 offset, and the max |diff| of 0.1', () => {
    // r = +-1 (energy 1 per value), y - r = 0.1 (energy 0.01 per value): SNR = 10 log10(100) = 20 dB.
    const r = Array.from({ length: 64 }, (_, i) => (i % 2 ? 1 : -1));
    const acc = new FidelityAccumulator();
    acc.addBatch(1, { out: f32(r.map((v) => v + 0.1), [1, 64]) }, { out: f32(r, [1, 64]) });
    const s = acc.summary();
    expect(s.perOutput[0].snrDb).toBeCloseTo(20, 4);
    expect(s.perOutput[0].maxAbsDiff).toBeCloseTo(0.1, 6);
    expect(s.perOutput[0].values).toBe(64);
  });

  it('gives a sine plus a smaller sine the ratio of their powers, whatever the batching', () => {
    // Two sines of amplitude 1 and 0.01 at other frequencies over whole periods: powers 1/2 and 1e-4/2, SNR 40 dB.
    const n = 256;
    const r = Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 4 * i) / n));
    const y = r.map((v, i) => v + 0.01 * Math.sin((2 * Math.PI * 9 * i) / n));
    const whole = new FidelityAccumulator();
    whole.addBatch(4, { s: f32(y, [4, 64]) }, { s: f32(r, [4, 64]) });
    const parts = new FidelityAccumulator();
    for (let k = 0; k < 4; k++) parts.addBatch(1, { s: f32(y.slice(k * 64, (k + 1) * 64), [1, 64]) }, { s: f32(r.slice(k * 64, (k + 1) * 64), [1, 64]) });
    expect(whole.summary().snrDb).toBeCloseTo(40, 3);
    expect(parts.summary().snrDb).toBeCloseTo(whole.summary().snrDb, 9);
    expect(parts.summary().agreement).toBe(whole.summary().agreement);
    expect(parts.summary().inputs).toBe(4);
  });

  it('counts argmax agreement per row of classifier-like outputs only, and summarises the worst output', () => {
    const acc = new FidelityAccumulator();
    // 'probs' [4, 3]: rows 0-2 keep their argmax, row 3 flips from class 0 to class 2.
    const ref = f32([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.5, 0.1, 0.4], [4, 3]);
    const out = f32([0.6, 0.3, 0.1, 0.1, 0.7, 0.2, 0.2, 0.1, 0.7, 0.4, 0.1, 0.5], [4, 3]);
    // 'score' [4, 1] is not classifier-like: no agreement for it.
    acc.addBatch(4, { probs: out, score: f32([1, 2, 3, 4], [4, 1]) }, { probs: ref, score: f32([1, 2, 3, 4], [4, 1]) });
    const s = acc.summary();
    expect(s.perOutput.map((o) => [o.output, o.agreement])).toEqual([
      ['probs', 0.75],
      ['score', undefined],
    ]);
    expect(s.agreement).toBe(0.75);
    expect(s.perOutput[1].snrDb).toBe(Number.POSITIVE_INFINITY);
    expect(s.snrDb).toBe(s.perOutput[0].snrDb); // the worst output
    expect(s.maxAbsDiff).toBeCloseTo(0.1, 6);
    expect(fidelityColumns(s)).toEqual({ fidelity_inputs: 4, fidelity_agreement: 0.75, snr_db: s.snrDb, fidelity_max_abs_diff: s.maxAbsDiff });
    expect(fidelityLines(s)[1]).toBe('score: SNR inf dB (identical), max |Δ| 0.00 (4 values)');
  });

  it('says which output is not finite and leaves the columns empty but for the count', () => {
    const acc = new FidelityAccumulator();
    acc.addBatch(1, { y: f32([1, Number.NaN], [1, 2]) }, { y: f32([1, 2], [1, 2]) });
    const s = acc.summary();
    expect(s.nonFinite).toBe("output 'y': 1 NaN of 2 values");
    expect(fidelityColumns(s)).toEqual({ fidelity_inputs: 1 });
  });

  it('treats [rows, K >= 2] as classifier-like, nothing else', () => {
    const f = (dims: number[]) => ({ type: 'float32' as const, data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims });
    expect(isClassifierLike(f([8, 10]))).toBe(true);
    expect(isClassifierLike(f([8, 1]))).toBe(false);
    expect(isClassifierLike(f([1, 16, 96]))).toBe(false);
    expect(isClassifierLike(f([10]))).toBe(false);
    expect(isClassifierLike({ type: 'int64', data: new BigInt64Array(16), dims: [8, 2] })).toBe(false);
  });
});
