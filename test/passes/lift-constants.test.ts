/**
 * liftConstants (src/export/passes/lift-constants.ts): weights that an exporter wrote as Constant
 * nodes (paddle2onnx) or behind Identity / Transpose / Reshape / Cast / Unsqueeze chains (PyTorch's
 * tied and transposed Linear weights) become initializers; counts and passes then see them.
 * Structure (node and initializer counts), numbers (onnxruntime outputs bit-identical before and
 * after) and validity (the result re-imports).
 */
import { describe, expect, it } from 'vitest';
import { countParams, modelCost } from '../../src/export/cost.ts';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import { liftConstants } from '../../src/export/passes/lift-constants.ts';
import { formatNote } from '../../src/export/passes/pass.ts';
import type { Graph, Node, Tensor } from '../../src/graph/ir.ts';
import { META } from '../../src/graph/metadata-keys.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { Rng } from '../../src/rng.ts';
import { getRunner } from '../../src/runners/runner.ts';

/** The model as paddle2onnx writes one: every initializer a Constant node, none left. */
function asConstantNodes(g: Graph): Graph {
  const constants: Node[] = g.initializers.map((t, i) => ({ name: `p2o.Constant.${i}`, opType: 'Constant', domain: '', inputs: [], outputs: [t.name], attrs: { value: { kind: 'tensor', value: t } } }));
  // NOTE: through the ONNX bytes, so the Constant nodes are what the importer reads from a real file.
  return fromOnnx(toOnnx({ ...g, initializers: [], nodes: [...constants, ...g.nodes] }), 'constants');
}

async function outputs(g: Graph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await getRunner('cpu').open(toOnnx(g));
  try {
    return (await s.run({ [g.inputs[0].name]: { type: 'float32', data: x, dims } }))[g.outputs[0].name].data as Float32Array;
  } finally {
    await s.close();
  }
}

const t = (name: string, dims: number[], f: (i: number) => number): Tensor => ({ name, dtype: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) });
const i64 = (name: string, xs: number[]): Tensor => ({ name, dtype: 'int64', dims: [xs.length], data: BigInt64Array.from(xs.map(BigInt)) });
const node = (opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name: `${opType}_${outputs[0]}`, opType, domain: '', inputs, outputs, attrs });

/**
 * A PyTorch-style encoder layer: x [N, 5, 8] -> MatMul(W1ᵀ via Transpose) -> Add -> MatMul(W2 tied
 * to W1 through Identity, reshaped through a constant shape, cast from float64) -> y [N, 5, 8].
 */
function exporterStyle(): Graph {
  const rng = new Rng(5);
  const w1 = t('W1', [8, 8], () => rng.uniform(-1, 1));
  const w64: Tensor = { name: 'W2_64', dtype: 'float64', dims: [64], data: Float64Array.from({ length: 64 }, () => rng.uniform(-1, 1)) };
  const g: Graph = {
    name: 'exporter-style',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 5, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 5, 8] }],
    initializers: [w1, w64, i64('shape88', [8, -1]), t('b', [8], (i) => i / 10)],
    nodes: [
      node('Transpose', ['W1'], ['W1t'], { perm: { kind: 'ints', value: [1, 0] } }),
      node('MatMul', ['x', 'W1t'], ['h']),
      node('Add', ['h', 'b'], ['h2']),
      node('Identity', ['W1'], ['W1_tied']),
      node('MatMul', ['h2', 'W1_tied'], ['h3']),
      node('Cast', ['W2_64'], ['W2_flat'], { to: { kind: 'int', value: 1 } }),
      node('Reshape', ['W2_flat', 'shape88'], ['W2']),
      node('Unsqueeze', ['b'], ['b3'], { axes: { kind: 'ints', value: [0] } }),
      node('MatMul', ['h3', 'W2'], ['h4']),
      node('Add', ['h4', 'b3'], ['y']),
    ],
    valueInfo: [],
    opset: 11,
    metadata: {},
  };
  return fromOnnx(toOnnx(g), 'exporter-style');
}

describe('liftConstants', () => {
  it('dws-resnet with Constant-node weights: the same initializers, params and MACs, bit-identical outputs', async () => {
    const g = getZooEntry('dws-resnet').build({ channels: 1, mels: 32, frames: 32, classes: 5, seed: 3 });
    const paddle = asConstantNodes(g);
    expect(paddle.initializers).toHaveLength(0);
    expect(countParams(paddle).params).toBe(0);
    const { graph, notes } = liftConstants(paddle);
    expect(graph.initializers.map((x) => x.name).sort()).toEqual(g.initializers.map((x) => x.name).sort());
    expect(graph.nodes.filter((n) => n.opType === 'Constant')).toHaveLength(0);
    expect(graph.nodes).toHaveLength(g.nodes.length);
    expect(notes.filter((n) => n.kind === 'changed')).toHaveLength(g.initializers.length);
    expect(formatNote(notes[0])).toMatch(/^p2o\.Constant\.0 \(Constant\): lifted to the initializer '/);
    expect(graph.metadata[META.normalized]).toBe(`${g.initializers.length} Constant node(s) lifted to initializers, 0 node(s) over constants folded`);
    const shape = [1, 1, 32, 32];
    expect(modelCost(graph, toOnnx(graph), shape)).toMatchObject({ params: countParams(g).params, macs: modelCost(g, toOnnx(g), shape).macs });
    const x = Float32Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i));
    expect(await outputs(graph, x, shape)).toEqual(await outputs(g, x, shape));
    // valid: it re-imports as it is
    expect(fromOnnx(toOnnx(graph)).initializers).toHaveLength(g.initializers.length);
  });

  it('folds Transpose, Identity (tied: one tensor), Cast, Reshape and Unsqueeze chains over constants', async () => {
    const g = exporterStyle();
    const { graph, notes } = liftConstants(g);
    expect(graph.nodes.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'MatMul', 'MatMul', 'Add']);
    // the tied weight stays one tensor: the second MatMul reads W1 itself
    expect(graph.nodes[2].inputs[1]).toBe('W1');
    expect(graph.initializers.map((x) => x.name).sort()).toEqual(['W1', 'W1t', 'W2', 'b', 'b3']);
    expect(graph.initializers.find((x) => x.name === 'W2')).toMatchObject({ dtype: 'float32', dims: [8, 8] });
    expect(graph.initializers.find((x) => x.name === 'b3')?.dims).toEqual([1, 8]);
    expect(notes.map(formatNote)).toContain("Identity_W1_tied (Identity): folded: its readers read 'W1'");
    const x = Float32Array.from({ length: 2 * 5 * 8 }, (_, i) => Math.cos(i));
    expect(await outputs(graph, x, [2, 5, 8])).toEqual(await outputs(g, x, [2, 5, 8]));
  });

  it('leaves a model with nothing to lift as it is, and never folds a graph output', () => {
    const g = getZooEntry('resnet').build({ channels: 1, mels: 32, frames: 32, classes: 5, seed: 3 });
    expect(liftConstants(g).graph).toBe(g);
    const out: Graph = { ...exporterStyle() };
    const tail: Graph = { ...out, outputs: [...out.outputs, { name: 'W1t', dtype: 'float32', shape: [8, 8] }] };
    const r = liftConstants(tail);
    expect(r.graph.nodes.some((n) => n.opType === 'Transpose')).toBe(true);
    expect(r.notes.map(formatNote)).toContain('Transpose_W1t (Transpose): its output is a graph output, so it stays a node');
  });

  it('lifts Constant nodes inside If branches into the branch, with outer constants visible to folds', async () => {
    const w = t('W', [4, 4], (i) => (i % 5) / 4);
    const branch = (name: string, scale: number) => ({
      name,
      inputs: [],
      outputs: [{ name: `${name}_out` }],
      initializers: [],
      nodes: [
        { name: `${name}_k`, opType: 'Constant', domain: '', inputs: [], outputs: [`${name}_k`], attrs: { value: { kind: 'tensor' as const, value: t(`${name}_k`, [1], () => scale) } } },
        node('Transpose', ['W'], [`${name}_Wt`], { perm: { kind: 'ints', value: [1, 0] } }),
        node('MatMul', ['x', `${name}_Wt`], [`${name}_h`]),
        node('Mul', [`${name}_h`, `${name}_k`], [`${name}_out`]),
      ],
      valueInfo: [],
    });
    const g0: Graph = {
      name: 'if-consts',
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 4] }, { name: 'c', dtype: 'float32', shape: [] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2, 4] }],
      initializers: [w, t('zero', [], () => 0)],
      nodes: [node('Greater', ['c', 'zero'], ['cond']), { name: 'if', opType: 'If', domain: '', inputs: ['cond'], outputs: ['y'], attrs: { then_branch: { kind: 'graph', value: branch('then', 2) }, else_branch: { kind: 'graph', value: branch('else', -1) } } }],
      valueInfo: [],
      opset: 17,
      metadata: {},
    };
    const g = fromOnnx(toOnnx(g0), 'if-consts');
    const { graph, notes } = liftConstants(g);
    const then = graph.nodes[1].attrs.then_branch.value as Graph;
    expect(then.nodes.map((n) => n.opType)).toEqual(['MatMul', 'Mul']);
    expect(then.initializers.map((x) => x.name).sort()).toEqual(['then_Wt', 'then_k']);
    expect(notes.map(formatNote)).toContain("if/then/then_k (Constant): lifted to the initializer 'then_k'");
    const s0 = await getRunner('cpu').open(toOnnx(g));
    const s1 = await getRunner('cpu').open(toOnnx(graph));
    try {
      for (const c of [0, 1]) {
        const feeds = { x: { type: 'float32' as const, data: Float32Array.from({ length: 8 }, (_, i) => i - 3), dims: [2, 4] }, c: { type: 'float32' as const, data: Float32Array.of(c), dims: [] } };
        expect((await s1.run(feeds)).y.data).toEqual((await s0.run(feeds)).y.data);
      }
    } finally {
      await s0.close();
      await s1.close();
    }
  });
});
