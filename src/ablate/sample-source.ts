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
 * The model's input: its only graph input, float32. Its batch dim is a symbol (any batch) or 1 (one
 * sample per run); a model without one (e.g. [16, 96]) is fed whole samples one run at a time.
 * Free sample dims (frames 'T') take the size of the source's samples; random samples need none.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { decodeNpy } from '../features/npy.ts';
import { formatShape, isKnown } from '../graph/dims.ts';
import type { Dim, Graph } from '../graph/ir.ts';
import { Rng } from '../rng.ts';
import { loadTrainingData } from '../train/run.ts';

/** What one sample of a model's input is. */
export interface SampleShape {
  input: string;
  /** One sample's dims (the input's dims without its batch dim), resolved by the source. */
  dims: number[];
  /** 'any': a symbolic batch dim; 'one': batch fixed at 1; 'none': no batch dim, one sample per run. */
  batch: 'any' | 'one' | 'none';
}

/** A sample's dims as the model declares them: free ones (e.g. frames 'T') are resolved by the samples. */
interface DeclaredShape {
  input: string;
  dims: Dim[];
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
}

export interface SampleOptions {
  /** Calibration samples wanted (at most; a folder or split may hold fewer). */
  calibCount: number;
  /** Evaluation samples wanted from a dataset or `random` (a folder gives its last quarter). */
  evalCount: number;
  seed: number;
  /** Features preset of a dataset source. */
  preset: string;
}

const per = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The declared shape of one sample of `g`'s first input; UserError (exit 4) when melbench cannot feed it. */
function declaredShape(g: Graph): DeclaredShape {
  const v = g.inputs[0];
  if (!v) throw new UserError(`model '${g.name}' has no input`, EXIT.badModel);
  if (g.inputs.length !== 1) throw new UserError(`model '${g.name}' has ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}); calibration and fidelity feed one float32 input`, EXIT.badModel);
  if (v.dtype !== 'float32') throw new UserError(`model input '${v.name}' is ${v.dtype}; calibration and fidelity feed float32`, EXIT.badModel);
  const [first, ...rest] = v.shape;
  const batch: SampleShape['batch'] = first === undefined ? 'none' : !isKnown(first) ? 'any' : first === 1 && v.shape.length > 1 ? 'one' : 'none';
  return { input: v.name, dims: batch === 'none' ? v.shape : rest, batch };
}

/** The sample shape with `got`'s dims, when they fit the declared ones (free dims take any size). */
function resolved(d: DeclaredShape, got: readonly number[]): SampleShape | undefined {
  const fits = got.length === d.dims.length && got.every((n, i) => n >= 1 && (!isKnown(d.dims[i]) || d.dims[i] === n));
  return fits ? { input: d.input, dims: got.slice(), batch: d.batch } : undefined;
}

/** Random samples need every sample dim fixed by the model. */
function fixedShape(d: DeclaredShape): SampleShape {
  const known = d.dims.every((n) => isKnown(n) && (n as number) >= 1);
  if (!known) {
    throw new UserError(`model input '${d.input}' takes samples of ${formatShape(d.dims)}, with free dims random samples cannot size: give a dataset or a folder of .npy samples`, EXIT.badModel);
  }
  return { input: d.input, dims: d.dims as number[], batch: d.batch };
}

function randomSamples(n: number, dims: number[], seed: number): Samples {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * per(dims) }, () => rng.normal()), n };
}

function npyFolder(dir: string, declared: DeclaredShape, o: SampleOptions): SampleSplit {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.npy'))
    .sort();
  if (files.length < 2) throw new UserError(`--calib ${dir} holds ${files.length} .npy file(s); it needs at least 2 (calibration and evaluation must be disjoint)`, EXIT.badInput);
  const nEval = Math.max(1, Math.floor(files.length / 4));
  const calFiles = files.slice(0, files.length - nEval).slice(0, o.calibCount);
  const evalFiles = files.slice(files.length - nEval);
  let shape: SampleShape | undefined;
  const read = (names: string[]): Samples => {
    const tensors = names.map((f) => {
      const path = join(dir, f);
      const t = decodeNpy(readFileSync(path), path);
      const dims = t.dims[0] === 1 && t.dims.length === declared.dims.length + 1 ? t.dims.slice(1) : t.dims;
      // The first file fixes the free dims; every other file must have the same shape.
      shape ??= resolved(declared, dims);
      if (!shape || dims.length !== shape.dims.length || dims.some((d, i) => d !== shape!.dims[i])) {
        throw new UserError(`${path} has shape ${formatShape(t.dims)}; the model's input '${declared.input}' takes samples of ${formatShape(shape?.dims ?? declared.dims)}`, EXIT.badInput);
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

async function datasetSamples(spec: string, declared: DeclaredShape, o: SampleOptions): Promise<SampleSplit> {
  const data = await loadTrainingData({ dataset: spec, preset: o.preset, datasetSeed: 0 });
  const { train, test } = data.splits;
  const shape = resolved(declared, train.dims);
  if (!shape) {
    throw new UserError(
      `dataset ${spec} (preset ${o.preset}) gives samples of ${formatShape(train.dims)}, the model's input '${declared.input}' takes ${formatShape(declared.dims)}; choose a --preset that matches, or give a folder of .npy samples`,
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

/** Calibration and evaluation samples for `g` from `spec` (see the header). */
export async function loadSamples(spec: string, g: Graph, o: SampleOptions): Promise<SampleSplit> {
  const declared = declaredShape(g);
  if (spec === 'random') {
    const shape = fixedShape(declared);
    return {
      shape,
      calibration: randomSamples(o.calibCount, shape.dims, o.seed),
      evaluation: randomSamples(o.evalCount, shape.dims, o.seed + 1),
      calibrationFrom: `${o.calibCount} random standard-normal samples (seed ${o.seed})`,
      evaluationFrom: `${o.evalCount} random standard-normal samples (seed ${o.seed + 1}, other draws than calibration)`,
      warning: 'ranges from random data are a smoke test, not the ranges of real inputs: calibrate on a dataset or a folder of .npy samples for a model you will use',
    };
  }
  if (existsSync(spec) && statSync(spec).isDirectory()) return npyFolder(spec, declared, o);
  if (spec.includes('/') && !spec.startsWith('folder:')) throw new UserError(`--calib ${spec}: no such folder (give a folder of .npy samples, a dataset name or 'random')`, EXIT.badInput);
  return datasetSamples(spec, declared, o);
}
