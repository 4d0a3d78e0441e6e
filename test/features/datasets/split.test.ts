import { describe, expect, it } from 'vitest';
import { allocate, splitByFold, splitBySource, type SplitItem } from '../../../src/features/datasets/split.ts';

/** k classes, groups per class, 3 items per group (crops of one recording). */
function items(groupsPerClass: number[]): SplitItem[] {
  const out: SplitItem[] = [];
  groupsPerClass.forEach((g, label) => {
    for (let s = 0; s < g; s++) for (let crop = 0; crop < 3; crop++) out.push({ label, source: `c${label}/rec${s}` });
  });
  return out;
}

describe('splitBySource', () => {
  it('puts every source in exactly one split, so crops of a recording never straddle splits', () => {
    const its = items([20, 10, 7]);
    const m = splitBySource(its, 1);
    for (const it of its) expect(m.has(it.source)).toBe(true);
    const perSource = new Map<string, Set<string>>();
    for (const it of its) (perSource.get(it.source) ?? perSource.set(it.source, new Set()).get(it.source)!).add(m.get(it.source)!);
    for (const s of perSource.values()) expect(s.size).toBe(1);
  });

  it('stratifies: each class gets round(15 %) of its sources in val and test (at least 1)', () => {
    const m = splitBySource(items([20, 10, 3]), 2);
    const count = (label: number, split: string) => [...m].filter(([s, sp]) => s.startsWith(`c${label}/`) && sp === split).length;
    expect([count(0, 'train'), count(0, 'val'), count(0, 'test')]).toEqual([14, 3, 3]);
    expect([count(1, 'train'), count(1, 'val'), count(1, 'test')]).toEqual([6, 2, 2]);
    expect([count(2, 'train'), count(2, 'val'), count(2, 'test')]).toEqual([1, 1, 1]);
  });

  it('is deterministic, independent of input order, and changes with the seed', () => {
    const its = items([12, 12]);
    const a = splitBySource(its, 7);
    const b = splitBySource([...its].reverse(), 7);
    expect([...a].sort()).toEqual([...b].sort());
    const c = splitBySource(its, 8);
    expect([...a].sort()).not.toEqual([...c].sort());
  });

  it('allocates small classes sensibly', () => {
    const f = { val: 0.15, test: 0.15 };
    expect(allocate(1, f)).toEqual([0, 0]);
    expect(allocate(2, f)).toEqual([0, 1]);
    expect(allocate(3, f)).toEqual([1, 1]);
    expect(allocate(100, f)).toEqual([15, 15]);
    expect(allocate(5, { val: 0.4, test: 0.4 })).toEqual([2, 2]);
    expect(() => splitBySource([], 0, { val: 0.5, test: 0.5 })).toThrow(RangeError);
  });

  it('maps folds to splits', () => {
    expect([1, 2, 3, 4, 5].map((f) => splitByFold(f, 5, 4))).toEqual(['train', 'train', 'train', 'val', 'test']);
  });
});
