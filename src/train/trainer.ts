/**
 * The training loop: shuffled mini-batches from the dataset cache, mixup and SpecAugment, one
 * training-step graph run per batch, validation after each epoch, and the best epoch kept (seed 000
 * keeps the best validation epoch). Deterministic given the seed: epoch e shuffles and augments
 * with Rng(seed, e), so a resumed run continues exactly as an uninterrupted one would.
 *
 * After every epoch the whole state (parameters, optimizer state, BN statistics, history) is
 * written to the run's cache folder; an interrupted run resumes from the last completed epoch.
 */
import { EXIT, UserError } from '../errors.ts';
import { specAugment } from '../features/augment.ts';
import type { LoadedFeatures, SplitFeatures } from '../features/datasets/index.ts';
import type { Graph } from '../graph/ir.ts';
import { Rng } from '../rng.ts';
import type { RuntimeName } from '../runners/runner.ts';
import { evaluate } from './evaluate.ts';
import type { Metrics } from './metrics.ts';
import { learningRate, type ScheduleKind } from './schedule.ts';
import { TrainSession } from './session.ts';
import type { OptimizerConfig } from './training-graph.ts';

export interface TrainOptions {
  epochs: number;
  batch: number;
  seed: number;
  lr: number;
  schedule: ScheduleKind;
  /** Epochs of linear learning-rate warm-up before the schedule starts (src/train/schedule.ts). */
  warmupEpochs: number;
  optimizer: OptimizerConfig;
  /** Mixup's Beta(alpha, alpha); 0 turns mixup off. */
  mixup: number;
  specAugment: boolean;
  /** Weight each sample's loss by its class weight n / (k * count_k) (seed 001). */
  classWeights: boolean;
  l1Gamma: number;
  /** Stop after this many epochs without a better validation macro-F1; 0 never stops early. */
  patience: number;
  runtime: RuntimeName;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  lr: number;
  valMacroF1: number;
  valAccuracy: number;
  seconds: number;
}

export interface TrainState {
  epochsDone: number;
  steps: number;
  bestEpoch: number;
  bestValF1: number;
  history: EpochRecord[];
  state: Map<string, Float32Array>;
  best: Map<string, Float32Array>;
}

export interface TrainResult {
  graph: Graph;
  history: EpochRecord[];
  bestEpoch: number;
  val: Metrics;
  test: Metrics;
  trainSeconds: number;
  stoppedEarly: boolean;
}

export interface TrainHooks {
  /** Called after each epoch with the state to persist. */
  onEpoch?(s: TrainState, record: EpochRecord): void;
  /** Called per step for a progress display. */
  onStep?(epoch: number, step: number, steps: number, loss: number): void;
}

function checkConfig(o: TrainOptions, train: SplitFeatures): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new UserError(`--epochs must be at least 1, got ${o.epochs}`);
  if (o.batch < 1) throw new UserError(`--batch must be at least 1, got ${o.batch}`);
  if (o.batch > train.y.length) throw new UserError(`--batch ${o.batch} is larger than the training split (${train.y.length} clips); use a smaller --batch`);
  if (!(o.warmupEpochs >= 0 && o.warmupEpochs < o.epochs)) throw new UserError(`--warmup must be in [0, epochs), got ${o.warmupEpochs} with --epochs ${o.epochs}`);
  if (!(o.lr > 0)) throw new UserError(`--lr must be > 0, got ${o.lr}`);
}

/** One batch: rows `idx` of the split, with mixup within the batch and SpecAugment per clip. */
function makeBatch(split: SplitFeatures, idx: ArrayLike<number>, k: number, weights: Float32Array | undefined, o: TrainOptions, rng: Rng) {
  const per = split.dims.reduce((a, d) => a * d, 1);
  const n = idx.length;
  const x = new Float32Array(n * per);
  const labels = new Float32Array(n * k);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = idx[i];
    let clip = split.x.subarray(r * per, (r + 1) * per);
    if (o.specAugment) clip = specAugment({ data: Float32Array.from(clip), dims: split.dims }, rng).data;
    x.set(clip, i * per);
    labels[i * k + split.y[r]] = 1;
    w[i] = weights ? weights[split.y[r]] : 1;
  }
  if (o.mixup > 0) {
    // x_i <- lam x_i + (1 - lam) x_p(i), y and w likewise, with one lam ~ Beta(a, a) per batch.
    const lam = rng.beta(o.mixup, o.mixup);
    const perm = rng.shuffle([...Array(n).keys()]);
    const x0 = Float32Array.from(x);
    const l0 = Float32Array.from(labels);
    const w0 = Float32Array.from(w);
    for (let i = 0; i < n; i++) {
      const j = perm[i];
      for (let e = 0; e < per; e++) x[i * per + e] = lam * x0[i * per + e] + (1 - lam) * x0[j * per + e];
      for (let c = 0; c < k; c++) labels[i * k + c] = lam * l0[i * k + c] + (1 - lam) * l0[j * k + c];
      w[i] = lam * w0[i] + (1 - lam) * w0[j];
    }
  }
  return { x, labels, w };
}

export async function train(model: Graph, data: LoadedFeatures, o: TrainOptions, hooks: TrainHooks = {}, resume?: TrainState): Promise<TrainResult> {
  const { train: tr, val, test } = data.splits;
  checkConfig(o, tr);
  const k = data.classes.length;
  const session = await TrainSession.create(model, { batch: o.batch, input: tr.dims, optimizer: o.optimizer, l1Gamma: o.l1Gamma, runtime: o.runtime });
  const s: TrainState = resume ?? { epochsDone: 0, steps: 0, bestEpoch: -1, bestValF1: -1, history: [], state: session.snapshot(), best: session.snapshot() };
  if (resume) session.restore(resume.state, resume.steps);
  const weights = o.classWeights ? data.classWeights : undefined;
  const stepsPerEpoch = Math.floor(tr.y.length / o.batch);
  const t0 = performance.now();
  let stoppedEarly = false;
  try {
    for (let epoch = s.epochsDone; epoch < o.epochs; epoch++) {
      const te = performance.now();
      const rng = new Rng(o.seed * 7919 + epoch);
      const order = rng.shuffle([...Array(tr.y.length).keys()]);
      let lossSum = 0;
      let lastFinite = s.history.at(-1)?.loss ?? Number.NaN;
      for (let st = 0; st < stepsPerEpoch; st++) {
        const batch = makeBatch(tr, order.slice(st * o.batch, (st + 1) * o.batch), k, weights, o, rng);
        const lr = learningRate(o.schedule, o.lr, epoch + st / stepsPerEpoch, o.epochs, o.warmupEpochs, stepsPerEpoch);
        const loss = await session.step(batch.x, batch.labels, batch.w, lr);
        if (!Number.isFinite(loss)) {
          throw new UserError(
            `training diverged at epoch ${epoch + 1}, step ${st + 1}: the loss is ${loss} (last finite epoch loss ${lastFinite.toFixed(4)}); ` +
              `the best checkpoint (epoch ${s.bestEpoch + 1}) is kept; lower --lr`,
            EXIT.rowsFailed,
          );
        }
        lastFinite = loss;
        lossSum += loss;
        hooks.onStep?.(epoch, st, stepsPerEpoch, loss);
      }
      const graph = session.inferenceGraph();
      const vm = await evaluate(graph, val, k);
      const record: EpochRecord = { epoch: epoch + 1, loss: lossSum / stepsPerEpoch, lr: learningRate(o.schedule, o.lr, epoch + 1, o.epochs, o.warmupEpochs, stepsPerEpoch), valMacroF1: vm.macroF1, valAccuracy: vm.accuracy, seconds: (performance.now() - te) / 1000 };
      s.history.push(record);
      s.epochsDone = epoch + 1;
      s.steps = session.steps;
      s.state = session.snapshot();
      if (vm.macroF1 > s.bestValF1) {
        s.bestValF1 = vm.macroF1;
        s.bestEpoch = epoch;
        s.best = session.snapshot();
      }
      hooks.onEpoch?.(s, record);
      if (o.patience > 0 && epoch - s.bestEpoch >= o.patience) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    await session.close();
  }
  const graph = session.inferenceGraph(s.best);
  return {
    graph,
    history: s.history,
    bestEpoch: s.bestEpoch + 1,
    val: await evaluate(graph, val, k),
    test: await evaluate(graph, test, k),
    trainSeconds: (performance.now() - t0) / 1000,
    stoppedEarly,
  };
}
