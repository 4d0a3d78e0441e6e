/**
 * A complete training run as the CLI and benchmarks use it: load the dataset's features, build the
 * zoo model for their shape with in-model input standardisation, train (resuming a cached run of
 * the same configuration), and save the best epoch's model with its sidecar.
 */
import { join } from 'node:path';
import { toOnnx } from '../export/onnx.ts';
import { type LoadedFeatures, loadDataset } from '../features/datasets/index.ts';
import type { Graph } from '../graph/ir.ts';
import { META } from '../graph/metadata-keys.ts';
import { getZooEntry } from '../graph/zoo/index.ts';
import { finishedModel, loadProgress, runDir, runHash, saveModel, saveProgress } from './checkpoint.ts';
import type { Metrics } from './metrics.ts';
import { featureStats, withInputNormalization } from './normalize.ts';
import { type EpochRecord, type TrainHooks, type TrainOptions, train } from './trainer.ts';

export const TRAINER_VERSION = 1;

/**
 * The training defaults of `melbench train`, shared with `bench --dataset` and `ablate`: SGD with
 * momentum at 0.05, 3 epochs of linear warm-up, then a cosine decay over 40 epochs in all.
 * Without the warm-up the first epoch's loss spiked to about 4 times ln 12 and validation F1 stayed
 * at chance for several epochs; AdamW did worse. The figures are in docs/results.md's training table.
 */
export function defaultTrainOptions(overrides: Partial<TrainOptions> = {}): TrainOptions {
  const epochs = overrides.epochs ?? 40;
  return {
    epochs,
    batch: 32,
    seed: 1,
    lr: 0.05,
    schedule: 'cosine',
    // 3 epochs of 40; a short run (a test, a quick look) warms up for a tenth of it, or not at all
    warmupEpochs: Math.min(3, Math.floor(epochs / 10)),
    optimizer: { kind: 'sgd', momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 },
    mixup: 0,
    specAugment: false,
    classWeights: false,
    l1Gamma: 0,
    patience: 0,
    runtime: 'cpu',
    ...overrides,
  };
}

/**
 * The options as the run hash sees them. Options added after the first trainer release are left
 * out while they have their neutral value, so runs cached before they existed keep their hash.
 */
function hashedOptions(o: TrainOptions): Partial<TrainOptions> {
  const { warmupEpochs, ...rest } = o;
  return warmupEpochs ? o : rest;
}

/** What defines a model's layout, not its weights: every node's op, wiring and attributes, every initializer's shape. */
export function architectureKey(g: Graph): string {
  return runHash({ nodes: g.nodes.map((n) => [n.opType, n.domain, n.inputs, n.outputs, n.attrs]), initializers: g.initializers.map((t) => [t.name, t.dtype, t.dims]) });
}

export interface RunRequest {
  model: string;
  dataset: string;
  preset: string;
  datasetSeed: number;
  options: TrainOptions;
  /** Ignore a finished or partial run of the same configuration. */
  fresh?: boolean;
  /** Root of the run cache (default .melbench-cache/train). */
  cacheRoot?: string;
}

export interface RunOutcome {
  dir: string;
  onnxPath: string;
  cached: boolean;
  graph?: Graph;
  sidecar: RunSidecar;
}

export interface RunSidecar {
  model: string;
  dataset: string;
  preset: string;
  classes: string[];
  datasetSeed: number;
  config: TrainOptions;
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  trainSeconds: number;
  history: EpochRecord[];
  val: Omit<Metrics, 'confusion'>;
  test: Metrics;
  input: { mean: number; std: number; dims: number[] };
  trainerVersion: number;
}

export async function loadTrainingData(r: Pick<RunRequest, 'dataset' | 'preset' | 'datasetSeed'>): Promise<LoadedFeatures> {
  return loadDataset(r.dataset, { preset: r.preset, seed: r.datasetSeed });
}

export async function trainRun(r: RunRequest, hooks: TrainHooks & { data?: LoadedFeatures; onResume?(epochs: number): void } = {}): Promise<RunOutcome> {
  const data = hooks.data ?? (await loadTrainingData(r));
  const [c, m, t] = data.splits.train.dims;
  const untrained = getZooEntry(r.model).build({ channels: c, mels: m, frames: t, classes: data.classes.length, seed: r.options.seed });
  // The architecture is hashed too, so a change to a zoo model's layout never reuses a stale run.
  const hash = runHash({ v: TRAINER_VERSION, model: r.model, arch: architectureKey(untrained), dataset: r.dataset, preset: r.preset, datasetSeed: r.datasetSeed, features: data.cache.path, options: hashedOptions(r.options) });
  const dir = runDir(hash, r.cacheRoot);
  const onnxPath = join(dir, 'model.onnx');
  const done = r.fresh ? undefined : finishedModel(dir);
  if (done) return { dir, onnxPath, cached: true, sidecar: done.sidecar as unknown as RunSidecar };

  const stats = featureStats(data.splits.train.x);
  const model = withInputNormalization(untrained, stats.mean, stats.std);
  const resume = r.fresh ? undefined : loadProgress(dir);
  if (resume) hooks.onResume?.(resume.epochsDone);
  const result = await train(model, data, r.options, { ...hooks, onEpoch: (s, rec) => (saveProgress(dir, s), hooks.onEpoch?.(s, rec)) }, resume);
  const graph = {
    ...result.graph,
    metadata: {
      ...result.graph.metadata,
      [META.zoo]: r.model,
      [META.dataset]: r.dataset,
      [META.preset]: r.preset,
      [META.trained]: 'true',
      [META.valMacroF1]: result.val.macroF1.toFixed(4),
      [META.testMacroF1]: result.test.macroF1.toFixed(4),
    },
  };
  const { confusion: _c, ...val } = result.val;
  const sidecar: RunSidecar = {
    model: r.model,
    dataset: r.dataset,
    preset: r.preset,
    classes: data.classes,
    datasetSeed: r.datasetSeed,
    config: r.options,
    bestEpoch: result.bestEpoch,
    epochsRun: result.history.length,
    stoppedEarly: result.stoppedEarly,
    trainSeconds: result.trainSeconds,
    history: result.history,
    val,
    test: result.test,
    input: { ...stats, dims: data.splits.train.dims },
    trainerVersion: TRAINER_VERSION,
  };
  saveModel(dir, toOnnx(graph), sidecar);
  return { dir, onnxPath, cached: false, graph, sidecar };
}
