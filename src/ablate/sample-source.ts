/**
 * Inputs for compressing a user's model file: clips that calibrate static quantization and clips
 * that measure fidelity, always disjoint. Three sources (`--calib`):
 *
 *   <dataset>     a dataset name as `ablate --dataset` takes it (alerts, sonicpi, folder:<path>):
 *                 calibration from its TRAINING split, evaluation from its TEST split; its features
 *                 ([C, M, T] for the preset) must match the model's input; labels come along
 *   <dir>         a folder of .npy files, one sample each, shaped as the model's input without its
 *                 batch dim (a leading 1 is accepted): sorted by name, the LAST quarter (at least
 *                 one file) evaluates and the files before it calibrate
 *   random        seeded standard-normal samples: calibration from seed s, evaluation from seed
 *                 s + 1 (other draws). A smoke test only: ranges from random data are not a
 *                 model's real ranges, and the command warns so
 *
 * Every input of the model is fed, planned by the code bench uses (src/sweep/feeds.ts: the model's
 * own signature, `--input`, `--dim` and `--shape`) with bench's defaults: state-like inputs zeros,
 * integer inputs from `--input` (or a number in the model's metadata), other float inputs seeded
 * noise. The SAMPLE INPUT is the first float32 input that no `--input` names and that is not
 * state-like: the source fills it, and every other input keeps its planned value in every
 * calibration and evaluation run. One sample is that input without its batch dim: the plan's batch
 * (any number of samples per run) or a fixed leading 1 (one per run); without either a sample is
 * the whole input, one per run. A free sample dim that no flag sets takes the size of the source's
 * samples (a folder or a dataset); random samples need it set with `--dim` or `--shape`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { type SigDim, type Signature, type SigValue, sigShapeText } from '../export/signature.ts';
import { decodeNpy } from '../features/npy.ts';
import { getPreset } from '../features/presets.ts';
import { Rng } from '../rng.ts';
import type { Feeds, HostTensor } from '../runners/runner.ts';
import { makeTensor } from '../runners/tensors.ts';
import { describePlan, type FeedOptions, type FeedPlan, inputsText, isStateLike, makeFeeds, planFeeds, type UserValue } from '../sweep/feeds.ts';
import { builtinFeatures } from '../sweep/inputs.ts';
import { loadTrainingData } from '../train/run.ts';

/** What one sample of the model's sample input is. */
export interface SampleShape {
  input: string;
  /** One sample's dims (the input's dims without its batch dim), resolved by the source. */
  dims: number[];
  /** 'any': the plan's batch dim, leading; 'one': a fixed leading 1, one sample per run; 'none': no batch dim, the whole input per run. */
  batch: 'any' | 'one' | 'none';
}

/** A sample's dims with the flags applied: a number is fixed; a name or null is free (the samples size it). */
interface DeclaredShape {
  input: string;
  dims: SigDim[];
  batch: SampleShape['batch'];
}

export interface Samples {
  /** n samples of `dims`, concatenated. */
  x: Float32Array;
  n: number;
}

export interface SampleSplit {
  shape: SampleShape;
  calibration: Samples;
  evaluation: Samples;
  /** Where the calibration samples came from, in words. */
  calibrationFrom: string;
  /** Where the evaluation samples came from and why they are disjoint from calibration, in words. */
  evaluationFrom: string;
  /** Set for `random`: ranges from random data are a smoke test. */
  warning?: string;
  /** Class labels of the evaluation samples, for a labelled dataset. */
  labels?: { y: Int32Array; classes: string[] };
  /** Every input of the model as bench plans it; the sample input's entry holds one sample, which `feedsOf` replaces. */
  plan: FeedPlan;
}

export interface SampleOptions {
  /** Calibration samples wanted (at most; a folder or split may hold fewer). */
  calibCount: number;
  /** Evaluation samples wanted from a dataset or `random` (a folder gives its last quarter). */
  evalCount: number;
  seed: number;
  /** Features preset of a dataset source (and of a log-mel input that is not the sample input). */
  preset: string;
  /** `--dim`, `--shape` and named `--input` values (src/commands/feed-flags.ts). */
  feed?: Omit<FeedOptions, 'features' | 'seed'>;
}

const per = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const isFixed = (d: SigDim): d is number => typeof d === 'number';

/** The model's inputs as planFeeds lists them in its messages. */

/** The input the samples fill: the first float32 input that no --input names and that is not state-like. */
function sampleInput(sig: Signature, o: SampleOptions, source: string): SigValue {
  const named = (v: SigValue) => o.feed?.values?.[v.name] !== undefined;
  const candidates = sig.inputs.filter((v) => v.dtype === 'float32' && !isStateLike(sig, v.name));
  const v = candidates.find((x) => !named(x));
  if (v) return v;
  if (candidates.length) {
    const n = candidates[0].name;
    throw new UserError(`${source}: --input ${n}=... feeds '${n}', the float32 input the samples fill (${inputsText(sig)}); drop that --input: calibration and fidelity feed '${n}' from the samples`);
  }
  throw new UserError(`${source}: no input for the samples to fill (${inputsText(sig)}); calibration and fidelity fill a float32 input that is not state-like`, EXIT.badModel);
}

/** The sample input's dims as the flags leave them: --shape, else the model's with --dim applied. */
function flaggedDims(v: SigValue, o: SampleOptions, source: string): SigDim[] {
  const given = o.feed?.shapes?.[v.name];
  if (given) return given.slice();
  if (!v.dims) throw new UserError(`${source}: input '${v.name}' has no shape in the model; set it with --shape ${v.name}=<d0>x<d1>...`);
  return v.dims.map((d) => (typeof d === 'string' && o.feed?.dims?.[d] !== undefined ? o.feed.dims[d] : d));
}

/** planFeeds with the sample input fed `tensor` (one sample at batch 1): every other input as bench plans it. */
function planWith(sig: Signature, o: SampleOptions, input: string, tensor: HostTensor, source: string): FeedPlan {
  const values: Record<string, UserValue> = { ...o.feed?.values, [input]: { kind: 'tensor', tensor, source: 'the samples' } };
  return planFeeds(sig, { ...o.feed, values, seed: o.seed }, builtinFeatures(getPreset(o.preset)), source);
}

/**
 * The declared shape of one sample. A first plan, with a placeholder sample (free dims 1), checks
 * every flag against the model and plans the other inputs before any sample is read; it also
 * says which dim of the sample input is the batch.
 */
function declaredShape(sig: Signature, o: SampleOptions, source: string): DeclaredShape {
  const v = sampleInput(sig, o, source);
  const dims = flaggedDims(v, o, source);
  const probe = planWith(sig, o, v.name, makeTensor('float32', dims.map((d) => (isFixed(d) ? d : 1))), source);
  const axis = probe.inputs.find((p) => p.name === v.name)!.dims.indexOf('batch');
  if (axis === 0) return { input: v.name, dims: dims.slice(1), batch: 'any' };
  // NOTE: a batch dim that is not the leading one cannot stack samples: it takes one per run.
  if (axis > 0) dims[axis] = 1;
  if (dims.length > 1 && dims[0] === 1) return { input: v.name, dims: dims.slice(1), batch: 'one' };
  return { input: v.name, dims, batch: 'none' };
}

/** The sample input's dims for a run of m samples (m = 1 without a batch dim). */
export function sampleDims(shape: SampleShape, m: number): number[] {
  return shape.batch === 'none' ? shape.dims : [m, ...shape.dims];
}

/** Samples per session run: up to 16 with a batch dim, else 1. */
export function runSize(shape: SampleShape): number {
  return shape.batch === 'any' ? 16 : 1;
}

/** Every input's feed for a run of m samples `x`: the sample input gets them, the others their planned values. */
export function feedsOf(s: SampleSplit, x: Float32Array, m: number): Feeds {
  const { feeds } = makeFeeds(s.plan, s.shape.batch === 'any' ? m : 1, s.shape.input);
  return { ...feeds, [s.shape.input]: { type: 'float32', data: x, dims: sampleDims(s.shape, m) } };
}

/** What each input of the model is fed, one line each (bench's wording; the sample input from `from`). */
export function planLines(s: SampleSplit, from: string): string[] {
  return describePlan(s.plan).map((line, i) => (s.plan.inputs[i].name === s.shape.input ? `input '${s.shape.input}' float32 [${sampleDims(s.shape, 1).join(', ')}] <- ${from}` : line));
}

/** The sample shape with `got`'s dims, when they fit the declared ones (free dims take any size). */
function resolved(d: DeclaredShape, got: readonly number[]): SampleShape | undefined {
  const fits = got.length === d.dims.length && got.every((n, i) => n >= 1 && (!isFixed(d.dims[i]) || d.dims[i] === n));
  return fits ? { input: d.input, dims: got.slice(), batch: d.batch } : undefined;
}

/** Random samples need every sample dim fixed, by the model or a flag. */
function fixedShape(d: DeclaredShape, source: string): SampleShape {
  const free = d.dims.find((n) => !isFixed(n));
  if (free !== undefined) {
    const flag = typeof free === 'string' ? `--dim ${free}=<n>` : `--shape ${d.input}=<d0>x<d1>...`;
    throw new UserError(`${source}: input '${d.input}' takes samples of ${sigShapeText(d.dims)}, with a free dim random samples cannot size: set it with ${flag}, or give a dataset or a folder of .npy samples`);
  }
  return { input: d.input, dims: d.dims as number[], batch: d.batch };
}

function randomSamples(n: number, dims: number[], seed: number): Samples {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * per(dims) }, () => rng.normal()), n };
}

type Source = Omit<SampleSplit, 'plan'>;

function npyFolder(dir: string, declared: DeclaredShape, sig: Signature, o: SampleOptions): Source {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.npy'))
    .sort();
  if (files.length < 2) throw new UserError(`--calib ${dir} holds ${files.length} .npy file(s); it needs at least 2 (calibration and evaluation must be disjoint)`, EXIT.badInput);
  const nEval = Math.max(1, Math.floor(files.length / 4));
  const calFiles = files.slice(0, files.length - nEval).slice(0, o.calibCount);
  const evalFiles = files.slice(files.length - nEval);
  let shape: SampleShape | undefined;
  const decode = (path: string) => {
    try {
      return decodeNpy(readFileSync(path), path);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw new UserError(`${e.message}; the samples feed input '${declared.input}' (${inputsText(sig)})`, e.exitCode);
    }
  };
  const read = (names: string[]): Samples => {
    const tensors = names.map((f) => {
      const path = join(dir, f);
      const t = decode(path);
      const dims = t.dims[0] === 1 && t.dims.length === declared.dims.length + 1 ? t.dims.slice(1) : t.dims;
      // The first file fixes the free dims; every other file must have the same shape.
      shape ??= resolved(declared, dims);
      if (!shape || dims.length !== shape.dims.length || dims.some((d, i) => d !== shape!.dims[i])) {
        throw new UserError(
          `${path} has shape [${t.dims.join(', ')}]; the model's input '${declared.input}' takes samples of ${sigShapeText(shape?.dims ?? declared.dims)} (${inputsText(sig)}); give samples of that shape, or set its free dims with --dim/--shape`,
          EXIT.badInput,
        );
      }
      return { path, t };
    });
    const size = per(shape!.dims);
    const x = new Float32Array(names.length * size);
    tensors.forEach(({ path, t }, k) => {
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UserError(`${path} holds ${t.data[bad]} at value ${bad}; samples must be finite`, EXIT.badInput);
      x.set(t.data, k * size);
    });
    return { x, n: names.length };
  };
  const calibration = read(calFiles);
  const evaluation = read(evalFiles);
  return {
    shape: shape!,
    calibration,
    evaluation,
    calibrationFrom: `${calFiles.length} file(s) of ${dir} (${calFiles[0]} ...)`,
    evaluationFrom: `the last ${evalFiles.length} file(s) by name of ${dir} (${evalFiles[0]} ...), never calibration files`,
  };
}

async function datasetSamples(spec: string, declared: DeclaredShape, o: SampleOptions): Promise<Source> {
  const data = await loadTrainingData({ dataset: spec, preset: o.preset, datasetSeed: 0 });
  const { train, test } = data.splits;
  const shape = resolved(declared, train.dims);
  if (!shape) {
    throw new UserError(
      `dataset ${spec} (preset ${o.preset}) gives samples of [${train.dims.join(', ')}], the model's input '${declared.input}' takes ${sigShapeText(declared.dims)}; choose a --preset that matches, or give a folder of .npy samples`,
      EXIT.badModel,
    );
  }
  const take = (x: Float32Array, total: number, n: number): { s: Samples; idx: number[] } => {
    const k = Math.min(n, total);
    const idx = Array.from({ length: k }, (_, j) => Math.floor((j * total) / k));
    const size = per(shape.dims);
    const out = new Float32Array(k * size);
    idx.forEach((i, j) => out.set(x.subarray(i * size, (i + 1) * size), j * size));
    return { s: { x: out, n: k }, idx };
  };
  if (train.y.length === 0 || test.y.length === 0) throw new UserError(`dataset ${spec} has an empty training or test split`, EXIT.badInput);
  const cal = take(train.x, train.y.length, o.calibCount);
  const ev = take(test.x, test.y.length, o.evalCount);
  return {
    shape,
    calibration: cal.s,
    evaluation: ev.s,
    calibrationFrom: `${cal.s.n} clips of the training split of ${spec}`,
    evaluationFrom: `${ev.s.n} clips of the test split of ${spec}, disjoint from its training split`,
    labels: { y: Int32Array.from(ev.idx, (i) => test.y[i]), classes: data.classes },
  };
}

async function fromSource(spec: string, declared: DeclaredShape, sig: Signature, o: SampleOptions, source: string): Promise<Source> {
  if (spec === 'random') {
    const shape = fixedShape(declared, source);
    return {
      shape,
      calibration: randomSamples(o.calibCount, shape.dims, o.seed),
      evaluation: randomSamples(o.evalCount, shape.dims, o.seed + 1),
      calibrationFrom: `${o.calibCount} random standard-normal samples (seed ${o.seed})`,
      evaluationFrom: `${o.evalCount} random standard-normal samples (seed ${o.seed + 1}, other draws than calibration)`,
      warning: 'ranges from random data are a smoke test, not the ranges of real inputs: calibrate on a dataset or a folder of .npy samples for a model you will use',
    };
  }
  if (existsSync(spec) && statSync(spec).isDirectory()) return npyFolder(spec, declared, sig, o);
  if (spec.includes('/') && !spec.startsWith('folder:')) throw new UserError(`--calib ${spec}: no such folder (give a folder of .npy samples, a dataset name or 'random')`, EXIT.badInput);
  return datasetSamples(spec, declared, o);
}

/** Checks the flags against the model, and that `spec` can size its samples, before any sample is read (a run's files exist). */
export function checkSampleFeeds(spec: string, sig: Signature, o: SampleOptions, source: string): void {
  const declared = declaredShape(sig, o, source);
  if (spec === 'random') fixedShape(declared, source);
}

/**
 * Calibration and evaluation samples for the model with signature `sig` from `spec` (see the
 * header), and the plan of its other inputs. `source` names the model in messages.
 */
export async function loadSamples(spec: string, sig: Signature, o: SampleOptions, source: string): Promise<SampleSplit> {
  const declared = declaredShape(sig, o, source);
  const s = await fromSource(spec, declared, sig, o, source);
  const first = s.evaluation.x.subarray(0, per(s.shape.dims));
  const plan = planWith(sig, o, s.shape.input, { type: 'float32', data: first, dims: sampleDims(s.shape, 1) }, source);
  return { ...s, plan };
}
