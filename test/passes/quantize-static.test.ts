/**
 * Static quantization: structure of the QDQ and QOperator graphs, validity in onnxruntime (cpu,
 * wasm), numerics against fp32 on a small residual model, full-int I/O, refusals, a plan that
 * the emitters leave untouched, and argmax agreement with fp32 on held-out clips of the zoo
 * ResNet trained within the suite (on small synthetic features, so that it trains in seconds).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import { quantizeValue } from '../../src/export/passes/quant-params.ts';
import { formatNote, keptLines } from '../../src/export/passes/pass.ts';
import { planStaticQuantization, quantizeStatic } from '../../src/export/passes/quantize-static.ts';
import { emitQOperator } from '../../src/export/passes/quantize-qoperator.ts';
import { foldBatchNorm } from '../../src/export/passes/fold-bn.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { Rng } from '../../src/rng.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { calibrationRanges, collectActivations, trainingClips } from '../../src/train/calibrate.ts';
import { fineTune } from '../../src/train/finetune.ts';
import { argmaxRows } from '../../src/train/metrics.ts';
import { syntheticFeatures } from './synthetic-features.ts';

const DIMS = [2, 16, 20];
const PER = DIMS.reduce((a, b) => a * b, 1);

/** conv+relu -> maxpool -> conv+relu -> add(skip) -> GAP -> flatten -> dense -> softmax. */
function residualModel(): Graph {
  const b = new ModelBuilder('res', { seed: 5 });
  const x = b.input('mel', ['N', 2, 16, 20]);
  const h = b.maxPool(b.relu(b.conv(x, { filters: 8, kernel: 3, name: 'conv1' })), { kernel: 2 });
  const r = b.relu(b.conv(h, { filters: 8, kernel: 3, name: 'conv2' }), 'relu2');
  const s = b.add(h, r, 'skip');
  b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(s)), 5, { name: 'logits' }), { name: 'probs' }));
  // Non-zero biases, so that the int32 bias path is exercised.
  const g = b.build();
  for (const t of g.initializers) if (t.name.endsWith('.bias')) (t.data as Float32Array).forEach((_, i, a) => (a[i] = 0.1 * Math.sin(i + 1)));
  return g;
}

function inputs(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * PER }, () => rng.normal());
}

async function run(g: Graph, x: Float32Array, runtime = 'cpu'): Promise<Float32Array> {
  const s = await getRunner(runtime).open(toOnnx(g));
  const n = x.length / PER;
  const out = await s.run({ mel: { type: 'float32', data: x, dims: [n, ...DIMS] } });
  await s.close();
  return out.probs.data as Float32Array;
}

const opCounts = (g: Graph) => g.nodes.reduce<Record<string, number>>((c, n) => ((c[n.opType] = (c[n.opType] ?? 0) + 1), c), {});

async function calibrated(g = residualModel()) {
  const stats = await collectActivations(g, inputs(32, 1), DIMS);
  return { g, ranges: calibrationRanges(stats, 'minmax') };
}

describe('quantizeStatic: QDQ', () => {
  it('puts Q->DQ on activations, DQ on int8 per-channel weights and int32 biases, fuses the ReLUs', async () => {
    const { g, ranges } = await calibrated();
    const before = toOnnx(g);
    const r = quantizeStatic(g, ranges, { allowUntrained: true });
    expect(toOnnx(g)).toEqual(before); // pure
    const c = opCounts(r.graph);
    expect(c.Relu).toBeUndefined();
    const fused = r.notes.filter((n) => n.kind === 'changed' && n.why.startsWith('fused'));
    expect(fused.map(formatNote)).toEqual(['relu (Relu): fused into the output range of conv1 (Conv)', 'relu2 (Relu): fused into the output range of conv2 (Conv)']);
    // Each quantized compute node says so.
    expect(r.notes.filter((n) => n.why === 'quantized (qdq)').map((n) => n.node)).toEqual(['conv1', 'conv2', 'skip', 'globalaveragepool', 'logits']);
    // activations: mel, conv1 out, maxpool out, conv2 out, add out, GAP out, flatten out = 7 Q/DQ pairs;
    // DQ on 3 weights and 3 biases; the Gemm feeds Softmax only, so its output stays float.
    expect(c.QuantizeLinear).toBe(7);
    expect(c.DequantizeLinear).toBe(7 + 6);
    expect(keptLines(r.notes)).toEqual(['probs (Softmax): no quantized form']);
    const inits = new Map(r.graph.initializers.map((t) => [t.name, t]));
    const conv = r.graph.nodes.find((n) => n.name === 'conv1')!;
    const wDq = r.graph.nodes.find((n) => n.outputs[0] === conv.inputs[1])!;
    expect(inits.get(wDq.inputs[0])!.dtype).toBe('int8');
    expect(inits.get(wDq.inputs[1])!.dims).toEqual([8]);
    expect(wDq.attrs.axis).toEqual({ kind: 'int', value: 0 });
    const bDq = r.graph.nodes.find((n) => n.outputs[0] === conv.inputs[2])!;
    expect(inits.get(bDq.inputs[0])!.dtype).toBe('int32');
    expect(r.graph.initializers.some((t) => t.dtype === 'float32' && t.dims.length === 4)).toBe(false);
    // the model re-imports to the same IR, byte for byte
    expect(toOnnx(fromOnnx(toOnnx(r.graph)))).toEqual(toOnnx(r.graph));
  });

  it('matches its own float simulation and stays close to fp32 in onnxruntime', async () => {
    const { g, ranges } = await calibrated();
    const q = quantizeStatic(g, ranges, { allowUntrained: true }).graph;
    const x = inputs(64, 2);
    const [ref, fused] = [await run(g, x), await run(q, x)];
    const sess = await ort.InferenceSession.create(toOnnx(q), { graphOptimizationLevel: 'disabled' });
    const sim = (await sess.run({ mel: new ort.Tensor('float32', x, [64, ...DIMS]) })).probs.data as Float32Array;
    let dSim = 0;
    let dRef = 0;
    for (let i = 0; i < ref.length; i++) {
      dSim = Math.max(dSim, Math.abs(fused[i] - sim[i]));
      dRef = Math.max(dRef, Math.abs(fused[i] - ref[i]));
    }
    // The fused integer kernels requantize exactly as the unfused Q/DQ graph does in float, up to
    // one rounding step of an intermediate (a few 1e-3 in probability after the head).
    expect(dSim).toBeLessThan(0.01);
    // 7-bit weights and 8-bit activations on a random 5-class model: probabilities within 0.05.
    expect(dRef).toBeLessThan(0.05);
    const agree = argmaxRows(fused, 5).filter((c, i) => c === argmaxRows(ref, 5)[i]).length / 64;
    expect(agree).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps excluded nodes in fp32 and says so', async () => {
    const { g, ranges } = await calibrated();
    const r = quantizeStatic(g, ranges, { allowUntrained: true, exclude: ['conv1', 'logits'] });
    const conv1 = r.graph.nodes.find((n) => n.name === 'conv1')!;
    expect(r.graph.initializers.find((t) => t.name === conv1.inputs[1])!.dtype).toBe('float32');
    expect(keptLines(r.notes)).toContain('conv1 (Conv): excluded');
    expect(keptLines(r.notes)).toContain('logits (Gemm): excluded');
    expect(opCounts(r.graph).Relu).toBe(1); // conv1's ReLU stays: its producer is float
    expect(() => quantizeStatic(g, ranges, { allowUntrained: true, exclude: ['nope'] })).toThrow(/exclude names nodes that are not in/);
  });

  it('symmetric int8 activations: zero point 0, ReLUs kept', async () => {
    const { g, ranges } = await calibrated();
    const r = quantizeStatic(g, ranges, { allowUntrained: true, activations: 'int8', symmetric: true });
    expect(opCounts(r.graph).Relu).toBe(2);
    // Every activation's QuantizeLinear reads a zero point of 0.
    const qs = r.graph.nodes.filter((n) => n.opType === 'QuantizeLinear');
    expect(qs.length).toBeGreaterThan(0);
    for (const q of qs) expect(r.graph.initializers.find((t) => t.name === q.inputs[2])!.data).toEqual(Int8Array.of(0));
    const x = inputs(32, 3);
    const [ref, q] = [argmaxRows(await run(g, x), 5), argmaxRows(await run(r.graph, x), 5)];
    expect(q.filter((c, i) => c === ref[i]).length / 32).toBeGreaterThanOrEqual(0.9);
  });
});

describe('quantizeStatic: QOperator', () => {
  it('emits QLinearConv, QLinearAdd, QLinearGlobalAveragePool, QGemm and integer MaxPool; runs on cpu and wasm', async () => {
    const { g, ranges } = await calibrated();
    const r = quantizeStatic(g, ranges, { allowUntrained: true, format: 'qoperator' });
    expect(opCounts(r.graph)).toEqual({ QuantizeLinear: 1, QLinearConv: 2, MaxPool: 1, QLinearAdd: 1, QLinearGlobalAveragePool: 1, Flatten: 1, QGemm: 1, Softmax: 1 });
    const types = new Map(r.graph.valueInfo.map((v) => [v.name, v.dtype]));
    const pool = r.graph.nodes.find((n) => n.opType === 'MaxPool')!;
    expect(types.get(pool.inputs[0])).toBe('uint8');
    const bias = r.graph.initializers.find((t) => t.name === r.graph.nodes.find((n) => n.opType === 'QLinearConv')!.inputs[8])!;
    expect(bias.dtype).toBe('int32');
    expect(toOnnx(fromOnnx(toOnnx(r.graph)))).toEqual(toOnnx(r.graph));
    const x = inputs(16, 4);
    const [qdq, cpu, wasm] = [await run(quantizeStatic(g, ranges, { allowUntrained: true }).graph, x), await run(r.graph, x), await run(r.graph, x, 'wasm')];
    // Same integer math as the fused QDQ graph; wasm's kernels may round a requantization differently.
    for (let i = 0; i < cpu.length; i++) {
      expect(Math.abs(cpu[i] - qdq[i])).toBeLessThan(0.01);
      expect(Math.abs(cpu[i] - wasm[i])).toBeLessThan(0.01);
    }
  });
});

describe('quantizeStatic: full-int', () => {
  it('takes and returns integers, and records their scale and zero point', async () => {
    const { g, ranges } = await calibrated();
    for (const format of ['qdq', 'qoperator'] as const) {
      const r = quantizeStatic(g, ranges, { allowUntrained: true, fullInt: true, format });
      expect(r.graph.inputs).toEqual([{ name: 'mel', dtype: 'uint8', shape: ['N', 2, 16, 20] }]);
      expect(r.graph.outputs[0]).toMatchObject({ name: 'probs', dtype: 'uint8' });
      const md = r.graph.metadata;
      expect(md.input_dtype).toBe('uint8');
      expect(Number(md.input_scale)).toBeCloseTo((ranges.get('mel')!.max - ranges.get('mel')!.min) / 255, 6);
      const x = inputs(32, 5);
      const q = Uint8Array.from(x, (v) => quantizeValue(v, Number(md.input_scale), Number(md.input_zero_point), 'uint8'));
      const s = await getRunner('cpu').open(toOnnx(r.graph));
      const out = (await s.run({ mel: { type: 'uint8', data: q, dims: [32, ...DIMS] } })).probs;
      await s.close();
      expect(out.type).toBe('uint8');
      const probs = Float32Array.from(out.data as Uint8Array, (v) => (v - Number(md.output_zero_point)) * Number(md.output_scale));
      const ref = argmaxRows(await run(g, x), 5);
      expect(argmaxRows(probs, 5).filter((c, i) => c === ref[i]).length / 32, format).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('naiveInputScale assumes [-1, 1] for the input', async () => {
    const { g, ranges } = await calibrated();
    const md = quantizeStatic(g, ranges, { allowUntrained: true, fullInt: true, naiveInputScale: true }).graph.metadata;
    expect(Number(md.input_scale)).toBeCloseTo(2 / 255, 7);
    expect(md.quant_input_range).toBe('naive [-1, 1]');
    expect(() => quantizeStatic(g, ranges, { allowUntrained: true, naiveInputScale: true })).toThrow(UserError);
  });
});

describe('quantizeStatic: the plan is pure', () => {
  it('the QOperator emitter does not write the plan it is given (full-int adds the output parameters to its own copy)', async () => {
    const { g, ranges } = await calibrated();
    const o = { allowUntrained: true, fullInt: true, format: 'qoperator' as const };
    const plan = planStaticQuantization(g, ranges, o);
    const params = [...plan.params];
    const kinds = [...plan.kinds];
    const notes = structuredClone(plan.notes);
    const first = toOnnx(emitQOperator(plan, o));
    expect([...plan.params]).toEqual(params);
    expect([...plan.kinds]).toEqual(kinds);
    expect(plan.notes).toEqual(notes);
    // Emitting twice from one plan gives the same bytes, as quantizeStatic does.
    expect(toOnnx(emitQOperator(plan, o))).toEqual(first);
    expect(toOnnx(quantizeStatic(g, ranges, o).graph)).toEqual(first);
  });
});

describe('quantizeStatic: a model trained in the suite', () => {
  it('keeps the argmax of the fp32 ResNet on held-out clips (fold BN, calibrate on training clips, QDQ)', async () => {
    const data = syntheticFeatures(16, 4, 5);
    const untrained = getZooEntry('resnet').build({ channels: 1, mels: 16, frames: 16, classes: 4, seed: 2 });
    const trained = foldBatchNorm((await fineTune(untrained, data, { epochs: 6, lr: 0.01, seed: 1, batch: 8 })).graph).graph;
    // NOTE: all 64 training clips. The synthetic labels cycle 0, 1, 2, 3 and trainingClips takes
    // evenly spaced clips, so 32 of them would be classes 0 and 2 only, and the ranges would miss
    // the loudest class (which then saturates).
    const { clips, dims } = trainingClips(data.splits.train, 64);
    const ranges = calibrationRanges(await collectActivations(trained, clips, dims), 'minmax');
    const q = quantizeStatic(trained, ranges, { allowUntrained: true }).graph;
    // 64 held-out clips from another seed, scored by fp32 and by the quantized model on cpu.
    const held = syntheticFeatures(16, 4, 9).splits.train;
    const probs = async (g: Graph) => {
      const s = await getRunner('cpu').open(toOnnx(g));
      const out = await s.run({ [g.inputs[0].name]: { type: 'float32', data: held.x, dims: [held.y.length, ...held.dims] } });
      await s.close();
      return argmaxRows(out[g.outputs[0].name].data as Float32Array, 4);
    };
    const [ref, got] = [await probs(trained), await probs(q)];
    // The fp32 model has learned the task (chance is 0.25), so its argmax has margins to keep...
    expect(ref.filter((c, i) => c === held.y[i]).length / held.y.length).toBeGreaterThanOrEqual(0.9);
    // ...and 8-bit activations with 7-bit weights keep it on all but a near-tied clip or two.
    expect(got.filter((c, i) => c === ref[i]).length / ref.length).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});

describe('quantizeStatic: refusals', () => {
  it('refuses an untrained model unless allowUntrained, and empty ranges', async () => {
    const { g, ranges } = await calibrated();
    expect(() => quantizeStatic(g, ranges)).toThrow(/not trained/);
    expect(() => quantizeStatic({ ...g, metadata: { trained: 'true' } }, ranges)).not.toThrow();
    expect(() => quantizeStatic(g, new Map(), { allowUntrained: true })).toThrow(/no calibration ranges/);
  });

  it('lists an unfolded BatchNormalization as float, with the fix', async () => {
    const b = new ModelBuilder('bn', { seed: 2 });
    const x = b.input('mel', ['N', 2, 16, 20]);
    b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(b.relu(b.batchNorm(b.conv(x, { filters: 4, kernel: 3 }))))), 3), { name: 'probs' }));
    const { g, ranges } = await calibrated(b.build());
    const r = quantizeStatic(g, ranges, { allowUntrained: true });
    expect(keptLines(r.notes)).toContain('bn (BatchNormalization): no quantized form; fold it into the preceding Conv first (foldBatchNorm)');
  });
});
