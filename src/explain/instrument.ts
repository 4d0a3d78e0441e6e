/**
 * The copy of a model that explain runs: every float value its main graph computes becomes a graph
 * output as well, so one run returns them all (onnxruntime's own Python debugger,
 * `qdq_loss_debug`, does the same). The timed model is never this one. NOTE: ORT does not fuse a
 * node whose output is a graph output (Conv+Relu, Conv+BatchNormalization), so the copy computes
 * the unfused ops: its tensors are what each op gives, within a few ulps of the fused model's.
 * Values inside If/Loop bodies are not exposed; the control-flow node's outputs are.
 */
import { isNumericDType } from '../graph/dtype.ts';
import { type Graph, valueTypes } from '../graph/ir.ts';

const FLOAT = new Set(['float32', 'float16', 'float64']);

/** `g` with each float node output of known type also a graph output; `exposed` lists them, in node order. */
export function exposeIntermediates(g: Graph): { graph: Graph; exposed: string[] } {
  const types = valueTypes(g);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const exposed: string[] = [];
  const extra: Graph['outputs'] = [];
  for (const node of g.nodes) {
    for (const name of node.outputs) {
      const t = name ? types.get(name) : undefined;
      if (!t || !isNumericDType(t.dtype) || !FLOAT.has(t.dtype) || outputs.has(name)) continue;
      outputs.add(name);
      exposed.push(name);
      extra.push({ name, dtype: t.dtype, shape: t.shape });
    }
  }
  return { graph: { ...g, outputs: [...g.outputs, ...extra] }, exposed };
}
