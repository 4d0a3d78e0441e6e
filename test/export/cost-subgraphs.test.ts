/**
 * The cost model inside subgraphs and recurrent ops (src/export/cost.ts): every learned weight
 * counted once wherever it is read (main graph, If/Loop bodies, an outer initializer read from a
 * branch), LSTM/GRU/RNN weights equal to PyTorch's own parameter count, and MACs that follow an
 * If's larger branch and a Loop's trip count, checked against hand counts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindInputShape, countParams, macCount, uncountedNodes } from '../../src/export/cost.ts';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import { liftConstants } from '../../src/export/passes/lift-constants.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import type { Graph, Node, SubGraph, Tensor } from '../../src/graph/ir.ts';

const DATA = new URL('../data/', import.meta.url);

function weight(name: string, dims: number[], fill = 0.5): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dtype: 'float32', dims, data: new Float32Array(n).fill(fill) };
}

const matmul = (name: string, a: string, b: string, y: string): Node => ({ name, opType: 'MatMul', domain: '', inputs: [a, b], outputs: [y], attrs: {} });
const sub = (name: string, nodes: Node[], outputs: string[], initializers: Tensor[] = [], inputs: string[] = []): SubGraph => ({
  name,
  nodes,
  initializers,
  inputs: inputs.map((n) => ({ name: n })),
  outputs: outputs.map((n) => ({ name: n })),
  valueInfo: [],
});

/**
 * x [1, 8] -> If(c) { then: x @ W1 [8,16] @ W2 [16,4]; else: x @ W3 [8,4] } -> y [1, 4] -> y @ W4 [4,3] -> z
 * -> Loop(5) { v @ W5 [3,3] } -> u -> Loop(n, a graph input) { v @ W5 } -> out.
 * W1, W4 and W5 are main-graph initializers (W1 read only from the then-branch, W5 by both bodies),
 * W2 and W3 branch initializers.
 */
function controlFlowModel(): Graph {
  const ifNode: Node = {
    name: 'if',
    opType: 'If',
    domain: '',
    inputs: ['c'],
    outputs: ['y'],
    attrs: {
      then_branch: { kind: 'graph', value: sub('then', [matmul('then1', 'x', 'W1', 't1'), matmul('then2', 't1', 'W2', 'then_y')], ['then_y'], [weight('W2', [16, 4])]) },
      else_branch: { kind: 'graph', value: sub('else', [matmul('else1', 'x', 'W3', 'else_y')], ['else_y'], [weight('W3', [8, 4])]) },
    },
  };
  const loop = (name: string, trips: string, v: string, out: string): Node => ({
    name,
    opType: 'Loop',
    domain: '',
    inputs: [trips, '', v],
    outputs: [out],
    attrs: {
      body: {
        kind: 'graph',
        value: sub(
          `${name}-body`,
          [{ name: `${name}-cond`, opType: 'Identity', domain: '', inputs: [`${name}-cond-in`], outputs: [`${name}-cond-out`], attrs: {} }, matmul(`${name}-mm`, `${name}-v`, 'W5', `${name}-v-out`)],
          [`${name}-cond-out`, `${name}-v-out`],
          [],
          [`${name}-iter`, `${name}-cond-in`, `${name}-v`],
        ),
      },
    },
  });
  return {
    name: 'control-flow',
    inputs: [
      { name: 'x', dtype: 'float32', shape: [1, 8] },
      { name: 'c', dtype: 'bool', shape: [] },
      { name: 'n', dtype: 'int64', shape: [] },
    ],
    outputs: [{ name: 'out', dtype: 'float32', shape: [1, 3] }],
    initializers: [weight('W1', [8, 16]), weight('W4', [4, 3]), weight('W5', [3, 3]), { name: 'five', dtype: 'int64', dims: [], data: new BigInt64Array([5n]) }],
    nodes: [ifNode, matmul('after', 'y', 'W4', 'z'), loop('loop5', 'five', 'z', 'u'), loop('loopN', 'n', 'u', 'out')],
    valueInfo: [],
    opset: 17,
    metadata: {},
  };
}

describe('If and Loop: the bodies are counted', () => {
  it('params: every weight once, wherever it is read from', () => {
    const g = controlFlowModel();
    // W1 8*16 + W2 16*4 + W3 8*4 + W4 4*3 + W5 3*3 (read by both loop bodies, counted once)
    expect(countParams(g).params).toBe(128 + 64 + 32 + 12 + 9);
    expect(uncountedNodes(g)).toEqual([]);
  });

  it('MACs: the larger If branch, the Loop body times its constant trip count, once for a trip count that is an input', () => {
    const count = macCount(inferShapes(controlFlowModel()));
    // then 1*16*8 + 1*4*16 = 192 (else 1*4*8 = 32); after 1*3*4 = 12; loop5 5 * (1*3*3); loopN once 1*3*3
    expect(count.macs).toBe(192 + 12 + 5 * 9 + 9);
    expect(count.uncounted).toEqual([]);
    expect(count.notes).toEqual(["If 'if': branches differ (then 192, else 32 MACs), the larger counted", "Loop 'loopN': trip count not a constant, its body counted once"]);
  });

  it('an If whose condition is a constant, or computed from known shapes (Shape -> Gather -> Equal), counts the branch it takes', () => {
    const g = controlFlowModel();
    const int64 = (name: string, v: bigint): Tensor => ({ name, dtype: 'int64', dims: [], data: BigInt64Array.of(v) });
    const op = (opType: string, inputs: string[], out: string): Node => ({ name: out, opType, domain: '', inputs, outputs: [out], attrs: {} });
    // c = Shape(x)[1] == 8: true at x [1, 8], so only the then-branch runs (192 MACs), with no note about the branches.
    const checked: Graph = {
      ...g,
      inputs: g.inputs.filter((v) => v.name !== 'c'),
      initializers: [...g.initializers, int64('one', 1n), int64('eight', 8n)],
      nodes: [op('Shape', ['x'], 'shape'), op('Gather', ['shape', 'one'], 'width'), op('Equal', ['width', 'eight'], 'c'), ...g.nodes],
    };
    const taken = macCount(inferShapes(checked));
    expect(taken.macs).toBe(192 + 12 + 5 * 9 + 9);
    expect(taken.notes).toEqual(["Loop 'loopN': trip count not a constant, its body counted once"]);
    // c a false constant: the else-branch, 32 MACs.
    const no: Graph = { ...g, inputs: g.inputs.filter((v) => v.name !== 'c'), initializers: [...g.initializers, { name: 'c', dtype: 'bool', dims: [], data: Uint8Array.of(0) }] };
    expect(macCount(inferShapes(no)).macs).toBe(32 + 12 + 5 * 9 + 9);
  });

  it('the same through an ONNX file and back', () => {
    const g = fromOnnx(toOnnx(controlFlowModel()), 'control-flow.onnx');
    expect(countParams(g).params).toBe(245);
    expect(macCount(inferShapes(g)).macs).toBe(258);
  });

  it('shapes it cannot know leave the nodes uncounted, never a partial total passed as whole', () => {
    const g = controlFlowModel();
    const unbound = { ...g, inputs: g.inputs.map((v) => (v.name === 'x' ? { ...v, shape: [1, 'F'] } : v)) };
    const count = macCount(inferShapes(unbound));
    expect(count.uncounted).toEqual(expect.arrayContaining(["MatMul 'then1'", "MatMul 'else1'"]));
  });
});

describe('Scan: the body once per scanned element', () => {
  /** s [1, 3] = 0; for each e [2, 3] of xs [5, 2, 3]: m = e @ W [3, 3]; s += ReduceSum(m) -> (s, ms [5, 2, 3]). */
  function scanModel(xsShape: (number | string)[]): Graph {
    const body = sub(
      'scan-body',
      [matmul('scan-mm', 'e', 'W', 'm'), { name: 'scan-add', opType: 'Add', domain: '', inputs: ['s_in', 'm'], outputs: ['s_out'], attrs: {} }],
      ['s_out', 'm'],
      [],
      ['s_in', 'e'],
    );
    return {
      name: 'scan',
      inputs: [
        { name: 's0', dtype: 'float32', shape: [2, 3] },
        { name: 'xs', dtype: 'float32', shape: xsShape },
      ],
      outputs: [{ name: 's', dtype: 'float32', shape: [2, 3] }],
      initializers: [weight('W', [3, 3])],
      nodes: [{ name: 'scan', opType: 'Scan', domain: '', inputs: ['s0', 'xs'], outputs: ['s', 'ms'], attrs: { body: { kind: 'graph', value: body }, num_scan_inputs: { kind: 'int', value: 1 } } }],
      valueInfo: [],
      opset: 17,
      metadata: {},
    };
  }

  it('MACs: 5 elements * (2*3 outputs * K 3); params: W once', () => {
    const g = scanModel([5, 2, 3]);
    expect(countParams(g).params).toBe(9);
    expect(macCount(inferShapes(g))).toEqual({ macs: 5 * 18, notes: [], uncounted: [] });
  });

  it('a scanned length it cannot know: the body once, and a note', () => {
    const count = macCount(inferShapes(scanModel(['T', 2, 3])));
    expect(count.macs).toBe(18);
    expect(count.notes).toEqual(["Scan 'scan': scanned length unknown, its body counted once"]);
  });
});

interface TorchCount {
  params: number;
  input: number[];
  hidden: number;
  layers: number;
  directions: number;
}
const torchCounts: Record<string, TorchCount> = JSON.parse(readFileSync(new URL('tiny-rnns.json', DATA), 'utf8'));

/** Per sample: each layer and direction, each time step, gates * H * (I + H), I the layer's input width (D*H above the first). */
function handMacs(name: string, c: TorchCount): number {
  const gates = name.startsWith('lstm') ? 4 : name.startsWith('gru') ? 3 : 1;
  const [seq, , features] = c.input;
  let macs = 0;
  for (let l = 0; l < c.layers; l++) macs += c.directions * seq * gates * c.hidden * ((l === 0 ? features : c.directions * c.hidden) + c.hidden);
  return macs;
}

describe('LSTM, GRU and RNN exported by PyTorch (test/data/make_tiny_rnns.py)', () => {
  it('covers uni- and bidirectional, one and two layers', () => {
    expect(Object.keys(torchCounts)).toEqual(['lstm', 'lstm-bidirectional', 'lstm-2layer', 'gru', 'gru-bidirectional-2layer', 'rnn']);
  });
  for (const [name, c] of Object.entries(torchCounts)) {
    it(`${name}: params equal torch's sum(p.numel()), MACs the hand count`, () => {
      const path = new URL(`tiny-${name}.onnx`, DATA);
      const g = liftConstants(fromOnnx(readFileSync(path), path.pathname)).graph;
      expect(uncountedNodes(g)).toEqual([]);
      expect(countParams(g).params).toBe(c.params);
      const count = macCount(bindInputShape(g, c.input));
      expect(count.uncounted).toEqual([]);
      expect(count.macs).toBe(handMacs(name, c));
    });
  }
});
