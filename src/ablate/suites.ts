/**
 * The ablation suites: which compressed variants of each trained model a suite compares.
 *
 *   quant    fp32, fp16 (float32 and float16 I/O), dynamic; static QDQ u8s8 per-channel with
 *            every calibration method; the naive per-tensor min-max; QDQ s8s8; QOperator u8s8 and
 *            s8s8; full-int calibrated and full-int with the naive input scale
 *   prune    BN folding; magnitude (global) and channel pruning (L1, BN gamma) at each ratio,
 *            channel pruning without and with fine-tuning
 *   seed001  the rows of seed 001's Table 2: basic (fp32), int (static, float I/O), full int,
 *            float16, dynamic range; full-int once calibrated and once naive
 *   mission  the main job (`npm start`): fp32, BN-folded, 50% of channels pruned (L1) and
 *            fine-tuned, fp16, static int8 (QDQ u8s8, per-channel, min-max), with its own short
 *            recipe (MISSION_RECIPE) so that it runs in minutes on a 2-core machine
 */
import { UserError } from '../errors.ts';
import type { CalibrationMethod } from '../train/calibrate.ts';
import type { TrainOptions } from '../train/trainer.ts';
import { STEADY_WARMUP, type TimingConfig } from '../runners/timing.ts';
import { checkRatio, staticQuant, type VariantSpec } from './variants.ts';

export const SUITES = ['quant', 'prune', 'seed001', 'mission'] as const;
export type SuiteName = (typeof SUITES)[number];

export interface SuiteOptions {
  /** Calibration methods of the quant suite's QDQ u8s8 per-channel rows. */
  calibrations: CalibrationMethod[];
  /** The calibration of every other static variant. */
  calibration: CalibrationMethod;
  ratios: number[];
  /** Fine-tuning epochs of the prune suite's fine-tuned rows (0: none). */
  fineTuneEpochs: number;
}

/**
 * The mission suite's recipe: the values its options take when the command line leaves them at
 * their defaults. Kept short so that feature extraction, training, variants and timing of a fresh
 * clone fit in about 5 minutes on a shared 2-core machine (docs/main-job.md).
 *
 * NOTE: the mission also measures in its own process unless `--isolate` is given (commands/ablate.ts):
 * a child per (model, runtime), per reference run and per test-split scoring is 6 node processes
 * per variant, each loading tsx and its runtime (ORT-web compiles its WebAssembly again in each),
 * which cost more CPU than the timed runs of 5 small variants. cpu and wasm on the zoo's own
 * models are the runtimes least likely to crash; `runtime_init_ms` then counts a runtime's
 * initialisation once, in its first row (the module comment of src/runners/measure.ts).
 */
export const MISSION_RECIPE = {
  models: ['dcase-baseline'],
  trainEpochs: 8,
  ratios: [0.5],
  fineTuneEpochs: 4,
  calibration: 'minmax' as CalibrationMethod,
  calibrationClips: 128,
};

/**
 * The mission's training, over `melbench train`'s defaults: AdamW at 3e-3 with cosine decay.
 * NOTE: in 8 epochs SGD (lr 0.05, momentum 0.9) took dcase-baseline to test macro-F1 0.49 on
 * `alerts`, AdamW to 0.87 (docs/models.md, "Training through ONNX Runtime"; the "val 0.80 by epoch 4" once
 * quoted here was never recorded with its command). The full recipe (40 epochs of SGD)
 * is better still and is what `--suite quant|prune|seed001` train with.
 */
export const MISSION_TRAINING: Partial<TrainOptions> = {
  lr: 0.003,
  // NOTE: the keys in `defaultTrainOptions`' order, so a `melbench train --optimizer adamw --lr 0.003` run of the same epochs has the same cache hash.
  optimizer: { kind: 'adamw', momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 },
};

/**
 * The mission's timing when no --warmup, --samples or --time-ms is given: `bench`'s steady-state
 * warm-up (three window medians in a row within 3%) with a shorter floor and cap (0.5 s, 3 s
 * instead of 2 s, 8 s), then at least 30 samples and 0.5 s instead of 50 and 1 s. Every row still
 * records its warm-up runs, whether the warm-up converged, its sample count and margin of error.
 */
export const MISSION_TIMING: TimingConfig = {
  warmupIterations: 0,
  warmupTimeMs: 0,
  steady: { ...STEADY_WARMUP, windowMs: 50, minTimeMs: 500, maxTimeMs: 3000 },
  minSamples: 30,
  minTimeMs: 500,
};

export function parseSuite(name: string): SuiteName {
  if (!(SUITES as readonly string[]).includes(name)) throw new UserError(`unknown --suite '${name}'; choose from: ${SUITES.join(', ')}`);
  return name as SuiteName;
}

export function suiteVariants(suite: SuiteName, o: SuiteOptions): VariantSpec[] {
  const c = o.calibration;
  switch (suite) {
    case 'quant':
      return [
        { kind: 'fp32' },
        { kind: 'fp16', keepIo: true },
        { kind: 'fp16', keepIo: false },
        { kind: 'dynamic' },
        ...o.calibrations.map((calibration) => staticQuant({ calibration })),
        staticQuant({ calibration: 'minmax', perChannel: false }),
        staticQuant({ calibration: c, activations: 'int8' }),
        staticQuant({ calibration: c, format: 'qoperator' }),
        staticQuant({ calibration: c, format: 'qoperator', activations: 'int8' }),
        staticQuant({ calibration: c, fullInt: true }),
        staticQuant({ calibration: c, fullInt: true, naiveInput: true }),
      ];
    case 'prune': {
      o.ratios.forEach((r) => checkRatio(r, 'a prune ratio'));
      const fineTunes = o.fineTuneEpochs > 0 ? [0, o.fineTuneEpochs] : [0];
      return [
        { kind: 'fp32' },
        { kind: 'fold-bn' },
        ...o.ratios.map((ratio): VariantSpec => ({ kind: 'magnitude', scope: 'global', ratio })),
        ...(['l1', 'bn-gamma'] as const).flatMap((criterion) =>
          o.ratios.flatMap((ratio) => fineTunes.map((fineTuneEpochs): VariantSpec => ({ kind: 'channels', criterion, ratio, fineTuneEpochs }))),
        ),
      ];
    }
    case 'seed001':
      return [
        { kind: 'fp32' },
        staticQuant({ calibration: c }),
        staticQuant({ calibration: c, fullInt: true }),
        staticQuant({ calibration: c, fullInt: true, naiveInput: true }),
        { kind: 'fp16', keepIo: true },
        { kind: 'dynamic' },
      ];
    case 'mission':
      o.ratios.forEach((r) => checkRatio(r, 'a prune ratio'));
      return [
        { kind: 'fp32' },
        { kind: 'fold-bn' },
        ...o.ratios.map((ratio): VariantSpec => ({ kind: 'channels', criterion: 'l1', ratio, fineTuneEpochs: o.fineTuneEpochs })),
        { kind: 'fp16', keepIo: true },
        staticQuant({ calibration: c }),
      ];
  }
}

/** Sets each option of `recipe` that the command line left at its default (`isDefault`). */
export function applyRecipe<T extends object>(o: T, recipe: Partial<T>, isDefault: (key: string) => boolean): void {
  for (const [key, value] of Object.entries(recipe)) if (isDefault(key)) (o as Record<string, unknown>)[key] = value;
}
