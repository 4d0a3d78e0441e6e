/**
 * The traversal every pass uses to see inside subgraphs (src/export/passes/scopes.ts) and the
 * element types it falls back on where inference stops (elem-types.ts): views, paths, copy on
 * write, weights dropped once no reader is left, identical new tensors stored once, names unique
 * across scopes. Each rewrite here is a toy; the passes' own tests run the real ones.
 */
import { describe, expect, it } from 'vitest';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import { elementTypes } from '../../src/export/passes/elem-types.ts';
import { changedNote, type PassResult } from '../../src/export/passes/pass.ts';
import { everyNode, renameReads, rewriteScopes, type Scope, subgraphView } from '../../src/export/passes/scopes.ts';
import { ONNX_ELEM_TYPE } from '../../src/graph/dtype.ts';
import type { Graph, Node, SubGraph, Tensor } from '../../src/graph/ir.ts';
import { tensorTypeBytes } from '../../src/export/passes/scopes.ts';

const f32 = (name: string, data: number[], dims = [data.length]): Tensor => ({ name, dtype: 'float32', dims, data: Float32Array.from(data) });
const node = (name: string, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, opType, domain: '', inputs, outputs, attrs });
const typed = (name: string) => ({ name, type: tensorTypeBytes(ONNX_ELEM_TYPE.float32) });

/** y = If(c > 0, then: x * w, else: x * w + k), z = x * w in the main graph; w [2] is read by all three. */
function model(mainReadsW = true): Graph {
  const branch = (name: string, extra: Node[] = [], inits: Tensor[] = []): SubGraph => ({
    name,
    inputs: [],
    outputs: [typed(`${name}_y`)],
    initializers: inits,
    nodes: [node(`${name}_mul`, 'Mul', ['x', 'w'], [extra.length ? `${name}_p` : `${name}_y`]), ...extra],
    valueInfo: [],
  });
  const g: Graph = {
    name: 'scopes',
    inputs: [
      { name: 'x', dtype: 'float32', shape: [2] },
      { name: 'c', dtype: 'float32', shape: [] },
    ],
    outputs: [
      { name: 'y', dtype: 'float32', shape: [2] },
      { name: 'z', dtype: 'float32', shape: [2] },
    ],
    initializers: [f32('w', [2, 3]), f32('zero', [0], [])],
    nodes: [
      node('gt', 'Greater', ['c', 'zero'], ['cond']),
      node('if', 'If', ['cond'], ['y'], { then_branch: { kind: 'graph', value: branch('then') }, else_branch: { kind: 'graph', value: branch('else', [node('else_add', 'Add', ['else_p', 'k'], ['else_y'])], [f32('k', [1, 1])]) } }),
      node('main_mul', 'Mul', ['x', mainReadsW ? 'w' : 'x'], ['z']),
    ],
    valueInfo: [],
    opset: 17,
    metadata: {},
  };
  return fromOnnx(toOnnx(g), 'scopes');
}

const branch = (g: Graph, attr: string) => (g.nodes.find((n) => n.opType === 'If')!.attrs[attr] as { value: SubGraph }).value;
const identity: (v: Graph, s: Scope) => PassResult = (v) => ({ graph: v, notes: [] });

describe('rewriteScopes', () => {
  it('hands each subgraph to the rewrite as a view: its inputs, the outer values it reads, its own and the outer initializers it reads', () => {
    const seen: { path: string; inputs: string[]; inits: string[]; outer: string[] }[] = [];
    rewriteScopes(model(), (view, scope) => {
      seen.push({ path: scope.path, inputs: view.inputs.map((v) => v.name), inits: view.initializers.map((t) => t.name), outer: [...(scope.outer?.names ?? [])].sort() });
      return { graph: view, notes: [] };
    });
    expect(seen).toEqual([
      { path: '', inputs: ['x', 'c'], inits: ['w', 'zero'], outer: [] },
      { path: 'if/then_branch/', inputs: ['x'], inits: ['w'], outer: ['w', 'x'] },
      { path: 'if/else_branch/', inputs: ['x'], inits: ['k', 'w'], outer: ['w', 'x'] },
    ]);
    // The outer value x is typed from the main graph.
    const { view } = subgraphView(branch(model(), 'then_branch'), new Map([['x', { dtype: 'float32', shape: [2] }]]), new Map([['w', f32('w', [2, 3])]]), model());
    expect(view.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [2] }]);
  });

  it('names subgraph nodes by path in the notes, and leaves a model it did not change as it was', () => {
    const g = model();
    const r = rewriteScopes(g, (view, scope) => ({ graph: view, notes: view.nodes.filter((n) => n.opType === 'Mul').map((n) => changedNote(n, scope.path ? 'inside' : 'main')) }));
    expect(r.notes.map((n) => `${n.node}: ${n.why}`)).toEqual(['main_mul: main', 'if/then_branch/then_mul: inside', 'if/else_branch/else_mul: inside']);
    expect(toOnnx(rewriteScopes(g, identity).graph)).toEqual(toOnnx(g));
    expect(everyNode(g).map((x) => x.path + x.node.name)).toEqual(['gt', 'if', 'if/then_branch/then_mul', 'if/else_branch/else_mul', 'if/else_branch/else_add', 'main_mul']);
  });

  it('copies an outer weight that a rewrite changed into the body (copy on write); the other readers keep the original', () => {
    const g = model();
    const r = rewriteScopes(g, (view, scope) => ({
      graph: scope.path === 'if/then_branch/' ? { ...view, initializers: view.initializers.map((t) => (t.name === 'w' ? f32('w', [20, 30]) : t)) } : view,
      notes: [],
    }));
    const then = branch(r.graph, 'then_branch');
    expect(then.initializers).toEqual([f32('w_then_branch', [20, 30])]);
    expect(then.nodes[0].inputs).toEqual(['x', 'w_then_branch']);
    expect(r.graph.initializers.find((t) => t.name === 'w')).toEqual(f32('w', [2, 3]));
    expect(branch(r.graph, 'else_branch').nodes[0].inputs).toEqual(['x', 'w']);
    expect(r.graph.nodes.find((n) => n.name === 'main_mul')!.inputs).toEqual(['x', 'w']);
  });

  it('drops an outer weight once the last reader inside a body stops reading it, not while the main graph reads it', () => {
    // Each body replaces its Mul by w with a Mul by a constant of its own (as a quantizer replaces a float weight).
    const rewrite = (view: Graph, scope: Scope): PassResult => {
      if (!scope.outer) return { graph: view, notes: [] };
      const own = scope.fresh('own');
      return { graph: { ...view, initializers: [...view.initializers, f32(own, [7, 7])], nodes: view.nodes.map((n) => (n.opType === 'Mul' ? { ...n, inputs: [n.inputs[0], own] } : n)) }, notes: [] };
    };
    expect(rewriteScopes(model(true), rewrite).graph.initializers.map((t) => t.name)).toContain('w');
    const r = rewriteScopes(model(false), rewrite);
    expect(r.graph.initializers.map((t) => t.name)).not.toContain('w');
    // ...and the two identical tensors the branches made are stored once, in the main graph, which encloses both.
    expect(r.graph.initializers.filter((t) => t.name.startsWith('own'))).toEqual([f32('own', [7, 7])]);
    expect(branch(r.graph, 'then_branch').initializers).toEqual([]);
    expect(branch(r.graph, 'else_branch').initializers.map((t) => t.name)).toEqual(['k']);
    expect(branch(r.graph, 'else_branch').nodes[0].inputs).toEqual(['x', 'own']);
  });

  it('stores a new tensor once only when it has more than one element: scalars stay where they are made', () => {
    const r = rewriteScopes(model(), (view, scope) => ({ graph: scope.outer ? { ...view, initializers: [...view.initializers, f32(scope.fresh('s'), [1], [])] } : view, notes: [] }));
    expect(branch(r.graph, 'then_branch').initializers.map((t) => t.name)).toEqual(['s']);
    expect(branch(r.graph, 'else_branch').initializers.map((t) => t.name)).toEqual(['k', 's_1']);
  });

  it('makes names unique across the whole model, so no scope shadows another', () => {
    const made: string[] = [];
    rewriteScopes(model(), (view, scope) => {
      made.push(scope.fresh('then_y'), scope.fresh('x'), scope.fresh('k'));
      return { graph: view, notes: [] };
    });
    expect(new Set(made).size).toBe(made.length);
    for (const taken of ['then_y', 'x', 'k', 'else_y']) expect(made).not.toContain(taken);
  });
});

describe('renameReads', () => {
  it('renames reads inside subgraphs too, but not inside one that defines the name itself', () => {
    const inner: SubGraph = { name: 'b', inputs: [], outputs: [{ name: 'w' }], initializers: [], nodes: [node('n', 'Relu', ['w'], ['r'])], valueInfo: [] };
    const shadow: SubGraph = { ...inner, name: 's', initializers: [f32('w', [1])] };
    const [r] = renameReads([node('if', 'If', ['w'], ['y'], { then_branch: { kind: 'graph', value: inner }, else_branch: { kind: 'graph', value: shadow } })], new Map([['w', 'w2']]));
    expect(r.inputs).toEqual(['w2']);
    const then = (r.attrs.then_branch as { value: SubGraph }).value;
    expect([then.nodes[0].inputs, then.outputs.map((o) => o.name)]).toEqual([['w2'], ['w2']]);
    expect((r.attrs.else_branch as { value: SubGraph }).value).toBe(shadow);
  });
});

describe('elementTypes', () => {
  it('types what shape inference cannot reach, by ONNX type constraints', () => {
    const g: Graph = {
      name: 'types',
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [], shapeUnknown: true }],
      initializers: [{ name: 'idx', dtype: 'int64', dims: [1], data: BigInt64Array.of(0n) }],
      nodes: [
        node('cs', 'ConstantOfShape', ['idx'], ['zeros']),
        node('sh', 'Shape', ['x'], ['shape']),
        node('g', 'Gather', ['shape', 'idx'], ['n']),
        node('eq', 'Equal', ['n', 'idx'], ['flag']),
        node('pad', 'Pad', ['x', 'n'], ['padded']),
        node('cast', 'Cast', ['padded'], ['half'], { to: { kind: 'int', value: 10 } }),
        node('mp', 'MaxPool', ['padded'], ['pooled', 'indices']),
        { ...node('custom', 'Foo', ['x'], ['foo']), domain: 'com.example' },
        node('add', 'Add', ['foo', 'padded'], ['y']),
      ],
      valueInfo: [],
      opset: 17,
      metadata: {},
      model: { irVersion: 8, opsets: [] },
    };
    const t = elementTypes(g);
    expect(Object.fromEntries(['zeros', 'shape', 'n', 'flag', 'padded', 'half', 'pooled', 'indices', 'y'].map((v) => [v, t.get(v)]))).toEqual({
      zeros: 'float32',
      shape: 'int64',
      n: 'int64',
      flag: 'bool',
      padded: 'float32',
      half: 'float16',
      pooled: 'float32',
      indices: 'int64',
      y: 'float32',
    });
    // An op of another domain stays untyped: nothing is guessed for it.
    expect(t.has('foo')).toBe(false);
  });

  it('types an If by its then-branch, declared or not', () => {
    const g = model();
    expect(elementTypes(g).get('y')).toBe('float32');
    const iff = g.nodes.find((n) => n.opType === 'If')!;
    const then = branch(g, 'then_branch');
    const bare = { ...iff, attrs: { ...iff.attrs, then_branch: { kind: 'graph' as const, value: { ...then, outputs: then.outputs.map((o) => ({ name: o.name })) } } } };
    expect(elementTypes({ ...g, nodes: g.nodes.map((n) => (n === iff ? bare : n)), outputs: [] }).get('y')).toBe('float32');
  });
});
