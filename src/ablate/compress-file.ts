/**
 * One compressed variant of a user's model file, as `melbench quantize` and `melbench prune` make
 * it: the variant builder (build-variant.ts) on the file, its cost before and after, and its
 * fidelity to the file on evaluation samples disjoint from calibration. Writing happens last and
 * atomically (a temporary file renamed over the target), so a failure anywhere leaves `-o` as it
 * was.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXIT, errorLine, UserError } from '../errors.ts';
import { countParams, macCount, type ModelCost } from '../export/cost.ts';
import { toOnnx } from '../export/onnx.ts';
import { readSignature } from '../export/signature.ts';
import { inferShapes } from '../graph/infer.ts';
import type { Graph } from '../graph/ir.ts';
import { type FidelitySummary, fidelityLines } from '../report/fidelity.ts';
import { prepareOutputPath } from '../report/output-path.ts';
import { modelIo } from '../sweep/io-codec.ts';
import type { Achievement } from './achievement.ts';
import { type BuildContext, buildVariant, type BuiltVariant } from './build-variant.ts';
import { fileBase, measureFidelity, type ModelFile, readModelFile } from './file-model.ts';
import { loadSamples, planLines, sampleDims, type SampleOptions, type SampleSplit } from './sample-source.ts';
import type { VariantSpec } from './variants.ts';

export interface CompressFileRequest {
  /** The command, for messages: 'quantize' or 'prune'. */
  command: string;
  model: string;
  out: string;
  spec: VariantSpec;
  /** --calib / --eval: a dataset, a folder of .npy samples, or 'random'. */
  samples: string;
  /** The flag that gave `samples`, for messages (default '--calib'). */
  sourceFlag?: string;
  /** Whether the variant needs calibration samples (static quantization): then they must load. */
  needsCalibration: boolean;
  sampleOptions: SampleOptions;
  build: Omit<BuildContext, 'calibrationClips'>;
  /** `--allow-partial`: write a result that did less than asked (the summary still says so). */
  allowPartial?: boolean;
}

export interface CompressFileResult {
  file: ModelFile;
  built: BuiltVariant;
  bytes: Uint8Array;
  before: ModelCost & { macsUnknown?: string };
  after: ModelCost & { macsUnknown?: string };
  samples?: SampleSplit;
  /** Asked beside achieved; absent for a variant that asks nothing. */
  achieved?: Achievement;
  fidelity?: FidelitySummary;
  /** Why fidelity was not measured (a model melbench cannot feed, e.g. one with a bool input). */
  noFidelity?: string;
}

/** Whether `path` holds an ONNX model (a ModelProto with a graph): what `-o` may replace. */
function holdsOnnxModel(path: string): boolean {
  try {
    const m = onnxProto.onnx.ModelProto.decode(readFileSync(path));
    return Boolean(m.graph && m.irVersion);
  } catch {
    return false;
  }
}

/** Checks `-o` before any work: writable (exit 5), not the input model itself, and not an existing file that is not a model (exit 2). */
export function checkOutput(model: string, out: string): void {
  if (resolve(model) === resolve(out)) throw new UserError(`-o ${out} is the input model; write the compressed model to another file`);
  if (existsSync(out) && statSync(out).isFile() && !holdsOnnxModel(out)) {
    throw new UserError(`-o ${out} exists and is not an ONNX model; melbench replaces only a model file: choose another path or remove it first`);
  }
  prepareOutputPath(out, 'model');
}

/** Writes `bytes` to `out` through a temporary file in the same folder, renamed over it. */
export function writeAtomically(out: string, bytes: Uint8Array): void {
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? errorLine(e)}; choose a writable path`, EXIT.output);
  }
}

/**
 * Cost with every input at its planned shape for one run of one sample (batch 1). Without samples
 * (a model melbench cannot feed), or when the shapes do not bind, MACs are unknown (NaN) and
 * `macsUnknown` says why: params and bytes need no shape.
 */
function costOf(g: Graph, bytes: Uint8Array, s: SampleSplit | undefined): ModelCost & { macsUnknown?: string } {
  const sizes = { ...countParams(g), bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  if (!s) return { ...sizes, macs: Number.NaN, macsUnknown: 'no sample shape' };
  const shapes = new Map(s.plan.inputs.map((p) => [p.name, p.name === s.shape.input ? sampleDims(s.shape, 1) : p.dims.map((d) => (d === 'batch' ? 1 : d))]));
  try {
    const m = macCount(inferShapes({ ...g, inputs: g.inputs.map((v) => ({ ...v, shape: shapes.get(v.name) ?? v.shape })) }));
    // NOTE: a count that leaves nodes out is no total: unknown, with the reason, never a smaller number.
    if (m.uncounted.length) return { ...sizes, macs: Number.NaN, macsUnknown: `shapes unknown at ${m.uncounted.length} node(s), e.g. ${m.uncounted[0]}` };
    return { ...sizes, macs: m.macs };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { ...sizes, macs: Number.NaN, macsUnknown: e.message };
  }
}

export async function compressFile(r: CompressFileRequest): Promise<CompressFileResult> {
  checkOutput(r.model, r.out);
  const file = readModelFile(r.model);
  let samples: SampleSplit | undefined;
  let noFidelity: string | undefined;
  try {
    samples = await loadSamples(r.samples, readSignature(file.bytes, file.path), r.sampleOptions, file.path);
  } catch (e) {
    // A model melbench cannot feed can still be compressed when no calibration is needed.
    if (r.needsCalibration || !(e instanceof UserError) || e.exitCode !== EXIT.badModel) throw e;
    noFidelity = e.message;
  }
  if (samples && samples.plan.inputs.length > 1) for (const line of planLines(samples, `the samples of ${r.sourceFlag ?? '--calib'} ${r.samples}`)) r.build.log(`${file.name}: ${line}`);
  // NOTE: random samples only matter where they calibrate; for fidelity alone they are what they say.
  if (samples?.warning && r.needsCalibration) r.build.log(`warning: ${samples.warning}`);
  let built: BuiltVariant;
  try {
    built = await buildVariant(fileBase(file, samples), r.spec, { ...r.build, calibrationClips: r.sampleOptions.calibCount });
  } catch (e) {
    // NOTE: a pass's refusal names the model's graph; the user reads it as this command on this file.
    if (e instanceof UserError) throw new UserError(`${r.command} ${file.path}: ${e.message}`, e.exitCode);
    throw e;
  }
  const achieved = built.achievement;
  if (achieved && !achieved.enough && !r.allowPartial) {
    const why = achieved.reasons.length ? ` (${achieved.reasons.join('; ')})` : '';
    throw new UserError(`${r.command} ${file.path}: ${built.name} asked to ${achieved.asked} and achieved ${achieved.achieved}${why}; nothing was written (--allow-partial writes it anyway)`, EXIT.badModel);
  }
  const bytes = toOnnx(built.graph);
  const before = costOf(file.graph, file.bytes, samples);
  const after = costOf(built.graph, bytes, samples);
  let fidelity: FidelitySummary | undefined;
  if (samples) {
    try {
      fidelity = await measureFidelity(file, { bytes, graph: built.graph, io: modelIo(built.graph) }, samples);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`the ${built.name} model of ${file.path} does not run on onnxruntime's cpu provider (${errorLine(e)}); nothing was written`, EXIT.badModel);
    }
  }
  writeAtomically(r.out, bytes);
  return { file, built, bytes, before, after, samples, ...(achieved ? { achieved } : {}), ...(fidelity ? { fidelity } : {}), ...(noFidelity ? { noFidelity } : {}) };
}

const ratio = (a: number, b: number) => (b > 0 ? ` (${(a / b).toFixed(3)}x)` : '');
const count = (n: number) => n.toLocaleString('en');

/** What the commands print on stdout: the summary line, then fidelity per output. */
export function resultLines(r: CompressFileResult, out: string): string[] {
  const { before: b, after: a } = r;
  const lines = [
    `${out}: ${r.built.name} of ${r.file.name}: ${count(b.bytes)} -> ${count(a.bytes)} bytes${ratio(a.bytes, b.bytes)}, ` +
      `params ${count(b.params)} -> ${count(a.params)} (non-zero ${count(b.nonzeroParams)} -> ${count(a.nonzeroParams)}), ` +
      (Number.isNaN(b.macs) ? `MACs unknown (${b.macsUnknown})` : `MACs ${(b.macs / 1e6).toFixed(2)} M -> ${(a.macs / 1e6).toFixed(2)} M${ratio(a.macs, b.macs)}`),
  ];
  if (r.fidelity && r.samples) {
    if (r.built.compression.calibration !== 'none') lines.push(`calibrated on ${r.samples.calibrationFrom}`);
    lines.push(`fidelity vs the fp32 file on cpu, over ${r.samples.evaluationFrom}:`);
    for (const l of fidelityLines(r.fidelity)) lines.push(`  ${l}`);
  } else {
    lines.push(`fidelity: not measured (${r.noFidelity ?? 'no evaluation samples'})`);
  }
  if (r.achieved) {
    lines.push(`asked: ${r.achieved.asked}; achieved: ${r.achieved.achieved}${r.achieved.fraction < 1 ? ` (${(r.achieved.fraction * 100).toFixed(1)}% of what was asked)` : ''}`);
    if (r.achieved.fraction < 1) for (const why of r.achieved.reasons) lines.push(`  left: ${why}`);
  }
  return lines;
}
