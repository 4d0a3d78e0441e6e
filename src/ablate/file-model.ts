/**
 * A user's ONNX file as the variant builder's base (`quantize`, `prune`, `ablate --models
 * file.onnx`), and the fidelity of a variant built from it: the variant and the fp32 file are run
 * on the cpu runtime over the same evaluation samples, disjoint from calibration
 * (sample-source.ts), and compared output by output (src/report/fidelity.ts).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { hasExternalData } from '../export/external-data.ts';
import { fromOnnx, toOnnx } from '../export/onnx.ts';
import { liftConstants } from '../export/passes/lift-constants.ts';
import type { Graph } from '../graph/ir.ts';
import { FidelityAccumulator, type FidelitySummary } from '../report/fidelity.ts';
import { type Feeds, getRunner, type HostTensor } from '../runners/runner.ts';
import { decode, encode, type ModelIo } from '../sweep/io-codec.ts';
import type { VariantBase } from './build-variant.ts';
import { feedsOf, runSize, type SampleSplit } from './sample-source.ts';

const per = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

export interface ModelFile {
  path: string;
  /** The file name without `.onnx`: the `model` of its rows. */
  name: string;
  /** The file's bytes; for a model with external data, the model with its tensors inline. */
  bytes: Uint8Array;
  graph: Graph;
}

/** Reads and imports a model file: exit 3 when it is missing, unreadable or not ONNX. */
export function readModelFile(path: string): ModelFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read model ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  const imported = fromOnnx(bytes, path, { dir: dirname(path) });
  // NOTE: a model with external data runs in onnxruntime from bytes only once its tensors are inline.
  const inline = hasExternalData(onnxProto.onnx.ModelProto.decode(bytes)) ? toOnnx(imported) : bytes;
  // Weights in Constant nodes or behind Identity/Transpose/... chains become initializers, so every pass sees them.
  return { path, name: basename(path, '.onnx'), bytes: inline, graph: liftConstants(imported).graph };
}

/** The file as a variant base: calibration from the split's calibration samples, every other input as planned; no fine-tuning. */
export function fileBase(m: ModelFile, samples: SampleSplit | undefined): VariantBase {
  return {
    name: m.name,
    graph: m.graph,
    assumeTrained: true,
    calibration: (n) => {
      if (!samples) throw new UserError(`static quantization of ${m.path} needs calibration samples: give --calib <dataset|dir-of-npy|random>`);
      const k = Math.min(n, samples.calibration.n);
      return {
        clips: samples.calibration.x.subarray(0, k * per(samples.shape.dims)),
        dims: samples.shape.dims,
        batch: runSize(samples.shape),
        input: samples.shape.input,
        feeds: (x, count) => feedsOf(samples, x, count),
      };
    },
  };
}

/** float16 outputs (fp16 I/O) and an integer first output (full-int) as float32, for comparing. */
function asFloat(outputs: Record<string, HostTensor>, firstName: string, io: ModelIo): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(outputs)) out[name] = name === firstName && io.output ? decode(t, io.output) : t.type === 'float16' ? decode(t, { type: 'float16' }) : t;
  return out;
}

/** The original's feeds as the variant takes them: its first input encoded as its I/O says, a float16 input as float16. */
function variantFeeds(feeds: Feeds, variant: { graph: Graph; io: ModelIo }): Feeds {
  const out: Feeds = {};
  variant.graph.inputs.forEach((v, i) => {
    const t = feeds[v.name];
    out[v.name] = i === 0 && variant.io.input ? encode(t, variant.io.input) : v.dtype === 'float16' && t.type === 'float32' ? encode(t, { type: 'float16' }) : t;
  });
  return out;
}

/**
 * Runs the original and the variant on cpu over the evaluation samples, every other input fed its
 * planned value (sample-source.ts), and compares their outputs, every one of them. The variant's
 * inputs are encoded as its I/O says (full-int: quantized with its metadata's scale and zero point;
 * fp16-io16: float16), its outputs decoded back to float32.
 */
export async function measureFidelity(original: ModelFile, variant: { bytes: Uint8Array; graph: Graph; io: ModelIo }, samples: SampleSplit): Promise<FidelitySummary> {
  const { shape, evaluation } = samples;
  const size = per(shape.dims);
  const step = runSize(shape);
  const cpu = getRunner('cpu');
  const ref = await cpu.open(original.bytes);
  const cmp = await cpu.open(variant.bytes);
  const acc = new FidelityAccumulator();
  try {
    for (let start = 0; start < evaluation.n; start += step) {
      const m = Math.min(step, evaluation.n - start);
      const feeds = feedsOf(samples, evaluation.x.slice(start * size, (start + m) * size), m);
      const r = await ref.run(feeds);
      const y = await cmp.run(variantFeeds(feeds, variant));
      acc.addBatch(m, asFloat(y, variant.graph.outputs[0].name, variant.io), r);
    }
  } finally {
    await ref.close();
    await cmp.close();
  }
  return acc.summary();
}
