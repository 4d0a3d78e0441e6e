/**
 * Which tensor of side b stands for each float tensor of side a. One model on two runtimes, or two
 * models with the same value names: the tensor of the same name. A QDQ-quantized variant keeps the
 * float model's value names for what its nodes compute, and re-quantizes them:
 * `v -> QuantizeLinear -> DequantizeLinear -> v_dequantized`. What the rest of the variant reads is
 * that dequantized tensor, so it is the one that stands for v (onnxruntime's `qdq_loss_debug`
 * compares the same pairs). `producers` names b's node that computes each mapped value, the layer
 * a quantized variant's error is charged to (its Conv, with the BatchNormalization and Relu a pass
 * folded into it). Pure.
 */
import type { Graph } from '../graph/ir.ts';

export interface TensorMap {
  /** a's value name -> b's value name */
  toB: Map<string, string>;
  /** b's value name (before re-quantization) -> the node of b that computes it */
  producers: Map<string, string>;
}

export function tensorMap(ga: Graph, gb: Graph): TensorMap {
  const producerOf = new Map<string, { name: string; opType: string; inputs: string[] }>();
  for (const n of gb.nodes) for (const o of n.outputs) if (o) producerOf.set(o, n);
  const bValues = new Set([...gb.inputs.map((v) => v.name), ...producerOf.keys()]);
  const toB = new Map<string, string>();
  const producers = new Map<string, string>();
  const aValues = [...ga.inputs.map((v) => v.name), ...ga.nodes.flatMap((n) => n.outputs.filter(Boolean))];
  for (const v of aValues) if (bValues.has(v)) toB.set(v, v);
  for (const dq of gb.nodes) {
    if (dq.opType !== 'DequantizeLinear') continue;
    const q = producerOf.get(dq.inputs[0]);
    const v = q?.opType === 'QuantizeLinear' ? q.inputs[0] : undefined;
    if (!v || !toB.has(v)) continue;
    toB.set(v, dq.outputs[0]);
    const p = producerOf.get(v);
    if (p) producers.set(v, p.name);
  }
  return { toB, producers };
}
