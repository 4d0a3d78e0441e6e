/**
 * Models from other exporters get real passes and true counts, from the CLI (issue 24): weights
 * in Constant nodes (paddle2onnx) count and compress like initializers, MatMul layers with weights
 * tied through Identity are quantized and pruned, and a pass that does far less than asked exits 4
 * with its reasons unless --allow-partial.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.ts';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { asConstantNodes, exporterStyle, feedForward, node, t } from '../fixtures/exporter-models.ts';
import { melbenchInProcess as melbench } from './run-in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'melbench-exporters-'));
const write = (name: string, g: Graph) => {
  const path = join(dir, name);
  writeFileSync(path, toOnnx(g));
  return path;
};
const size = (path: string) => statSync(path).size;
const dws = getZooEntry('dws-resnet').build({ channels: 1, mels: 32, frames: 32, classes: 5, seed: 3 });
const withInits = write('dws-inits.onnx', dws);
const withConstants = write('dws-constants.onnx', asConstantNodes(dws));

describe('weights in Constant nodes', () => {
  it('bench: params and MACs equal the initializer model', async () => {
    const rows: Record<string, string>[] = [];
    for (const m of [withInits, withConstants]) {
      const out = join(dir, `${m.includes('constants') ? 'c' : 'i'}.csv`);
      const r = await melbench('bench', m, '--dim', 'T=32', '--runtimes', 'cpu', '--samples', '3', '--warmup', '1', '--time-ms', '0', '--no-isolate', '--no-report', '-o', out);
      expect(r.code, r.stderr).toBe(0);
      rows.push((parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[])[0]);
    }
    expect(Number(rows[0].params)).toBeGreaterThan(10_000);
    expect(rows[1].params).toBe(rows[0].params);
    expect(rows[1].macs).toBe(rows[0].macs);
  }, 120_000);

  it('prune channels-l1 0.5 and quantize dynamic: files within 10% of the initializer model\'s', async () => {
    for (const [cmd, flags] of [['prune', ['--method', 'channels-l1', '--ratio', '0.5']], ['quantize', ['--mode', 'dynamic']]] as const) {
      const sizes: number[] = [];
      for (const m of [withInits, withConstants]) {
        const out = join(dir, `${cmd}-${sizes.length}.onnx`);
        const r = await melbench(cmd, m, ...flags, '--dim', 'T=32', '--eval-count', '8', '-o', out);
        expect(r.code, `${cmd} ${m}: ${r.stderr}`).toBe(0);
        sizes.push(size(out));
      }
      expect(sizes[0], cmd).toBeLessThan(size(withInits) * 0.6);
      expect(Math.abs(sizes[1] / sizes[0] - 1), `${cmd}: ${sizes.join(' vs ')}`).toBeLessThan(0.1);
    }
    // the written model says it was normalized
    const meta = fromOnnx(readFileSync(join(dir, 'quantize-1.onnx'))).metadata;
    expect(meta.normalized).toMatch(/^\d+ Constant node\(s\) lifted to initializers/);
  }, 120_000);
});

describe('PyTorch-style MatMul layers, a weight tied through Identity', () => {
  const model = write('encoder.onnx', exporterStyle());

  it('quantize --mode dynamic quantizes every MatMul', async () => {
    const out = join(dir, 'encoder.dyn.onnx');
    const r = await melbench('quantize', model, '--mode', 'dynamic', '--dim', 'N=1', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^asked: quantize every MatMul node; achieved: 3 of 3 MatMul node\(s\) quantized$/m);
    const g = fromOnnx(readFileSync(out));
    expect(g.nodes.filter((n) => n.opType === 'MatMul')).toHaveLength(0);
    expect(g.nodes.filter((n) => n.opType === 'MatMulInteger')).toHaveLength(3);
    const s = await ort.InferenceSession.create(readFileSync(out));
    const y = await s.run({ x: new ort.Tensor('float32', new Float32Array(40).fill(0.3), [1, 5, 8]) });
    expect(y.y.dims).toEqual([1, 5, 8]);
  }, 60_000);

  it('prune --method magnitude-global 0.5 zeroes 50% +- 2% of the weights', async () => {
    const out = join(dir, 'encoder.mag.onnx');
    const r = await melbench('prune', model, '--method', 'magnitude-global', '--ratio', '0.5', '--dim', 'N=1', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const reached = Number(/achieved: sparsity (\d\.\d+) of 192 weights/.exec(r.stdout)?.[1]);
    expect(Math.abs(reached - 0.5)).toBeLessThanOrEqual(0.02);
    // every MatMul weight, the tied one once: W1 (read twice), W1t, W2: 3 x 64 weights
    const g = fromOnnx(readFileSync(out));
    const weights = ['W1', 'W1t', 'W2'].map((name) => g.initializers.find((x) => x.name === name)!.data as Float32Array);
    const zeros = weights.reduce((a, w) => a + w.filter((v) => v === 0).length, 0);
    expect(Math.abs(zeros / 192 - 0.5)).toBeLessThanOrEqual(0.02);
  }, 60_000);
});

describe('channel pruning of MatMul(+Add) chains (Linear layers on [N, T, D])', () => {
  const model = write('feed-forward.onnx', feedForward());

  it('prune --method channels-l1 0.5: the hidden Linear loses half its channels, its bias and the next weight follow; the Linear before Softmax is kept and named', async () => {
    const out = join(dir, 'feed-forward.ch.onnx');
    // NOTE: the block's output and the Softmax branch keep theirs, so 16 of 72 is under half the ratio: exit 4 without --allow-partial.
    const refused = await melbench('prune', model, '--method', 'channels-l1', '--ratio', '0.5', '--dim', 'N=1', '-o', out);
    expect(refused.code).toBe(EXIT.badModel);
    expect(refused.stderr).toMatch(/achieved 16 of 72 Conv\/Gemm\/MatMul output channels removed \(0\.222\)/);
    const r = await melbench('prune', model, '--method', 'channels-l1', '--ratio', '0.5', '--dim', 'N=1', '--allow-partial', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    // W1 256 + W2 256 + W3 128 + W4 256 (the Adds' biases are not a learned input of theirs): half of W1 and W2 go.
    expect(r.stdout).toMatch(/channels-l1-0\.5 of feed-forward: .*params 896 -> 640 /);
    expect(r.stdout).toMatch(/^asked: remove 0\.5 of the channels; achieved: 16 of 72 Conv\/Gemm\/MatMul output channels removed \(0\.222\)/m);
    expect(r.stderr).toMatch(/left alone: MatMul_s \(MatMul\): it reaches Softmax 'Softmax_p', which this pass cannot reslice/);
    const before = fromOnnx(readFileSync(model));
    const after = fromOnnx(readFileSync(out));
    const w = (g: typeof after, name: string) => g.initializers.find((x) => x.name === name)!;
    expect([w(after, 'W1').dims, w(after, 'b1').dims, w(after, 'W2').dims, w(after, 'W3').dims, w(after, 'W4').dims]).toEqual([[8, 16], [16], [16, 8], [8, 16], [16, 16]]);
    // The kept channels: the original W1 columns the pruned W1 holds, in order.
    const col = (x: Float32Array, cols: number, c: number) => Array.from({ length: 8 }, (_, r) => x[r * cols + c]).join();
    const w1 = w(before, 'W1').data as Float32Array;
    const kept = Array.from({ length: 16 }, (_, j) => [...Array(32).keys()].find((c) => col(w1, 32, c) === col(w(after, 'W1').data as Float32Array, 16, j))!);
    expect(kept.every((c) => c !== undefined)).toBe(true);
    // The pruned model computes exactly the original with the dropped channels' rows of W2 zeroed.
    const masked = structuredClone(before);
    const w2 = masked.initializers.find((x) => x.name === 'W2')!.data as Float32Array;
    for (let c = 0; c < 32; c++) if (!kept.includes(c)) w2.fill(0, c * 8, c * 8 + 8);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 80 }, (_, i) => Math.sin(i)), [2, 5, 8]);
    const ref = await (await ort.InferenceSession.create(toOnnx(masked))).run({ x });
    const got = await (await ort.InferenceSession.create(readFileSync(out))).run({ x });
    for (const name of ['y', 'y2']) {
      const [a, b] = [got[name].data as Float32Array, ref[name].data as Float32Array];
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]))), name).toBeLessThan(1e-5);
    }
  }, 60_000);

  it('the encoder (weights behind Transpose and Identity): both hidden Linears lose half, the one meeting a [1, 8] constant is named', async () => {
    const out = join(dir, 'encoder.ch.onnx');
    const r = await melbench('prune', write('encoder-ch.onnx', exporterStyle()), '--method', 'channels-l1', '--ratio', '0.5', '--dim', 'N=1', '--allow-partial', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    // h (8 -> 4, with its bias b) and h3 (8 -> 4); h4 meets Add(b3 [1, 8]) before the output.
    expect(r.stdout).toMatch(/achieved: 8 of 24 Conv\/Gemm\/MatMul output channels removed \(0\.333\)/);
    expect(r.stderr).toMatch(/left alone: MatMul_h4 \(MatMul\): it meets a tensor of other channels in Add 'Add_y'/);
    const y = await (await ort.InferenceSession.create(readFileSync(out))).run({ x: new ort.Tensor('float32', new Float32Array(40).fill(0.3), [1, 5, 8]) });
    expect(y.y.dims).toEqual([1, 5, 8]);
  }, 60_000);
});

describe('a pass that does far less than asked', () => {
  // y = Relu(x) * x: no weighted node to quantize
  const noWeights = write('no-weights.onnx', {
    name: 'no-weights',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 8] }],
    initializers: [],
    nodes: [node('Relu', ['x'], ['r']), node('Mul', ['r', 'x'], ['y'])],
    valueInfo: [],
    opset: 17,
    metadata: {},
  });
  // y = MatMul(x, x^T-like activation) only: its "weight" is an activation
  const activationMatMul = write('act-matmul.onnx', {
    name: 'act-matmul',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4, 4] }],
    initializers: [t('scale', [1], () => 0.5)],
    nodes: [node('Mul', ['x', 'scale'], ['k']), node('MatMul', ['x', 'k'], ['y'])],
    valueInfo: [],
    opset: 17,
    metadata: {},
  });
  // Conv -> graph output: its channels cannot be removed
  const convOut = write('conv-out.onnx', {
    name: 'conv-out',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4, 6, 6] }],
    initializers: [t('w', [4, 1, 3, 3], (i) => Math.sin(i)), t('b', [4], () => 0.1)],
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'])],
    valueInfo: [],
    opset: 17,
    metadata: {},
  });

  it('quantize with nothing to quantize: exit 4, the reason, nothing written; --allow-partial writes it', async () => {
    for (const [m, pattern] of [
      [noWeights, /^melbench: error: quantize .*no-weights\.onnx: model 'no-weights' has no Conv, Gemm or MatMul node to quantize dynamically$/],
      [activationMatMul, /achieved 0 of 1 MatMul node\(s\) quantized \(MatMul: .*\)/],
    ] as const) {
      const out = join(dir, 'never.onnx');
      const r = await melbench('quantize', m, '--mode', 'dynamic', '-o', out);
      expect(r.code, r.stderr).toBe(EXIT.badModel);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(pattern);
      expect(() => statSync(out)).toThrow();
    }
    const partial = await melbench('quantize', activationMatMul, '--mode', 'dynamic', '--allow-partial', '-o', join(dir, 'partial.onnx'));
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toMatch(/^asked: quantize every MatMul node; achieved: 0 of 1 MatMul node\(s\) quantized \(0\.0% of what was asked\)$/m);
    expect(partial.stdout).toMatch(/^ {2}left: MatMul: /m);
  }, 60_000);

  it('prune that reaches less than half its ratio: exit 4 naming what it left and why', async () => {
    const r = await melbench('prune', convOut, '--method', 'channels-l1', '--ratio', '0.5', '-o', join(dir, 'never2.onnx'));
    expect(r.code, r.stderr).toBe(EXIT.badModel);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^melbench: error: prune .*conv-out\.onnx: channels-l1-0\.5 asked to remove 0\.5 of the channels and achieved 0 of 4 Conv\/Gemm\/MatMul output channels removed \(0\.000\) \(.+\); nothing was written/);
  }, 60_000);

  it('a model older than the ops a mode writes (opset 9, as paddle2onnx writes PaddleOCR): exit 4 with the conversion to run, nothing written', async () => {
    const old = write('opset9.onnx', {
      name: 'opset9',
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 8] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
      initializers: [t('w', [8, 4], (i) => Math.sin(i))],
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
      valueInfo: [],
      opset: 9,
      metadata: {},
    });
    const out = join(dir, 'opset9.q.onnx');
    const dyn = await melbench('quantize', old, '--mode', 'dynamic', '-o', out);
    expect(dyn.code).toBe(EXIT.badModel);
    expect(dyn.stderr).toMatch(/is opset 9, and dynamic quantization writes DynamicQuantizeLinear \(opset 11 and later\); convert the model first, e\.g\. python3 -c .*convert_version\(onnx\.load\('in\.onnx'\), 11\)/);
    const qdq = await melbench('quantize', old, '--mode', 'static-qdq', '--calib', 'random', '-o', out);
    expect(qdq.code).toBe(EXIT.badModel);
    expect(qdq.stderr).toMatch(/is opset 9, and static QDQ quantization \(per-axis scales\) writes DequantizeLinear \(opset 13 and later\)/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('-o onto an existing file that is not a model: refused, the file untouched', async () => {
    const csv = join(dir, 'results.csv');
    writeFileSync(csv, 'a,b\n1,2\n');
    const r = await melbench('quantize', withInits, '--mode', 'dynamic', '-o', csv);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/-o .*results\.csv exists and is not an ONNX model/);
    expect(readFileSync(csv, 'utf8')).toBe('a,b\n1,2\n');
  }, 60_000);
});
