/**
 * `melbench quantize <model.onnx> --mode fp16|dynamic|static-qdq|static-qoperator|full-int
 * --calib <dataset|dir-of-npy|random> -o out.onnx`: one quantized variant of a user's model file,
 * built by the same passes and variant builder as `ablate` (BN folded first), with the nodes left
 * in float32 and why, a summary of size, params and MACs before and after, and the fidelity of the
 * result to the file on evaluation samples disjoint from calibration (src/ablate/sample-source.ts).
 *
 * Every input of the model is fed as bench feeds it, described by `--input`, `--dim` and
 * `--shape` (src/commands/feed-flags.ts); the calibration and evaluation samples of `--calib` fill its float
 * input (src/ablate/sample-source.ts).
 */
import { compressFile, resultLines } from '../ablate/compress-file.ts';
import { parseCalibration, staticQuant, type VariantSpec } from '../ablate/variants.ts';
import { UserError } from '../errors.ts';
import { CALIBRATION_METHODS } from '../train/calibrate.ts';
import type { RegisterCommand } from './command.ts';
import { addFeedOptions, type FeedFlagOptions, resolveNamedFeedFlags } from './feed-flags.ts';
import { nameList, nonNegativeInt, positiveInt } from './options.ts';

export const QUANT_MODES = ['fp16', 'dynamic', 'static-qdq', 'static-qoperator', 'full-int'] as const;
export type QuantModeName = (typeof QUANT_MODES)[number];

interface QuantizeOptions extends FeedFlagOptions {
  mode: string;
  calib?: string;
  calibCount: number;
  evalCount: number;
  calibration: string;
  exclude: string[];
  preset: string;
  seed: number;
  out: string;
  allowPartial?: boolean;
}

/** The variant a --mode builds (static modes: uint8 activations, int8 per-channel weights). */
export function modeVariant(mode: string, calibration: string): VariantSpec {
  if (!(QUANT_MODES as readonly string[]).includes(mode)) throw new UserError(`unknown --mode '${mode}'; choose from: ${QUANT_MODES.join(', ')}`);
  const c = parseCalibration(calibration);
  switch (mode as QuantModeName) {
    case 'fp16':
      return { kind: 'fp16', keepIo: true };
    case 'dynamic':
      return { kind: 'dynamic' };
    case 'static-qdq':
      return staticQuant({ calibration: c });
    case 'static-qoperator':
      return staticQuant({ calibration: c, format: 'qoperator' });
    case 'full-int':
      return staticQuant({ calibration: c, fullInt: true });
  }
}

export const register: RegisterCommand = (program) => {
  const cmd = program
    .command('quantize')
    .description("quantize a model file: fp16, dynamic int8, static int8 (QDQ, QOperator) or full-int; prints what stayed float32, size, MACs and fidelity to the original")
    .argument('<model>', 'the .onnx file to quantize')
    .requiredOption('--mode <mode>', QUANT_MODES.join(' | '))
    .option('--calib <source>', "calibration and evaluation samples: a dataset (alerts, sonicpi, folder:<path>), a folder of .npy samples, or 'random' (a smoke test); required by the static modes (default for fp16/dynamic: random, for fidelity only)")
    .option('--calib-count <n>', 'calibration samples (at most)', positiveInt('--calib-count'), 128)
    .option('--eval-count <n>', 'evaluation samples from a dataset or random (a folder evaluates on its last quarter)', positiveInt('--eval-count'), 64)
    .option('--calibration <method>', `range method of the static modes: ${CALIBRATION_METHODS.join(' | ')}`, 'minmax')
    .option('--exclude <nodes>', 'node names to keep in float32', nameList, [])
    .option('--preset <name>', 'features preset of a dataset source', 'default')
    .option('--seed <n>', 'seed of random samples', nonNegativeInt('--seed'), 1)
    .option('--allow-partial', 'write the result even when the pass did less than half of what was asked (it exits 4 otherwise; the summary says what was done)')
    .requiredOption('-o, --out <file>', 'the quantized .onnx file (written last, atomically)');
  addFeedOptions(cmd).action(async (model: string, o: QuantizeOptions) => {
    const spec = modeVariant(o.mode, o.calibration);
    const needsCalibration = spec.kind === 'static';
    if (needsCalibration && !o.calib) throw new UserError(`--mode ${o.mode} needs calibration samples: give --calib <dataset|dir-of-npy|random>`);
    const r = await compressFile({
      command: 'quantize',
      model,
      out: o.out,
      spec,
      sourceFlag: '--calib',
      samples: o.calib ?? 'random',
      needsCalibration,
      sampleOptions: { feed: await resolveNamedFeedFlags(o, '--calib', o.preset), calibCount: o.calibCount, evalCount: o.evalCount, seed: o.seed, preset: o.preset },
      allowPartial: o.allowPartial ?? false,
      build: { fineTuneLr: 0, seed: o.seed, exclude: o.exclude, log: (line) => process.stderr.write(`melbench: ${line}\n`) },
    });
    process.stdout.write(`${resultLines(r, o.out).join('\n')}\n`);
  });
};
