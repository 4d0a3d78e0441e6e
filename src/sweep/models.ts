/**
 * What a sweep benchmarks: a zoo entry built for its preset's input, or a user's .onnx file.
 * Everything is resolved and validated before any timing starts, so a bad name, shape or file
 * fails in one line at once instead of in the middle of a sweep.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { type ModelCost, modelCost } from '../export/cost.ts';
import { fromOnnx, toOnnx } from '../export/onnx.ts';
import { getPreset, type Preset } from '../features/presets.ts';
import type { Row } from '../report/columns.ts';
import type { FeatureTensor } from '../features/types.ts';
import { formatShape, isKnown } from '../graph/dims.ts';
import type { Graph } from '../graph/ir.ts';
import { META } from '../graph/metadata-keys.ts';
import { getZooEntry } from '../graph/zoo/index.ts';
import { builtinFeatures, inputOf } from './inputs.ts';
import { type ModelIo, modelIo } from './io-codec.ts';

/** Held-out clips a trained model is scored on, per runtime. */
export interface EvalSet {
  x: Float32Array;
  y: Int32Array;
  /** [C, M, T] of one clip. */
  dims: number[];
  classes: string[];
}

/** How a variant was compressed, as the CSV's identity columns say it. */
export interface Compression {
  quantMode: string;
  calibration: string;
  pruneMethod: string;
  pruneRatio: number;
  /** Nodes the passes left in float32 (no quantized form, or excluded), e.g. 'Softmax:probs'. */
  keptFloat: string[];
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
  /** Present for a trained model: its test split, and where the training run lives. */
  trained?: { evalSet: EvalSet; runDir: string };
  /** Columns measured before the sweep (a model file's fidelity), set on each of its ok rows. */
  rowExtras?: Partial<Row>;
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
}

function checkInputFits(g: Graph, f: FeatureTensor, source: string, hint: string): void {
  const want = g.inputs[0]?.shape ?? [];
  const got = ['N', ...f.dims];
  const ok = want.length === got.length && want.every((d, i) => i === 0 || !isKnown(d) || d === got[i]);
  if (!ok) throw new UserError(`${source} expects input ${formatShape(want)} but the features are ${formatShape(got)}; ${hint}`, EXIT.badModel);
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
    if (graph.inputs.length !== 1) throw new UserError(`${r.spec} has ${graph.inputs.length} inputs; melbench feeds exactly one log-mel tensor`, EXIT.badModel);
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
