/**
 * `melbench prune <model.onnx> --method channels-l1|channels-bn-gamma|magnitude-global|magnitude-layer
 * --ratio R -o out.onnx`: one pruned variant of a user's model file, built by the same passes and
 * variant builder as `ablate` (no fine-tuning: a file comes without labelled data), with the pass's
 * notes, size, params and MACs before and after, and its fidelity to the file on evaluation
 * samples (`--eval`, the evaluation part of the same split `quantize --calib` uses).
 *
 * Every input of the model is fed as bench feeds it, described by `--input`, `--dim` and
 * `--shape` (src/commands/feed-flags.ts); the evaluation samples of `--eval` fill its float
 * input (src/ablate/sample-source.ts).
 */
import { compressFile, resultLines } from '../ablate/compress-file.ts';
import type { VariantSpec } from '../ablate/variants.ts';
import { UserError } from '../errors.ts';
import type { RegisterCommand } from './command.ts';
import { addFeedOptions, type FeedFlagOptions, resolveNamedFeedFlags } from './feed-flags.ts';
import { fraction, nonNegativeInt, positiveInt } from './options.ts';

export const PRUNE_METHODS = ['channels-l1', 'channels-bn-gamma', 'magnitude-global', 'magnitude-layer'] as const;

interface PruneOptions extends FeedFlagOptions {
  method: string;
  ratio: number;
  eval: string;
  evalCount: number;
  preset: string;
  seed: number;
  out: string;
  allowPartial?: boolean;
}

/** The variant a --method and --ratio build. */
export function methodVariant(method: string, ratio: number): VariantSpec {
  switch (method) {
    case 'channels-l1':
      return { kind: 'channels', criterion: 'l1', ratio, fineTuneEpochs: 0 };
    case 'channels-bn-gamma':
      return { kind: 'channels', criterion: 'bn-gamma', ratio, fineTuneEpochs: 0 };
    case 'magnitude-global':
      return { kind: 'magnitude', scope: 'global', ratio };
    case 'magnitude-layer':
      return { kind: 'magnitude', scope: 'layer', ratio };
    default:
      throw new UserError(`unknown --method '${method}'; choose from: ${PRUNE_METHODS.join(', ')}`);
  }
}

export const register: RegisterCommand = (program) => {
  const cmd = program
    .command('prune')
    .description('prune a model file: remove channels (L1 norm or BN gamma) or zero weights by magnitude; prints size, MACs and fidelity to the original')
    .argument('<model>', 'the .onnx file to prune')
    .requiredOption('--method <method>', PRUNE_METHODS.join(' | '))
    .requiredOption('--ratio <r>', 'fraction of channels (or weights) to remove, 0.001-0.999', fraction('--ratio'))
    .option('--eval <source>', "evaluation samples: a dataset (alerts, sonicpi, folder:<path>), a folder of .npy samples (its last quarter), or 'random'", 'random')
    .option('--eval-count <n>', 'evaluation samples from a dataset or random', positiveInt('--eval-count'), 64)
    .option('--preset <name>', 'features preset of a dataset source', 'default')
    .option('--seed <n>', 'seed of random samples', nonNegativeInt('--seed'), 1)
    .option('--allow-partial', 'write the result even when the pass did less than half of what was asked (it exits 4 otherwise; the summary says what was done)')
    .requiredOption('-o, --out <file>', 'the pruned .onnx file (written last, atomically)');
  addFeedOptions(cmd).action(async (model: string, o: PruneOptions) => {
    const spec = methodVariant(o.method, o.ratio);
    const r = await compressFile({
      command: 'prune',
      model,
      out: o.out,
      spec,
      sourceFlag: '--eval',
      samples: o.eval,
      needsCalibration: false,
      sampleOptions: { feed: await resolveNamedFeedFlags(o, '--eval', o.preset), calibCount: 1, evalCount: o.evalCount, seed: o.seed, preset: o.preset },
      allowPartial: o.allowPartial ?? false,
      build: { fineTuneLr: 0, seed: o.seed, exclude: [], log: (line) => process.stderr.write(`melbench: ${line}\n`) },
    });
    process.stdout.write(`${resultLines(r, o.out).join('\n')}\n`);
  });
};
