/**
 * Dynamic quantization: the op shape rules, the pass's structure, its arithmetic against a
 * reference written from the formulas in its header, and its outputs on onnxruntime CPU and
 * WASM against float32.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.ts';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import { formatNote } from '../../src/export/passes/pass.ts';
import { quantizeWeight } from '../../src/export/passes/quant-params.ts';
import { asUint8Weights, quantizeDynamic } from '../../src/export/passes/quantize-dynamic.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { inferNode } from '../../src/graph/infer.ts';
import type { Graph, Node, Tensor, ValueType } from '../../src/graph/ir.ts';
import { getRunner } from '../../src/runners/runner.ts';
import type { HostTensor } from '../../src/runners/runner.ts';
import { makeTensor } from '../../src/runners/tensors.ts';
import { withInputNormalization } from '../../src/train/normalize.ts';
import { relMaxDiff } from '../runners/helpers.ts';

const node = (opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name: 'n', opType, domain: '', inputs, outputs, attrs });
const infer = (n: Node, types: Record<string, ValueType>) => inferNode(n, new Map(Object.entries(types)), new Map());

describe('dynamic quantization ops: shape rules', () => {
  it('types DynamicQuantizeLinear, ConvInteger, MatMulInteger and Cast on symbolic dims', () => {
    const x = { dtype: 'float32' as const, shape: ['N', 8, 16, 'T'] };
    expect(infer(node('DynamicQuantizeLinear', ['x'], ['q', 's', 'z']), { x })).toEqual([
      { dtype: 'uint8', shape: ['N', 8, 16, 'T'] },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ]);
    const types = { q: { dtype: 'uint8' as const, shape: ['N', 8, 16, 'T'] }, w: { dtype: 'uint8' as const, shape: [4, 8, 3, 3] }, z: { dtype: 'uint8' as const, shape: [] }, wz: { dtype: 'uint8' as const, shape: [4] } };
    const pads = { kind: 'ints' as const, value: [1, 1, 1, 1] };
    expect(infer(node('ConvInteger', ['q', 'w', 'z', 'wz'], ['y'], { pads }), types)).toEqual([{ dtype: 'int32', shape: ['N', 4, 16, 'T'] }]);
    const mm = { a: { dtype: 'uint8' as const, shape: ['N', 12] }, b: { dtype: 'int8' as const, shape: [12, 5] } };
    expect(infer(node('MatMulInteger', ['a', 'b'], ['y']), mm)).toEqual([{ dtype: 'int32', shape: ['N', 5] }]);
    expect(infer(node('Cast', ['a'], ['y'], { to: { kind: 'int', value: 10 } }), mm)).toEqual([{ dtype: 'float16', shape: ['N', 12] }]);
  });

  it('rejects float operands, mismatched zero points and unknown cast targets, naming the node', () => {
    const f = { x: { dtype: 'float32' as const, shape: ['N', 12] }, b: { dtype: 'int8' as const, shape: [12, 5] }, z: { dtype: 'uint8' as const, shape: [] }, bz: { dtype: 'int8' as const, shape: [3] } };
    expect(() => infer(node('MatMulInteger', ['x', 'b'], ['y']), f)).toThrow(/MatMulInteger 'n': input must be int8 or uint8, got float32/);
    const q = { ...f, x: { dtype: 'uint8' as const, shape: ['N', 12] } };
    expect(() => infer(node('MatMulInteger', ['x', 'b', 'z', 'bz'], ['y']), q)).toThrow(/weight zero point must be a int8 scalar or have 5 entries/);
    expect(() => infer(node('MatMulInteger', ['x', 'b', 'b'], ['y']), q)).toThrow(ShapeError);
    expect(() => infer(node('Cast', ['x'], ['y'], { to: { kind: 'int', value: 14 } }), f)).toThrow(/cast to ONNX element type 14 is not supported/);
    expect(() => infer(node('DynamicQuantizeLinear', ['b'], ['q', 's', 'z']), f)).toThrow(/input must be float32/);
  });
});

describe('dynamic weights (quantizeWeight, shared with static quantization)', () => {
  const t = (dims: number[], data: Float32Array): Tensor => ({ name: 'w', dtype: 'float32', dims, data });
  it('maps each channel symmetrically onto [-127, 127], in int8 or shifted by 128 in uint8', () => {
    const w = t([3, 3], Float32Array.of(0.5, -1, 0.25, 0, 0, 0, 2, 1, -0.5));
    const i8 = quantizeWeight(w, 0);
    expect(Array.from(i8.params.scale)).toEqual([1 / 127, 1, 2 / 127].map(Math.fround));
    expect(Array.from(i8.q)).toEqual([64, -127, 32, 0, 0, 0, 127, 64, -32]); // 63.5 -> 64 and 31.75 -> 32
    expect(Array.from(i8.params.zeroPoint)).toEqual([0, 0, 0]);
    expect(Array.from(asUint8Weights(i8.q))).toEqual(Array.from(i8.q, (v) => v + 128));
    const perTensor = quantizeWeight(w, undefined);
    expect(Array.from(perTensor.params.scale)).toEqual([Math.fround(2 / 127)]);
    expect(Array.from(perTensor.q)).toEqual([32, -64, 16, 0, 0, 0, 127, 64, -32]); // 15.875 -> 16, 31.75 -> 32
    // [K, N] matrices: channels are the columns (axis 1).
    const cols = quantizeWeight(t([2, 2], Float32Array.of(1, -4, 0.5, 2)), 1);
    expect(Array.from(cols.params.scale)).toEqual([1 / 127, 4 / 127].map(Math.fround));
    expect(Array.from(cols.q)).toEqual([127, -127, 64, 64]);
  });

  it('stores uint8 weights (value + 128, zero point 128) and int8 weights (no zero point) with the same scales', () => {
    const b = new ModelBuilder('one', { seed: 2 });
    b.output(b.dense(b.input('x', ['N', 6]), 4, { name: 'fc' }));
    const g = b.build();
    const weightOf = (q: Graph) => {
      const mm = q.nodes.find((n) => n.opType === 'MatMulInteger')!;
      const init = (name: string) => q.initializers.find((x) => x.name === name)!;
      return { q: init(mm.inputs[1]), zp: mm.inputs[3] ? init(mm.inputs[3]) : undefined };
    };
    const u8 = weightOf(quantizeDynamic(g).graph);
    const i8 = weightOf(quantizeDynamic(g, { weightType: 'int8' }).graph);
    expect([u8.q.dtype, i8.q.dtype]).toEqual(['uint8', 'int8']);
    expect(Array.from(u8.q.data as Uint8Array)).toEqual(Array.from(i8.q.data as Int8Array, (v) => v + 128));
    expect(u8.zp).toMatchObject({ dtype: 'uint8', dims: [], data: Uint8Array.of(128) });
    expect(i8.zp).toBeUndefined();
  });
});

/** Conv (with bias) -> BN -> ReLU6 -> depthwise conv -> pool -> Gemm, after input standardisation. */
function model(): Graph {
  const b = new ModelBuilder('dq-fixture', { seed: 5 });
  const x = b.input('mel', ['N', 1, 16, 20]);
  let h = b.relu6(b.batchNorm(b.conv(x, { filters: 8, kernel: 3, bias: true, name: 'conv1' })));
  h = b.relu(b.conv(h, { filters: 8, kernel: 3, groups: 8, stride: 2, name: 'dw' }));
  h = b.add(h, b.maxPool(h, { kernel: 3, stride: 1, pad: 1 }));
  b.output(b.dense(b.flatten(b.globalAvgPool(h)), 5, { name: 'fc' }));
  const g = b.build();
  for (const t of g.initializers) if (t.name.endsWith('.bias')) (t.data as Float32Array).forEach((_, i, a) => (a[i] = 0.1 * Math.sin(3 * i + 1)));
  return withInputNormalization(g, -30, 12);
}

const melInput = (n: number): HostTensor => makeTensor('float32', [n, 1, 16, 20], (i) => -30 + 15 * Math.sin(i * 0.37) + 5 * Math.cos(i * 0.11));
const ops = (g: Graph) => g.nodes.map((n) => n.opType);
const count = (g: Graph, op: string) => ops(g).filter((o) => o === op).length;

async function run(runtime: string, g: Graph, x: HostTensor): Promise<Float32Array> {
  const s = await getRunner(runtime).open(toOnnx(g));
  try {
    return (await s.run({ [g.inputs[0].name]: x }))[g.outputs[0].name].data as Float32Array;
  } finally {
    await s.close();
  }
}

describe('quantizeDynamic', () => {
  it('rewrites every Conv and Gemm into DynamicQuantizeLinear -> *Integer -> Cast -> Mul -> Add, with 8-bit weights', () => {
    const g = model();
    const before = JSON.stringify(g);
    const { graph, notes } = quantizeDynamic(g);
    expect(JSON.stringify(g)).toBe(before); // pure
    // One note per quantized node, saying what it became; none left alone.
    expect(notes.map((n) => [n.op, n.kind, n.why])).toEqual([
      ['Conv', 'changed', 'quantized: ConvInteger with uint8 weights per channel, the input quantized at run time'],
      ['Conv', 'changed', 'quantized: ConvInteger with uint8 weights per channel, the input quantized at run time'],
      ['Gemm', 'changed', 'quantized: MatMulInteger with uint8 weights per channel, the input quantized at run time'],
    ]);
    expect(count(graph, 'Conv') + count(graph, 'Gemm')).toBe(0);
    expect(count(graph, 'ConvInteger')).toBe(2);
    expect(count(graph, 'MatMulInteger')).toBe(1);
    expect(count(graph, 'DynamicQuantizeLinear')).toBe(3);
    // Per quantized node: Cast, Mul (scales), Mul (rescale), and Add for its bias (all three have one).
    expect(count(graph, 'Cast')).toBe(3);
    expect(count(graph, 'Mul')).toBe(6);
    expect(count(graph, 'Add')).toBe(count(g, 'Add') + 3);
    const init = new Map(graph.initializers.map((t) => [t.name, t]));
    const weights = graph.nodes.filter((n) => n.opType.endsWith('Integer')).map((n) => init.get(n.inputs[1])!);
    expect(weights.map((t) => [t.dtype, t.dims])).toEqual([
      ['uint8', [8, 1, 3, 3]],
      ['uint8', [8, 1, 3, 3]],
      ['uint8', [8, 5]], // Gemm's [5, 8] with transB, transposed for MatMulInteger
    ]);
    // The float weights are gone; BN's parameters and the biases (reshaped to [M, 1, 1]) stay float.
    expect(graph.initializers.some((t) => t.name === 'conv1.weight' || t.name === 'fc.weight')).toBe(false);
    expect(graph.initializers.filter((t) => t.dtype === 'float32' && t.dims.length === 3 && t.dims[0] === 8).length).toBeGreaterThanOrEqual(2);
    expect(graph.outputs).toEqual(g.outputs);
    expect(fromOnnx(toOnnx(graph))).toEqual(graph);
  });

  it('leaves excluded nodes in float, saying why, and shares the quantized input of nodes that read the same value', () => {
    const b = new ModelBuilder('shared', { seed: 2 });
    const x = b.input('x', ['N', 6]);
    b.output(b.add(b.dense(x, 4, { name: 'a' }), b.dense(x, 4, { name: 'b' })));
    const both = quantizeDynamic(b.build());
    expect(count(both.graph, 'DynamicQuantizeLinear')).toBe(1);
    expect(count(both.graph, 'MatMulInteger')).toBe(2);
    const one = quantizeDynamic(b.build(), { exclude: ['b'] });
    expect(one.notes.filter((n) => n.kind === 'kept')).toEqual([{ node: 'b', op: 'Gemm', kind: 'kept', why: 'excluded by the caller' }]);
    expect(one.notes.map(formatNote)).toEqual(['a (Gemm): quantized: MatMulInteger with uint8 weights per channel, the input quantized at run time', 'b (Gemm): excluded by the caller']);
    expect(ops(one.graph)).toContain('Gemm');
    expect(count(one.graph, 'MatMulInteger')).toBe(1);
  });

  it('computes exactly the arithmetic of its header on onnxruntime CPU (Gemm, per-channel)', async () => {
    const [K, N, M] = [24, 7, 3];
    const b = new ModelBuilder('gemm', { seed: 9 });
    b.output(b.dense(b.input('x', ['N', K]), N, { name: 'fc' }));
    const g = b.build();
    const w = g.initializers.find((t) => t.name === 'fc.weight')!.data as Float32Array; // [N, K]
    const bias = Float32Array.from({ length: N }, (_, i) => 0.2 * Math.cos(i));
    g.initializers.find((t) => t.name === 'fc.bias')!.data = bias;
    const x = makeTensor('float32', [M, K], (i) => 1.7 * Math.sin(0.9 * i) - 0.4);
    const got = await run('cpu', quantizeDynamic(g).graph, x);
    // Reference: DynamicQuantizeLinear in float32, integer dot products, rescale, bias.
    const f = Math.fround;
    const xs = x.data as Float32Array;
    const lo = Math.min(0, ...xs);
    const hi = Math.max(0, ...xs);
    const sx = f((hi - lo) / 255);
    const rne = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
    const zx = Math.max(0, Math.min(255, rne(-lo / sx)));
    const qx = Array.from(xs, (v) => Math.max(0, Math.min(255, rne(f(v / sx)) + zx)));
    const want = new Float32Array(M * N);
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
      const sw = f(amax / 127);
      for (let m = 0; m < M; m++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += (qx[m * K + k] - zx) * rne(f(w[n * K + k] / sw));
        want[m * N + n] = f(f(acc * f(sx * sw)) + bias[n]);
      }
    }
    // Only float32 rounding of the three float ops separates the two (a few ulps); one quantum
    // of q_x off (a tie rounded differently) would show as ~1e-2.
    expect(relMaxDiff(got, want)).toBeLessThan(1e-6);
  });

  it('gives identical results with int8 and uint8 weights where the integer kernels are exact (WASM)', async () => {
    const g = model();
    const x = melInput(2);
    const u8 = await run('wasm', quantizeDynamic(g, { weightType: 'uint8' }).graph, x);
    const i8 = await run('wasm', quantizeDynamic(g, { weightType: 'int8' }).graph, x);
    expect(Array.from(i8)).toEqual(Array.from(u8));
  });

  it('is exact on the x86 CPU kernels with its default (uint8) weights, where uint8 x int8 saturates', async () => {
    // All inputs 1 and all weights 0.5 quantize exactly to q_x = 255 and q_w = 127 (or 255 with
    // zero point 128), so y = 64 * 0.5 = 32 up to float32 rounding of the rescale. ORT's AVX2
    // uint8 x int8 kernel adds pairs of products in int16 (255 * 127 * 2 > 32767) and saturates;
    // uint8 x uint8 does not (see the pass's header).
    const b = new ModelBuilder('saturate', { seed: 1 });
    b.output(b.dense(b.input('x', ['N', 64]), 4, { name: 'fc', bias: false }));
    const g = b.build();
    (g.initializers[0].data as Float32Array).fill(0.5);
    const x = makeTensor('float32', [1, 64], () => 1);
    const want = new Float32Array(4).fill(32);
    for (const runtime of ['cpu', 'wasm']) expect(relMaxDiff(await run(runtime, quantizeDynamic(g).graph, x), want), runtime).toBeLessThan(1e-6);
    expect(relMaxDiff(await run('wasm', quantizeDynamic(g, { weightType: 'int8' }).graph, x), want)).toBeLessThan(1e-6);
  });

  for (const runtime of ['cpu', 'wasm']) {
    it(`matches float32 on ${runtime} within 8-bit precision`, async () => {
      const g = model();
      const x = melInput(3);
      const ref = await run(runtime, g, x);
      const perChannel = await run(runtime, quantizeDynamic(g).graph, x);
      const perTensor = await run(runtime, quantizeDynamic(g, { perChannel: false }).graph, x);
      // One activation quantum is 1/255 of its tensor's range (4e-3 relative, 2e-3 worst-case
      // rounding), one weight quantum 1/254 of its channel's max; three quantized layers, each
      // adding input and weight rounding, give a few 1e-3 relative on the logits, with the
      // standardised input's wide range the coarsest step (seen: 4.8e-3 per channel, 3.9e-3 per
      // tensor). 2e-2 is ten worst-case activation roundings; a wrong scale, zero point or
      // transpose is off by 100%.
      expect(relMaxDiff(perChannel, ref)).toBeLessThan(2e-2);
      expect(relMaxDiff(perTensor, ref)).toBeLessThan(2e-2);
      expect(relMaxDiff(perChannel, ref)).toBeGreaterThan(1e-5); // it does quantize
    });
  }
});
