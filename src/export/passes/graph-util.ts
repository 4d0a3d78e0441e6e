/**
 * Lookups that the passes share: who produces and who consumes each value, initializers by name,
 * and fresh names. Passes are pure: they build new node and initializer lists and never mutate
 * the graph they were given.
 */
import { EXIT, UserError } from '../../errors.ts';
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { namesInSubgraphs, nodeReads, subgraphReads } from '../../graph/reads.ts';

/** The node that produces each value. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/**
 * The nodes that read each value, in graph order: through an input, or from inside one of its
 * subgraphs (an If whose branch reads the value is a consumer, though it does not list it).
 */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes)
    for (const i of [...n.inputs, ...subgraphReads(n)]) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  return m;
}

export function initializerMap(g: Graph): Map<string, Tensor> {
  return new Map(g.initializers.map((t) => [t.name, t]));
}

/** Whether a value is a graph output (a pass must keep its name). */
export function isGraphOutput(g: Graph, name: string): boolean {
  return g.outputs.some((o) => o.name === name);
}

/** A name generator that never repeats a name already used in the graph or any of its subgraphs. */
export function nameAllocator(g: Graph): (base: string) => string {
  const used = new Set<string>([...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name), ...g.initializers.map((t) => t.name)]);
  for (const n of g.nodes) {
    used.add(n.name);
    for (const v of [...n.inputs, ...n.outputs, ...namesInSubgraphs(n)]) used.add(v);
  }
  return (base: string) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}

/**
 * The graph without initializers that no node reads and that are not graph outputs. With `among`,
 * only those initializers are candidates for removal (a pass that dropped some readers and
 * must keep every other tensor as it was).
 */
export function withoutUnusedInitializers(g: Graph, among?: ReadonlySet<string>): Graph {
  const used = new Set([...g.nodes.flatMap(nodeReads), ...g.outputs.map((o) => o.name)]);
  return { ...g, initializers: g.initializers.filter((t) => used.has(t.name) || (among !== undefined && !among.has(t.name))) };
}

/**
 * Refuses a model whose opset is older than an op the pass writes (DynamicQuantizeLinear from 11,
 * per-axis QuantizeLinear/DequantizeLinear from 13). Raising the opset in place would change what
 * the model's older ops mean (Clip's and Slice's attributes became inputs), so the user converts it.
 */
export function requireOpset(g: Graph, op: { opType: string; since: number }, what: string): void {
  if (g.opset >= op.since) return;
  throw new UserError(
    `model '${g.name}' is opset ${g.opset}, and ${what} writes ${op.opType} (opset ${op.since} and later); convert the model first, e.g. python3 -c "import onnx, onnx.version_converter as v; onnx.save(v.convert_version(onnx.load('in.onnx'), ${op.since}), 'out.onnx')"`,
    EXIT.badModel,
  );
}
