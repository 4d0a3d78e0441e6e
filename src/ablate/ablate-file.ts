/**
 * `ablate --models file.onnx`: a suite's variants of a user's model file, swept like a zoo model's.
 * The file is the fp32 variant; calibration and evaluation samples come from `--calib`
 * (sample-source.ts). Before each variant is timed, its fidelity to the file is measured on cpu
 * over the evaluation samples (file-model.ts) and lands in each of its ok rows (fidelity_inputs,
 * fidelity_agreement, snr_db, fidelity_max_abs_diff). Rows are named by the file's base name.
 * A file has no training set, so variants that fine-tune are left out (logged). With `--labels`
 * (`scoring`), each variant is also timed on the dataset's test clips and scored on its test split
 * like a trained zoo model (macro_f1, accuracy, precision, recall, test_set_ms, agreement_fp32
 * with the file); without it, rows have no F1.
 */
import { modelCost } from '../export/cost.ts';
import { toOnnx } from '../export/onnx.ts';
import { readSignature } from '../export/signature.ts';
import { getPreset } from '../features/presets.ts';
import { fidelityColumns } from '../report/fidelity.ts';
import type { Row } from '../report/columns.ts';
import { modelIo } from '../sweep/io-codec.ts';
import type { EvalSet, PreparedModel } from '../sweep/models.ts';
import { runSweep, type SweepConfig, type SweepSinks } from '../sweep/sweep.ts';
import { checkTakesClips, clipsText } from '../sweep/trained-models.ts';
import { checkLabelsFitOutput, type LabelsFile } from '../train/labels-file.ts';
import { type BuildContext, buildVariant } from './build-variant.ts';
import { fileBase, measureFidelity, readModelFile } from './file-model.ts';
import { loadSamples, type SampleOptions } from './sample-source.ts';
import { quantMode, type VariantSpec, variantName } from './variants.ts';

export interface FileAblation {
  path: string;
  /** --calib: a dataset, a folder of .npy samples, or 'random'. */
  samples: string;
  sampleOptions: SampleOptions;
  build: BuildContext;
  sweep: SweepConfig;
  /** Whether a variant's cells are all in the run already (--resume). */
  done(model: string, variant: string): boolean;
  /** One `error` row for a variant that could not be built. */
  failedRow(model: string, variant: string, mode: string, e: unknown): Row;
  /** --labels: the dataset's test split, its labels mapped to the file's output indices (src/sweep/trained-models.ts). */
  scoring?: { evalSet: EvalSet; dataset: string; labels: LabelsFile };
}

/** The suite's variants that a file can have: fine-tuning needs labelled data. */
export function fileVariants(variants: readonly VariantSpec[], log: (line: string) => void, name: string): VariantSpec[] {
  return variants.filter((v) => {
    const tunes = v.kind === 'channels' && v.fineTuneEpochs > 0;
    if (tunes) log(`${name}: ${variantName(v)} left out: fine-tuning needs a labelled training set, which a model file does not come with`);
    return !tunes;
  });
}

export async function ablateFile(a: FileAblation, variants: readonly VariantSpec[], sinks: SweepSinks): Promise<Row[]> {
  const file = readModelFile(a.path);
  const signature = readSignature(file.bytes, file.path);
  const evalSet = a.scoring?.evalSet;
  if (a.scoring && evalSet) {
    checkTakesClips(signature, file.path, evalSet.dims, clipsText(a.scoring.dataset, a.sampleOptions.preset, evalSet.dims));
    checkLabelsFitOutput(a.scoring.labels, { model: file.path, name: signature.outputs[0].name, dims: signature.outputs[0].dims });
  }
  const samples = await loadSamples(a.samples, signature, a.sampleOptions, file.path);
  if (samples.warning) a.build.log(`${file.name}: warning: ${samples.warning}`);
  a.build.log(`${file.name}: calibration: ${samples.calibrationFrom}; fidelity: ${samples.evaluationFrom}`);
  const base = fileBase(file, samples);
  const size = samples.shape.dims.reduce((x, d) => x * d, 1);
  const costShape = samples.shape.batch === 'none' ? samples.shape.dims : [1, ...samples.shape.dims];
  const clipSize = evalSet ? evalSet.dims.reduce((x, d) => x * d, 1) : 0;
  const rows: Row[] = [];
  const emit = (row: Row) => {
    sinks.csv.append(row);
    sinks.onRow?.(row);
    rows.push(row);
  };
  for (const v of fileVariants(variants, a.build.log, file.name)) {
    const name = variantName(v);
    if (a.done(file.name, name)) continue;
    let prepared: PreparedModel;
    try {
      // NOTE: the sweep rolls [C, M, T] clips along their last axis to make a batch (makeBatch).
      if (samples.shape.batch === 'none' || samples.shape.dims.length !== 3 || samples.plan.inputs.length > 1) {
        const what = samples.plan.inputs.length > 1 ? `${samples.plan.inputs.length} inputs` : `samples of [${samples.shape.dims}] (${samples.shape.batch === 'none' ? 'no batch dim' : 'batched'})`;
        throw new Error(`timing needs one input with a batch dim and samples of rank 3 ([C, M, T]); ${file.path} has ${what}: use quantize/prune for its fidelity, bench to time it`);
      }
      const built = await buildVariant(base, v, a.build);
      const bytes = toOnnx(built.graph);
      const io = modelIo(built.graph);
      const fidelity = await measureFidelity(file, { bytes, graph: built.graph, io }, samples);
      prepared = {
        name: file.name,
        variant: built.name,
        compression: built.compression,
        ...(v.kind === 'fp32' ? {} : { reference: { bytes: file.bytes } }),
        io,
        preset: getPreset(a.sampleOptions.preset),
        // NOTE: with --labels the sweep times the test clips (model-feeds.ts), as for a trained zoo model.
        features: evalSet ? { data: evalSet.x.slice(0, clipSize), dims: evalSet.dims } : { data: samples.evaluation.x.slice(0, size), dims: samples.shape.dims },
        graph: built.graph,
        bytes,
        cost: modelCost(built.graph, bytes, costShape),
        rowExtras: fidelityColumns(fidelity),
        ...(evalSet ? { trained: { evalSet } } : {}),
      };
    } catch (e) {
      emit(a.failedRow(file.name, name, quantMode(v), e));
      continue;
    }
    rows.push(...(await runSweep(a.sweep, [prepared], sinks)));
  }
  return rows;
}

