/**
 * `melbench explain`, from the CLI: a divergence planted in one weight of a zoo model is found at
 * its node and no earlier one; cpu and wasm, which agree, give no divergent node; cpu against
 * WebGPU (SwiftShader here) runs with the provider of each node; bad sides are one-line errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromOnnxFile, toOnnx } from '../../src/export/onnx.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { Rng } from '../../src/rng.ts';
import { availableIsolated } from '../../src/runners/isolate.ts';
import { onnxFixture, writeFixture } from '../fixtures/onnx-models.ts';

const BIN = new URL('../../bin/melbench.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'melbench-explain-'));

function melbench(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Explained {
  tensors: { tensor: string; node: string; opType: string; maxAbs: number | string; snrDb: number | string; within: boolean; providers: { a: string | null; b: string | null } }[];
  first: { node: string; opType: string; weightsDiffer: string[] } | null;
  notes: string[];
}

function explainJson(...args: string[]): Explained {
  const r = melbench('explain', ...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Explained;
}

const webgpu = await availableIsolated('webgpu');
const original = join(dir, 'dws-resnet.onnx');
const exported = melbench('export', 'dws-resnet', '-o', original);

let qdq: string | undefined;
/** dws-resnet's static QDQ u8s8 variant, calibrated on random samples; made once. */
function qdqModel(): string {
  if (qdq) return qdq;
  const q = join(dir, 'dws-resnet-qdq.onnx');
  const made = melbench('quantize', original, '--mode', 'static-qdq', '--calib', 'random', '--dim', 'T=126', '-o', q);
  expect(made.code, made.stderr).toBe(0);
  return (qdq = q);
}

describe('melbench explain', () => {
  it('names the node whose weight was perturbed (a middle Conv), and no node before it', () => {
    expect(exported.code, exported.stderr).toBe(0);
    const g = fromOnnxFile(original);
    const convs = g.nodes.filter((n) => n.opType === 'Conv');
    const target = convs[Math.floor(convs.length / 2)];
    const weight = g.initializers.find((t) => t.name === target.inputs[1])!;
    const w = Float32Array.from(weight.data as Float32Array);
    for (let i = 0; i < w.length; i += 7) w[i] *= 1.5;
    const planted = join(dir, 'planted.onnx');
    writeFileSync(planted, toOnnx({ ...g, initializers: g.initializers.map((t) => (t === weight ? { ...t, data: w } : t)) }));

    const e = explainJson(`${original}@cpu`, `${planted}@cpu`);
    expect(e.first?.node).toBe(target.name);
    expect(e.first?.weightsDiffer).toEqual([weight.name]);
    const at = e.tensors.findIndex((t) => t.node === target.name);
    expect(at).toBeGreaterThan(0);
    // everything computed before the planted node agrees exactly: same model, same runtime
    for (const t of e.tensors.slice(0, at)) expect(t.within, t.tensor).toBe(true);
    expect(e.tensors[at].within).toBe(false);
    expect(e.tensors.slice(at + 1).filter((t) => !t.within).length).toBeGreaterThan(1); // and it carries on downstream

    const text = melbench('explain', `${original}@cpu`, `${planted}@cpu`);
    expect(text.code, text.stderr).toBe(0);
    // NOTE: prose is wrapped to the terminal's width: read it with its line breaks as spaces.
    const prose = text.stdout.replace(/\s+/g, ' ');
    expect(prose).toContain(`first divergent node: ${target.name} (Conv)`);
    expect(prose).toMatch(/attributes: .*group=/);
    expect(prose).toContain(`weights that differ between the two models: ${weight.name}`);
  });

  it('cpu against wasm, which agree: no divergent node, every tensor within, each node on CPUExecutionProvider', () => {
    const e = explainJson('dws-resnet@cpu', 'dws-resnet@wasm');
    expect(e.first).toBeNull();
    expect(e.tensors.length).toBeGreaterThan(20);
    for (const t of e.tensors) expect(t.within, t.tensor).toBe(true);
    expect(e.tensors.filter((t) => t.node).every((t) => t.providers.a === 'CPUExecutionProvider' && t.providers.b === 'CPUExecutionProvider')).toBe(true);
  });

  it.skipIf(!webgpu.ok)(`cpu against webgpu (SwiftShader without a GPU): runs with the WebGPU provider of each node${webgpu.ok ? '' : ` (skipped: webgpu unavailable: ${webgpu.reason})`}`, () => {
    const e = explainJson('dws-resnet@cpu', 'dws-resnet@webgpu');
    expect(e.notes).toEqual([]);
    expect(e.tensors.length).toBeGreaterThan(20);
    expect(e.tensors.some((t) => t.providers.b === 'WebGpuExecutionProvider')).toBe(true);
    if (e.first) expect(e.tensors.find((t) => t.node === e.first!.node)!.within).toBe(false);
  });

  it("a QDQ int8 variant: each float tensor against its dequantized counterpart, the input's quantization named, layers ranked by the SNR they lose", () => {
    const q = qdqModel();
    // the features the calibration saw: standard-normal, like --calib random's samples
    const rng = new Rng(5);
    const features = join(dir, 'normal.npy');
    writeFileSync(features, encodeNpy({ dims: [1, 64, 126], data: Float32Array.from({ length: 64 * 126 }, () => rng.normal()) }));
    const e = explainJson(`${original}@cpu`, `${q}@cpu`, '--input', features) as Explained & { worstLayers: { node: string; layerB: string; snrLostDb: number }[] };
    const quantized = fromOnnxFile(q);
    const convs = new Set(quantized.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.name));
    expect(e.first).toBeNull();
    expect(e.tensors[0]).toMatchObject({ tensor: 'mel', node: '', within: false });
    // int8 is not exact, yet every compared tensor keeps most of its signal (tens of dB)
    for (const t of e.tensors) expect(Number(t.snrDb), t.tensor).toBeGreaterThan(15);
    expect(e.worstLayers.length).toBeGreaterThan(0);
    for (const w of e.worstLayers) expect(convs.has(w.layerB) || w.layerB === w.node, w.layerB).toBe(true);
    expect(e.worstLayers.map((w) => w.snrLostDb)).toEqual([...e.worstLayers.map((w) => w.snrLostDb)].sort((x, y) => y - x));
    // the terminal text: every line within the width, the worst layer named as the variant's node
    const narrow = spawnSync(process.execPath, [BIN, 'explain', `${original}@cpu`, `${q}@cpu`, '--input', features], { encoding: 'utf8', env: { ...process.env, COLUMNS: '60' } });
    expect(narrow.status, narrow.stderr).toBe(0);
    for (const line of narrow.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(60);
    const prose = narrow.stdout.replace(/\s+/g, ' ');
    expect(prose).toContain(`that lose the most SNR (input SNR - output SNR): ${e.worstLayers[0].layerB}`);
    expect(prose).toMatch(/the input mel \(SNR [\d.]+ dB\) already differs/);
  });

  it('--time: both profiles joined by the float node each int8 node stands for, every kernel counted once, what int8 added named', () => {
    const q = qdqModel();
    const r = melbench('explain', '--time', `${original}@cpu`, `${q}@cpu`, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { layers: { layer: string; usA: number; usB: number }[]; added: { name: string; opType: string; us: number }[]; dropped: { us: number }[]; totalA: number; totalB: number };
    const convs = fromOnnxFile(q).nodes.filter((n) => n.opType === 'Conv').map((n) => n.name);
    for (const c of convs) expect(j.layers.find((l) => l.layer === c), c).toBeTruthy();
    expect(j.added.some((x) => x.opType === 'QuantizeLinear')).toBe(true);
    const sum = (xs: { us: number }[]) => xs.reduce((t, x) => t + x.us, 0);
    expect(sum(j.layers.map((l) => ({ us: l.usB }))) + sum(j.added)).toBeCloseTo(j.totalB, 6);
    expect(sum(j.layers.map((l) => ({ us: l.usA }))) + sum(j.dropped)).toBeCloseTo(j.totalA, 6);
    const text = melbench('explain', '--time', `${original}@cpu`, `${q}@cpu`);
    expect(text.code, text.stderr).toBe(0);
    const prose = text.stdout.replace(/\s+/g, ' ');
    expect(prose).toMatch(/total: a [\d.]+ us, b [\d.]+ us per run/);
    expect(prose).toMatch(/added by b \([\d.]+ us, \d+% of b\): .*QuantizeLinear/);
  });

  it('refuses sides with different inputs, a side without @runtime, and an unknown runtime: one line, exit 2', () => {
    const vad = writeFixture(join(dir, 'models'), onnxFixture('silero-like-vad'));
    const diff = melbench('explain', 'dws-resnet@cpu', `${vad}@cpu`, '--input', 'sr=16000');
    expect(diff.code).toBe(2);
    expect(diff.stderr.trim().split('\n')).toHaveLength(1);
    expect(diff.stderr).toMatch(/take different inputs \(.*\): explain compares two runs on the same input bytes/);
    const bare = melbench('explain', 'dws-resnet', 'dws-resnet@wasm');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/'dws-resnet': give each side as <model>@<runtime>/);
    const unknown = melbench('explain', 'dws-resnet@cpu', 'dws-resnet@tpu');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown runtime 'tpu'/);
  });
});
