/**
 * Which runtime runs which compression mode: a matrix of mode (fp32, fp16, fp16 with float16
 * I/O, dynamic int8 with uint8 weights, dynamic with int8 weights) x runtime, each cell 'ok'
 * (with the max |diff| of its logits from the fp32 CPU reference, relative to the largest logit,
 * and the nodes ORT placed on
 * another execution provider), or 'unsupported' / 'error' / 'crashed' with the first line of
 * ORT's message.
 *
 *   npx tsx benchmarks/quant-support.ts [--model dws-resnet] [--onnx path/to/model.onnx] [--webgpu] [--runtimes cpu,wasm]
 *
 * The model is a zoo entry, untrained (support does not depend on the weights), or a trained
 * checkpoint given by --onnx. Its final Softmax is dropped so that differences show on the
 * logits (an untrained model's probabilities are all near 1/classes). Input: batch 2 of a
 * deterministic log-mel-like signal. Runtimes cpu and wasm by default; --webgpu adds webgpu-web
 * (ORT-web on Dawn; on a machine without a GPU that is SwiftShader, 30-100 s per model to
 * compile), --runtimes picks any list. Every cell runs in a child process (runIsolated), so a
 * runtime that aborts costs one cell. Below the matrix, each pass's notes on the nodes it left
 * alone, one "name (OpType): why" per line (src/export/passes/pass.ts).
 */
import { readFileSync } from 'node:fs';
import { errorLine } from '../src/errors.ts';
import { fromOnnx, toOnnx } from '../src/export/onnx.ts';
import { toFloat16 } from '../src/export/passes/float16.ts';
import { fromHalfArray, toHalfArray } from '../src/export/passes/fp16-bits.ts';
import { keptLines, type PassResult } from '../src/export/passes/pass.ts';
import { quantizeDynamic } from '../src/export/passes/quantize-dynamic.ts';
import { inferShapes } from '../src/graph/infer.ts';
import type { Graph } from '../src/graph/ir.ts';
import { META } from '../src/graph/metadata-keys.ts';
import { getZooEntry } from '../src/graph/zoo/index.ts';
import { runIsolated } from '../src/runners/isolate.ts';
import { getRunner, type HostTensor, isRuntimeName, type RuntimeName } from '../src/runners/runner.ts';
import { makeTensor } from '../src/runners/tensors.ts';
import { QUICK_TIMING } from '../src/runners/timing.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** The graph without its final Softmax: the logits become the output. */
function logits(g: Graph): Graph {
  const last = g.nodes.at(-1);
  if (!last || last.opType !== 'Softmax' || last.outputs[0] !== g.outputs[0].name) return g;
  const out = last.inputs[0];
  return inferShapes({ ...g, nodes: g.nodes.slice(0, -1), outputs: [{ ...g.outputs[0], name: out }], valueInfo: g.valueInfo.filter((v) => v.name !== out) });
}

const onnxPath = process.argv.includes('--onnx') ? arg('onnx', '') : undefined;
const modelName = onnxPath ?? arg('model', 'dws-resnet');
const source = onnxPath ? fromOnnx(new Uint8Array(readFileSync(onnxPath)), onnxPath) : getZooEntry(modelName).build({ channels: 1, mels: 64, frames: 126, classes: 12, seed: 1 });
const g = logits(source);
const defaultRuntimes = process.argv.includes('--webgpu') ? 'cpu,wasm,webgpu-web' : 'cpu,wasm';
const runtimes = arg('runtimes', defaultRuntimes).split(',');
for (const r of runtimes) if (!isRuntimeName(r)) throw new Error(`unknown runtime '${r}'`);

const [input] = g.inputs;
const shape = input.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 2 : 126));
// Trained checkpoints standardise their input inside the model (src/train/normalize.ts) and take dB;
// an untrained zoo model gets a signal of the standardised scale.
const raw = source.metadata[META.inputMean] !== undefined;
const x = makeTensor('float32', shape, (i) => (raw ? -30 + 15 * Math.sin(i * 0.37) + 5 * Math.cos(i * 0.11) : Math.sin(i * 0.37) + 0.5 * Math.cos(i * 0.11)));
const xHalf: HostTensor = { type: 'float16', data: toHalfArray(x.data as Float32Array), dims: shape };

const modes: { name: string; build: () => PassResult; feed: HostTensor }[] = [
  { name: 'fp32', build: () => ({ graph: g, notes: [] }), feed: x },
  { name: 'fp16', build: () => toFloat16(g), feed: x },
  { name: 'fp16 io16', build: () => toFloat16(g, { keepIo: false }), feed: xHalf },
  { name: 'dynamic', build: () => quantizeDynamic(g), feed: x },
  { name: 'dynamic w-int8', build: () => quantizeDynamic(g, { weightType: 'int8' }), feed: x },
];

const values = (t: HostTensor) => (t.type === 'float16' ? fromHalfArray(t.data as Uint16Array) : Float32Array.from(t.data as Float32Array));

// The fp32 CPU reference, in this process, whatever runtimes the matrix covers.
const refSession = await getRunner('cpu').open(toOnnx(g));
const reference = values(Object.values(await refSession.run({ [input.name]: x }))[0]);
await refSession.close();
const rows: string[][] = [];
const notes: string[] = [];
for (const mode of modes) {
  const row = [mode.name];
  let bytes: Uint8Array;
  try {
    const built = mode.build();
    bytes = toOnnx(built.graph);
    for (const line of keptLines(built.notes)) notes.push(`- ${mode.name}: left alone: ${line}`);
  } catch (e) {
    rows.push([mode.name, ...runtimes.map(() => `pass failed: ${errorLine(e)}`)]);
    continue;
  }
  for (const runtime of runtimes as RuntimeName[]) {
    const [res] = await runIsolated({
      runtime,
      modelBytes: bytes,
      batches: [{ batch: shape[0], feeds: { [input.name]: mode.feed } }],
      open: {},
      timing: { ...QUICK_TIMING, minSamples: 1, warmupIterations: 0 },
      timeoutMs: 300_000,
    });
    if (res.status !== 'ok') {
      row.push(`${res.status}: ${res.error ?? ''}`);
      continue;
    }
    const out = values(Object.values(res.outputs!)[0]);
    let d = 0;
    let s = 0;
    for (let i = 0; i < out.length; i++) {
      d = Math.max(d, Math.abs(out[i] - reference[i]));
      s = Math.max(s, Math.abs(reference[i]));
    }
    const diff = d / s;
    const fallback = res.fallbackNodes === null ? '' : `, ${res.fallbackNodes} nodes off-EP`;
    row.push(`ok (rel ${diff.toExponential(1)}${fallback})`);
  }
  rows.push(row);
  console.error(`${mode.name}: done`);
}

let scale = 0;
for (const v of reference) scale = Math.max(scale, Math.abs(v));
console.log(`\nmodel ${modelName}, input [${shape}]; rel = max abs difference of the logits from fp32 cpu / max abs logit (${scale.toFixed(3)})\n`);
console.log(`| mode | ${runtimes.join(' | ')} |`);
console.log(`|---|${runtimes.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (notes.length) console.log(`\n${notes.join('\n')}`);
