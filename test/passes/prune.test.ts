import { describe, expect, it } from 'vitest';
import { bindInputShape, countMacs, modelCost } from '../../src/export/cost.ts';
import { toOnnx } from '../../src/export/onnx.ts';
import { analyzeChannels } from '../../src/export/passes/channel-groups.ts';
import { pruneChannels } from '../../src/export/passes/prune-channels.ts';
import { pruneMagnitude } from '../../src/export/passes/prune-magnitude.ts';
import { ModelBuilder } from '../../src/graph/builder.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import type { Graph, Tensor } from '../../src/graph/ir.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { Rng } from '../../src/rng.ts';
import { getRunner } from '../../src/runners/runner.ts';
import { fineTune } from '../../src/train/finetune.ts';
import { syntheticFeatures } from './synthetic-features.ts';

// 64x64: bupt-resnet's stride-2 stem and five 2x2 pools need 64 mels.
const SIDE = 64;
const build = (name: string, classes = 5) => getZooEntry(name).build({ channels: 1, mels: SIDE, frames: SIDE, classes, seed: 3 });
const weightOf = (g: Graph, node: string) => {
  const n = g.nodes.find((x) => x.name === node)!;
  return g.initializers.find((t) => t.name === n.inputs[1])!;
};
const macs = (g: Graph) => countMacs(bindInputShape(g, [1, 1, SIDE, SIDE]));
const input = (n: number) => Float32Array.from({ length: n * SIDE * SIDE }, (_, i) => Math.sin(i * 0.37) + 0.5 * Math.cos(i * 0.013));

/** Runs the model on cpu; returns the tensor that feeds the final Softmax (logits) when there is one. */
async function logits(g: Graph, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const last = g.nodes.at(-1)!;
  const model =
    last.opType === 'Softmax'
      ? { ...g, nodes: g.nodes.slice(0, -1), outputs: [{ name: last.inputs[0], dtype: 'float32' as const, shape: ['N', 'K'] }] }
      : g;
  const s = await getRunner('cpu').open(toOnnx(inferShapes(model)));
  try {
    const out = await s.run({ [g.inputs[0].name]: { type: 'float32', data: x, dims } });
    return out[model.outputs[0].name].data as Float32Array;
  } finally {
    await s.close();
  }
}

describe('pruneMagnitude', () => {
  it.each(['layer', 'global'] as const)('zeroes the smallest weights to the target sparsity (%s)', (scope) => {
    const g = build('dws-resnet');
    const before = modelCost(g, toOnnx(g), [1, 1, SIDE, SIDE]);
    const { graph, notes } = pruneMagnitude(g, { sparsity: 0.6, scope });
    const after = modelCost(graph, toOnnx(graph), [1, 1, SIDE, SIDE]);
    // Every Conv and Gemm weight is pruned; the counts come from the pruned graph itself.
    const layers = g.nodes
      .filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')
      .map((n) => {
        const w = weightOf(graph, n.name);
        return { layer: n.name, op: n.opType, weight: w.name, zeros: (w.data as Float32Array).filter((v) => v === 0).length, of: w.data.length };
      });
    const total = layers.reduce((s, l) => s + l.of, 0);
    // One note per layer, saying how many of its weights were zeroed.
    expect(notes).toEqual(layers.map((l) => ({ node: l.layer, op: l.op, kind: 'changed', why: `zeroed ${l.zeros} of ${l.of} weights of '${l.weight}'` })));
    if (scope === 'layer') for (const l of layers) expect(Math.abs(l.zeros - 0.6 * l.of)).toBeLessThanOrEqual(0.5);
    // Global: exactly round(0.6 * total) zeros over all layers, and layers differ in sparsity.
    else {
      expect(layers.reduce((s, l) => s + l.zeros, 0)).toBe(Math.round(0.6 * total));
      expect(new Set(layers.map((l) => (l.zeros / l.of).toFixed(2))).size).toBeGreaterThan(1);
    }
    expect(layers.reduce((s, l) => s + l.zeros, 0) / total).toBeCloseTo(0.6, 3);
    // Every zeroed weight was no larger in magnitude than every kept one of the same pool.
    const pools = scope === 'layer' ? layers.map((l) => [l.weight]) : [layers.map((l) => l.weight)];
    const old = new Map(g.initializers.map((t) => [t.name, t.data as Float32Array]));
    for (const pool of pools) {
      let maxZeroed = 0;
      let minKept = Infinity;
      for (const name of pool) {
        const now = graph.initializers.find((t) => t.name === name)!.data as Float32Array;
        old.get(name)!.forEach((v, i) => (now[i] === 0 ? (maxZeroed = Math.max(maxZeroed, Math.abs(v))) : (minKept = Math.min(minKept, Math.abs(v)))));
      }
      expect(maxZeroed).toBeLessThanOrEqual(minKept);
    }
    // Biases and BN parameters are untouched.
    const weights = new Set(layers.map((l) => l.weight));
    for (const t of g.initializers) if (!weights.has(t.name)) expect(graph.initializers.find((u) => u.name === t.name)!.data).toBe(t.data);
    // What the report shows: fewer non-zero parameters, a smaller gzip, the same MACs and params.
    expect(after.params).toBe(before.params);
    expect(after.macs).toBe(before.macs);
    expect(before.nonzeroParams - after.nonzeroParams).toBe(layers.reduce((s, l) => s + l.zeros, 0));
    expect(after.gzipBytes).toBeLessThan(0.8 * before.gzipBytes);
    // Pure: the input graph keeps its weights.
    expect((g.initializers.find((t) => t.name === layers[0].weight)!.data as Float32Array).some((v) => v === 0)).toBe(false);
  });

  it('rejects a sparsity outside (0, 1)', () => {
    const g = build('dws-resnet');
    for (const s of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => pruneMagnitude(g, { sparsity: s, scope: 'layer' })).toThrow(/sparsity must be in \(0, 1\)/);
  });
});

describe('analyzeChannels', () => {
  it('ties residual, depthwise and expansion channels into groups, and never prunes the input or the logits', () => {
    const groups = (name: string) => analyzeChannels(build(name)).groups;
    const bir = groups('bir-resnet');
    // The stem and every projection meet in the residual Adds; each t=2 expansion is its own group
    // carrying its depthwise conv and both its BNs.
    expect(bir.filter((x) => !x.fixed).map((x) => [x.name, x.channels, x.depthwise.length, x.batchNorms.length])).toEqual([
      ['stem/conv+stage1/project+stage2/project+stage3/project', 64, 0, 4],
      ['stage1/expand', 64, 1, 2],
      ['stage2/expand', 64, 1, 2],
      ['stage3/expand', 64, 1, 2],
    ]);
    expect(bir.filter((x) => x.fixed).map((x) => x.fixed)).toEqual([
      "it holds the channels of the model input 'mel'",
      "it reaches Softmax 'probs', which this pass cannot reslice",
    ]);
    // bupt-resnet: the 1x1 shortcut conv and the block's second conv share their output channels.
    expect(groups('bupt-resnet').some((x) => x.name === 'block5/conv_1+block5/shortcut' && !x.fixed)).toBe(true);
  });

  it('reads a Flatten of a spatial map as channel blocks, and fixes channels that reach a Reshape', () => {
    const b = new ModelBuilder('flat', { seed: 1 });
    const x = b.input('x', ['N', 2, 4, 4]);
    const c = b.relu(b.conv(x, { filters: 6, kernel: 3, name: 'c1' }));
    const r = b.conv(x, { filters: 3, kernel: 1, name: 'c2' });
    const h = b.dense(b.flatten(b.maxPool(c, { kernel: 2 })), 7, { name: 'fc' });
    b.output(b.softmax(b.add(h, b.dense(b.reshape(r, [-1, 48]), 7, { name: 'fc_r' }))));
    const a = analyzeChannels(b.build());
    const flat = [...a.layouts].find(([v]) => v.startsWith('flatten'))![1];
    expect(flat).toEqual([{ group: a.groups.find((x) => x.name === 'c1')!.id, spread: 4 }]);
    expect(a.groups.find((x) => x.name === 'c2')!.fixed).toMatch(/Reshape 'reshape'/);
    // fc and fc_r meet in an Add that reaches the Softmax: fixed.
    expect(a.groups.find((x) => x.name === 'fc+fc_r')!.fixed).toMatch(/Softmax/);
  });
});

describe('pruneChannels', () => {
  it.each(['resnet', 'bir-resnet', 'dws-resnet', 'bupt-resnet', 'dcase-baseline', 'newcnn'])('really removes channels of %s and the result runs', async (name) => {
    const g = build(name);
    const { graph, notes } = pruneChannels(g, { ratio: 0.5, criterion: 'l1' });
    const removed = notes.filter((n) => n.kind === 'changed').map((n) => n.why.match(/^kept (\d+) of (\d+) channels$/)!.slice(1).map(Number));
    expect(removed.length).toBeGreaterThan(0);
    for (const [kept, of] of removed) expect(kept).toBe(of - Math.round(0.5 * of));
    // Groups left whole say why (the input's channels, the logits'), named by their producers.
    for (const n of notes.filter((x) => x.kind === 'kept')) expect(n.why).toMatch(/it holds the channels of the model input|which this pass cannot reslice|cannot rank/);
    // Every producer lost its channels in its weights; the logits keep theirs.
    const a = analyzeChannels(g);
    for (const grp of a.groups.filter((x) => !x.fixed)) for (const p of grp.producers) expect(weightOf(graph, p).dims[0] === grp.channels / 2 || weightOf(graph, p).dims[1] === grp.channels / 2).toBe(true);
    expect(graph.outputs[0].shape).toEqual(['N', 5]);
    // The target is a >= 40% MAC cut at ratio 0.5; pruning both sides of a conv gives ~75%.
    const cut = 1 - macs(graph) / macs(g);
    expect(cut).toBeGreaterThanOrEqual(0.5);
    expect(cut).toBeLessThanOrEqual(0.76);
    const out = await logits(graph, input(2), [2, 1, SIDE, SIDE]);
    expect(out.length).toBe(10);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('slices consumers on their input axis: a residual ResNet keeps its Adds consistent', () => {
    const g = build('resnet');
    const { graph } = pruneChannels(g, { ratio: 0.25, criterion: 'l1' });
    // 64 -> 48 everywhere in the residual group (and in each 1x1 conv's own group); the stem
    // still reads the 1-channel input.
    expect(weightOf(graph, 'stem/conv').dims).toEqual([48, 1, 3, 3]);
    for (const s of [1, 2, 3]) {
      expect(weightOf(graph, `stage${s}/conv1x1/conv`).dims).toEqual([48, 48, 1, 1]);
      expect(weightOf(graph, `stage${s}/conv3x3/conv`).dims).toEqual([48, 48, 3, 3]);
    }
    expect(weightOf(graph, 'head/logits').dims).toEqual([5, 48]);
    for (const n of graph.nodes.filter((x) => x.opType === 'Add')) for (const i of n.inputs) expect(graph.valueInfo.find((v) => v.name === i)!.shape[1]).toBe(48);
  });

  it('gives the same outputs when it removes exactly the channels whose filters are all zero', async () => {
    // bir-resnet has residual Adds, depthwise convs and t=2 expansions; dcase-baseline a
    // MaxPool -> Flatten -> Gemm (each channel a block of features) and a Gemm producer.
    for (const name of ['bir-resnet', 'dcase-baseline']) {
      const g = build(name);
      const a = analyzeChannels(g);
      const rng = new Rng(11);
      const zeroed = new Map<string, Tensor>();
      const bnRole = new Map<string, number>();
      for (const n of g.nodes) if (n.opType === 'BatchNormalization') n.inputs.slice(1).forEach((p, i) => bnRole.set(p, i));
      const inits = new Map(g.initializers.map((t) => [t.name, { ...t, data: Float32Array.from(t.data as Float32Array) }]));
      // Random BN statistics everywhere, so that wrong slicing of any BN parameter shows.
      for (const [p, role] of bnRole) inits.get(p)!.data.forEach((_, i, d) => (d[i] = role === 0 ? 0.5 + rng.next() : role === 3 ? 0.5 + rng.next() : rng.next() - 0.5));
      // In every prunable group, zero channels 1, 3, 5... of every producer and their BNs' shift
      // (mean and beta 0, so BN maps the zero channel to zero and it contributes nothing downstream).
      for (const grp of a.groups.filter((x) => !x.fixed)) {
        const dead = [...Array(grp.channels).keys()].filter((c) => c % 2 === 1);
        for (const p of grp.producers) {
          const node = g.nodes.find((n) => n.name === p)!;
          const w = inits.get(node.inputs[1])!;
          const transB = node.attrs.transB?.value === 1;
          const out = node.opType === 'Gemm' && !transB ? 1 : 0;
          const cols = w.data.length / w.dims[0];
          w.data.forEach((_, i, d) => (dead.includes(out === 0 ? Math.floor(i / cols) : i % cols) ? (d[i] = 0) : undefined));
          if (node.inputs[2]) for (const c of dead) inits.get(node.inputs[2])!.data[c] = 0;
          zeroed.set(w.name, w);
        }
        for (const bn of grp.batchNorms) {
          const node = g.nodes.find((n) => n.name === bn)!;
          for (const c of dead) for (const i of [2, 3]) inits.get(node.inputs[i])!.data[c] = 0;
        }
      }
      const model = { ...g, initializers: g.initializers.map((t) => inits.get(t.name)!) };
      const { graph, notes } = pruneChannels(model, { ratio: 0.5, criterion: 'l1' });
      const removed = notes.filter((n) => n.kind === 'changed');
      expect(removed.length).toBeGreaterThan(0);
      for (const n of removed) {
        const [kept, of] = n.why.match(/^kept (\d+) of (\d+) channels$/)!.slice(1).map(Number);
        expect(kept).toBe(of / 2);
      }
      const x = input(3);
      const ref = await logits(model, x, [3, 1, SIDE, SIDE]);
      const out = await logits(graph, x, [3, 1, SIDE, SIDE]);
      // Removed channels were exactly zero, so only the order of float32 sums changes (a skipped
      // +0 can move the accumulation order in ORT's kernels): relative 1e-5 of the logits' scale.
      // A wrongly sliced weight or BN would move logits by O(1) of it.
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale).toBeGreaterThan(0);
      out.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-5 * scale));
    }
  });

  it('ranks by BN scale with bn-gamma', () => {
    const g = build('resnet');
    const bn = g.nodes.find((n) => n.name === 'stem/bn')!;
    const gammas = g.initializers.map((t) => (t.name === bn.inputs[1] ? { ...t, data: Float32Array.from({ length: 64 }, (_, c) => (c < 16 ? 0.01 : 1)) } : t));
    const { graph } = pruneChannels({ ...g, initializers: gammas }, { ratio: 0.25, criterion: 'bn-gamma' });
    // The residual group sums |gamma| over its 4 BNs: channels 0..15 score 3.01, the rest 4.
    const kept = graph.initializers.find((t) => t.name === bn.inputs[1])!.data as Float32Array;
    expect([...kept]).toEqual(Array(48).fill(1));
  });

  it('refuses bad ratios and a group that would lose every channel, naming it', () => {
    const g = build('resnet');
    for (const r of [0, 1, 2, -1]) expect(() => pruneChannels(g, { ratio: r, criterion: 'l1' })).toThrow(/ratio must be in \(0, 1\)/);
    const b = new ModelBuilder('narrow', { seed: 1 });
    const x = b.input('x', ['N', 1, 8, 8]);
    b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(b.relu(b.conv(x, { filters: 2, kernel: 3, name: 'tiny' })))), 3, { name: 'fc' })));
    expect(() => pruneChannels(b.build(), { ratio: 0.8, criterion: 'l1' })).toThrow("pruning 0.8 of the 2 channels of 'tiny' would remove all of them; use a smaller ratio");
    expect(() => pruneChannels(g, { ratio: 0.5, criterion: 'taylor' as 'l1' })).toThrow(/criterion must be 'l1' or 'bn-gamma'/);
  });
});

describe('fineTune', () => {
  it('continues from the pruned weights and lowers the training loss', async () => {
    const b = new ModelBuilder('tiny', { seed: 2 });
    const x = b.input('mel', ['N', 1, 16, 16]);
    const h = b.relu(b.batchNorm(b.conv(x, { filters: 8, kernel: 3, bias: false, name: 'c1' }), { name: 'bn1' }));
    b.output(b.softmax(b.dense(b.flatten(b.globalAvgPool(b.relu(b.batchNorm(b.conv(h, { filters: 8, kernel: 3, bias: false, name: 'c2' }), { name: 'bn2' })))), 4, { name: 'fc' }), { name: 'probs' }));
    const pruned = pruneChannels(b.build(), { ratio: 0.5, criterion: 'l1' }).graph;
    const data = syntheticFeatures(8, 4, 5);
    const r = await fineTune(pruned, data, { epochs: 4, lr: 0.05, seed: 1, batch: 8 });
    // Four epochs of 4 steps on a separable task: the mean epoch loss falls (by far more than the
    // epoch-to-epoch noise of 32 clips, as the first epoch's loss is ~ln 4 = 1.39).
    expect(r.history).toHaveLength(4);
    expect(r.history[3].loss).toBeLessThan(0.9 * r.history[0].loss);
    expect(weightOf(r.graph, 'c2').dims).toEqual([4, 4, 3, 3]);
    expect(weightOf(r.graph, 'c1').data).not.toEqual(weightOf(pruned, 'c1').data);
    // Not re-initialised: with a vanishing learning rate the weights come back as they went in
    // (a step moves them by lr * (g + wd w) ~ 1e-12; a fresh He init would differ by O(0.1)).
    const still = await fineTune(pruned, data, { epochs: 1, lr: 1e-12, seed: 1, batch: 8 });
    for (const layer of ['c1', 'c2', 'fc']) {
      const a = weightOf(still.graph, layer).data as Float32Array;
      const w = weightOf(pruned, layer).data as Float32Array;
      a.forEach((v, i) => expect(Math.abs(v - w[i])).toBeLessThanOrEqual(1e-6));
    }
    expect(r.test.confusion.flat().reduce((s, v) => s + v, 0)).toBe(8);
    expect(r.seconds).toBeGreaterThan(0);
  });
});
