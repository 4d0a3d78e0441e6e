/**
 * Small learnable features for tests that train in a second or two: [1, 16, 16] clips of uniform
 * noise lifted by 0.8 k for class k (global pooling keeps the level, so the task is separable).
 */
import type { LoadedFeatures, SplitFeatures } from '../../src/features/datasets/index.ts';
import { Rng } from '../../src/rng.ts';

/** Synthetic features: uniform noise lifted by 0.8 k for class k (global pooling keeps the level, so it is learnable). */
export function syntheticFeatures(perClass: number, classes: number, seed: number): LoadedFeatures {
  const rng = new Rng(seed);
  const split = (n: number): SplitFeatures => {
    const x = new Float32Array(n * classes * 16 * 16);
    const y = new Int32Array(n * classes);
    for (let i = 0; i < y.length; i++) {
      y[i] = i % classes;
      for (let m = 0; m < 16; m++) for (let t = 0; t < 16; t++) x[i * 256 + m * 16 + t] = rng.next() + 0.8 * y[i];
    }
    return { x, y, dims: [1, 16, 16], sources: Array.from(y, (_, i) => `clip${i}`) };
  };
  return {
    preset: 'test',
    dataset: 'synthetic',
    classes: Array.from({ length: classes }, (_, k) => `c${k}`),
    splits: { train: split(perClass), val: split(2), test: split(2) },
    skipped: [],
    counters: {} as LoadedFeatures['counters'],
    notes: [],
    classWeights: new Float32Array(classes).fill(1),
    cache: { path: '', hit: false },
  };
}
