/**
 * Deterministic, seeded, stratified split grouped by source.
 *
 * Items are grouped by `source` (a group takes the label of most of its items); within each
 * class the groups are sorted by name, shuffled by an Rng derived from (seed, class), and dealt
 * out: round(f_test * G) groups to test and round(f_val * G) to val, each at least 1 when the
 * class has at least 3 groups, the rest to train. A class with 2 groups gives 1 to train and 1
 * to test; with 1 group, it goes to train. The result depends only on the set of
 * (source, label) pairs and the seed, never on the order of the input.
 */
import type { SplitName } from './dataset.ts';
import { DataRng } from './data-rng.ts';

export interface SplitFractions {
  val: number;
  test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { val: 0.15, test: 0.15 };

export interface SplitItem {
  label: number;
  source: string;
}

/** The split of each source: `Map<source, split>`. */
export function splitBySource(
  items: readonly SplitItem[],
  seed: number,
  fractions: SplitFractions = DEFAULT_FRACTIONS,
): Map<string, SplitName> {
  if (!(fractions.val >= 0 && fractions.test >= 0 && fractions.val + fractions.test < 1)) {
    throw new RangeError(`split fractions val=${fractions.val} test=${fractions.test} must be >= 0 and sum below 1`);
  }
  const votes = new Map<string, Map<number, number>>();
  for (const it of items) {
    let v = votes.get(it.source);
    if (!v) votes.set(it.source, (v = new Map()));
    v.set(it.label, (v.get(it.label) ?? 0) + 1);
  }
  const byClass = new Map<number, string[]>();
  for (const [source, v] of votes) {
    let best = -1;
    let bestN = -1;
    for (const [label, n] of v) {
      // NOTE: ties go to the smaller label, so the group label does not depend on input order.
      if (n > bestN || (n === bestN && label < best)) {
        best = label;
        bestN = n;
      }
    }
    let g = byClass.get(best);
    if (!g) byClass.set(best, (g = []));
    g.push(source);
  }
  const out = new Map<string, SplitName>();
  for (const [label, groups] of byClass) {
    groups.sort();
    DataRng.derive(seed, 'split', label).shuffle(groups);
    const [nVal, nTest] = allocate(groups.length, fractions);
    groups.forEach((s, i) => out.set(s, i < nTest ? 'test' : i < nTest + nVal ? 'val' : 'train'));
  }
  return out;
}

/** [nVal, nTest] groups out of `g`. */
export function allocate(g: number, f: SplitFractions): [number, number] {
  if (g < 2) return [0, 0];
  if (g === 2) return [0, f.test > 0 ? 1 : 0];
  let nTest = f.test > 0 ? Math.max(1, Math.round(f.test * g)) : 0;
  let nVal = f.val > 0 ? Math.max(1, Math.round(f.val * g)) : 0;
  // NOTE: keep at least one group for training when rounding up starves it.
  while (nTest + nVal >= g) {
    if (nVal >= nTest && nVal > 0) nVal--;
    else nTest--;
  }
  return [nVal, nTest];
}

/**
 * Splits from folds (ESC-50 / UrbanSound8K style): `testFold` goes to test, `valFold` to val,
 * every other fold to train.
 */
export function splitByFold(fold: number, testFold: number, valFold: number | undefined): SplitName {
  return fold === testFold ? 'test' : fold === valFold ? 'val' : 'train';
}
