import { describe, expect, it } from 'vitest';
import { findDivergence, tensorError } from '../../src/explain/divergence.ts';
import { nodeProviders } from '../../src/explain/node-providers.ts';
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
    const m = nodeProviders(['stem/conv', 'stage1/bn', 'stage1/bn_1', 'head/fc'], [p('stem/conv_nchwc', 'CPUExecutionProvider'), p('stage1/bn_1_bn_nchwc', 'CPUExecutionProvider'), p('stage1/bn_bn_nchwc', 'X'), p('ReorderOutput_token_72', 'CPUExecutionProvider'), p('head/fc', 'WebGpuExecutionProvider')]);
    expect(Object.fromEntries(m)).toEqual({ 'stem/conv': 'CPUExecutionProvider', 'stage1/bn_1': 'CPUExecutionProvider', 'stage1/bn': 'X', 'head/fc': 'WebGpuExecutionProvider' });
  });
});
