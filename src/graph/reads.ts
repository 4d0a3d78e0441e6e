/**
 * Which values a node reads: its inputs, plus the names that its subgraphs (If's branches, Loop's
 * and Scan's bodies) read from the enclosing graphs. ONNX lets a subgraph name any value in
 * scope outside it (an outer-scope reference) without listing it as an input of the node, so a
 * scan over `node.inputs` alone misses them: a pass would drop an initializer that only a branch
 * reads. Every scan that decides what is used goes through `nodeReads`.
 */
import type { Attr, Node, SubGraph } from './ir.ts';

function subgraphsOf(a: Attr): SubGraph[] {
  return a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
}

/** The subgraphs held in a node's attributes, in attribute order. */
export function nodeSubgraphs(node: Pick<Node, 'attrs'>): SubGraph[] {
  return Object.values(node.attrs).flatMap(subgraphsOf);
}

/** Names read inside `sg` (at any depth) that `sg` does not define: its outer-scope references. */
export function outerReads(sg: SubGraph): string[] {
  const defined = new Set<string>([...sg.inputs.map((v) => v.name), ...sg.initializers.map((t) => t.name), ...(sg.sparseInitializers ?? []).map((s) => s.values.name)]);
  for (const n of sg.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const out = new Set<string>();
  for (const n of sg.nodes) for (const name of nodeReads(n)) if (!defined.has(name)) out.add(name);
  // NOTE: a subgraph output may name an outer value directly (an If branch that returns x).
  for (const o of sg.outputs) if (o.name && !defined.has(o.name)) out.add(o.name);
  return [...out];
}

/** The outer-scope names a node's subgraphs read (not its own inputs), each once. */
export function subgraphReads(node: Pick<Node, 'attrs'>): string[] {
  return [...new Set(nodeSubgraphs(node).flatMap(outerReads))];
}

/** Every value name a node reads: its non-empty inputs, then its subgraphs' outer-scope references, each once. */
export function nodeReads(node: Pick<Node, 'inputs' | 'attrs'>): string[] {
  const out = new Set(node.inputs.filter((i) => i !== ''));
  for (const sg of nodeSubgraphs(node)) for (const name of outerReads(sg)) out.add(name);
  return [...out];
}

/**
 * Every name used inside a node's subgraphs, at any depth: values (signatures, initializers, node
 * inputs and outputs) and node names. ONNX names are unique across a graph and its subgraphs, so a
 * pass that makes a fresh name must avoid these too.
 */
export function namesInSubgraphs(node: Pick<Node, 'attrs'>): string[] {
  const out = new Set<string>();
  const walk = (sg: SubGraph) => {
    for (const v of [...sg.inputs, ...sg.outputs, ...sg.valueInfo]) out.add(v.name);
    for (const t of sg.initializers) out.add(t.name);
    for (const s of sg.sparseInitializers ?? []) out.add(s.values.name);
    for (const n of sg.nodes) {
      out.add(n.name);
      for (const v of [...n.inputs, ...n.outputs]) if (v) out.add(v);
      nodeSubgraphs(n).forEach(walk);
    }
  };
  nodeSubgraphs(node).forEach(walk);
  return [...out];
}

/** Whether a node holds a subgraph (If, Loop, Scan, or any op with a graph attribute). */
export function hasSubgraphs(node: Pick<Node, 'attrs'>): boolean {
  return Object.values(node.attrs).some((a) => a.kind === 'graph' || a.kind === 'graphs');
}
