/**
 * An ablation: for each model, train it (or reuse the cached run), build each variant of the
 * suite, and sweep it over the runtimes like `bench --dataset` does: size, params, non-zero
 * params, MACs, held-out macro-F1 on each runtime's own predictions, agreement with the fp32
 * model, and latency. Rows are appended variant by variant, so a kill keeps every finished one.
 *
 * A variant whose pass refuses the model (e.g. pruning that would empty a layer) becomes one
 * `error` row saying why, and the ablation goes on.
 */
import { errorLine, invariant } from '../errors.ts';
import { ablateFile, type FileAblation } from './ablate-file.ts';
import { modelCost } from '../export/cost.ts';
import { toOnnx } from '../export/onnx.ts';
import type { LoadedFeatures } from '../features/datasets/index.ts';
import { getPreset } from '../features/presets.ts';
import { makeRow, type Row } from '../report/columns.ts';
import { modelIo } from '../sweep/io-codec.ts';
import { type PreparedModel, prepareTrained } from '../sweep/models.ts';
import { cellKey } from '../sweep/resume.ts';
import { runSweep, type SweepConfig, type SweepSinks } from '../sweep/sweep.ts';
import { labelledEvalSet, testEvalSet } from '../sweep/trained-models.ts';
import type { LabelsFile } from '../train/labels-file.ts';
import { loadTrainingData } from '../train/run.ts';
import type { TrainOptions } from '../train/trainer.ts';
import { type BuildContext, buildVariant, trainedBase } from './build-variant.ts';
import type { SampleOptions } from './sample-source.ts';
import { type SuiteName, type SuiteOptions, suiteVariants } from './suites.ts';
import { quantMode, variantName } from './variants.ts';

export interface AblationConfig {
  suite: SuiteName;
  suiteOptions: SuiteOptions;
  dataset: string;
  preset: string;
  trainEpochs: number;
  /** Training options over `melbench train`'s defaults (the mission's recipe); none: the defaults. */
  trainRecipe?: Partial<TrainOptions>;
  build: BuildContext;
  /** Runtimes, batches, timing, threads, isolation: as `bench`. `models` are zoo names. */
  sweep: SweepConfig;
  /** Features already loaded (tests use small ones); default: load `dataset`. */
  data?: LoadedFeatures;
  /** Root of the training-run cache (default .melbench-cache/train). */
  trainCacheRoot?: string;
  /** Model files (`--models x.onnx`): where their calibration and evaluation samples come from. */
  files?: { samples: string; evalCount: number; feed?: SampleOptions['feed']; labels?: LabelsFile };
}

export async function runAblation(cfg: AblationConfig, sinks: SweepSinks): Promise<Row[]> {
  const variants = suiteVariants(cfg.suite, cfg.suiteOptions);
  // NOTE: the dataset is loaded only for zoo models: an ablation of files alone never needs it.
  const zoo = cfg.sweep.models.some((m) => !m.endsWith('.onnx'));
  // A model file with --labels is scored on the dataset's test split too.
  const labels = cfg.files?.labels;
  const data = zoo || labels ? (cfg.data ?? (await loadTrainingData({ dataset: cfg.dataset, preset: cfg.preset, datasetSeed: 0 }))) : undefined;
  const rows: Row[] = [];
  for (const model of cfg.sweep.models) {
    if (model.endsWith('.onnx')) {
      const files = cfg.files ?? { samples: 'random', evalCount: 64 };
      const file: FileAblation = {
        path: model,
        samples: files.samples,
        sampleOptions: { calibCount: cfg.build.calibrationClips, evalCount: files.evalCount, seed: cfg.sweep.seed, preset: cfg.preset, ...(files.feed ? { feed: files.feed } : {}) },
        build: cfg.build,
        sweep: cfg.sweep,
        done: (name, variant) => alreadyDone(cfg.sweep, name, variant),
        failedRow: (name, variant, mode, e) => variantFailedRow(cfg, name, variant, mode, e),
        ...(labels && data ? { scoring: { evalSet: labelledEvalSet(data, labels, cfg.dataset), dataset: cfg.dataset, labels } } : {}),
      };
      rows.push(...(await ablateFile(file, variants, sinks)));
      continue;
    }
    invariant(data, 'the dataset is loaded when a zoo model is in the list');
    const evalSet = testEvalSet(data);
    const base = await trainedBase(model, data, { dataset: cfg.dataset, preset: cfg.preset, epochs: cfg.trainEpochs, recipe: cfg.trainRecipe, seed: cfg.sweep.seed, cacheRoot: cfg.trainCacheRoot, log: cfg.build.log });
    const trained = prepareTrained(model, base.onnxPath, base.runDir, cfg.preset, evalSet);
    for (const v of variants) {
      if (alreadyDone(cfg.sweep, model, variantName(v))) continue;
      let prepared: PreparedModel;
      try {
        const built = await buildVariant(base, v, cfg.build);
        const bytes = toOnnx(built.graph);
        prepared = {
          ...trained,
          variant: built.name,
          compression: built.compression,
          reference: { bytes: trained.bytes },
          io: modelIo(built.graph),
          graph: built.graph,
          bytes,
          cost: modelCost(built.graph, bytes, [1, ...evalSet.dims]),
        };
      } catch (e) {
        const row = variantFailedRow(cfg, model, variantName(v), quantMode(v), e);
        sinks.csv.append(row);
        sinks.onRow?.(row);
        rows.push(row);
        continue;
      }
      rows.push(...(await runSweep(cfg.sweep, [prepared], sinks)));
    }
  }
  return rows;
}

/**
 * `--resume`: a variant whose every cell is in the run, or whose build failed there (a row with no
 * runtime), is not built again.
 */
function alreadyDone(sweep: SweepConfig, model: string, variant: string): boolean {
  const done = sweep.done;
  if (!done) return false;
  if (done.has(cellKey({ model, variant, runtime: '', batch: '' }))) return true;
  return sweep.runtimes.every((runtime) => sweep.batches.every((batch) => done.has(cellKey({ model, variant, runtime, batch }))));
}

function variantFailedRow(cfg: AblationConfig, model: string, variant: string, mode: string, e: unknown): Row {
  return makeRow({
    run_id: cfg.sweep.runId,
    time: new Date().toISOString(),
    suite: cfg.sweep.suite,
    model,
    variant,
    quant_mode: mode,
    preset: getPreset(cfg.preset).name,
    status: 'error',
    error: `building the variant failed: ${errorLine(e)}`,
  });
}
