/**
 * Held-out evaluation: the inference graph on the cpu runtime over a split, in chunks, into
 * the confusion matrix and its metrics.
 */
import { toOnnx } from '../export/onnx.ts';
import type { SplitFeatures } from '../features/datasets/index.ts';
import type { Graph } from '../graph/ir.ts';
import { getRunner } from '../runners/runner.ts';
import { argmaxRows, confusionMatrix, type Metrics, metricsFrom } from './metrics.ts';

const CHUNK = 64;

/** Class scores for every clip of a split, [n, classes]; `ms` is the wall time of the runs alone. */
export async function predict(graph: Graph, split: SplitFeatures, classes: number): Promise<{ scores: Float32Array; ms: number }> {
  const session = await getRunner('cpu').open(toOnnx(graph));
  const per = split.dims.reduce((a, d) => a * d, 1);
  const n = split.y.length;
  const scores = new Float32Array(n * classes);
  const input = graph.inputs[0].name;
  const output = graph.outputs[0].name;
  let ms = 0;
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const m = Math.min(CHUNK, n - start);
      const t0 = performance.now();
      const out = await session.run({ [input]: { type: 'float32', data: split.x.subarray(start * per, (start + m) * per), dims: [m, ...split.dims] } });
      ms += performance.now() - t0;
      scores.set(out[output].data as Float32Array, start * classes);
    }
  } finally {
    await session.close();
  }
  return { scores, ms };
}

export async function evaluate(graph: Graph, split: SplitFeatures, classes: number): Promise<Metrics> {
  const { scores } = await predict(graph, split, classes);
  return metricsFrom(confusionMatrix(split.y, argmaxRows(scores, classes), classes));
}
