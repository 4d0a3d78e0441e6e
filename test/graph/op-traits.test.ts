/**
 * Each op's facts live in its OpDef: registering an op with its traits is all it takes for the
 * passes to handle it, an op without traits is left alone, and no pass names an op that the
 * registry does not know.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InternalError, ShapeError } from '../../src/errors.ts';
import { analyzeChannels } from '../../src/export/passes/channel-groups.ts';
import { pruneChannels } from '../../src/export/passes/prune-channels.ts';
import { planStaticQuantization } from '../../src/export/passes/quantize-static.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { attrsOf, toAttrs } from '../../src/graph/ops/attrs.ts';
import { OPAQUE_TRAITS } from '../../src/graph/ops/opaque-traits.ts';
import { pointwise, unary } from '../../src/graph/ops/elementwise-row.ts';
import { Gemm } from '../../src/graph/ops/gemm.ts';
import { findOp, registeredOps, registerOp, supportedOps, traitsOf } from '../../src/graph/ops/index.ts';
import { MaxPool } from '../../src/graph/ops/pool.ts';

/** x -> conv1 -> relu -> <op> -> conv2 -> GAP -> flatten -> dense: conv1's channels flow through <op> into conv2. */
function throughOp(opType: string): Graph {
  const b = new ModelBuilder(`through-${opType}`, { seed: 2 });
  const x = b.input('x', ['N', 1, 8, 8]);
  const h = b.relu(b.conv(x, { filters: 4, kernel: 3, name: 'conv1' }), 'relu');
  const y = b.apply(opType, [h], {}, 'mid');
  const z = b.conv(y, { filters: 6, kernel: 3, name: 'conv2' });
  b.output(b.dense(b.flatten(b.globalAvgPool(z)), 3, { name: 'dense' }));
  return b.build();
}

/** A range of [-1, 1] for every value: enough for the plan to decide what runs quantized. */
function everyRange(g: Graph): Map<string, { min: number; max: number }> {
  const names = [...g.inputs.map((v) => v.name), ...g.nodes.flatMap((n) => n.outputs)];
  return new Map(names.map((n) => [n, { min: -1, max: 1 }]));
}

const weightDims = (g: Graph, node: string) => g.initializers.find((t) => t.name === g.nodes.find((n) => n.name === node)!.inputs[1])!.dims;

describe('a new op, registered with its traits in one place', () => {
  it('is picked up by channel pruning and static quantization; an op without traits is left alone', () => {
    expect(() => throughOp('Dropout')).toThrow(/op Dropout is not supported/);
    // Dropout at inference is the identity: it keeps channels, and runs exactly on integers.
    registerOp(
      unary('Dropout', 13, {
        inputs: ['data', 'ratio?', 'training_mode?'],
        grad: pointwise((_b, _x, _y, dy) => dy),
        traits: { channels: 'keep', staticQuant: { kind: 'passthrough' } },
      }),
    );
    // Softsign, y = x / (1 + |x|): registered with no traits, so every pass leaves it alone.
    registerOp(unary('Softsign', 1));

    const withTraits = throughOp('Dropout');
    const analysis = analyzeChannels(withTraits);
    const conv1 = analysis.groups.find((gr) => gr.producers.includes('conv1'))!;
    expect(conv1.fixed).toBeUndefined();
    expect(analysis.layouts.get('mid')).toEqual([{ group: conv1.id, spread: 1 }]);
    const pruned = pruneChannels(withTraits, { ratio: 0.5, criterion: 'l1' }).graph;
    expect(weightDims(pruned, 'conv1')).toEqual([2, 1, 3, 3]);
    // conv2 lost the input channels that conv1 lost, through the new op.
    expect(weightDims(pruned, 'conv2')).toEqual([3, 2, 3, 3]);

    const without = throughOp('Softsign');
    const fixed = analyzeChannels(without).groups.find((gr) => gr.producers.includes('conv1'))!;
    expect(fixed.fixed).toMatch(/it reaches Softsign 'mid', which this pass cannot reslice/);
    expect(weightDims(pruneChannels(without, { ratio: 0.5, criterion: 'l1' }).graph, 'conv1')).toEqual([4, 1, 3, 3]);

    const plan = planStaticQuantization(withTraits, everyRange(withTraits), { allowUntrained: true });
    expect(plan.notes.filter((n) => n.kind === 'changed' && n.why.startsWith('fused')).map((n) => n.node)).toEqual(['relu']);
    expect(plan.kinds.get('mid')).toBe('passthrough');
    expect(plan.kinds.get('conv2')).toBe('conv');
    // The passthrough output shares its input's parameters: the integers pass through unchanged.
    expect(plan.params.get('mid')).toBe(plan.params.get('relu'));
    const floatPlan = planStaticQuantization(without, everyRange(without), { allowUntrained: true });
    expect(floatPlan.kinds.has('mid')).toBe(false);
    expect(floatPlan.kinds.get('conv1')).toBe('conv');
  });

  it('has no traits when it is not registered, and cannot be registered twice', () => {
    expect(findOp('Elu')).toBeUndefined();
    expect(traitsOf({ opType: 'Elu', domain: '' })).toEqual({});
    expect(() => registerOp(MaxPool)).toThrow(InternalError);
  });
});

describe('traits', () => {
  it('name inputs and outputs that their op has', () => {
    for (const def of registeredOps()) {
      const t = def.traits ?? {};
      const where = `${def.domain}.${def.opType}`;
      if (t.magnitudePrune || t.macs === 'window' || t.dynamicQuant) expect(t.weight, where).toBeTypeOf('number');
      if (t.weight !== undefined) expect(t.weight, where).toBeLessThan(def.inputs.length);
      for (const i of t.learned ?? []) expect(i, where).toBeLessThan(def.inputs.length);
      if (t.trainingOutputs !== undefined) expect(t.trainingOutputs, where).toBeLessThanOrEqual(def.outputs.length);
    }
    // The facts that used to be op lists inside the passes, now read from the OpDefs.
    const withTrait = (f: (d: ReturnType<typeof registeredOps>[number]) => unknown) =>
      registeredOps()
        .filter((d) => f(d))
        .map((d) => d.opType)
        .sort();
    expect(withTrait((d) => d.traits?.magnitudePrune)).toEqual(['Conv', 'Gemm', 'MatMul']);
    expect(withTrait((d) => d.traits?.dynamicQuant)).toEqual(['Conv', 'Gemm', 'MatMul']);
    expect(withTrait((d) => d.traits?.channels === 'tie')).toEqual(['Add', 'Div', 'Max', 'Min', 'Mul', 'Sub']);
    expect(withTrait((d) => d.traits?.trainingOutputs)).toEqual(['MaxPool']);
    expect(withTrait((d) => d.traits?.constantFold)).toEqual(['Cast', 'Concat', 'Identity', 'Reshape', 'Slice', 'Squeeze', 'Transpose', 'Unsqueeze']);
    expect(withTrait((d) => d.traits?.channels === 'matmul')).toEqual(['MatMul']);
  });
});

describe('every op that melbench code names is registered (no dead entries)', () => {
  const root = join(import.meta.dirname, '../../src');
  const files = ['export/passes', 'export', 'train', 'features', 'graph', 'graph/ops', 'graph/zoo'].flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(root, dir, f)),
  );
  // Comparisons on a node's op, nodes written by passes, and nodes emitted through the builder.
  const patterns = [/opType\s*[!=]==\s*'(\w+)'/g, /opType:\s*'(\w+)'/g, /\b(?:apply|op|node|qdqNode)\(\s*'([A-Z]\w+)'/g];
  const named = new Map<string, string>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const p of patterns) for (const m of src.matchAll(p)) named.set(m[1], f.slice(root.length + 1));
  }

  it('finds the op names in the source', () => {
    // Guards the scan itself: a broken pattern would find nothing and pass vacuously.
    for (const op of ['BatchNormalization', 'Conv', 'Gemm', 'QLinearConv', 'ConvInteger', 'DynamicQuantizeLinear', 'Cast', 'ScatterElements']) expect(named.has(op), op).toBe(true);
  });

  it('resolves each one in the registry', () => {
    // Constant is the one op code reads without modelling it: an imported model's Constant nodes stay
    // opaque, and shape inference reads their value (graph/infer.ts) as it reads initializers. Carried
    // ops have their facts in graph/ops/opaque-traits.ts (LSTM's weights, Shape's constant folding).
    const known = new Set([...supportedOps(), 'Constant', ...Object.keys(OPAQUE_TRAITS)]);
    const dead = [...named].filter(([op]) => !known.has(op)).map(([op, file]) => `${op} (${file})`);
    expect(dead).toEqual([]);
  });

  it('keeps no op lists in the passes, the cost model or the trainer: those facts are traits', () => {
    const lists = files
      .filter((f) => /export\/|train\//.test(f))
      .filter((f) => /new Set\(\[\s*'[A-Z]|Record<string, (?:number\[\]|number|QuantKind)> = \{\s*[A-Z]/.test(readFileSync(f, 'utf8')));
    expect(lists).toEqual([]);
  });
});

describe('one attribute reader and one writer', () => {
  it('reads a node with its OpDef defaults, typed', () => {
    const node = { name: 'fc', opType: 'Gemm', domain: '', inputs: ['a', 'b'], outputs: ['y'], attrs: toAttrs(Gemm.attrs, { transB: 1 }) };
    expect(attrsOf(Gemm, node)).toEqual({ alpha: 1, beta: 1, transA: 0, transB: 1 });
    expect(() => attrsOf(MaxPool, node)).toThrow(InternalError);
  });

  it('tags values by the schema, in the order given, with floats as float32', () => {
    const attrs = toAttrs(Gemm.attrs, { transB: 1, alpha: 0.1, beta: undefined });
    expect(Object.keys(attrs)).toEqual(['transB', 'alpha']);
    expect(attrs.transB).toEqual({ kind: 'int', value: 1 });
    expect(attrs.alpha).toEqual({ kind: 'float', value: Math.fround(0.1) });
    expect(() => toAttrs(Gemm.attrs, { group: 2 } as never, "Gemm 'fc'")).toThrow(new ShapeError("Gemm 'fc': unsupported attribute 'group'"));
    expect(() => toAttrs(Gemm.attrs, { transB: 0.5 }, "Gemm 'fc'")).toThrow(/Gemm 'fc': attribute 'transB' must be int, got 0.5/);
  });
});
