/**
 * What a sweep benchmarks: a zoo entry built for its preset's input, or a user's .onnx file.
 * Everything is resolved and validated before any timing starts, so a bad name, shape or file
 * fails in one line at once instead of in the middle of a sweep.
 *
 * A file is fed from its own signature (src/sweep/feeds.ts) and timed from its bytes: the IR
 * import is needed only for the cost columns (params, MACs), so a model whose ops the IR cannot
 * import is still benched, with those columns empty and the reason in `costNote`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { countParams, macCount, type ModelCost, modelCost, uncountedNodes } from '../export/cost.ts';
import { fromOnnx, toOnnx } from '../export/onnx.ts';
import { liftConstants } from '../export/passes/lift-constants.ts';
import { readSignature, type Signature, signatureOfGraph } from '../export/signature.ts';
import { getPreset, type Preset } from '../features/presets.ts';
import type { Row } from '../report/columns.ts';
import type { FeatureTensor } from '../features/types.ts';
import { formatShape, isKnown } from '../graph/dims.ts';
import { inferShapes } from '../graph/infer.ts';
import { isIntegerDType } from '../graph/dtype.ts';
import type { Graph, Tensor } from '../graph/ir.ts';
import { META } from '../graph/metadata-keys.ts';
import { getZooEntry } from '../graph/zoo/index.ts';
import { builtinFeatures, inputOf } from './inputs.ts';
import { type FeedOptions, type FeedPlan, inputsText, planFeeds, unusedFeedFlags } from './feeds.ts';
import { type ModelIo, modelIo, signatureIo } from './io-codec.ts';

/** Held-out clips a trained model is scored on, per runtime. */
export interface EvalSet {
  x: Float32Array;
  y: Int32Array;
  /** [C, M, T] of one clip. */
  dims: number[];
  /** classes[k]: the class of output index k (y holds output indices). */
  classes: string[];
  /** The output indices the macro means average over (a model file with more labels than the dataset has classes); absent: all. */
  scoredClasses?: number[];
}

/** How a variant was compressed, as the CSV's identity columns say it. */
export interface Compression {
  quantMode: string;
  calibration: string;
  pruneMethod: string;
  pruneRatio: number;
  /** Nodes the passes left in float32 (no quantized form, or excluded), e.g. 'Softmax:probs'. */
  keptFloat: string[];
  /** What the variant's passes achieved against what was asked (src/ablate/achievement.ts), e.g. '18 of 20 Conv/Gemm/MatMul node(s) quantized'. */
  achieved?: string;
}

export interface PreparedModel {
  name: string;
  variant: string;
  /** Absent for a model as built or trained: no compression. */
  compression?: Compression;
  /** The fp32 model a compressed variant's outputs are compared with; absent: the model itself. */
  reference?: { bytes: Uint8Array };
  /** Input/output encodings when they are not float32 (full-int, fp16 I/O). */
  io: ModelIo;
  preset: Preset;
  features: FeatureTensor;
  graph: Graph;
  bytes: Uint8Array;
  cost: ModelCost;
  /** Present for a trained model (or a model file with --labels): its test split, and where the training run lives. */
  trained?: { evalSet: EvalSet; runDir?: string };
  /** Columns measured before the sweep (a model file's fidelity), set on each of its ok rows. */
  rowExtras?: Partial<Row>;
  /** Every input's feed (src/sweep/feeds.ts); absent: the features (or test clips) feed the one input. */
  plan?: FeedPlan;
}

/** Cost columns; null where the IR could not import the model or bind its input shapes. */
export interface BenchCost {
  params: number | null;
  nonzeroParams: number | null;
  macs: number | null;
  bytes: number;
  gzipBytes: number;
}

/** What bench times: a file whose ops the IR cannot import has no graph, and costs it cannot count. */
export type BenchModel = Omit<PreparedModel, 'graph' | 'cost'> & {
  graph?: Graph;
  cost: ModelCost | BenchCost;
  signature?: Signature;
  /** External-data files of a model file, handed to every session (src/runners/contract.ts OpenOptions). */
  externalData?: { path: string; data: Uint8Array }[];
  /** Why the cost columns are empty, or how a filled MACs count was made (an If's larger branch, a Loop counted once). */
  costNote?: string;
};

/** The name of a model's first output (the one decoded and scored). */
export function firstOutputName(m: BenchModel): string {
  return m.graph?.outputs[0].name ?? m.signature!.outputs[0].name;
}

/** The name of a model's first input. */
export function firstInputName(m: BenchModel): string {
  return m.graph?.inputs[0].name ?? m.signature!.inputs[0].name;
}

export interface ModelRequest {
  /** A zoo name, or a path ending in .onnx. */
  spec: string;
  /** Overrides the zoo entry's preset. */
  preset?: string;
  /** Features from --input instead of the built-in signal. */
  features?: FeatureTensor;
  classes: number;
  seed: number;
  /** --dim, --shape and named --input values, for every input of the model. */
  feed?: Omit<FeedOptions, 'features' | 'seed'>;
}

function checkInputFits(g: Graph, f: FeatureTensor, source: string, hint: string): void {
  const want = g.inputs[0]?.shape ?? [];
  const got = ['N', ...f.dims];
  const ok = want.length === got.length && want.every((d, i) => i === 0 || !isKnown(d) || d === got[i]);
  if (!ok) throw new UserError(`${source} expects input ${formatShape(want)} but the features are ${formatShape(got)}; ${hint}`, EXIT.badModel);
}

/**
 * Params, MACs and bytes of an imported file, as far as the IR can count them at the plan's batch-1
 * shapes, inside If/Loop/Scan bodies and LSTM/GRU/RNN included (src/export/cost.ts). A cell that
 * cannot be counted whole is empty with the reason; a count made less than exactly (an If whose
 * branches differ, a Loop counted once) is filled and the note says how.
 */
function fileCost(graph: Graph | undefined, bytes: Uint8Array, plan: FeedPlan, why: string | undefined): { cost: BenchCost; note?: string } {
  const sizes = { bytes: bytes.length, gzipBytes: gzipSize(bytes) };
  if (!graph) return { cost: { params: null, nonzeroParams: null, macs: null, ...sizes }, note: why };
  // NOTE: a partial count (a contrib op's weights left out) would read as the model's size: leave the cells empty.
  const uncounted = uncountedNodes(graph);
  if (uncounted.length) {
    return { cost: { params: null, nonzeroParams: null, macs: null, ...sizes }, note: `params and MACs not counted: ${uncounted.length} node(s) whose cost melbench does not model (${listSome(uncounted)})` };
  }
  const { params, nonzeroParams: nonzero } = countParams(graph);
  const shapes = new Map(plan.inputs.map((p) => [p.name, p.dims.map((d) => (d === 'batch' ? 1 : d))]));
  // NOTE: an integer input the run feeds a given value (--input sr=16000, or the model's metadata) is
  // a constant for the count: an If on it (silero's sr == 16000) counts the branch these rows run.
  const fixed = plan.inputs.filter((p) => p.tensor && isIntegerDType(p.dtype) && p.tensor.data.length <= 64);
  const fixedNames = new Set(fixed.map((p) => p.name));
  const asConsts = fixed.map((p) => ({ name: p.name, dtype: p.dtype, dims: p.tensor!.dims, data: p.tensor!.data }) as Tensor);
  let count;
  try {
    const inputs = graph.inputs.filter((v) => !fixedNames.has(v.name)).map((v) => ({ ...v, shape: shapes.get(v.name) ?? v.shape }));
    count = macCount(inferShapes({ ...graph, inputs, initializers: [...graph.initializers, ...asConsts] }));
  } catch (e) {
    return { cost: { params, nonzeroParams: nonzero, macs: null, ...sizes }, note: `MACs not counted: ${(e as Error).message}` };
  }
  if (count.uncounted.length) {
    return { cost: { params, nonzeroParams: nonzero, macs: null, ...sizes }, note: `MACs not counted: shapes unknown at ${count.uncounted.length} node(s) (${listSome(count.uncounted)})` };
  }
  const note = count.notes.length ? `MACs: ${listSome(count.notes)}` : undefined;
  return { cost: { params, nonzeroParams: nonzero, macs: count.macs, ...sizes }, ...(note ? { note } : {}) };
}

/** The first three items of a list, and how many more. */
function listSome(items: string[]): string {
  return items.slice(0, 3).join(', ') + (items.length > 3 ? `, and ${items.length - 3} more` : '');
}

function gzipSize(bytes: Uint8Array): number {
  return gzipSync(bytes, { level: 9 }).length;
}

/**
 * The external-data files a model names, read from its folder. A location that is absolute, holds
 * '..', or resolves (through symlinks) outside the model's folder is refused before any read.
 */
function readExternalData(modelPath: string, files: readonly string[]): { path: string; data: Uint8Array }[] {
  const dir = realpathSync(dirname(resolve(modelPath)));
  return files.map((location) => {
    const escapes = isAbsolute(location) || location.split(/[\\/]/).includes('..') || location === '';
    let real = '';
    try {
      real = escapes ? '' : realpathSync(join(dir, location));
    } catch (e) {
      throw new UserError(`${modelPath}: cannot read its external data '${location}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
    }
    if (escapes || (real !== dir && !real.startsWith(dir + sep))) {
      throw new UserError(`${modelPath}: external data location '${location}' is outside the model's folder; melbench reads only files beside the model`, EXIT.badInput);
    }
    return { path: location, data: readFileSync(real) };
  });
}

function prepareFile(r: ModelRequest): BenchModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(r.spec);
  } catch (e) {
    throw new UserError(`cannot read model ${r.spec}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  const signature = readSignature(bytes, r.spec);
  const externalData = readExternalData(r.spec, signature.externalFiles ?? []);
  let graph: Graph | undefined;
  let why: string | undefined;
  try {
    // NOTE: counted as the passes see it: weights in Constant nodes or constant chains are initializers (lift-constants.ts).
    graph = liftConstants(fromOnnx(bytes, r.spec, { dir: dirname(r.spec) })).graph;
  } catch (e) {
    // NOTE: timing needs only the bytes; an import failure costs the params/MACs columns, not the rows.
    if (!(e instanceof UserError)) throw e;
    why = `params and MACs not counted: ${e.message}`;
  }
  const preset = getPreset(r.preset ?? 'default');
  const features = r.features ?? builtinFeatures(preset);
  const io = signatureIo(signature);
  const plan = planFeeds(signature, { ...r.feed, features: r.features, seed: r.seed }, features, r.spec, io.input);
  const { cost, note } = fileCost(graph, bytes, plan, why);
  return { name: basename(r.spec, '.onnx'), variant: 'fp32', io, preset, features, graph, signature, bytes, cost, plan, ...(externalData.length ? { externalData } : {}), ...(note ? { costNote: note } : {}) };
}

/** A model for bench: a zoo entry, or any .onnx file onnxruntime can run. */
export function prepareBenchModel(r: ModelRequest): BenchModel {
  if (r.spec.endsWith('.onnx')) return prepareFile(r);
  const m = prepareModel(r);
  const signature = signatureOfGraph(m.graph);
  return { ...m, signature, plan: planFeeds(signature, { ...r.feed, features: r.features, seed: r.seed }, m.features, m.name) };
}

/** The models of one run, with the request fields they share (bench, baseline, compare --models). */
export type ModelsRequest = Omit<ModelRequest, 'spec'> & { models: string[] };

/** Resolves every model up front: a bad name, file or shape fails before anything is timed. */
export function prepareModels(r: ModelsRequest): BenchModel[] {
  // NOTE: with several models a flag may name the input of only one of them; one that fits none is an error.
  const feed = r.feed && r.models.length > 1 ? { ...r.feed, lenient: true } : r.feed;
  const models = r.models.map((spec) => prepareBenchModel({ spec, preset: r.preset, features: r.features, classes: r.classes, seed: r.seed, ...(feed ? { feed } : {}) }));
  if (r.feed && models.length > 1) {
    const { dims = {}, shapes = {}, values = {} } = r.feed;
    const one = [...Object.entries(dims).map(([k, v]) => ({ dims: { [k]: v } })), ...Object.entries(shapes).map(([k, v]) => ({ shapes: { [k]: v } })), ...Object.entries(values).map(([k, v]) => ({ values: { [k]: v } }))];
    for (const flag of one) {
      const unused = models.map((m) => (m.signature ? unusedFeedFlags(m.signature, flag) : 'no signature'));
      const sigs = models.map((m, i) => `${r.models[i]}: ${m.signature ? inputsText(m.signature) : 'no signature'}`).join('; ');
      if (unused.every(Boolean)) throw new UserError(`${unused[0]} in any of the models (${sigs})`);
    }
  }
  return models;
}

export function prepareModel(r: ModelRequest): PreparedModel {
  if (r.spec.endsWith('.onnx')) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(r.spec);
    } catch (e) {
      throw new UserError(`cannot read model ${r.spec}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
    }
    const graph = fromOnnx(bytes, r.spec);
    if (graph.inputs.length !== 1) throw new UserError(`${r.spec} has ${graph.inputs.length} inputs; this command feeds exactly one log-mel tensor (bench feeds any)`, EXIT.badModel);
    const preset = getPreset(r.preset ?? 'default');
    const features = r.features ?? builtinFeatures(preset);
    checkInputFits(graph, features, r.spec, 'choose a matching --preset or give --input features.npy');
    return { name: basename(r.spec, '.onnx'), variant: 'fp32', io: modelIo(graph), preset, features, graph, bytes, cost: modelCost(graph, bytes, [1, ...features.dims]) };
  }
  const entry = getZooEntry(r.spec);
  const preset = getPreset(r.preset ?? entry.preset);
  const features = r.features ?? builtinFeatures(preset);
  const graph = entry.build({ ...inputOf(features), classes: r.classes, seed: r.seed });
  graph.metadata = { ...graph.metadata, [META.zoo]: entry.name, [META.source]: entry.source, [META.preset]: preset.name, [META.seed]: String(r.seed) };
  const bytes = toOnnx(graph);
  return { name: entry.name, variant: 'fp32', io: {}, preset, features, graph, bytes, cost: modelCost(graph, bytes, [1, ...features.dims]) };
}

/** A trained model from its run folder: timed on its own test clips, scored on the whole test split. */
export function prepareTrained(name: string, onnxPath: string, runDir: string, presetName: string, evalSet: EvalSet): PreparedModel {
  const bytes = readFileSync(onnxPath);
  const graph = fromOnnx(bytes, onnxPath);
  const per = evalSet.dims.reduce((a, d) => a * d, 1);
  const features = { data: evalSet.x.slice(0, per), dims: evalSet.dims };
  checkInputFits(graph, features, onnxPath, 'the run folder does not match its dataset; retrain with --fresh');
  return { name, variant: 'trained-fp32', io: modelIo(graph), preset: getPreset(presetName), features, graph, bytes, cost: modelCost(graph, bytes, [1, ...evalSet.dims]), trained: { evalSet, runDir } };
}
