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
import type { Graph } from '../../src/graph/ir.ts';
import { META } from '../../src/graph/metadata-keys.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { asConstantNodes, exporterStyle, node, t } from '../fixtures/exporter-models.ts';

async function outputs(g: Graph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await getRunner('cpu').open(toOnnx(g));
  try {
    return (await s.run({ [g.inputs[0].name]: { type: 'float32', data: x, dims } }))[g.outputs[0].name].data as Float32Array;
  } finally {
    await s.close();
  }
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
