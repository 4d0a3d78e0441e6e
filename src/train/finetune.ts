/**
 * Fine-tuning: more training of an already trained (typically pruned) inference graph, starting
 * from its current weights and BN statistics. `train()` builds its training-step graph from any
 * inference graph and seeds every parameter from the graph's initializers (TrainSession.create),
 * so nothing is re-initialised: a pruned model keeps what it learned and recovers from the cut.
 *
 * The recipe is `melbench train`'s (defaultTrainOptions: SGD momentum 0.9, cosine decay) with the
 * epochs and learning rate asked for and no warm-up unless asked. On the seed-000 ResNet at 50%
 * channels, 5 epochs at lr 0.01 recover much of the loss but not all of the F1; the default
 * recipe's length (30 epochs at 0.05) recovers fully (see the pruning report).
 * `l1Gamma` > 0 adds network slimming's L1 penalty on BN scales (seed 004) for a sparsity run
 * before `pruneChannels(..., { criterion: 'bn-gamma' })`. The best validation epoch is kept.
 */
import { invariant } from '../errors.ts';
import type { LoadedFeatures } from '../features/datasets/index.ts';
import type { Graph } from '../graph/ir.ts';
import { META } from '../graph/metadata-keys.ts';
import type { Metrics } from './metrics.ts';
import { defaultTrainOptions } from './run.ts';
import { type EpochRecord, type TrainHooks, train } from './trainer.ts';

export interface FineTuneOptions {
  epochs: number;
  lr: number;
  seed?: number;
  /** L1 penalty on BN scales (network slimming); 0 or absent for none. */
  l1Gamma?: number;
  /** Mini-batch size; defaultTrainOptions' when absent. */
  batch?: number;
  /**
   * Linear warm-up epochs; 0 when absent. NOTE: not the training default: warm-up tames the loss
   * spike of a random init, while a fine-tune starts from trained weights and is often only a
   * few epochs long, which a 3-epoch warm-up would mostly spend ramping up.
   */
  warmupEpochs?: number;
}

export interface FineTuneResult {
  graph: Graph;
  val: Metrics;
  test: Metrics;
  seconds: number;
  /** Per-epoch mean training loss, learning rate and validation scores. */
  history: EpochRecord[];
}

export async function fineTune(graph: Graph, data: LoadedFeatures, o: FineTuneOptions, hooks: TrainHooks = {}): Promise<FineTuneResult> {
  invariant(o.l1Gamma === undefined || o.l1Gamma >= 0, () => `fine-tuning l1Gamma must be >= 0, got ${o.l1Gamma}`);
  const options = defaultTrainOptions({
    epochs: o.epochs,
    lr: o.lr,
    ...(o.seed !== undefined && { seed: o.seed }),
    ...(o.batch !== undefined && { batch: o.batch }),
    l1Gamma: o.l1Gamma ?? 0,
    warmupEpochs: o.warmupEpochs ?? 0,
  });
  const r = await train(graph, data, options, hooks);
  return { graph: { ...r.graph, metadata: { ...r.graph.metadata, [META.fineTuned]: `${o.epochs} epochs at lr ${o.lr}` } }, val: r.val, test: r.test, seconds: r.trainSeconds, history: r.history };
}
