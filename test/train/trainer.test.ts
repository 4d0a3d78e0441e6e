import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/features/datasets/index.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { architectureKey, trainRun } from '../../src/train/run.ts';
import type { TrainOptions } from '../../src/train/trainer.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'melbench-train-'));
const dataRoot = tmp();
const data = () => loadDataset('alerts', { preset: 'default', seed: 0, cacheDir: dataRoot, alerts: { perClass: { train: 3, val: 2, test: 2 } } });

const OPTIONS: TrainOptions = {
  epochs: 2,
  batch: 8,
  seed: 3,
  lr: 3e-3,
  schedule: 'cosine',
  warmupEpochs: 0,
  optimizer: { kind: 'adamw', momentum: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 },
  mixup: 0.4,
  specAugment: true,
  classWeights: true,
  l1Gamma: 0,
  patience: 0,
  runtime: 'cpu',
};

const request = (cacheRoot: string, options: Partial<TrainOptions> = {}) => ({
  model: 'dws-resnet',
  dataset: 'alerts',
  preset: 'default',
  datasetSeed: 0,
  options: { ...OPTIONS, ...options },
  cacheRoot,
});

describe('training runs', () => {
  it('are deterministic, cached, and resume after a kill exactly where they stopped', async () => {
    const d = await data();
    const a = await trainRun(request(tmp()), { data: d });
    const b = await trainRun(request(tmp()), { data: d });
    expect(b.sidecar.history.map((h) => h.loss)).toEqual(a.sidecar.history.map((h) => h.loss));
    expect(a.sidecar.history).toHaveLength(2);
    expect(existsSync(a.onnxPath)).toBe(true);
    expect(a.sidecar.test.confusion.flat().reduce((s, v) => s + v, 0)).toBe(d.splits.test.y.length);

    // Same configuration again: served from the cache.
    const root = join(a.dir, '..');
    expect((await trainRun(request(root), { data: d })).cached).toBe(true);

    // A run killed after its first epoch resumes from it and ends like the uninterrupted one.
    const killedRoot = tmp();
    await expect(
      trainRun(request(killedRoot), {
        data: d,
        onEpoch: () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    let resumedAfter = -1;
    const resumed = await trainRun(request(killedRoot), { data: d, onResume: (e) => (resumedAfter = e) });
    expect(resumedAfter).toBe(1);
    expect(resumed.sidecar.history.map((h) => h.loss)).toEqual(a.sidecar.history.map((h) => h.loss));
    expect(resumed.sidecar.test.macroF1).toBe(a.sidecar.test.macroF1);
  });

  it('key the run cache by the layout, not only the model name', () => {
    const build = (name: string, seed: number, classes = 4) => getZooEntry(name).build({ channels: 1, mels: 40, frames: 50, classes, seed });
    // Weights (the seed) are not layout: the seed is hashed with the options.
    expect(architectureKey(build('resnet', 1))).toBe(architectureKey(build('resnet', 2)));
    expect(architectureKey(build('resnet', 1))).not.toBe(architectureKey(build('resnet-rf1', 1)));
    expect(architectureKey(build('resnet', 1))).not.toBe(architectureKey(build('resnet', 1, 5)));
    // One conv fewer per block, as the zoo's ResNet was before it followed the paper's 1x1 -> 3x3.
    const g = build('resnet', 1);
    const trimmed = { ...g, nodes: g.nodes.filter((n) => !n.name.startsWith('stage3/conv1x1/')) };
    expect(architectureKey(trimmed)).not.toBe(architectureKey(g));
  });

  it('stops a diverging run with the epoch and the last finite loss', async () => {
    const d = await data();
    await expect(trainRun(request(tmp(), { lr: 1e12, optimizer: { ...OPTIONS.optimizer, kind: 'sgd' }, mixup: 0 }), { data: d })).rejects.toThrow(
      /training diverged at epoch 1, step \d+: the loss is (NaN|Infinity).*lower --lr/,
    );
  });

  it('rejects an impossible configuration before any work', async () => {
    const d = await data();
    await expect(trainRun(request(tmp(), { batch: 1000 }), { data: d })).rejects.toThrow(/--batch 1000 is larger than the training split \(36 clips\)/);
  });
});
