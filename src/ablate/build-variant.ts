/**
 * Builds one compressed variant of a trained fp32 model by running the export passes
 * (src/export/passes), with calibration and fine-tuning where the variant needs them.
 *
 * Every quantized variant starts from the BN-folded graph (what a deployment would ship, and
 * what the quantizers expect: a BN left unfolded would stay in float). Calibration statistics are
 * collected once per model on that graph and shared by every static variant; they come from the
 * training split only. Fine-tuned variants cost minutes, so they are cached in the
 * training run's folder (`<run>/variants/<name>-<hash>.onnx`) by everything that decides them.
 * Every pass's notes on the nodes it left alone are logged, one "name (OpType): why" each
 * (formatNote, src/export/passes/pass.ts); those of a precision pass (fp16, dynamic, static) are
 * the nodes it left in float32, and they also fill the row's `kept_fp32`.
 */
import { type Achievement, achievement } from './achievement.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { fromOnnx, toOnnx } from '../export/onnx.ts';
import { toFloat16 } from '../export/passes/float16.ts';
import { foldBatchNorm } from '../export/passes/fold-bn.ts';
import { pruneChannels } from '../export/passes/prune-channels.ts';
import { keptLines, type PassNote, type PassResult } from '../export/passes/pass.ts';
import { pruneMagnitude } from '../export/passes/prune-magnitude.ts';
import { quantizeDynamic } from '../export/passes/quantize-dynamic.ts';
import { quantizeStatic } from '../export/passes/quantize-static.ts';
import type { LoadedFeatures } from '../features/datasets/index.ts';
import type { Graph } from '../graph/ir.ts';
import type { Feeds } from '../runners/runner.ts';
import type { Compression } from '../sweep/models.ts';
import { type ActivationStats, calibrationRanges, collectActivations, trainingClips } from '../train/calibrate.ts';
import { runHash } from '../train/checkpoint.ts';
import { fineTune } from '../train/finetune.ts';
import { type TrainedModelRequest, trainedModel } from '../train/trained-model.ts';
import { quantMode, type StaticQuant, type VariantSpec, variantName } from './variants.ts';

/** Clips that calibrate static quantization: `clips` holds n examples of `dims`, run `batch` at a time. */
export interface CalibrationClips {
  clips: Float32Array;
  dims: number[];
  /** Examples per session run (default 16; 1 for a model whose batch dim is fixed at 1). */
  batch?: number;
  /** The input the clips feed (default: the graph's first input). */
  input?: string;
  /** Every input's feed for a run of m clips (a model file with several inputs); default: the clips alone, [m, ...dims]. */
  feeds?: (clips: Float32Array, m: number) => Feeds;
}

/** What the variants of one model are built from: a trained zoo model, or a user's file. */
export interface VariantBase {
  name: string;
  graph: Graph;
  /** Up to n calibration clips, never from the data the variant is scored on. */
  calibration(n: number): CalibrationClips;
  /** A user's file: its weights are taken as trained (no melbench metadata says so). */
  assumeTrained?: boolean;
  /** Labelled data and a run folder to cache in: what fine-tuning needs (absent for a file). */
  training?: { runDir: string; data: LoadedFeatures };
}

export interface TrainedBase extends VariantBase {
  runDir: string;
  onnxPath: string;
  data: LoadedFeatures;
  training: { runDir: string; data: LoadedFeatures };
}

/** A trained model as the passes start from it: `trainedModel`'s run (trained now, or cached). */
export async function trainedBase(model: string, data: LoadedFeatures, o: Omit<TrainedModelRequest, 'model'>): Promise<TrainedBase> {
  const run = await trainedModel({ ...o, model }, data);
  return {
    name: model,
    graph: fromOnnx(readFileSync(run.onnxPath), run.onnxPath),
    runDir: run.dir,
    onnxPath: run.onnxPath,
    data,
    // Calibration clips come from the training split only (never val/test).
    calibration: (n) => trainingClips(data.splits.train, n),
    training: { runDir: run.dir, data },
  };
}

export interface BuildContext {
  /** Clips of the training split that calibrate static quantization. */
  calibrationClips: number;
  /** Peak learning rate of fine-tuning after channel pruning. */
  fineTuneLr: number;
  seed: number;
  /** Node names every quantizer keeps in float32 (e.g. the first conv and the classifier). */
  exclude: string[];
  log(line: string): void;
}

export interface BuiltVariant {
  name: string;
  graph: Graph;
  compression: Compression;
  /** Every note of the passes that built it (src/export/passes/pass.ts). */
  notes: PassNote[];
  /** What was asked beside what was achieved; absent for fp32 and fold-bn. */
  achievement?: Achievement;
}

const NONE: Omit<Compression, 'quantMode'> = { calibration: 'none', pruneMethod: 'none', pruneRatio: 0, keptFloat: [] };

const foldedCache = new WeakMap<Graph, PassResult>();
const statsCache = new WeakMap<Graph, Promise<ActivationStats>>();

/** The trained graph with BN folded (and the fold's notes), computed once per model. */
function foldedResult(base: VariantBase): PassResult {
  let r = foldedCache.get(base.graph);
  if (!r) foldedCache.set(base.graph, (r = foldBatchNorm(base.graph)));
  return r;
}

function folded(base: VariantBase): Graph {
  return foldedResult(base).graph;
}

/** Calibration statistics of the folded graph, collected on first use. */
function activationStats(base: VariantBase, ctx: BuildContext): Promise<ActivationStats> {
  let stats = statsCache.get(base.graph);
  if (!stats) {
    const { clips, dims, ...how } = base.calibration(ctx.calibrationClips);
    ctx.log(`${base.name}: calibrating on ${clips.length / dims.reduce((a, d) => a * d, 1)} ${base.training ? 'training clips' : 'samples'}`);
    stats = collectActivations(folded(base), clips, dims, how);
    statsCache.set(base.graph, stats);
  }
  return stats;
}

async function staticVariant(base: VariantBase, v: StaticQuant, ctx: BuildContext): Promise<PassResult> {
  const ranges = calibrationRanges(await activationStats(base, ctx), v.calibration);
  return quantizeStatic(folded(base), ranges, {
    format: v.format,
    activations: v.activations,
    weights: v.perChannel ? 'per-channel' : 'per-tensor',
    fullInt: v.fullInt,
    naiveInputScale: v.naiveInput,
    exclude: ctx.exclude,
    ...(base.assumeTrained ? { allowUntrained: true } : {}),
  });
}

/** Channel pruning (and its notes), then fine-tuning from the pruned weights: cached, since it trains. */
async function prunedVariant(base: VariantBase, v: Extract<VariantSpec, { kind: 'channels' }>, name: string, ctx: BuildContext): Promise<PassResult> {
  const { graph: pruned, notes } = pruneChannels(base.graph, { ratio: v.ratio, criterion: v.criterion });
  if (v.fineTuneEpochs === 0) return { graph: pruned, notes };
  if (!base.training) throw new UserError(`${name}: fine-tuning needs a labelled training set, and '${base.name}' is a file without one; use a variant without fine-tuning`);
  const { runDir, data } = base.training;
  const dir = join(runDir, 'variants');
  const path = join(dir, `${name}-${runHash({ v, lr: ctx.fineTuneLr, seed: ctx.seed })}.onnx`);
  if (existsSync(path)) return { graph: fromOnnx(readFileSync(path), path), notes };
  ctx.log(`${base.name}: fine-tuning ${name} for ${v.fineTuneEpochs} epochs`);
  const tuned = await fineTune(pruned, data, { epochs: v.fineTuneEpochs, lr: ctx.fineTuneLr, seed: ctx.seed }, { onEpoch: (_s, r) => ctx.log(`  ${name} epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, val macro-F1 ${r.valMacroF1.toFixed(4)}`) });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, toOnnx(tuned.graph));
  return { graph: tuned.graph, notes };
}

export async function buildVariant(base: VariantBase, v: VariantSpec, ctx: BuildContext): Promise<BuiltVariant> {
  const name = variantName(v);
  const mode = quantMode(v);
  const done = (graph: Graph, notes: PassNote[], extra: Partial<Compression> = {}): BuiltVariant => {
    for (const line of keptLines(notes)) ctx.log(`${base.name} ${name}: left alone: ${line}`);
    const got = achievement(v, base.graph, graph, notes);
    return { name, graph, compression: { ...NONE, quantMode: mode, ...extra, ...(got ? { achieved: got.achieved } : {}) }, notes, ...(got ? { achievement: got } : {}) };
  };
  /** A precision pass: the nodes it left alone stay float32, and the row lists them. */
  const precision = (r: PassResult, extra: Partial<Compression> = {}) => done(r.graph, r.notes, { ...extra, keptFloat: keptLines(r.notes) });
  switch (v.kind) {
    case 'fp32':
      return done(base.graph, []);
    case 'fold-bn':
      return done(folded(base), foldedResult(base).notes);
    case 'fp16':
      return precision(toFloat16(folded(base), { keepIo: v.keepIo, keepFloat32: ctx.exclude }));
    case 'dynamic':
      return precision(quantizeDynamic(folded(base), { exclude: ctx.exclude }));
    case 'static':
      return precision(await staticVariant(base, v, ctx), { calibration: v.calibration });
    case 'magnitude': {
      const r = pruneMagnitude(base.graph, { sparsity: v.ratio, scope: v.scope });
      return done(r.graph, r.notes, { pruneMethod: `magnitude-${v.scope}`, pruneRatio: v.ratio });
    }
    case 'channels': {
      const r = await prunedVariant(base, v, name, ctx);
      return done(r.graph, r.notes, { pruneMethod: `channels-${v.criterion}${v.fineTuneEpochs > 0 ? `+ft${v.fineTuneEpochs}` : ''}`, pruneRatio: v.ratio });
    }
  }
}
