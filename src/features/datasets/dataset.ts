/**
 * The dataset contract: a dataset is a list of classes and, per split, a stream of labelled
 * clips of fixed length at the preset's sample rate. `loadDataset` (index.ts) turns those
 * streams into `LoadedFeatures`: one [n, C, M, T] Float32 block and its labels per split,
 * which is what training, calibration and evaluation consume.
 *
 * Splits are fixed by the dataset, never by the consumer, and group clips by `source`
 * (the recording they came from), so no recording has crops in two splits.
 */
import type { Audio } from '../types.ts';

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** One labelled example: exactly `clipSeconds` of audio at the preset's sample rate. */
export interface Clip {
  audio: Audio;
  /** Index into `Dataset.classes`. */
  label: number;
  /** Recording id: every clip cut from one recording shares it, and splits group by it. */
  source: string;
  fold?: number;
}

/** A file that was left out, and why, in one line. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/**
 * What identifies a dataset's content: its kind and every parameter that changes the clips.
 * It is hashed (with the preset and the code version) into the feature cache key, so it must
 * hold a fingerprint of any files it reads.
 */
export interface DatasetSpec {
  kind: string;
  params: Record<string, unknown>;
}

/** Counters a dataset keeps while it streams, e.g. `{ resampled: 12 }`; printed by `melbench data`. */
export type Counters = Record<string, number>;

export interface Dataset {
  name: string;
  classes: string[];
  spec: DatasetSpec;
  /** How many clips `clips(split)` will yield at most (bad files can make it fewer); for progress. */
  expected(split: SplitName): number;
  clips(split: SplitName): AsyncIterable<Clip>;
  /** Files left out so far (filled while `clips` streams, with onBadFile 'skip'). */
  skipped: SkippedFile[];
  counters: Counters;
  /** Lines worth telling the user once, e.g. which categories were merged or dropped. */
  notes: string[];
}

/** Features of one split: row i is `x[i*C*M*T .. (i+1)*C*M*T)`, labelled `y[i]`, cut from `sources[i]`. */
export interface SplitFeatures {
  x: Float32Array;
  y: Int32Array;
  /** [C, M, T] of one example. */
  dims: number[];
  sources: string[];
}

export interface LoadedFeatures {
  /** The preset's name. */
  preset: string;
  dataset: string;
  classes: string[];
  splits: Record<SplitName, SplitFeatures>;
  skipped: SkippedFile[];
  counters: Counters;
  notes: string[];
  /** n_train / (n_classes * count_c) over the train split as loaded (seed 001); 0 for an absent class. */
  classWeights: Float32Array;
  cache: { path: string; hit: boolean };
}

/** The number of examples in a split. */
export function splitSize(s: SplitFeatures): number {
  return s.y.length;
}
