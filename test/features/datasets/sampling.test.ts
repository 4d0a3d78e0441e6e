import { describe, expect, it } from 'vitest';
import { classCounts, classWeights, EqualProbabilitySampler, selectRows, undersampleIndices } from '../../../src/features/datasets/sampling.ts';

const y = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 0]); // counts 7, 3, 2

describe('class weights (seed 001): n / (k * count)', () => {
  it('matches the formula and balances the total weight per class', () => {
    const w = classWeights(y, 4);
    expect(w[0]).toBeCloseTo(12 / (3 * 7), 6);
    expect(w[1]).toBeCloseTo(12 / (3 * 3), 6);
    expect(w[2]).toBeCloseTo(12 / (3 * 2), 6);
    expect(w[3]).toBe(0);
    const counts = classCounts(y, 4);
    for (let c = 0; c < 3; c++) expect(w[c] * counts[c]).toBeCloseTo(12 / 3, 5);
  });
});

describe('class-balanced undersampling', () => {
  it('keeps min-count examples of every present class, deterministically', () => {
    const idx = undersampleIndices(y, 4, 3);
    expect(classCounts(Array.from(idx, (i) => y[i]), 4)).toEqual([2, 2, 2, 0]);
    expect(Array.from(idx)).toEqual(Array.from(undersampleIndices(y, 4, 3)));
    expect([...idx].every((v, i) => i === 0 || v > idx[i - 1])).toBe(true);
  });

  it('selects rows of a split with their features', () => {
    const s = { x: Float32Array.from({ length: 12 * 2 }, (_, i) => i), y, dims: [1, 1, 2], sources: y.map((_, i) => i).reduce<string[]>((a, i) => [...a, `s${i}`], []) };
    const r = selectRows(s, [11, 3]);
    expect(Array.from(r.x)).toEqual([22, 23, 6, 7]);
    expect(Array.from(r.y)).toEqual([0, 0]);
    expect(r.sources).toEqual(['s11', 's3']);
  });
});

describe('equal-probability sampling (seed 003)', () => {
  it('draws every present class about equally often', () => {
    const s = new EqualProbabilitySampler(y, 4, 1);
    const counts = classCounts(Array.from(s.epoch(30000), (i) => y[i]), 4);
    for (let c = 0; c < 3; c++) expect(counts[c] / 30000).toBeCloseTo(1 / 3, 1);
    expect(counts[3]).toBe(0);
    expect(() => new EqualProbabilitySampler([], 2, 0)).toThrow(RangeError);
  });
});
