/**
 * `melbench quantize <model.onnx>`: every mode on a user's file (test/data/tiny-cnn.onnx, made by
 * an onnx script, not by melbench), with the pass notes, the summary line and fidelity; the output
 * reloads and runs in onnxruntime; and bad input gets one line, its documented exit code, and
 * leaves -o as it was.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { Rng } from '../../src/rng.ts';
import { onnxFixture, writeFixture } from '../fixtures/onnx-models.ts';
import { expectOneErrorLine } from './expect-error.ts';
import { melbenchInProcess as melbench } from './run-in-process.ts';

const TINY = new URL('../data/tiny-cnn.onnx', import.meta.url).pathname;
const NOT_ONNX = new URL('../data/not-onnx.onnx', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'melbench-quantize-'));

/** A folder of n .npy samples of `dims` (tiny-cnn takes [1, 16, 20]). */
function npyFolder(name: string, n: number, dims: number[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const rng = new Rng(n);
  for (let i = 0; i < n; i++) writeFileSync(join(d, `s${i}.npy`), encodeNpy({ data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal()), dims }));
  return d;
}


describe('melbench quantize', () => {
  it('static-qdq with a folder of .npy samples: notes, summary, fidelity on the held-out files, a model ORT runs', async () => {
    const samples = npyFolder('ok', 16, [1, 16, 20]);
    const out = join(dir, 'tiny-qdq.onnx');
    const r = await melbench('quantize', TINY, '--mode', 'static-qdq', '--calib', samples, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('melbench: tiny-cnn: calibrating on 12 samples');
    expect(r.stderr).toContain('melbench: tiny-cnn qdq-u8s8-pc-minmax: left alone: softmax (Softmax): no quantized form');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^.*tiny-qdq\.onnx: qdq-u8s8-pc-minmax of tiny-cnn: [\d,]+ -> [\d,]+ bytes \(\d\.\d{3}x\), params 116 -> 116 .*MACs 0\.\d+ M -> 0\.\d+ M \(1\.000x\)$/);
    expect(lines[1]).toBe(`calibrated on 12 file(s) of ${samples} (s0.npy ...)`);
    // 16 files sorted by name (s0, s1, s10 ... s15, s2 ... s9): the last quarter, s6 to s9, evaluates.
    expect(lines[2]).toBe(`fidelity vs the fp32 file on cpu, over the last 4 file(s) by name of ${samples} (s6.npy ...), never calibration files:`);
    expect(lines[3]).toMatch(/^ {2}probs: argmax agreement \d\.\d{4}, SNR \d+\.\d dB, max \|Δ\| \S+ \(16 values\)$/);
    const s = await ort.InferenceSession.create(readFileSync(out));
    expect(s.inputNames).toEqual(['x']);
    const y = await s.run({ x: new ort.Tensor('float32', new Float32Array(320).fill(0.5), [1, 1, 16, 20]) });
    expect(y.probs.dims).toEqual([1, 4]);
  }, 60_000);

  it('every mode writes a model with its own op types and says what it is', async () => {
    const want: Record<string, string> = { fp16: 'Cast', dynamic: 'DynamicQuantizeLinear', 'static-qoperator': 'QLinearConv', 'full-int': 'QuantizeLinear' };
    for (const [mode, op] of Object.entries(want)) {
      const out = join(dir, `tiny-${mode}.onnx`);
      const r = await melbench('quantize', TINY, '--mode', mode, '--calib', 'random', '-o', out);
      expect(r.code, `${mode}: ${r.stderr}`).toBe(0);
      // random samples only warn where they calibrate: fp16 and dynamic calibrate nothing
      if (mode === 'fp16' || mode === 'dynamic') expect(r.stderr, mode).not.toContain('warning');
      else expect(r.stderr, mode).toContain('warning: ranges from random data are a smoke test');
      expect(r.stdout, mode).toMatch(/^asked: (quantize|convert) every Conv\/Gemm node; achieved: 2 of 2 Conv\/Gemm node\(s\) (quantized|in float16)$/m);
      expect(r.stdout).toMatch(/probs: argmax agreement \d\.\d{4}, SNR/);
      expect(readFileSync(out).toString('latin1')).toContain(op);
    }
  }, 60_000);

  it('bad input: one line, the documented exit code', async () => {
    const out = join(dir, 'never.onnx');
    expectOneErrorLine(await melbench('quantize', join(dir, 'missing.onnx'), '--mode', 'fp16', '-o', out), EXIT.badInput, /cannot read model .*missing\.onnx: ENOENT/);
    expectOneErrorLine(await melbench('quantize', NOT_ONNX, '--mode', 'fp16', '-o', out), EXIT.badInput, /not-onnx\.onnx/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'int4', '-o', out), EXIT.usage, /unknown --mode 'int4'; choose from: fp16, dynamic, static-qdq, static-qoperator, full-int/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'static-qdq', '-o', out), EXIT.usage, /--mode static-qdq needs calibration samples: give --calib/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'full-int', '--calib', npyFolder('wrong', 4, [1, 16, 21]), '-o', out), EXIT.badInput, /s0\.npy has shape \[1, 16, 21\]; the model's input 'x' takes samples of \[1, 16, 20\]/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'full-int', '--calib', npyFolder('one', 1, [1, 16, 20]), '-o', out), EXIT.badInput, /holds 1 \.npy file\(s\); it needs at least 2/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'fp16', '--calib-count', '0', '-o', out), EXIT.usage, /--calib-count must be a positive integer/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'fp16', '-o', '/proc/nope/x.onnx'), EXIT.output, /cannot write the model \/proc\/nope\/x\.onnx/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'fp16', '-o', dir), EXIT.output, /it is a directory/);
    expectOneErrorLine(await melbench('quantize', TINY, '--mode', 'fp16', '-o', TINY), EXIT.usage, /is the input model; write the compressed model to another file/);
  }, 60_000);

  it('a failure leaves an existing -o untouched (and leaves no temporary file)', async () => {
    const out = join(dir, 'keep', 'kept.onnx');
    mkdirSync(join(dir, 'keep'));
    const previous = readFileSync(TINY);
    writeFileSync(out, previous);
    const r = await melbench('quantize', TINY, '--mode', 'static-qdq', '--calib', npyFolder('wrong2', 4, [2, 16, 20]), '-o', out);
    expect(r.code).toBe(EXIT.badInput);
    expect(readFileSync(out).equals(previous)).toBe(true);
    const ok = await melbench('quantize', TINY, '--mode', 'dynamic', '-o', out);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(out).length).toBeGreaterThan(100);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(dir, 'keep'))).toEqual(['kept.onnx']);
  }, 60_000);

  it('imported models: external data is read from beside the file; a model with several inputs is fed all of them, as bench feeds them', async () => {
    const ext = writeFixture(join(dir, 'fixtures'), onnxFixture('external-data'));
    const a = await melbench('quantize', ext, '--mode', 'static-qdq', '--calib', 'random', '-o', join(dir, 'ext-q.onnx'));
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/ {2}y: argmax agreement \d\.\d{4}, SNR \d+\.\d dB/);
    const vad = writeFixture(join(dir, 'fixtures'), onnxFixture('silero-like-vad'));
    // sr is int64: melbench does not invent it, on quantize as on bench.
    const b = await melbench('quantize', vad, '--mode', 'fp16', '-o', join(dir, 'vad-fp16.onnx'));
    expectOneErrorLine(b, EXIT.usage, /input 'sr' is int64 \[\]; melbench does not invent integer data: give it with --input sr=<int64 value>, e.g. --input sr=16000/);
    const c = await melbench('quantize', vad, '--input', 'sr=16000', '--mode', 'static-qdq', '--calib', 'random', '-o', join(dir, 'vad-q.onnx'));
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/ {2}output: SNR \d+\.\d dB/);
    expect(c.stdout).toMatch(/ {2}stateN: SNR \d+\.\d dB, max \|Δ\| \S+ \(16384 values\)/);
    expect(readFileSync(join(dir, 'vad-q.onnx')).toString('latin1')).toContain('QuantizeLinear');
    // Full-int turns the one input and output into integers; with three inputs the pass refuses (quantize-static.ts).
    const d = await melbench('quantize', vad, '--input', 'sr=16000', '--mode', 'full-int', '--calib', 'random', '-o', join(dir, 'vad-fi.onnx'));
    expectOneErrorLine(d, EXIT.usage, /full-int quantization needs one input and one output; 'silero-like-vad' has 3 and 2/);
  }, 60_000);
});
