/**
 * loadDataset: dataset name + preset -> LoadedFeatures, through the feature cache.
 *
 *   spec ('alerts' | 'sonicpi' | 'folder:<path>') -> Dataset (clips per split at the preset's rate)
 *     -> computeFeatures per clip -> one [n, C, M, T] block per split -> cache (keyed by dataset
 *        spec, preset, seed, extraction options, code version)
 *     -> optional class-balanced undersampling of train (after the cache, so one entry serves both)
 *     -> class weights over train.
 */
import { EXIT, UserError } from '../../errors.ts';
import { checkFiniteFeatures } from '../finite.ts';
import { computeFeatures } from '../frontend.ts';
import { getPreset, validatePreset, type Preset } from '../presets.ts';
import { alertsDataset, type AlertsParams } from './alerts.ts';
import { BadFiles, ON_BAD_FILE, type OnBadFile } from './bad-files.ts';
import { cacheKey, cachePath, DEFAULT_CACHE_DIR, readCache, writeCache, type CacheEntry } from './cache.ts';
import { SPLITS, type Dataset, type LoadedFeatures, type SplitFeatures, type SplitName } from './dataset.ts';
import { folderDataset, type FolderParams } from './folder.ts';
import { progressBar, progressEnabled } from './progress.ts';
import { classWeights, selectRows, undersampleIndices } from './sampling.ts';
import { sonicPiDataset, type SonicPiParams } from './sonicpi.ts';

export type { Clip, Dataset, LoadedFeatures, SplitFeatures, SplitName } from './dataset.ts';
export { SPLITS } from './dataset.ts';

export const DATASET_NAMES = ['alerts', 'sonicpi', 'folder:<path>'] as const;

export type Balance = 'none' | 'undersample';
export const BALANCE_MODES: readonly Balance[] = ['none', 'undersample'];

export interface LoadOptions {
  /** A preset name or a full preset. */
  preset: string | Preset;
  seed?: number;
  onBadFile?: OnBadFile;
  /** Class-balanced undersampling of the train split (seed 001). */
  balance?: Balance;
  /** Reject files whose sample rate differs from the preset's instead of resampling them. */
  strictRate?: boolean;
  /** Root of the cache (default `.melbench-cache` in the working directory). */
  cacheDir?: string;
  /** false: neither read nor write the cache. */
  cache?: boolean;
  /** Show a progress bar (default: when stderr is a TTY and CI is not set). */
  progress?: boolean;
  alerts?: Partial<AlertsParams>;
  sonicpi?: Partial<SonicPiParams>;
  folder?: Partial<FolderParams>;
}

/** The Dataset named by `spec`, for clips at the preset's rate and length. */
export async function openDataset(spec: string, preset: Preset, o: LoadOptions, bad: BadFiles): Promise<Dataset> {
  const seed = o.seed ?? 0;
  const common = { seed, sampleRate: preset.sampleRate, clipSeconds: preset.clipSeconds };
  if (spec === 'alerts') return alertsDataset({ ...common, params: o.alerts });
  if (spec === 'sonicpi') return sonicPiDataset({ ...common, params: o.sonicpi });
  if (spec.startsWith('folder:')) {
    const path = spec.slice('folder:'.length);
    if (!path) throw new UserError(`dataset 'folder:' needs a path, e.g. folder:./my-sounds`, EXIT.usage);
    return folderDataset({ ...common, path, preset, bad, strictRate: o.strictRate ?? false, params: o.folder });
  }
  throw new UserError(`unknown dataset '${spec}': valid datasets are ${DATASET_NAMES.join(', ')}`, EXIT.usage);
}

function resolvePreset(p: string | Preset): Preset {
  if (typeof p !== 'string') {
    validatePreset(p);
    return p;
  }
  return getPreset(p);
}

/** Streams every split of `ds` through the frontend. */
async function extract(ds: Dataset, preset: Preset, bad: BadFiles, progress: boolean): Promise<Record<SplitName, SplitFeatures>> {
  const total = SPLITS.reduce((a, s) => a + ds.expected(s), 0);
  const bar = progressBar(`${ds.name} ${preset.name}`, total, progress);
  let dims: number[] | undefined;
  const out = {} as Record<SplitName, SplitFeatures>;
  try {
    for (const split of SPLITS) {
      const rows: Float32Array[] = [];
      const y: number[] = [];
      const sources: string[] = [];
      for await (const clip of ds.clips(split)) {
        bar.tick();
        let f;
        try {
          f = computeFeatures(clip.audio, preset);
          // NOTE: finite samples can still overflow the power spectrum (float samples near 1e30): never cache Inf.
          checkFiniteFeatures(f, clip.source);
        } catch (e) {
          bad.error(clip.source, e);
          continue;
        }
        if (!dims) dims = f.dims.slice();
        else if (f.dims.join() !== dims.join()) {
          bad.report(clip.source, `features have shape [${f.dims}], the other clips [${dims}] (channel count differs?)`);
          continue;
        }
        rows.push(f.data);
        y.push(clip.label);
        sources.push(clip.source);
      }
      const size = dims ? dims.reduce((a, b) => a * b, 1) : 0;
      const x = new Float32Array(rows.length * size);
      rows.forEach((r, i) => x.set(r, i * size));
      out[split] = { x, y: Int32Array.from(y), dims: [], sources };
    }
  } finally {
    bar.stop();
  }
  if (!dims) throw new UserError(`dataset '${ds.name}' gave no usable clips${bad.skipped.length ? ` (${bad.skipped.length} files skipped)` : ''}`, EXIT.badInput);
  for (const s of SPLITS) out[s].dims = dims.slice();
  return out;
}

export async function loadDataset(spec: string, o: LoadOptions): Promise<LoadedFeatures> {
  const preset = resolvePreset(o.preset);
  const onBadFile = o.onBadFile ?? 'fail';
  if (!ON_BAD_FILE.includes(onBadFile)) throw new UserError(`--on-bad-file must be one of ${ON_BAD_FILE.join(', ')} (got '${onBadFile}')`, EXIT.usage);
  const balance = o.balance ?? 'none';
  if (!BALANCE_MODES.includes(balance)) throw new UserError(`--balance must be one of ${BALANCE_MODES.join(', ')} (got '${balance}')`, EXIT.usage);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer (got ${seed})`, EXIT.usage);
  const bad = new BadFiles(onBadFile);
  const ds = await openDataset(spec, preset, o, bad);
  const key = cacheKey({ dataset: ds.spec, preset, seed, strictRate: o.strictRate ?? false });
  const path = cachePath(o.cacheDir ?? DEFAULT_CACHE_DIR, key);
  const useCache = o.cache ?? true;
  let entry: CacheEntry | null = useCache ? await readCache(path) : null;
  const hit = entry !== null;
  // NOTE: an entry written under 'skip' may lack files that 'fail' must stop on.
  if (entry && onBadFile === 'fail' && entry.skipped.length > 0) {
    const first = entry.skipped[0];
    throw new UserError(`${first.file}: ${first.reason}; use --on-bad-file skip to leave it out`, EXIT.badInput);
  }
  if (!entry) {
    const splits = await extract(ds, preset, bad, o.progress ?? progressEnabled());
    entry = { dataset: ds.name, preset: preset.name, classes: ds.classes, splits, skipped: bad.skipped, counters: ds.counters, notes: ds.notes };
    if (useCache) await writeCache(path, key, entry);
  }
  const splits = { ...entry.splits };
  if (balance === 'undersample') splits.train = selectRows(splits.train, undersampleIndices(splits.train.y, entry.classes.length, seed));
  return {
    preset: entry.preset,
    dataset: entry.dataset,
    classes: entry.classes,
    splits,
    skipped: entry.skipped,
    counters: entry.counters,
    notes: entry.notes,
    classWeights: classWeights(splits.train.y, entry.classes.length),
    cache: { path: useCache ? path : '', hit },
  };
}
