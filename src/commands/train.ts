/**
 * `melbench train --model resnet --dataset alerts --epochs 30 --seed 1`: trains a zoo model through
 * onnxruntime and saves its best epoch in the run cache; `--repeats N` trains N seeds and reports
 * mean ± std of each metric (seed 000 trains each model 10 times).
 */
import Table from 'cli-table3';
import { PLAIN_STYLE } from '../report/terminal-table.ts';
import { UserError } from '../errors.ts';
import { getZooEntry } from '../graph/zoo/index.ts';
import { isRuntimeName, type RuntimeName } from '../runners/runner.ts';
import { parseSchedule } from '../train/schedule.ts';
import { defaultTrainOptions, loadTrainingData, type RunOutcome, trainRun } from '../train/run.ts';
import type { OptimizerKind } from '../train/training-graph.ts';
import type { RegisterCommand } from './command.ts';
import { nonNegativeInt, nonNegativeNumber, positiveInt } from './options.ts';

const OPTIMIZERS: readonly OptimizerKind[] = ['sgd', 'adam', 'adamw'];

interface TrainCliOptions {
  model: string;
  dataset: string;
  preset: string;
  datasetSeed: number;
  epochs: number;
  batch: number;
  seed: number;
  lr: number;
  optimizer: string;
  momentum: number;
  weightDecay: number;
  schedule: string;
  warmup?: number;
  mixup: number;
  specAugment?: boolean;
  classWeights?: boolean;
  l1Gamma: number;
  patience: number;
  trainRuntime: string;
  repeats: number;
  fresh?: boolean;
}

const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${m.toFixed(4)} ± ${sd.toFixed(4)}`;
};

export const register: RegisterCommand = (program) => {
  const D = defaultTrainOptions();
  program
    .command('train')
    .description('train a zoo model on a dataset through onnxruntime; report held-out F1')
    .requiredOption('--model <name>', "zoo model (see 'melbench models')")
    .option('--dataset <spec>', 'alerts | sonicpi | folder:<path>', 'alerts')
    .option('--preset <name>', 'features preset', 'default')
    .option('--dataset-seed <n>', 'seed of synthesis, crops and splits', nonNegativeInt('--dataset-seed'), 0)
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), D.epochs)
    .option('--batch <n>', 'batch size', positiveInt('--batch'), D.batch)
    .option('--seed <n>', 'seed of initialisation, shuffling and augmentation', nonNegativeInt('--seed'), D.seed)
    .option('--lr <x>', 'peak learning rate', nonNegativeNumber('--lr'), D.lr)
    .option('--optimizer <name>', OPTIMIZERS.join(' | '), D.optimizer.kind)
    .option('--momentum <x>', "SGD momentum, or Adam's beta1", nonNegativeNumber('--momentum'), D.optimizer.momentum)
    .option('--weight-decay <x>', 'weight decay', nonNegativeNumber('--weight-decay'), D.optimizer.weightDecay)
    .option('--schedule <name>', 'constant | cosine | step | sigmoid', D.schedule)
    .option('--warmup <epochs>', `epochs of linear learning-rate warm-up before the schedule (default: ${D.warmupEpochs}, or a tenth of --epochs when that is less)`, nonNegativeNumber('--warmup'))
    .option('--mixup <alpha>', 'mixup Beta(alpha, alpha); 0 = off (seed 000: 0.4)', nonNegativeNumber('--mixup'), D.mixup)
    .option('--spec-augment', 'SpecAugment frequency and time masks')
    .option('--class-weights', 'weight the loss by n / (k * count) per class (seed 001)')
    .option('--l1-gamma <x>', 'L1 penalty on BN scales for network slimming (seed 004)', nonNegativeNumber('--l1-gamma'), D.l1Gamma)
    .option('--patience <n>', 'stop after n epochs without a better val macro-F1 (0 = never)', nonNegativeInt('--patience'), D.patience)
    .option('--train-runtime <name>', 'runtime that runs the training graph: cpu | webgpu', D.runtime)
    .option('--repeats <n>', 'train n times with seeds seed..seed+n-1 and report mean ± std', positiveInt('--repeats'), 1)
    .option('--fresh', 'ignore a cached or partial run of the same configuration')
    .action(async (o: TrainCliOptions) => {
      getZooEntry(o.model);
      if (!OPTIMIZERS.includes(o.optimizer as OptimizerKind)) throw new UserError(`unknown --optimizer '${o.optimizer}'; choose from: ${OPTIMIZERS.join(', ')}`);
      if (!isRuntimeName(o.trainRuntime) || (o.trainRuntime !== 'cpu' && o.trainRuntime !== 'webgpu')) {
        throw new UserError(`--train-runtime must be cpu or webgpu, got '${o.trainRuntime}'`);
      }
      const schedule = parseSchedule(o.schedule);
      const data = await loadTrainingData({ dataset: o.dataset, preset: o.preset, datasetSeed: o.datasetSeed });
      const outcomes: RunOutcome[] = [];
      for (let r = 0; r < o.repeats; r++) {
        const seed = o.seed + r;
        const base = defaultTrainOptions();
        const options = defaultTrainOptions({
          epochs: o.epochs,
          batch: o.batch,
          seed,
          lr: o.lr,
          schedule,
          ...(o.warmup !== undefined && { warmupEpochs: o.warmup }),
          optimizer: { ...base.optimizer, kind: o.optimizer as OptimizerKind, momentum: o.momentum, weightDecay: o.weightDecay },
          mixup: o.mixup,
          specAugment: Boolean(o.specAugment),
          classWeights: Boolean(o.classWeights),
          l1Gamma: o.l1Gamma,
          patience: o.patience,
          runtime: o.trainRuntime as RuntimeName,
        });
        process.stderr.write(`melbench: training ${o.model} on ${o.dataset} (${data.splits.train.y.length} train clips, ${data.classes.length} classes), seed ${seed}\n`);
        const out = await trainRun(
          { model: o.model, dataset: o.dataset, preset: o.preset, datasetSeed: o.datasetSeed, options, fresh: o.fresh },
          {
            data,
            onResume: (e) => process.stderr.write(`  resuming after epoch ${e}\n`),
            onEpoch: (_s, rec) =>
              process.stderr.write(`  epoch ${rec.epoch}/${o.epochs}: loss ${rec.loss.toFixed(4)}, lr ${rec.lr.toExponential(2)}, val macro-F1 ${rec.valMacroF1.toFixed(4)} (${rec.seconds.toFixed(1)} s)\n`),
          },
        );
        if (out.cached) process.stderr.write(`  cached: ${out.dir}\n`);
        outcomes.push(out);
      }
      const t = new Table({ head: ['seed', 'best epoch', 'val macro-F1', 'test macro-F1', 'test accuracy', 'train s', 'model'], style: PLAIN_STYLE });
      outcomes.forEach((out, i) => {
        const s = out.sidecar;
        t.push([o.seed + i, `${s.bestEpoch}/${s.epochsRun}`, s.val.macroF1.toFixed(4), s.test.macroF1.toFixed(4), s.test.accuracy.toFixed(4), s.trainSeconds.toFixed(0), out.onnxPath]);
      });
      process.stdout.write(`${t.toString()}\n`);
      if (outcomes.length > 1) {
        const col = (f: (x: RunOutcome) => number) => meanStd(outcomes.map(f));
        process.stdout.write(`mean ± std over ${outcomes.length} seeds: test macro-F1 ${col((x) => x.sidecar.test.macroF1)}, test accuracy ${col((x) => x.sidecar.test.accuracy)}, val macro-F1 ${col((x) => x.sidecar.val.macroF1)}\n`);
      }
      const last = outcomes.at(-1)!.sidecar;
      const pc = new Table({ head: ['class', 'test F1'], style: PLAIN_STYLE });
      last.classes.forEach((c, i) => pc.push([c, last.test.perClassF1[i].toFixed(3)]));
      process.stdout.write(`${pc.toString()}\n`);
    });
};
