/**
 * Weights wherever an exporter put them become initializers, before any count or pass reads the
 * model (../shared/DESIGN.md, "Imported models are normalized once"), as onnxoptimizer's
 * `extract_constant_to_initializer` and ORT's `quant_pre_process` do:
 *
 * - a `Constant` node (`value`, `value_float(s)`, `value_int(s)`) becomes the initializer of its
 *   output's name (paddle2onnx writes every weight this way, with no initializers at all);
 * - a node whose op has the `constantFold` trait, all its inputs constants, is evaluated once (src/export/const-eval.ts:
 *   Identity, Transpose, Reshape, (Un)Squeeze, Cast, and small Concat/Slice/Gather/ConstantOfShape,
 *   Shape/Equal/Not over constants), chains of them in one pass, in graph order: weights behind
 *   Transpose/Reshape/Cast, and the int64 shape arithmetic exporters write (pads built by
 *   ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose -> Cast, as in silero VAD's STFT)
 *   become the constants the ops that read them need for their shapes. Identity(c) is c itself:
 *   its readers read c (a weight tied through Identity stays one tensor), or a copy where a
 *   subgraph reads the name.
 *
 * Subgraphs (If / Loop / Scan bodies) are normalized the same way, their own Constant nodes
 * becoming their own initializers, with the outer graph's constants visible to their folds.
 * A node whose output is a graph output is kept (its name must stay a node's output). Numbers
 * never change: every fold is exact. The result's metadata says what was done
 * (`META.normalized`), and each node lifted or folded has a note; with nothing to do, the result's
 * graph is `g` itself.
 */
import type { Graph, Node, SubGraph, Tensor } from '../../graph/ir.ts';
import { META } from '../../graph/metadata-keys.ts';
import { outerReads } from '../../graph/reads.ts';
import { evalConstant, foldable } from '../const-eval.ts';
import { withoutUnusedInitializers } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';

/** The tensor a Constant node holds, or why it cannot be an initializer. */
function constantValue(n: Node): Tensor | string {
  const name = n.outputs[0];
  for (const [attr, a] of Object.entries(n.attrs)) {
    switch (a.kind) {
      case 'tensor':
        if (attr === 'value') return { ...a.value, name };
        break;
      case 'float':
        if (attr === 'value_float') return { name, dtype: 'float32', dims: [], data: Float32Array.of(a.value) };
        break;
      case 'floats':
        if (attr === 'value_floats') return { name, dtype: 'float32', dims: [a.value.length], data: Float32Array.from(a.value) };
        break;
      case 'int':
        if (attr === 'value_int') return { name, dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(a.value)) };
        break;
      case 'ints':
        if (attr === 'value_ints') return { name, dtype: 'int64', dims: [a.value.length], data: BigInt64Array.from(a.value.map(BigInt)) };
        break;
    }
  }
  const kinds = Object.keys(n.attrs).join(', ') || 'no attribute';
  return `it holds ${kinds}, not a dense numeric tensor; it stays a node`;
}

interface Scope {
  nodes: Node[];
  initializers: Tensor[];
  /** Names the scope must keep as node outputs (graph outputs). */
  outputs: ReadonlySet<string>;
}

interface ScopeResult extends Scope {
  lifted: number;
  folded: number;
  /** Tensors a lifted or folded node read: candidates for removal once nothing reads them. */
  dropped: Set<string>;
}

/** Names read from inside the subgraphs of `nodes`. */
const readInside = (nodes: readonly Node[]): Set<string> =>
  new Set(nodes.flatMap((n) => Object.values(n.attrs).flatMap((a) => (a.kind === 'graph' ? outerReads(a.value) : a.kind === 'graphs' ? a.value.flatMap(outerReads) : []))));

function normalizeScope(s: Scope, outer: ReadonlyMap<string, Tensor>, path: string, notes: PassNote[]): ScopeResult {
  const consts = new Map(outer);
  for (const t of s.initializers) consts.set(t.name, t);
  const insideReads = readInside(s.nodes);
  const added: Tensor[] = [];
  const alias = new Map<string, string>();
  const dropped = new Set<string>();
  let lifted = 0;
  let folded = 0;
  const kept: Node[] = [];
  const named = (n: Node): Node => ({ ...n, name: `${path}${n.name}` });
  for (const raw of s.nodes) {
    const n = alias.size && raw.inputs.some((i) => alias.has(i)) ? { ...raw, inputs: raw.inputs.map((i) => alias.get(i) ?? i) } : raw;
    const out = n.outputs[0];
    const isConstant = n.opType === 'Constant' && n.domain === '';
    const isFolded = foldable(n);
    if ((!isConstant && !isFolded) || !out) {
      kept.push(withSubgraphs(n, consts, `${path}${n.name}/`, notes));
      continue;
    }
    if (s.outputs.has(out)) {
      if (isConstant || n.inputs.every((i) => !i || consts.has(i))) notes.push(keptNote(named(n), 'its output is a graph output, so it stays a node'));
      kept.push(n);
      continue;
    }
    const t = isConstant ? constantValue(n) : evalConstant(n, consts);
    if (typeof t === 'string') {
      if (isConstant || consts.has(n.inputs[0])) notes.push(keptNote(named(n), t));
      kept.push(n);
      continue;
    }
    // NOTE: Identity over an initializer of this scope: its readers (renamed at the top of the
    // loop) read the initializer itself, so a weight tied through Identity stays one tensor; a
    // subgraph that reads the name gets a tensor of its own instead.
    if (n.opType === 'Identity' && !insideReads.has(out) && consts.has(n.inputs[0]) && s.initializers.some((x) => x.name === n.inputs[0])) {
      alias.set(out, n.inputs[0]);
      notes.push(changedNote(named(n), `folded: its readers read '${n.inputs[0]}'`));
    } else {
      added.push(t);
      notes.push(changedNote(named(n), isConstant ? `lifted to the initializer '${out}'` : `folded into the initializer '${out}' [${t.dims.join(', ')}]`));
    }
    consts.set(out, alias.has(out) ? consts.get(n.inputs[0])! : t);
    for (const i of n.inputs) if (i) dropped.add(i);
    if (isConstant) lifted++;
    else folded++;
  }
  return { nodes: kept, initializers: [...s.initializers, ...added], outputs: s.outputs, lifted, folded, dropped };
}

/** `n` with each subgraph normalized, the enclosing constants visible to its folds. */
function withSubgraphs(n: Node, consts: ReadonlyMap<string, Tensor>, path: string, notes: PassNote[]): Node {
  let changed = false;
  const attrs = { ...n.attrs };
  const one = (sg: SubGraph, at: string): SubGraph => {
    const r = normalizeScope({ nodes: sg.nodes, initializers: sg.initializers, outputs: new Set(sg.outputs.map((o) => o.name)) }, consts, `${at}${sg.name}/`, notes);
    if (!r.lifted && !r.folded) return sg;
    changed = true;
    const used = new Set(r.nodes.flatMap((x) => [...x.inputs, ...Object.values(x.attrs).flatMap((a) => (a.kind === 'graph' ? outerReads(a.value) : a.kind === 'graphs' ? a.value.flatMap(outerReads) : []))]));
    for (const o of sg.outputs) used.add(o.name);
    return { ...sg, nodes: r.nodes, initializers: r.initializers.filter((t) => used.has(t.name) || !r.dropped.has(t.name)) };
  };
  for (const [k, a] of Object.entries(n.attrs)) {
    if (a.kind === 'graph') attrs[k] = { ...a, value: one(a.value, path) };
    else if (a.kind === 'graphs') attrs[k] = { ...a, value: a.value.map((sg) => one(sg, path)) };
  }
  return changed ? { ...n, attrs } : n;
}

/** Lifts Constant nodes and folds constant-only chains, in the graph and its subgraphs (see the header). */
export function liftConstants(g: Graph): PassResult {
  const notes: PassNote[] = [];
  const r = normalizeScope({ nodes: g.nodes, initializers: g.initializers, outputs: new Set(g.outputs.map((o) => o.name)) }, new Map(), '', notes);
  const changedInside = r.nodes.some((n, i) => n !== g.nodes[i]);
  if (!r.lifted && !r.folded && !changedInside) return { graph: g, notes };
  const lifted = notes.filter((x) => x.kind === 'changed' && x.op === 'Constant').length;
  const folded = notes.filter((x) => x.kind === 'changed' && x.op !== 'Constant').length;
  const graph = withoutUnusedInitializers({ ...g, nodes: r.nodes, initializers: r.initializers, metadata: { ...g.metadata, [META.normalized]: `${lifted} Constant node(s) lifted to initializers, ${folded} node(s) over constants folded` } }, r.dropped);
  return { graph, notes };
}
