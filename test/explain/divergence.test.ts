import { describe, expect, it } from 'vitest';
import { findDivergence, tensorError } from '../../src/explain/divergence.ts';
import { nodeProviders } from '../../src/explain/node-providers.ts';
import { tensorMap } from '../../src/explain/tensor-map.ts';
import { joinProfiles } from '../../src/explain/time-join.ts';
import type { Graph, Node } from '../../src/graph/ir.ts';
import type { HostTensor } from '../../src/runners/runner.ts';

const t = (...xs: number[]): HostTensor => ({ type: 'float32', data: Float32Array.from(xs), dims: [xs.length] });
const tol = { atol: 1e-4, rtol: 1e-3 };
const node = (name: string, inputs: string[], outputs: string[]): Node => ({ name, opType: 'Relu', domain: '', inputs, outputs, attrs: {} });

/** x -> n1 -> h1 -> n2(h1, w) -> h2 -> n3 -> y */
const graph = (w: number): Graph => ({
  name: 'g',
  inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
  initializers: [{ name: 'w', dtype: 'float32', dims: [1], data: Float32Array.of(w) }],
  nodes: [node('n1', ['x'], ['h1']), node('n2', ['h1', 'w'], ['h2']), node('n3', ['h2'], ['y'])],
  valueInfo: [],
  opset: 17,
  metadata: {},
});

describe('tensorError', () => {
  it('gives max |d|, SNR = 10 log10(sum a^2 / sum d^2) and ||d|| / ||a||, and allclose', () => {
    const e = tensorError(t(3, 4), t(3, 4.5), tol)!;
    expect(e.maxAbs).toBeCloseTo(0.5, 6);
    expect(e.snrDb).toBeCloseTo(10 * Math.log10(25 / 0.25), 6); // 20 dB
    expect(e.relError).toBeCloseTo(0.1, 6);
    expect(e.within).toBe(false);
    const same = tensorError(t(1, 2), t(1, 2 + 1e-6), tol)!;
    expect(same.within).toBe(true);
    expect(tensorError(t(1, 2), t(1, 2), tol)!.snrDb).toBe(Number.POSITIVE_INFINITY);
    expect(tensorError(t(1, 2), t(1, 2, 3), tol)).toBeUndefined();
  });
});

describe('findDivergence', () => {
  const a = { x: t(1, 2), h1: t(1, 2), h2: t(2, 4), y: t(2, 4) };
  it('names the first node whose output is off while its inputs were within, not the nodes after it', () => {
    const b = { ...a, h2: t(2, 5), y: t(2, 5) };
    const d = findDivergence(graph(2), a, b, tol, graph(2.5));
    expect(d.first?.node.name).toBe('n2');
    expect(d.first?.weightsDiffer).toEqual(['w']);
    expect(d.tensors.map((x) => [x.tensor, x.within])).toEqual([['x', true], ['h1', true], ['h2', false], ['y', false]]);
  });
  it('gives no first node when every tensor is within, and skips a node whose input was already off', () => {
    expect(findDivergence(graph(2), a, { ...a }, tol).first).toBeUndefined();
    // the input itself differs: n1 is the first, n2 and n3 are downstream of it
    const b = { x: t(1, 2), h1: t(1, 3), h2: t(2, 6), y: t(2, 6) };
    expect(findDivergence(graph(2), a, b, tol).first?.node.name).toBe('n1');
  });
});

describe('nodeProviders', () => {
  it("maps ORT's rewritten kernel names to the graph node they came from, the longest name first", () => {
    const p = (name: string, provider: string) => ({ name, opType: 'Conv', provider, meanUs: 1, calls: 1 });
    const m = nodeProviders(['stem/conv', 'stage1/bn', 'stage1/bn_1', 'head/fc', 'head/fc1'], [p('stem/conv_nchwc', 'CPUExecutionProvider'), p('stage1/bn_1_bn_nchwc', 'CPUExecutionProvider'), p('stage1/bn_bn_nchwc', 'X'), p('ReorderOutput_token_72', 'CPUExecutionProvider'), p('head/fc', 'WebGpuExecutionProvider'), p('fused head/fc1', 'Y')]);
    expect(Object.fromEntries(m)).toEqual({ 'stem/conv': 'CPUExecutionProvider', 'stage1/bn_1': 'CPUExecutionProvider', 'stage1/bn': 'X', 'head/fc': 'WebGpuExecutionProvider', 'head/fc1': 'Y' });
  });
});

describe('tensorMap', () => {
  it("maps a float value to its QDQ variant's dequantized tensor, and charges it to the node that computes it there", () => {
    const a: Graph = { ...graph(2), nodes: [node('conv', ['x', 'w'], ['c']), node('relu', ['c'], ['r']), node('head', ['r'], ['y'])] };
    const q = (name: string, inputs: string[], outputs: string[], opType: string): Node => ({ ...node(name, inputs, outputs), opType });
    // the variant folded relu into its conv, whose output keeps the name 'r', then re-quantized it
    const b: Graph = { ...graph(2), nodes: [q('x/q', ['x', 's'], ['x_q'], 'QuantizeLinear'), q('x/dq', ['x_q', 's'], ['x_dq'], 'DequantizeLinear'), q('conv', ['x_dq', 'w'], ['r'], 'Conv'), q('r/q', ['r', 's'], ['r_q'], 'QuantizeLinear'), q('r/dq', ['r_q', 's'], ['r_dq'], 'DequantizeLinear'), node('head', ['r_dq'], ['y'])] };
    const m = tensorMap(a, b);
    expect(Object.fromEntries(m.toB)).toEqual({ x: 'x_dq', r: 'r_dq', y: 'y' });
    expect(Object.fromEntries(m.producers)).toEqual({ r: 'conv' });
  });

  it("charges a fused group's loss to the layer it became: the SNR upstream of values side b does not have", () => {
    const a: Graph = { ...graph(2), nodes: [node('conv', ['x', 'w'], ['c']), node('relu', ['c'], ['r'])] };
    const x = t(1, 2, 3, 4);
    // b has no 'c' (folded away): relu's loss is measured from x, the nearest value both have
    const d = findDivergence(a, { x, c: t(1, 2, 3, 4), r: t(1, 2, 3, 4) }, { x: t(1, 2, 3, 4.01), r: t(1, 2, 3.1, 4.1) }, tol);
    const [ex, er] = d.tensors;
    expect(ex.tensor).toBe('x');
    expect(er.tensor).toBe('r');
    expect(er.snrLostDb).toBeCloseTo(ex.snrDb - er.snrDb, 9);
    // x itself is off (a variant that re-quantizes its input): no node is the first to leave
    expect(d.first).toBeUndefined();
    const exact = findDivergence(a, { x, c: t(1, 2, 3, 4), r: t(1, 2, 3, 4) }, { x, r: t(1, 2, 3.1, 4.1) }, tol);
    expect(exact.first?.node.name).toBe('relu');
    expect(exact.first?.unmatchedInputs).toEqual(['c']);
  });
});

describe('joinProfiles', () => {
  it("charges a's folded BatchNormalization and Relu to the Conv b kept, and lists what b added and what only a ran", () => {
    const n = (name: string, opType: string, inputs: string[], outputs: string[]): Node => ({ name, opType, domain: '', inputs, outputs, attrs: {} });
    const ga: Graph = { ...graph(2), nodes: [n('conv', 'Conv', ['x', 'w'], ['c']), n('bn', 'BatchNormalization', ['c'], ['d']), n('relu', 'Relu', ['d'], ['r']), n('head', 'Gemm', ['r', 'w'], ['y'])] };
    const gb: Graph = { ...graph(2), nodes: [n('x/q', 'QuantizeLinear', ['x'], ['xq']), n('x/dq', 'DequantizeLinear', ['xq'], ['xd']), n('conv', 'Conv', ['xd', 'w'], ['r']), n('head', 'Gemm', ['r', 'w'], ['y'])] };
    const k = (name: string, opType: string, meanUs: number) => ({ name, opType, provider: 'CPUExecutionProvider', meanUs, calls: 1 });
    const j = joinProfiles(ga, gb, [k('conv_nchwc', 'Conv', 10), k('bn_bn_nchwc', 'Conv', 3), k('relu', 'Relu', 1), k('ReorderOutput', 'ReorderOutput', 2), k('head', 'Gemm', 4)], [k('x/q', 'QuantizeLinear', 5), k('conv_token_1', 'QLinearConv', 30), k('Transpose', 'Transpose', 1), k('head', 'Gemm', 4)]);
    expect(j.layers).toEqual([
      { layer: 'conv', opA: 'Conv', opB: 'Conv', usA: 14, usB: 30 },
      { layer: 'head', opA: 'Gemm', opB: 'Gemm', usA: 4, usB: 4 },
    ]);
    expect(j.added).toEqual([{ name: 'x/q', opType: 'QuantizeLinear', us: 5 }, { name: 'Transpose', opType: 'Transpose', us: 1 }]);
    expect(j.dropped).toEqual([{ name: 'ReorderOutput', opType: 'ReorderOutput', us: 2 }]);
    // every kernel is counted once: the layers, the added and the dropped add up to each side's total
    expect(j.totalA).toBe(20);
    expect(j.totalB).toBe(40);
  });
});
