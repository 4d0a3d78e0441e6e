/**
 * Usage through subgraphs (src/graph/reads.ts) and inference around opaque nodes
 * (src/graph/infer.ts): an initializer that only an If branch or a Loop body reads is used, and
 * no pass utility drops it; an unknown op leaves its outputs unknown on imported models and
 * does not hide real errors in built ones.
 */
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.ts';
import { consumers, nameAllocator, withoutUnusedInitializers } from '../../src/export/passes/graph-util.ts';
import { fromOnnx } from '../../src/export/onnx.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import { type Graph, isKnownType, type SubGraph } from '../../src/graph/ir.ts';
import { nodeReads, outerReads, subgraphReads } from '../../src/graph/reads.ts';
import { onnxFixture } from '../fixtures/onnx-models.ts';

describe('nodeReads', () => {
  it("names the If's outer-scope reads: x and w from the then-branch, not the else-branch's own initializer", () => {
    const g = fromOnnx(onnxFixture('if-outer').bytes, 'if-outer.onnx');
    const iff = g.nodes.find((n) => n.opType === 'If')!;
    expect(iff.inputs).toEqual(['cond']);
    expect(nodeReads(iff)).toEqual(['cond', 'x', 'w']);
    expect(subgraphReads(iff)).toEqual(['x', 'w']);
  });

  it("keeps an initializer that only a subgraph reads, and lists the If among its consumers", () => {
    for (const name of ['if-outer', 'loop-outer']) {
      const g = fromOnnx(onnxFixture(name).bytes, name);
      expect(g.nodes.some((n) => n.inputs.includes('w')), name).toBe(false); // only a subgraph reads w
      expect(withoutUnusedInitializers(g).initializers.map((t) => t.name)).toEqual(g.initializers.map((t) => t.name));
      expect(consumers(g).get('w')?.map((n) => n.opType), name).toEqual([name === 'if-outer' ? 'If' : 'Loop']);
    }
  });

  it('gives fresh names that no subgraph uses', () => {
    const g = fromOnnx(onnxFixture('if-outer').bytes, 'if-outer.onnx');
    const fresh = nameAllocator(g);
    // then_y and else_b live only inside the branches.
    expect(fresh('then_y')).toBe('then_y_1');
    expect(fresh('else_b')).toBe('else_b_1');
    expect(fresh('brand_new')).toBe('brand_new');
  });

  it('sees reads at any depth, and not names a nested graph defines for itself', () => {
    const inner: SubGraph = { name: 'inner', inputs: [{ name: 'i' }], outputs: [{ name: 'o' }], initializers: [], nodes: [{ name: 'm', opType: 'Mul', domain: '', inputs: ['i', 'deep'], outputs: ['o'], attrs: {} }], valueInfo: [] };
    const outer: SubGraph = {
      name: 'outer',
      inputs: [],
      outputs: [{ name: 'r' }, { name: 'passthrough' }],
      initializers: [],
      nodes: [{ name: 'l', opType: 'Loop', domain: '', inputs: ['n', ''], outputs: ['r'], attrs: { body: { kind: 'graph', value: inner } } }],
      valueInfo: [],
    };
    expect(outerReads(inner)).toEqual(['deep']);
    expect(outerReads(outer)).toEqual(['n', 'deep', 'passthrough']);
  });
});

describe('inference around opaque nodes', () => {
  const base = (model: Graph['model']): Graph => ({
    name: 'g',
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
    outputs: [{ name: 'z', dtype: 'float32', shape: [2, 3] }],
    initializers: [],
    nodes: [
      { name: 'mystery', opType: 'Mystery', domain: 'my.ops', inputs: ['x'], outputs: ['u'], attrs: {} },
      { name: 'relu', opType: 'Relu', domain: '', inputs: ['u'], outputs: ['z'], attrs: {} },
    ],
    valueInfo: [],
    opset: 17,
    metadata: {},
    ...(model ? { model } : {}),
  });

  it('leaves an opaque op, and what it feeds, unknown unless declared; graph outputs keep the declared type', () => {
    const g = inferShapes(base({ irVersion: 8, opsets: [{ domain: '', version: 17 }] }));
    expect(isKnownType(g, 'u')).toBe(false);
    expect(g.valueInfo).toEqual([]);
    expect(g.outputs).toEqual([{ name: 'z', dtype: 'float32', shape: [2, 3] }]);
    const declared = inferShapes({ ...base(undefined), valueInfo: [{ name: 'u', dtype: 'float32', shape: [2, 5] }] });
    // u's type comes from the declaration; Relu is inferred from it.
    expect(declared.valueInfo).toEqual([{ name: 'u', dtype: 'float32', shape: [2, 5] }]);
    expect(declared.outputs).toEqual([{ name: 'z', dtype: 'float32', shape: [2, 5] }]);
  });

  it('still refuses an undefined input and, on a built graph, a rule violation; an imported graph carries the node', () => {
    const undefinedInput = { ...base(undefined), nodes: [{ name: 'r', opType: 'Relu', domain: '', inputs: ['nope'], outputs: ['z'], attrs: {} }] };
    expect(() => inferShapes(undefinedInput)).toThrow(/input 'nope' is not defined/);
    const mismatch: Graph = {
      ...base(undefined),
      inputs: [
        { name: 'x', dtype: 'float32', shape: [2, 3] },
        { name: 'y', dtype: 'float32', shape: [4, 3] },
      ],
      nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'y'], outputs: ['z'], attrs: {} }],
    };
    expect(() => inferShapes(mismatch)).toThrow(ShapeError);
    const imported = inferShapes({ ...mismatch, model: { irVersion: 8, opsets: [{ domain: '', version: 17 }] } });
    expect(imported.outputs[0]).toEqual({ name: 'z', dtype: 'float32', shape: [2, 3] });
  });
});
