/**
 * Shape inference over a whole graph: visits nodes in order, checks each against its OpDef and
 * records the inferred type of every intermediate value. The builder runs the same rule per node
 * as it is added, so a bad model fails at the line that builds it.
 *
 * A node is inferred by its OpDef when melbench understands it (registered op, graph opset not
 * older than the OpDef, attributes that fit its schema) and all its input types are known.
 * Otherwise it is opaque: its outputs take the types the graph already declares for them (the
 * model's value_info and outputs, or an earlier inference), and are unknown without one: absent
 * from `valueInfo` (see `isKnownType`). Values downstream of an unknown one are unknown in turn,
 * unless declared. An undefined input is always a ShapeError. A rule's own error (a shape
 * mismatch) is a ShapeError on graphs built here, and on imported models (those with `g.model`,
 * valid by onnxruntime's word) only makes the node opaque: inference never refuses one.
 */
import { ShapeError } from '../errors.ts';
import { describeNode, type Graph, type Node, type Tensor, type ValueInfo, type ValueType, valueTypes } from './ir.ts';
import { readAttrs } from './ops/attrs.ts';
import { findOp, getOp } from './ops/index.ts';

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

/**
 * Whether melbench understands a node well enough to run its OpDef rule: the op is registered,
 * the graph's opset is not older than the OpDef (an older opset may give the op other inputs or
 * attributes: Unsqueeze's axes before 13), and its attributes fit the OpDef's schema (auto_pad,
 * say, is not modelled). A node that fails this is opaque: carried, not inferred.
 */
function understood(node: Node, opset: number): boolean {
  const def = findOp(node.opType, node.domain);
  if (!def || (node.domain === '' && opset < def.since)) return false;
  try {
    readAttrs(def.attrs, node.attrs, describeNode(node));
    return true;
  } catch (e) {
    if (e instanceof ShapeError) return false;
    throw e;
  }
}

/** Re-infers every value type; returns a graph whose valueInfo and output shapes are the inferred ones. */
export function inferShapes(g: Graph): Graph {
  const tolerant = g.model !== undefined;
  // The types the graph already declares: the fallback for nodes inference cannot run.
  const declared = valueTypes(g);
  const types = new Map<string, ValueType>();
  const defined = new Set<string>();
  const constants = new Map(g.initializers.map((t) => [t.name, t]));
  for (const v of g.inputs) {
    defined.add(v.name);
    if (!v.shapeUnknown) types.set(v.name, { dtype: v.dtype, shape: v.shape });
  }
  for (const t of g.initializers) {
    defined.add(t.name);
    types.set(t.name, { dtype: t.dtype, shape: t.dims });
  }
  for (const s of g.sparseInitializers ?? []) {
    defined.add(s.values.name);
    types.set(s.values.name, { dtype: s.values.dtype, shape: s.dims });
  }
  const valueInfo: ValueInfo[] = [];
  for (const node of g.nodes) {
    let outs: (ValueType | undefined)[] | undefined;
    // An input that is defined but of unknown type (an opaque node's output) stops the rule; an undefined one is an error.
    const unknownInput = node.inputs.some((i) => i !== '' && defined.has(i) && !types.has(i));
    if (!unknownInput && understood(node, g.opset)) {
      try {
        outs = inferNode(node, types, constants);
      } catch (e) {
        // NOTE: a rule stricter than onnxruntime (symbolic broadcasts, say) must not refuse an imported model.
        if (!(e instanceof ShapeError) || !tolerant || node.inputs.some((i) => i !== '' && !defined.has(i))) throw e;
      }
    }
    if (!outs) {
      for (const i of node.inputs) if (i !== '' && !defined.has(i)) throw new ShapeError(`${describeNode(node)}: input '${i}' is not defined before this node`);
      outs = node.outputs.map((name) => declared.get(name));
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      defined.add(name);
      const t = outs[i];
      if (!t) return;
      types.set(name, t);
      valueInfo.push({ name, dtype: t.dtype, shape: t.shape });
    });
    const value = node.opType === 'Constant' && node.domain === '' ? node.attrs.value : undefined;
    if (value?.kind === 'tensor' && node.outputs[0]) constants.set(node.outputs[0], { ...value.value, name: node.outputs[0] });
  }
  const outputNames = new Set(g.outputs.map((o) => o.name));
  const outputs = g.outputs.map((o): ValueInfo => {
    if (!defined.has(o.name)) throw new ShapeError(`graph output '${o.name}' is not produced by any node`);
    const t = types.get(o.name);
    // NOTE: an output whose type inference could not reach keeps the one the model declares.
    return t ? { name: o.name, dtype: t.dtype, shape: t.shape } : o;
  });
  return { ...g, outputs, valueInfo: valueInfo.filter((v) => !outputNames.has(v.name)) };
}
