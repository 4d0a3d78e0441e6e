/**
 * Trained zoo models as a sweep benchmarks them (`bench --dataset`, `ablate`): each trained on
 * the dataset, or taken from the run cache (src/train/trained-model.ts), then timed on its own
 * test clips and scored per runtime on the whole test split.
 */
import type { LoadedFeatures } from '../features/datasets/index.ts';
import { loadTrainingData } from '../train/run.ts';
import { trainedModel, type TrainedModelRequest } from '../train/trained-model.ts';
import { type EvalSet, type PreparedModel, prepareTrained } from './models.ts';

/** The test split a trained model is scored on. */
export function testEvalSet(data: LoadedFeatures): EvalSet {
  const test = data.splits.test;
  return { x: test.x, y: test.y, dims: test.dims, classes: data.classes };
}

/** Each zoo model in `models`, trained on the dataset (loaded once) or reused, ready to sweep. */
export async function prepareTrainedModels(models: readonly string[], o: Omit<TrainedModelRequest, 'model'>): Promise<PreparedModel[]> {
  const data = await loadTrainingData({ dataset: o.dataset, preset: o.preset, datasetSeed: 0 });
  const evalSet = testEvalSet(data);
  const out: PreparedModel[] = [];
  for (const model of models) {
    const run = await trainedModel({ ...o, model }, data);
    out.push(prepareTrained(model, run.onnxPath, run.dir, o.preset, evalSet));
  }
  return out;
}
