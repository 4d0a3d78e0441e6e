/**
 * `melbench bench <model.onnx>`: every bring-your-own-model fixture (test/fixtures/onnx-models.ts)
 * benched from the command line on cpu and wasm with only its --dim/--input flags, and the errors
 * a user meets when an input cannot be fed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { onnxFixtures, writeFixture } from '../fixtures/onnx-models.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
const QUICK = ['--samples', '2', '--warmup', '0', '--time-ms', '0', '--no-report'];

function melbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line, or commander's line plus its '(run with --help for usage)'. */
function expectUserError(r: ReturnType<typeof melbench>, code: number, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(pattern);
  expect(lines.slice(1).filter((l) => !/^\(run with --help for usage\)$/.test(l))).toEqual([]);
}

type CsvRow = Record<string, string>;
const rowsOf = (csv: string): CsvRow[] => parse(readFileSync(csv, 'utf8'), { columns: true });

const dir = mkdtempSync(join(tmpdir(), 'melbench-byom-'));

/**
 * MACs of silero VAD v5 at batch 1 from the shapes onnxruntime itself ran each node at (its
 * profile's input_type_shape / output_type_shape, unfused), for the branch `sr` takes: Conv
 * out_elems * C_in/group * kernel, LSTM seq * (numel(W) + numel(R)), as src/export/cost.ts defines them.
 */
async function profiledMacs(path: string, o: { sr: number; n: number }): Promise<number> {
  const prof = mkdtempSync(join(tmpdir(), 'melbench-silero-prof-'));
  const s = await ort.InferenceSession.create(readFileSync(path), { enableProfiling: true, profileFilePrefix: join(prof, 'ort'), graphOptimizationLevel: 'disabled' });
  await s.run({
    input: new ort.Tensor('float32', new Float32Array(o.n), [1, o.n]),
    state: new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]),
    sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(o.sr)), []),
  });
  s.endProfiling();
  await s.release();
  const events: { cat: string; name: string; args: { op_name?: string; input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] } }[] = JSON.parse(readFileSync(join(prof, readdirSync(prof)[0]), 'utf8'));
  const numel = (d: number[]) => d.reduce((a, b) => a * b, 1);
  let macs = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const ins = (e.args.input_type_shape ?? []).map((x) => Object.values(x)[0]);
    const outs = (e.args.output_type_shape ?? []).map((x) => Object.values(x)[0]);
    if (e.args.op_name === 'Conv') macs += numel(outs[0]) * numel(ins[1].slice(1));
    if (e.args.op_name === 'LSTM') macs += ins[0][0] * (numel(ins[1]) + numel(ins[2]));
    expect(['MatMul', 'Gemm', 'ConvTranspose']).not.toContain(e.args.op_name);
  }
  return macs;
}

const fixtures = onnxFixtures().map((f) => ({ f, path: writeFixture(dir, f) }));
const pathOf = (name: string) => fixtures.find((x) => x.f.name === name)!.path;

/** Fixtures with a node whose weights or MACs melbench cannot count (src/export/cost.ts, uncountedNodes): a contrib op with weights. */
const UNCOUNTED = new Set(['com-microsoft']);

/**
 * Cost cells counted by hand, [params, MACs], where the count reaches inside an opaque op or a subgraph:
 *   lstm  W 4*16*8 + R 4*16*16 + B 8*16 = 1664; seq 10 * (4*16*(8+16)) = 15360
 *   gru   W 3*12*8 + R 3*12*12 + B 6*12 = 792;  seq 20 * (3*12*(8+12)) = 14400
 *   if-outer, loop-outer: Mul and Add only, no learned weights and no MACs by the convention, inside bodies too
 */
const HAND_COST: Record<string, [number, number]> = { lstm: [1664, 15360], gru: [792, 14400], 'if-outer': [0, 0], 'loop-outer': [0, 0] };

describe('bench <model.onnx>: every fixture on cpu and wasm with only its flags', () => {
  // NOTE: one run for all fixtures but lstm (whose 'seq' differs from dynamic-batch-seq's), with the
  // union of their flags: a flag naming another model's input or dim is ignored by the rest.
  const lstm = fixtures.find((x) => x.f.name === 'lstm')!;
  const rest = fixtures.filter((x) => x !== lstm);
  const runs = [
    { label: 'all but lstm', models: rest, flags: [...new Set(rest.flatMap((x) => x.f.benchFlags.join(' ').match(/--\S+ \S+/g) ?? []))].flatMap((p) => p.split(' ')) },
    { label: 'lstm', models: [lstm], flags: lstm.f.benchFlags },
  ];
  for (const run of runs) {
    it(`${run.label}: ${run.flags.join(' ')}`, () => {
      const csv = join(dir, `${run.label.replace(/ /g, '-')}.csv`);
      // NOTE: in-process (no child per runtime) to keep 20 rows quick; the tests below cross the process boundary.
      const r = melbench('bench', ...run.models.map((x) => x.path), ...run.flags, '--runtimes', 'cpu,wasm', '--no-isolate', ...QUICK, '-o', csv);
      expect(r.code, r.stderr).toBe(0);
      // An opaque op with weights and no cost traits (FusedMatMul) has no honest params/MACs total.
      for (const { f } of run.models) {
        if (UNCOUNTED.has(f.name)) expect(r.stderr, f.name).toMatch(new RegExp(`melbench: ${f.name}: params and MACs not counted: 1 node\\(s\\) whose cost melbench does not model`));
        else expect(r.stderr, f.name).not.toMatch(new RegExp(`melbench: ${f.name}: .*not counted`));
      }
      const rows = rowsOf(csv);
      expect(rows.map((x) => [x.model, x.runtime, x.status, x.error])).toEqual(run.models.flatMap(({ f }) => ['cpu', 'wasm'].map((rt) => [f.name, rt, 'ok', ''])));
      for (const { f } of run.models) {
        // The fixture's own feed dims: a single input keeps the old AxB form; several are named.
        const want = f.inputs.length === 1 ? f.inputs[0].feedDims.join('x') : f.inputs.map((i) => `${i.name}=[${i.feedDims.join(',')}]`).join(' ');
        const mine = rows.filter((x) => x.model === f.name);
        for (const row of mine) {
          expect(row.input_shape, f.name).toBe(want);
          expect(row.input_sha256).toBe(mine[0].input_sha256);
          expect(Number(row.max_abs_diff), f.name).toBeLessThan(1e-4);
          expect(Number(row.model_bytes)).toBe(f.bytes.length);
          // Cost columns: the IR imports every fixture (#12's importer); they are filled unless a node's cost is beyond its traits.
          const cells = [row.params, row.nonzero_params, row.macs];
          if (UNCOUNTED.has(f.name)) expect(cells, f.name).toEqual(['', '', '']);
          else expect(cells.every((x) => /^\d+$/.test(x)), `${f.name}: params ${row.params}, macs ${row.macs}`).toBe(true);
          if (HAND_COST[f.name]) expect([Number(row.params), Number(row.macs)], f.name).toEqual(HAND_COST[f.name]);
        }
      }
    }, 300_000);
  }

  it('a file the IR importer refuses is benched from its bytes, with empty cost cells and the reason on stderr', () => {
    // x -> Relu -> y, plus an unused complex64 initializer: ORT drops it, melbench's importer refuses it.
    const { onnx } = onnxProto;
    const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'g', input: [vi('x')], output: [vi('y')], initializer: [{ name: 'unused', dataType: 14, dims: [1], rawData: new Uint8Array(8) }], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] },
    });
    const path = join(dir, 'complex-init.onnx');
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    const csv = join(dir, 'complex-init.csv');
    const r = melbench('bench', path, '--runtimes', 'cpu', '--no-isolate', ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/melbench: complex-init: params and MACs not counted: .*complex64/);
    expect(rowsOf(csv).map((x) => [x.status, x.params, x.nonzero_params, x.macs, x.input_shape])).toEqual([['ok', '', '', '', '1x4']]);
  }, 60_000);

  it('the channels-last CNN (imported by the IR) has its params and MACs', () => {
    const csv = join(dir, 'cnn-cost.csv');
    const r = melbench('bench', pathOf('channels-last-cnn'), '--runtimes', 'cpu', ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    const [row] = rowsOf(csv);
    expect(Number(row.params)).toBeGreaterThan(0);
    expect(Number(row.macs)).toBeGreaterThan(0);
  }, 60_000);

  // NOTE: silero VAD v5 (If on sr, LSTM inside nested Ifs, weights sliced into W/R/B): CI fetches it into .melbench-cache.
  // The learned tensors' sizes summed with python onnx (numpy_helper over both branches' Constant weights).
  const SILERO_V5_PARAMS = 545_282;
  const SILERO_V5 = new URL('../../.melbench-cache/examples/vad-web-0.0.31/silero_vad_v5.onnx', import.meta.url).pathname;
  it.skipIf(!existsSync(SILERO_V5))('silero VAD v5 (skipped when .melbench-cache/examples lacks it): params inside its If branches and LSTMs, MACs of the branch sr takes, as onnxruntime\'s profiled shapes count them', async () => {
    for (const [sr, n] of [
      [16000, 512],
      [8000, 256],
    ] as const) {
      const csv = join(dir, `silero-v5-${sr}.csv`);
      const r = melbench('bench', SILERO_V5, '--input', `sr=${sr}`, '--shape', `input=1x${n}`, '--shape', 'state=2x1x128', '--runtimes', 'cpu', ...QUICK, '-o', csv);
      expect(r.code, r.stderr).toBe(0);
      const [row] = rowsOf(csv);
      // Both branches' weights (16 kHz and 8 kHz models), each once: convs, the LSTM's weight_ih/hh and
      // bias_ih/hh (sliced and concatenated into W, R, B), and the decoder's 1x1 conv (a python onnx sum).
      expect([row.status, row.params]).toEqual(['ok', String(SILERO_V5_PARAMS)]);
      expect(Number(row.nonzero_params)).toBeGreaterThan(0);
      // MACs: the STFT's pads (a ConstantOfShape/Concat/Slice/Cast chain) and the decoder's Ifs on
      // Shape values are evaluated; the If on sr (fed 16000 or 8000) counts the branch it runs.
      expect(Number(row.macs), r.stderr).toBe(await profiledMacs(SILERO_V5, { sr, n }));
      expect(r.stderr).not.toMatch(/MACs not counted|branches differ/);
    }
  }, 60_000);

  it('several files in one run: a flag naming the input of one model only is fine', () => {
    const csv = join(dir, 'several.csv');
    const r = melbench('bench', pathOf('int64-scalar'), pathOf('gru'), '--input', 'sr=16000', '--runtimes', 'cpu', ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(csv).map((x) => [x.model, x.status, x.input_shape])).toEqual([
      ['int64-scalar', 'ok', 'x=[1,512] sr=[]'],
      ['gru', 'ok', 'x=[20,1,8] h0=[1,1,12]'],
    ]);
    expectUserError(melbench('bench', pathOf('gru'), pathOf('constant'), '--input', 'sr=16000', '--runtimes', 'cpu', ...QUICK), EXIT.usage, /--input sr=\.\.\.: no input is named 'sr' in any of the models \(.*gru.*: inputs: .*; .*constant.*: inputs: .*\)/);
  }, 60_000);
});

describe('bench <model.onnx>: inputs that cannot be fed fail in one line', () => {
  it('an integer input with no --input: exit 2 naming the input, its type and the flag', () => {
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--runtimes', 'cpu'), EXIT.usage, /input 'sr' is int64 \[\]; .*--input sr=16000/);
  });

  it('a free dim with no --dim: exit 2 naming the dim and the flag', () => {
    expectUserError(melbench('bench', pathOf('lstm'), '--runtimes', 'cpu'), EXIT.usage, /input 'X' \[seq, 1, 8\] has a free dim 'seq' at index 0; set it with --dim seq=<n>/);
  });

  it('bad flag syntax: exit 2', () => {
    expectUserError(melbench('bench', pathOf('lstm'), '--dim', 'seq'), EXIT.usage, /--dim must be name=value/);
    expectUserError(melbench('bench', pathOf('lstm'), '--dim', 'seq=-3'), EXIT.usage, /--dim: 'seq=-3' needs a size that is an integer/);
    expectUserError(melbench('bench', pathOf('lstm'), '--shape', 'X=10xQx8'), EXIT.usage, /--shape: 'X=10xQx8' needs a size/);
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--input', 'sr='), EXIT.usage, /--input sr= needs a value/);
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--input', 'sr=fast'), EXIT.usage, /--input sr=fast: expected a number, a \.npy file or a \.wav\/\.flac file/);
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--input', 'sr=16000.5'), EXIT.usage, /input 'sr' is int64; give an integer/);
  });

  it('an unknown input or dim name: exit 2 listing the inputs', () => {
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--input', 'rate=16000'), EXIT.usage, /--input rate=\.\.\.: no input is named 'rate' \(inputs: x float32\[1, 512\], sr int64\[\]\)/);
    expectUserError(melbench('bench', pathOf('lstm'), '--dim', 'time=4'), EXIT.usage, /--dim time=\.\.\.: no input has a dim named 'time'/);
  });

  it('an .npy of the wrong dtype or shape: exit 3', () => {
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, encodeNpy({ data: Float32Array.of(1, 2, 3), dims: [3] }));
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--input', `sr=${npy}`), EXIT.badInput, /--input sr=.*x\.npy holds float32 but input 'sr' is int64/);
    expectUserError(melbench('bench', pathOf('int64-scalar'), '--input', 'sr=16000', '--input', `x=${npy}`), EXIT.badInput, /has shape \[3\] but input 'x' needs \[1, 512\]/);
  });
});

describe('frontend -o fe.onnx, then bench fe.onnx --input audio=<wav>', () => {
  it('times melbench\'s own frontend on a real file', () => {
    const fe = join(dir, 'fe.onnx');
    expect(melbench('frontend', '-o', fe).code).toBe(0);
    const wav = new URL('../data/audio/mono24.wav', import.meta.url).pathname;
    const csv = join(dir, 'fe.csv');
    const r = melbench('bench', fe, '--input', `audio=${wav}`, '--runtimes', 'cpu,wasm', ...QUICK, '-o', csv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("melbench: fe: input 'audio' float32 [batch, 32000] <- --input");
    const rows = rowsOf(csv);
    expect(rows.map((x) => [x.runtime, x.status, x.input_shape])).toEqual([
      ['cpu', 'ok', '1x32000'],
      ['wasm', 'ok', '1x32000'],
    ]);
    // The same audio on both runtimes; the log-mel agrees to float32 rounding (dB values, |x| < 120).
    expect(rows[1].input_sha256).toBe(rows[0].input_sha256);
    expect(Number(rows[1].max_abs_diff)).toBeLessThan(1e-2);
  }, 90_000);
});
