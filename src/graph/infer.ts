/**
 * Shape inference over a whole graph: visits nodes in order, checks each against its OpDef and
 * records the inferred type of every intermediate value. The builder runs the same rule per node
 * as it is added, so a bad model fails at the line that builds it.
 */
import { ShapeError } from '../errors.ts';
import { describeNode, type Graph, type Node, type Tensor, type ValueInfo, type ValueType } from './ir.ts';
import { readAttrs } from './ops/attrs.ts';
import { getOp } from './ops/index.ts';

export { describeNode };

/** Output types of one node, given the types of its inputs and the graph's constants. */
export function inferNode(node: Node, types: ReadonlyMap<string, ValueType>, constants: ReadonlyMap<string, Tensor>): ValueType[] {
  const where = describeNode(node);
  const def = getOp(node.opType, node.domain);
  const inputs = node.inputs.map((name) => {
    if (name === '') return undefined;
    const t = types.get(name);
    if (!t) throw new ShapeError(`${where}: input '${name}' is not defined before this node`);
    return t;
  });
  const attrs = readAttrs(def.attrs, node.attrs, where);
  const outs = def.inferShape(inputs, attrs, { where, constant: (i) => constants.get(node.inputs[i]) });
  if (outs.length < node.outputs.length) throw new ShapeError(`${where}: has ${node.outputs.length} outputs, the op defines ${outs.length}`);
  return outs.slice(0, node.outputs.length);
}

/** Re-infers every value type; returns a graph whose valueInfo and output shapes are the inferred ones. */
export function inferShapes(g: Graph): Graph {
  const types = new Map<string, ValueType>();
  const constants = new Map(g.initializers.map((t) => [t.name, t]));
  for (const v of g.inputs) types.set(v.name, v);
  for (const t of g.initializers) types.set(t.name, { dtype: t.dtype, shape: t.dims });
  const valueInfo: ValueInfo[] = [];
  for (const node of g.nodes) {
    const outs = inferNode(node, types, constants);
    node.outputs.forEach((name, i) => {
      types.set(name, outs[i]);
      valueInfo.push({ name, ...outs[i] });
    });
  }
  const outputNames = new Set(g.outputs.map((o) => o.name));
  const outputs = g.outputs.map((o) => {
    const t = types.get(o.name);
    if (!t) throw new ShapeError(`graph output '${o.name}' is not produced by any node`);
    return { name: o.name, ...t };
  });
  return { ...g, outputs, valueInfo: valueInfo.filter((v) => !outputNames.has(v.name)) };
}

