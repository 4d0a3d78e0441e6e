/**
 * Remedies for class imbalance, all over integer labels y[i] in [0, k):
 * - class-balanced undersampling (seed 001): each class keeps a seeded random subset of
 *   min_c count_c examples, over the classes present;
 * - class weights (seed 001): w_c = n / (k * count_c), so that sum_i w_{y_i} = n over the k
 *   present classes; a class with no example gets weight 0;
 * - equal-probability sampling (seed 003): draw a class uniformly among the present classes,
 *   then an example uniformly within it, so each class is seen equally often per epoch.
 */
import type { SplitFeatures } from './dataset.ts';
import { DataRng } from './data-rng.ts';

export function classCounts(y: ArrayLike<number>, nClasses: number): number[] {
  const c = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < y.length; i++) c[y[i]]++;
  return c;
}

/** w_c = n / (k * count_c) with k the number of classes that occur; 0 for absent classes. */
export function classWeights(y: ArrayLike<number>, nClasses: number): Float32Array {
  const counts = classCounts(y, nClasses);
  const present = counts.filter((c) => c > 0).length;
  const w = new Float32Array(nClasses);
  for (let c = 0; c < nClasses; c++) w[c] = counts[c] > 0 ? y.length / (present * counts[c]) : 0;
  return w;
}

/** Sorted indices of a class-balanced subset: every present class keeps min count examples. */
export function undersampleIndices(y: ArrayLike<number>, nClasses: number, seed: number): Int32Array {
  const byClass: number[][] = Array.from({ length: nClasses }, () => []);
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  const present = byClass.filter((ix) => ix.length > 0);
  if (present.length === 0) return new Int32Array(0);
  const keep = Math.min(...present.map((ix) => ix.length));
  const out: number[] = [];
  byClass.forEach((ix, c) => {
    if (ix.length === 0) return;
    out.push(...DataRng.derive(seed, 'undersample', c).shuffle(ix).slice(0, keep));
  });
  return Int32Array.from(out.sort((a, b) => a - b));
}

/** The rows `idx` of a split, in that order. */
export function selectRows(s: SplitFeatures, idx: ArrayLike<number>): SplitFeatures {
  const size = s.dims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(idx.length * size);
  const y = new Int32Array(idx.length);
  const sources: string[] = [];
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    x.set(s.x.subarray(i * size, (i + 1) * size), j * size);
    y[j] = s.y[i];
    sources.push(s.sources[i]);
  }
  return { x, y, dims: s.dims.slice(), sources };
}

/**
 * Equal-probability sampler: `next()` returns an example index whose class is uniform over the
 * present classes. `epoch(n)` draws n indices (with replacement across the epoch).
 */
export class EqualProbabilitySampler {
  private readonly byClass: number[][];
  private readonly rng: DataRng;

  constructor(y: ArrayLike<number>, nClasses: number, seed: number) {
    const all: number[][] = Array.from({ length: nClasses }, () => []);
    for (let i = 0; i < y.length; i++) all[y[i]].push(i);
    this.byClass = all.filter((ix) => ix.length > 0);
    if (this.byClass.length === 0) throw new RangeError('equal-probability sampling needs at least one example');
    this.rng = DataRng.derive(seed, 'equal-probability');
  }

  next(): number {
    const ix = this.rng.pick(this.byClass);
    return this.rng.pick(ix);
  }

  epoch(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }
}
