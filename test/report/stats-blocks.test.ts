/**
 * The block bootstrap's fast median (stats.ts, BlockMedian) against the plain algorithm it
 * replaces: pool the drawn blocks, sort, take the middle. Same seed, same draws: the intervals
 * must be identical, ties and odd/even sizes included.
 */
import { describe, expect, it } from 'vitest';
import { ratioOfMediansBlocks } from '../../src/report/stats.ts';
import { Rng } from '../../src/rng.ts';

/** The reference: pooled draws, sorted, as stats.ts did before. */
function pooledBlocks(base: number[], cur: number[], blocks: number, resamples: number, confidence: number, seed: number) {
  const rng = new Rng(seed);
  const cut = (xs: number[]) => {
    const k = Math.max(1, Math.min(blocks, xs.length));
    const size = Math.floor(xs.length / k);
    return Array.from({ length: k }, (_, i) => xs.slice(i * size, i === k - 1 ? xs.length : (i + 1) * size));
  };
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  };
  const draw = (bs: number[][]) => med(Array.from({ length: bs.length }, () => bs[rng.int(bs.length)]).flat());
  const bb = cut(base);
  const cb = cut(cur);
  const draws = Array.from({ length: resamples }, () => {
    const b = draw(bb);
    return draw(cb) / b;
  }).sort((a, b) => a - b);
  const at = (q: number) => draws[Math.min(draws.length - 1, Math.max(0, Math.round(q * (draws.length - 1))))];
  return { lo: at((1 - confidence) / 2), hi: at((1 + confidence) / 2) };
}

describe('ratioOfMediansBlocks', () => {
  const rng = new Rng(7);
  const cases: [string, number[], number[], number][] = [
    ['continuous, 20 blocks', Array.from({ length: 1003 }, () => Math.exp(rng.normal(0, 0.1))), Array.from({ length: 998 }, () => 1.05 * Math.exp(rng.normal(0, 0.1))), 20],
    // timer ticks: many exact ties
    ['quantized to 0.01 ms with ties', Array.from({ length: 400 }, () => Math.round(100 * (1 + rng.uniform(0, 0.2))) / 100), Array.from({ length: 401 }, () => Math.round(100 * (1 + rng.uniform(0, 0.25))) / 100), 20],
    ['fewer samples than blocks', [3, 1, 2], [2, 2, 5, 1], 20],
    ['odd block sizes', Array.from({ length: 77 }, () => rng.uniform(1, 2)), Array.from({ length: 76 }, () => rng.uniform(1, 2)), 7],
  ];
  for (const [name, base, cur, blocks] of cases) {
    it(`equals the pooled-and-sorted median draws: ${name}`, () => {
      const fast = ratioOfMediansBlocks(base, cur, blocks, { confidence: 0.95, resamples: 300, seed: 3 });
      const ref = pooledBlocks(base, cur, blocks, 300, 0.95, 3);
      expect(fast.lo).toBe(ref.lo);
      expect(fast.hi).toBe(ref.hi);
      expect(fast.lo).toBeLessThanOrEqual(fast.hi);
    });
  }
});
