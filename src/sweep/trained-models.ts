/**
 * Trained zoo models as a sweep benchmarks them (`bench --dataset`, `ablate`): each trained on
 * the dataset, or taken from the run cache (src/train/trained-model.ts), then timed on its own
 * test clips and scored per runtime on the whole test split.
 *
 * A model file with a labels file (`bench file.onnx --dataset <spec> --labels labels.txt`) is
 * scored the same way: its test split's labels are mapped by class name to the file's output
 * indices (src/train/labels-file.ts), so the confusion matrix is over the file's classes and the
 * macro means over the dataset's.
 */
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.ts';
import { readSignature, type Signature, sigShapeText } from '../export/signature.ts';
import type { LoadedFeatures } from '../features/datasets/index.ts';
import { checkLabelsFitOutput, type LabelsFile, outputIndexOfClasses } from '../train/labels-file.ts';
import { loadTrainingData } from '../train/run.ts';
import { trainedModel, type TrainedModelRequest } from '../train/trained-model.ts';
import { type BenchModel, type EvalSet, type PreparedModel, prepareBenchModel, prepareTrained } from './models.ts';

/** The test split a trained model is scored on. */
export function testEvalSet(data: LoadedFeatures): EvalSet {
  const test = data.splits.test;
  return { x: test.x, y: test.y, dims: test.dims, classes: data.classes };
}

/**
 * The test split as a model file with `labels` is scored on: y holds the file's output index of
 * each clip's class, and the macro means average over the dataset's classes only.
 */
export function labelledEvalSet(data: LoadedFeatures, labels: LabelsFile, dataset: string): EvalSet {
  const toOutput = outputIndexOfClasses(labels, data.classes, dataset);
  const test = data.splits.test;
  return { x: test.x, y: test.y.map((d) => toOutput[d]), dims: test.dims, classes: labels.names, scoredClasses: [...toOutput].sort((a, b) => a - b) };
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

export interface LabelledFileRequest {
  dataset: string;
  preset: string;
  labels: LabelsFile;
  seed: number;
}

/**
 * Model files with labels, timed on the dataset's test clips and scored per runtime like a trained
 * zoo model. The clips ([C, M, T] from `preset`) feed the file's one input, [N, C, M, T].
 */
export async function prepareLabelledFiles(files: readonly string[], o: LabelledFileRequest): Promise<BenchModel[]> {
  const data = await loadTrainingData({ dataset: o.dataset, preset: o.preset, datasetSeed: 0 });
  const evalSet = labelledEvalSet(data, o.labels, o.dataset);
  const per = evalSet.dims.reduce((a, d) => a * d, 1);
  const clip = { data: evalSet.x.slice(0, per), dims: evalSet.dims };
  return files.map((spec) => {
    checkTakesClips(readFileSignature(spec), spec, evalSet.dims, clipsText(o.dataset, o.preset, evalSet.dims));
    const m = prepareBenchModel({ spec, preset: o.preset, features: clip, classes: evalSet.classes.length, seed: o.seed });
    const out = m.signature!.outputs[0];
    checkLabelsFitOutput(o.labels, { model: spec, name: out.name, dims: out.dims });
    return { ...m, features: clip, trained: { evalSet } };
  });
}

/** A file with one float input [N, C, M, T] that the clips fit; exit 4 naming the input otherwise. */
export function checkTakesClips(sig: Signature, spec: string, dims: readonly number[], clips: string): void {
  if (sig.inputs.length !== 1) {
    const listed = sig.inputs.map((v) => `${v.name}${sigShapeText(v.dims)}`).join(', ');
    throw new UserError(`${spec}: has ${sig.inputs.length} inputs (${listed}); --labels scores a model with one input, fed ${clips}: drop --dataset/--labels for its timing and fidelity alone`, EXIT.badModel);
  }
  const v = sig.inputs[0];
  const want = [null, ...dims];
  const fits = v.dtype === 'float32' && v.dims?.length === want.length && v.dims.every((d, i) => i === 0 || typeof d !== 'number' || d === want[i]);
  if (!fits) throw new UserError(`${spec}: input '${v.name}' is ${v.onnxType}${sigShapeText(v.dims)} but ${clips}; choose the --preset the model was exported for`, EXIT.badModel);
}

/** How the clips are named in messages. */
export const clipsText = (dataset: string, preset: string, dims: readonly number[]) => `the test clips of ${dataset} (preset ${preset}) are [N, ${dims.join(', ')}]`;

function readFileSignature(spec: string): Signature {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(spec);
  } catch (e) {
    throw new UserError(`cannot read model ${spec}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  return readSignature(bytes, spec);
}
