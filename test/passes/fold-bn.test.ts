import { describe, expect, it } from 'vitest';
import { fromOnnx, toOnnx } from '../../src/export/onnx.ts';
import { foldBatchNorm } from '../../src/export/passes/fold-bn.ts';
import { formatNote } from '../../src/export/passes/pass.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { ZOO } from '../../src/graph/zoo/index.ts';
import { Rng } from '../../src/rng.ts';
import { getRunner } from '../../src/runners/runner.ts';

/** The same graph with its final Softmax removed: comparing logits does not hide errors behind saturation. */
function logitsOf(g: Graph): Graph {
  const last = g.nodes.at(-1)!;
  if (last.opType !== 'Softmax') return g;
  const logits = g.valueInfo.find((v) => v.name === last.inputs[0])!;
  return { ...g, nodes: g.nodes.slice(0, -1), outputs: [logits], valueInfo: g.valueInfo.filter((v) => v.name !== logits.name) };
}

/** Non-trivial BN statistics (a fresh builder's are the identity, which folding would pass trivially). */
function randomiseBatchNorms(g: Graph, seed: number): Graph {
  const rng = new Rng(seed);
  const roles = new Map<string, number>();
  for (const n of g.nodes) if (n.opType === 'BatchNormalization') n.inputs.slice(1).forEach((p, i) => roles.set(p, i));
  const draw = (role: number) => (role === 0 ? 0.5 + rng.next() : role === 3 ? 0.3 + 2 * rng.next() : rng.next() - 0.5);
  const initializers = g.initializers.map((t) => (roles.has(t.name) ? { ...t, data: Float32Array.from(t.data as Float32Array, () => draw(roles.get(t.name)!)) } : t));
  return { ...g, initializers };
}

async function run(g: Graph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await getRunner('cpu').open(toOnnx(g));
  try {
    const out = await s.run({ [g.inputs[0].name]: { type: 'float32', data: x, dims } });
    return out[g.outputs[0].name].data as Float32Array;
  } finally {
    await s.close();
  }
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

const count = (g: Graph, op: string) => g.nodes.filter((n) => n.opType === op).length;

// A 64x64 input (bupt-resnet's 5 poolings after a stride-2 stem need 64) keeps each run fast;
// the big ones (resnet50, resnet18: 11M+ parameters, cnn: a 1M-feature dense layer) are skipped for time.
const MODELS = ZOO.filter((e) => !['resnet50', 'resnet18', 'cnn'].includes(e.name));
const SIDE = 64;

describe('foldBatchNorm', () => {
  it.each(MODELS.map((e) => [e.name, e] as const))('folds every BN of %s and keeps its logits', async (_name, entry) => {
    const g = logitsOf(randomiseBatchNorms(entry.build({ channels: 1, mels: SIDE, frames: SIDE, classes: 5, seed: 2 }), 7));
    const before = structuredClone(g);
    const { graph, notes } = foldBatchNorm(g);
    expect(g).toEqual(before); // pure: the input graph is untouched
    // One note per BN, each saying which Conv or Gemm absorbed it.
    const bns = g.nodes.filter((n) => n.opType === 'BatchNormalization');
    expect(notes.map((n) => [n.node, n.op, n.kind])).toEqual(bns.map((n) => [n.name, 'BatchNormalization', 'changed']));
    for (const n of notes) expect(n.why).toMatch(/^folded into (Conv|Gemm) '.+'$/);
    expect(count(graph, 'BatchNormalization')).toBe(0);
    expect(graph.nodes.length).toBe(g.nodes.length - bns.length);
    // No BN parameter survives: running statistics are gone from the initializers.
    expect(graph.initializers.some((t) => t.name.endsWith('running_mean'))).toBe(false);
    // Valid: the folded model re-imports to the same IR.
    expect(fromOnnx(toOnnx(graph)).nodes.map((n) => n.opType)).toEqual(graph.nodes.map((n) => n.opType));

    const x = Float32Array.from({ length: 2 * SIDE * SIDE }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 0.011));
    const ref = await run(g, x, [2, 1, SIDE, SIDE]);
    const out = await run(graph, x, [2, 1, SIDE, SIDE]);
    // Tolerance: folding changes only float32 rounding, s*sum(W x) vs sum((s W) x): about
    // sqrt(K) * 2^-24 relative per layer for K <= 4608 accumulations, compounded over <= 20
    // layers, i.e. ~1e-5 of the logits' scale; 1e-4 of it leaves a 10x margin, and any real
    // folding mistake (a wrong channel, a missed beta or mean) moves logits by O(0.1) of it.
    expect(maxDiff(out, ref)).toBeLessThanOrEqual(1e-4 * maxAbs(ref) + 1e-6);
  });

  it('folds a BN after a Gemm (transB, with bias and beta) into its weight rows and bias', async () => {
    const b = new ModelBuilder('gemm-bn', { seed: 4 });
    const x = b.input('x', ['N', 6]);
    const h = b.apply('Gemm', [x, b.param('w', [4, 6], 'glorot', 6, 4), b.param('c', [4], 'glorot', 1, 4)], { transB: 1, beta: 0.5 });
    b.output(b.batchNorm(h, { name: 'bn' }));
    const g = randomiseBatchNorms(b.build(), 3);
    const { graph, notes } = foldBatchNorm(g);
    expect(notes.map(formatNote)).toEqual([`bn (BatchNormalization): folded into Gemm '${g.nodes[0].name}'`]);
    expect(graph.nodes.map((n) => n.opType)).toEqual(['Gemm']);
    expect(graph.outputs[0].name).toBe(g.outputs[0].name);
    const input = Float32Array.from({ length: 18 }, (_, i) => Math.cos(i));
    const ref = await run(g, input, [3, 6]);
    // Same rounding argument with K = 6: 1e-5 relative is already a 100x margin.
    expect(maxDiff(await run(graph, input, [3, 6]), ref)).toBeLessThanOrEqual(1e-5 * maxAbs(ref) + 1e-6);
  });

  it('leaves BNs it cannot fold in place and says why', async () => {
    const b = new ModelBuilder('unfoldable', { seed: 5 });
    const x = b.input('x', ['N', 2, 8, 8]);
    const c = b.conv(x, { filters: 3, kernel: 3, name: 'conv' });
    const shared = b.batchNorm(c, { name: 'bn_shared' }); // conv output also feeds the Add below
    const afterAdd = b.batchNorm(b.add(shared, c), { name: 'bn_after_add' });
    b.output(afterAdd);
    const g = randomiseBatchNorms(b.build(), 6);
    const { graph, notes } = foldBatchNorm(g);
    expect(notes.every((n) => n.kind === 'kept')).toBe(true);
    expect(notes.map(formatNote)).toEqual([
      expect.stringMatching(/^bn_shared \(BatchNormalization\): the output of Conv 'conv' is also read elsewhere \(2 readers\)/),
      expect.stringMatching(/^bn_after_add \(BatchNormalization\): its input '.*' comes from Add '.*', not a Conv or Gemm$/),
    ]);
    const input = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    expect(maxDiff(await run(graph, input, [1, 2, 8, 8]), await run(g, input, [1, 2, 8, 8]))).toBe(0);
  });
});
