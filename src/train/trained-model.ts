/**
 * "Train, or reuse the cached run": the one way `bench --dataset` and `ablate` get a trained zoo
 * model: a training run with `melbench train`'s defaults (`defaultTrainOptions`), given epochs
 * and seed, found in the run cache when one of that configuration finished before.
 */
import type { LoadedFeatures } from '../features/datasets/index.ts';
import { defaultTrainOptions, type RunOutcome, trainRun } from './run.ts';
import type { TrainOptions } from './trainer.ts';

export interface TrainedModelRequest {
  model: string;
  dataset: string;
  preset: string;
  /** Default: `defaultTrainOptions()`'s. */
  epochs?: number;
  /** Weight initialisation seed; default: `defaultTrainOptions()`'s. */
  seed?: number;
  /** Further options over `defaultTrainOptions()`'s (e.g. the main job's AdamW); `epochs` and `seed` above win. */
  recipe?: Partial<TrainOptions>;
  /** Root of the run cache (default .melbench-cache/train). */
  cacheRoot?: string;
  /** Progress: one line before training, one per epoch trained (none for a cached run). */
  log?(line: string): void;
}

/** The finished run of `model` trained on `data` (the dataset's features, loaded once by the caller). */
export async function trainedModel(r: TrainedModelRequest, data: LoadedFeatures): Promise<RunOutcome> {
  const options = defaultTrainOptions({ ...r.recipe, ...(r.epochs && { epochs: r.epochs }), ...(r.seed !== undefined && { seed: r.seed }) });
  const how = `${options.optimizer.kind} lr ${options.lr}`;
  r.log?.(`${r.model} on ${r.dataset}: training (or reusing the cached run), ${options.epochs} epochs, ${how}`);
  return trainRun(
    { model: r.model, dataset: r.dataset, preset: r.preset, datasetSeed: 0, options, cacheRoot: r.cacheRoot },
    { data, onEpoch: (_s, e) => r.log?.(`  epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, val macro-F1 ${e.valMacroF1.toFixed(4)}`) },
  );
}
