/**
 * Input standardisation inside the model: y = (x - mean) / std with the training split's scalar
 * mean and standard deviation of its log-mel values, prepended to the graph as Sub and Div nodes.
 * The ONNX model therefore still takes raw log-mel (dB) features, exactly what every runner feeds.
 */
import type { Graph, Node } from '../graph/ir.ts';
import { META } from '../graph/metadata-keys.ts';

export function featureStats(x: Float32Array): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    s2 += x[i] * x[i];
  }
  const mean = s / x.length;
  return { mean, std: Math.sqrt(Math.max(s2 / x.length - mean * mean, 1e-12)) };
}

export function withInputNormalization(g: Graph, mean: number, std: number): Graph {
  const input = g.inputs[0].name;
  const centred = `${input}.centred`;
  const scaled = `${input}.standardised`;
  const meanT = { name: `${input}.mean`, dtype: 'float32' as const, dims: [], data: Float32Array.of(mean) };
  const stdT = { name: `${input}.std`, dtype: 'float32' as const, dims: [], data: Float32Array.of(std) };
  const pre: Node[] = [
    { name: `${input}/sub_mean`, opType: 'Sub', domain: '', inputs: [input, meanT.name], outputs: [centred], attrs: {} },
    { name: `${input}/div_std`, opType: 'Div', domain: '', inputs: [centred, stdT.name], outputs: [scaled], attrs: {} },
  ];
  const nodes = g.nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === input ? scaled : i)) }));
  const type = { dtype: g.inputs[0].dtype, shape: g.inputs[0].shape };
  return {
    ...g,
    nodes: [...pre, ...nodes],
    initializers: [meanT, stdT, ...g.initializers],
    valueInfo: [{ name: centred, ...type }, { name: scaled, ...type }, ...g.valueInfo],
    metadata: { ...g.metadata, [META.inputMean]: String(mean), [META.inputStd]: String(std) },
  };
}

