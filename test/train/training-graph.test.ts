import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { toOnnx } from '../../src/export/onnx.ts';
import type { Tensor } from '../../src/graph/ir.ts';
import { getZooEntry, ZOO } from '../../src/graph/zoo/index.ts';
import { Rng } from '../../src/rng.ts';
import { buildTrainingGraph, type TrainingGraph } from '../../src/train/training-graph.ts';

const SGD = { kind: 'sgd' as const, momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

function feedsFor(tg: TrainingGraph, inits: Map<string, Tensor>, x: Float32Array, dims: number[], labels: Float32Array, lr: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {
    [tg.inputName]: new ort.Tensor('float32', x, dims),
    labels: new ort.Tensor('float32', labels, [dims[0], labels.length / dims[0]]),
    sample_weight: new ort.Tensor('float32', new Float32Array(dims[0]).fill(1), [dims[0]]),
    lr: new ort.Tensor('float32', Float32Array.from([lr]), []),
  };
  for (const s of tg.state) {
    if ('from' in s.init) {
      const t = inits.get(s.init.from)!;
      f[s.name] = new ort.Tensor('float32', t.data as Float32Array, t.dims);
    } else {
      f[s.name] = new ort.Tensor('float32', new Float32Array(s.init.zeros.reduce((a, d) => a * d, 1)), s.init.zeros);
    }
  }
  return f;
}

function batchFor(seed: number, n: number, c: number, m: number, t: number, k: number) {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * c * m * t }, () => rng.normal());
  const labels = new Float32Array(n * k);
  for (let i = 0; i < n; i++) labels[i * k + (i % k)] = 1;
  return { x, labels, dims: [n, c, m, t] };
}

describe('training graph', () => {
  it('runs in onnxruntime and lowers the loss on a fixed batch (SGD)', async () => {
    const g = getZooEntry('dws-resnet').build({ channels: 1, mels: 16, frames: 20, classes: 4, seed: 1 });
    const tg = buildTrainingGraph(g, { batch: 8, input: [1, 16, 20], optimizer: SGD, l1Gamma: 0 });
    const s = await ort.InferenceSession.create(toOnnx(tg.graph));
    const inits = new Map(g.initializers.map((t) => [t.name, t]));
    const { x, labels, dims } = batchFor(3, 8, 1, 16, 20, 4);
    let feeds = feedsFor(tg, inits, x, dims, labels, 0.05);
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      const out = await s.run(feeds);
      losses.push((out.loss.data as Float32Array)[0]);
      for (const st of tg.state) feeds[st.name] = out[`${st.name}.next`];
    }
    expect(losses[0]).toBeGreaterThan(0.5);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5);
    feeds = {};
  });

  it('updates BN running statistics with momentum 0.1 towards the batch mean', async () => {
    const g = getZooEntry('resnet-rf1').build({ channels: 1, mels: 8, frames: 8, classes: 3, seed: 2 });
    const tg = buildTrainingGraph(g, { batch: 4, input: [1, 8, 8], optimizer: SGD, l1Gamma: 0 });
    const s = await ort.InferenceSession.create(toOnnx(tg.graph));
    const inits = new Map(g.initializers.map((t) => [t.name, t]));
    const { x, labels, dims } = batchFor(4, 4, 1, 8, 8, 3);
    // Shift the input so the stem's batch mean is far from the initial running mean of 0.
    const out = await s.run(feedsFor(tg, inits, x.map((v) => v + 3), dims, labels, 0));
    const rm = out['stem/bn.running_mean.next'].data as Float32Array;
    const rv = out['stem/bn.running_var.next'].data as Float32Array;
    expect(rm.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    expect(rv.every((v) => v > 0.9 * 0.99)).toBe(true); // 0.9 * 1 + 0.1 * (unbiased var >= 0)
  });

  it('gives every zoo model a training graph whose parameters all get gradients', () => {
    for (const e of ZOO.filter((z) => !['resnet50', 'resnet18', 'cnn', 'bupt-resnet'].includes(z.name))) {
      const g = e.build({ channels: 1, mels: 64, frames: 40, classes: 5, seed: 1 });
      const hasBn = g.nodes.some((n) => n.opType === 'BatchNormalization');
      const tg = buildTrainingGraph(g, { batch: 2, input: [1, 64, 40], optimizer: { ...SGD, kind: 'adamw' }, l1Gamma: hasBn ? 1e-4 : 0 });
      expect(tg.params.length, e.name).toBeGreaterThan(4);
      expect(tg.graph.outputs.map((o) => o.name)).toContain(`${tg.params[0]}.next`);
    }
  });
});

/**
 * Whole-model gradient check along one direction (training-mode BN, weighted CE). The direction
 * is v = g/|g| + r/|r| (r random normal over every parameter), so the directional derivative is
 * of order |g| rather than lost in cancellation, while the random half still probes every
 * component. The step moves the parameters by |eps v| = 1e-3 in total: small enough for the
 * curvature of BN over a 1x1 map (bupt-resnet's head; 1e-2 gave a 10% truncation error there)
 * and to cross at most a handful of ReLU kinks. Float32 rounding of the loss (~2e-7) over 2 eps
 * gives ~1.4e-4 absolute against directional derivatives of order |g| >= 0.1: 2e-2 relative
 * leaves margin, and a wrong rule in any layer (a factor, a transpose, a dropped path) gives
 * errors of order 1.
 */
describe('whole-model gradient check (random direction, central differences)', () => {
  const MODELS = ['resnet', 'resnet-rf1', 'dws-resnet', 'bir-resnet', 'dcase-baseline', 'newcnn', 'bupt-resnet', 'cnn'];
  it.each(MODELS)('%s', async (name) => {
    const [c, m, t] = name === 'cnn' ? [1, 13, 11] : name === 'dcase-baseline' ? [1, 40, 30] : name === 'bupt-resnet' ? [1, 64, 64] : [1, 32, 32];
    const g = getZooEntry(name).build({ channels: c, mels: m, frames: t, classes: 4, seed: 7 });
    const batch = name === 'bupt-resnet' ? 8 : 3;
    const tg = buildTrainingGraph(g, { batch, input: [c, m, t], optimizer: SGD, l1Gamma: 0, exposeGradients: true });
    const s = await ort.InferenceSession.create(toOnnx(tg.graph));
    const inits = new Map(g.initializers.map((x) => [x.name, x]));
    const { x, labels, dims } = batchFor(11, batch, c, m, t, 4);
    const base = feedsFor(tg, inits, x, dims, labels, 0);
    const rng = new Rng(5);
    const out = await s.run(base);
    const grad = new Map(tg.params.map((p) => [p, out[`${p}.grad`].data as Float32Array]));
    const rand = new Map(tg.params.map((p) => [p, Float32Array.from({ length: grad.get(p)!.length }, () => rng.normal())]));
    const norm = (m: Map<string, Float32Array>) => Math.sqrt([...m.values()].reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0));
    const gn = norm(grad);
    const rn = norm(rand);
    const dir = new Map(tg.params.map((p) => [p, grad.get(p)!.map((g, i) => g / gn + rand.get(p)![i] / rn)]));
    let analytic = 0;
    for (const p of tg.params) {
      const gr = grad.get(p)!;
      const d = dir.get(p)!;
      for (let i = 0; i < gr.length; i++) analytic += gr[i] * d[i];
    }
    const eps = 1e-3 / norm(dir);
    const lossAt = async (sign: number) => {
      const f = { ...base };
      for (const p of tg.params) {
        const w = base[p].data as Float32Array;
        const d = dir.get(p)!;
        f[p] = new ort.Tensor('float32', w.map((v, i) => v + sign * eps * d[i]), base[p].dims as number[]);
      }
      return ((await s.run(f)).loss.data as Float32Array)[0];
    };
    const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * eps);
    const rel = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric));
    expect(rel, `analytic ${analytic} vs numeric ${numeric}`).toBeLessThan(2e-2);
  });
});
