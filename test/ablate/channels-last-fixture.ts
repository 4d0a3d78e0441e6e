/**
 * A trained channels-last CNN as a user's file, and a folder of .npy samples for it: the zoo
 * ResNet trained on small synthetic features (test/passes/synthetic-features.ts, seconds on 2
 * cores), with an NHWC input [N, 16, T, 1] read through Transpose(perm 0,3,1,2) into the NCHW
 * convolutions, BatchNormalization left unfolded and no melbench metadata, as an export from a
 * channels-last framework would be. Samples: 300 clips of the training distribution ('a-*.npy')
 * and, last by name, 100 clips of another seed ('b-*.npy'), so that a folder source calibrates on
 * the 'a' files and evaluates on exactly the 'b' files.
 * Used by test/ablate/channels-last-int8.test.ts and benchmarks/channels-last-int8.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toOnnx } from '../../src/export/onnx.ts';
import { encodeNpy } from '../../src/features/npy.ts';
import { inferShapes } from '../../src/graph/infer.ts';
import type { Graph } from '../../src/graph/ir.ts';
import { getZooEntry } from '../../src/graph/zoo/index.ts';
import { fineTune } from '../../src/train/finetune.ts';
import { syntheticFeatures } from '../passes/synthetic-features.ts';

/** `g` with an NHWC input read through Transpose(perm 0,3,1,2) into its NCHW input. */
export function channelsLast(g: Graph): Graph {
  const x = g.inputs[0];
  const [n, c, h, w] = x.shape;
  const nhwc = `${x.name}_nhwc`;
  return inferShapes({
    ...g,
    inputs: [{ name: nhwc, dtype: 'float32', shape: [n, h, w, c] }],
    nodes: [{ name: 'to_nchw', opType: 'Transpose', domain: '', inputs: [nhwc], outputs: [x.name], attrs: { perm: { kind: 'ints', value: [0, 3, 1, 2] } } }, ...g.nodes],
    valueInfo: [],
    metadata: {},
  });
}

/** [1, H, W] clips as [H, W, 1]: with one channel the bytes are the same, only the shape changes. */
function writeSamples(dir: string, prefix: string, x: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `${prefix}-${String(i).padStart(3, '0')}.npy`), encodeNpy({ data: x.slice(i * 256, (i + 1) * 256), dims: [16, 16, 1] }));
}

export interface ChannelsLastCnn {
  graph: Graph;
  /** `<dir>/nhwc-cnn.onnx` */
  model: string;
  /** `<dir>/samples`: 300 'a' files, then 100 'b' files. */
  samples: string;
  /** The 100 evaluation clips ('b' files) and their labels. */
  held: { x: Float32Array; y: Int32Array };
}

export async function makeChannelsLastCnn(dir: string): Promise<ChannelsLastCnn> {
  const data = syntheticFeatures(16, 4, 5);
  const untrained = getZooEntry('resnet').build({ channels: 1, mels: 16, frames: 16, classes: 4, seed: 2 });
  const graph = channelsLast((await fineTune(untrained, data, { epochs: 6, lr: 0.01, seed: 1, batch: 8 })).graph);
  mkdirSync(dir, { recursive: true });
  const model = join(dir, 'nhwc-cnn.onnx');
  writeFileSync(model, toOnnx(graph));
  const samples = join(dir, 'samples');
  mkdirSync(samples, { recursive: true });
  const cal = syntheticFeatures(75, 4, 5).splits.train; // 300 clips, the training distribution
  const held = syntheticFeatures(25, 4, 9).splits.train; // 100 clips of another seed
  writeSamples(samples, 'a', cal.x, 300);
  writeSamples(samples, 'b', held.x, 100);
  return { graph, model, samples, held: { x: held.x, y: held.y } };
}
