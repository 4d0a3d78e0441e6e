/**
 * Per-graph rewrites over a model and every subgraph in it (If branches, Loop and Scan bodies, at
 * any depth): the one traversal every pass in this folder uses to see inside subgraphs.
 *
 * A subgraph is rewritten as a *view*, a Graph that a pass reads as it reads a model:
 *   inputs        the body's own inputs (typed as the model declares them), then every value of an
 *                 enclosing graph the body reads (its outer-scope references, src/graph/reads.ts),
 *                 typed by inference over the enclosing view;
 *   initializers  the body's own, then the enclosing graphs' initializers the body reads;
 *   nodes, outputs  the body's.
 * So a Conv in a branch that reads a weight of the main graph is, to the pass, a Conv with a
 * constant weight. The main graph is rewritten first, then each subgraph of the result, top down,
 * so a body sees its enclosing graph as that graph's rewrite left it.
 *
 * Back from a view (`Scope.outer` tells a pass which names belong to enclosing graphs):
 *   - new initializers are stored in the body;
 *   - an enclosing graph's initializer that the rewrite changed (same name, new data: a folded or
 *     resliced weight, a float16 copy) is never changed for that graph, whose other readers still
 *     read it: the body gets its own copy under a fresh name (copy on write), and its readers in
 *     the body read the copy;
 *   - an initializer that nothing reads any more once every subgraph is rewritten (a weight whose
 *     only readers, inside branches, were quantized) is dropped from the graph that holds it.
 * Then identical new tensors of more than one element made in different scopes (the quantized
 * copy of a weight that both branches of an If read, or that the main graph and a branch read) are
 * stored once, in the innermost graph that encloses all of them, and every reader reads that one:
 * a weight read from two places is not stored twice. Scalars stay where they were made.
 *
 * Names: one allocator over the whole model, so that no name made in one scope repeats or shadows
 * a name of another (ONNX's checker rejects a subgraph value that shadows an outer one). Notes of a
 * subgraph's nodes are named by their path: holder / attribute / node, e.g.
 * 'If_0/then_branch/conv3' ('<node>/<attr>/2/' for the third graph of a `graphs` attribute).
 */
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import type { DType } from '../../graph/dtype.ts';
import { inferShapes } from '../../graph/infer.ts';
import { type CarriedValue, type Graph, type Node, numel, type SubGraph, type Tensor, type ValueInfo, type ValueType, valueTypes } from '../../graph/ir.ts';
import { hasSubgraphs, nodeReads, nodeSubgraphs, outerReads } from '../../graph/reads.ts';
import { carriedElemType, elementTypes } from './elem-types.ts';
import { nameAllocator } from './graph-util.ts';
import type { PassNote, PassResult } from './pass.ts';

const { onnx } = onnxProto;

/** Where a per-graph rewrite runs. */
export interface Scope {
  /** Prefix of the scope's node names in notes: '' for the main graph, 'If_0/then_branch/' for a branch. */
  path: string;
  /** For a subgraph: the view's names (inputs, initializers) that belong to enclosing graphs. */
  outer?: { names: ReadonlySet<string> };
  /** Fresh names, unique across the whole model (every scope shares one allocator). */
  fresh: (base: string) => string;
  /**
   * Element types of the view's inputs (a body's inputs and the outer values it reads), known even
   * where the view's signature cannot say (elem-types.ts): `elementTypes(view, scope.inputTypes)`.
   */
  inputTypes: ReadonlyMap<string, DType>;
}

export type ScopeRewrite = (view: Graph, scope: Scope) => PassResult;

/** The scope of a model's main graph, with its own allocator: for calling a per-graph rewrite on one graph. */
export function mainScope(g: Graph): Scope {
  return { path: '', fresh: nameAllocator(g), inputTypes: new Map(g.inputs.map((v) => [v.name, v.dtype])) };
}

/** Whether a node matches a name list (a caller's exclude list) by its name, its path-qualified name, or its op type. */
export function namedIn(list: ReadonlySet<string>, n: Pick<Node, 'name' | 'opType'>, scope: Scope, byOpType = false): boolean {
  return list.has(n.name) || (scope.path !== '' && list.has(scope.path + n.name)) || (byOpType && list.has(n.opType));
}

/** Every node of the model, depth first, with its path ('' in the main graph). */
export function everyNode(g: Pick<Graph, 'nodes'>): { node: Node; path: string }[] {
  const out: { node: Node; path: string }[] = [];
  const walk = (nodes: readonly Node[], path: string) => {
    for (const n of nodes) {
      out.push({ node: n, path });
      for (const [attr, sg] of subgraphAttrs(n)) walk(sg.nodes, `${path}${n.name}/${attr}/`);
    }
  };
  walk(g.nodes, '');
  return out;
}

/** A node's subgraphs with their attribute path: ['then_branch', sg], or ['branches/1', sg] in a `graphs` attribute. */
function subgraphAttrs(n: Node): [string, SubGraph][] {
  return Object.entries(n.attrs).flatMap(([k, a]): [string, SubGraph][] => (a.kind === 'graph' ? [[k, a.value]] : a.kind === 'graphs' ? a.value.map((sg, i): [string, SubGraph] => [`${k}/${i}`, sg]) : []));
}

/**
 * The type a subgraph's value declares, as a graph signature entry. NOTE: a value whose type or
 * shape the body leaves out is `shapeUnknown`, which inference and `valueTypes` read as "type
 * unknown"; its dtype is then a placeholder (float32) unless the body declared one: read the
 * element type with `carriedElemType`.
 */
export function carriedValueInfo(v: CarriedValue): ValueInfo {
  const dtype = carriedElemType(v);
  const tt = dtype && v.type ? onnx.TypeProto.decode(v.type).tensorType : undefined;
  if (!dtype || !tt?.shape) return { name: v.name, dtype: dtype ?? 'float32', shape: [], shapeUnknown: true };
  const shape = (tt.shape.dim ?? []).map((d, i) => (d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : `${v.name}_d${i}`));
  return { name: v.name, dtype, shape };
}

/** The encoded TypeProto of a tensor of `dtype` with no shape: how a value added to a subgraph's signature is declared. */
export function tensorTypeBytes(elemType: number): Uint8Array {
  return onnx.TypeProto.encode({ tensorType: { elemType } }).finish();
}

export interface View {
  view: Graph;
  /** The view's names that belong to enclosing graphs (outer-scope values and initializers). */
  outer: Set<string>;
}

/** `sg` as a Graph (see the header), given the enclosing view's types and initializers. */
export function subgraphView(sg: SubGraph, outerTypes: ReadonlyMap<string, ValueType>, outerInits: ReadonlyMap<string, Tensor>, main: Graph): View {
  const reads = outerReads(sg);
  const outer = new Set(reads);
  const inits = reads.flatMap((r) => (outerInits.has(r) ? [outerInits.get(r)!] : []));
  const values = reads.filter((r) => !outerInits.has(r)).map((r): ValueInfo => {
    const t = outerTypes.get(r);
    return t ? { name: r, dtype: t.dtype, shape: t.shape } : { name: r, dtype: 'float32', shape: [], shapeUnknown: true };
  });
  const declared = sg.valueInfo.map(carriedValueInfo).filter((v) => !v.shapeUnknown);
  const view: Graph = {
    name: sg.name,
    inputs: [...sg.inputs.map(carriedValueInfo), ...values],
    outputs: sg.outputs.map(carriedValueInfo),
    initializers: [...sg.initializers, ...inits],
    ...(sg.sparseInitializers ? { sparseInitializers: sg.sparseInitializers } : {}),
    nodes: sg.nodes,
    valueInfo: declared,
    opset: main.opset,
    metadata: main.metadata,
    // NOTE: a subgraph only comes with an imported model; inference is tolerant on views as on it.
    model: main.model ?? { irVersion: 8, opsets: [] },
  };
  return { view, outer };
}

const sameArray = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameNode = (a: Node, b: Node) =>
  a === b ||
  (a.name === b.name && a.opType === b.opType && a.domain === b.domain && sameArray(a.inputs, b.inputs) && sameArray(a.outputs, b.outputs) && Object.keys(a.attrs).length === Object.keys(b.attrs).length && Object.entries(a.attrs).every(([k, v]) => b.attrs[k] === v));

/** Whether a subgraph defines `name` itself: a rename of an outer name stops there (a valid model shadows no name; this guards one that does). */
function defines(sg: SubGraph, name: string): boolean {
  return sg.inputs.some((v) => v.name === name) || sg.initializers.some((t) => t.name === name) || sg.nodes.some((n) => n.outputs.includes(name));
}

/** `nodes` reading `rename`'s targets instead of its keys, inside their subgraphs too (outer reads and outputs that name them). */
export function renameReads(nodes: readonly Node[], rename: ReadonlyMap<string, string>): Node[] {
  if (rename.size === 0) return [...nodes];
  const r = (x: string) => rename.get(x) ?? x;
  const inSubgraph = (sg: SubGraph): SubGraph => {
    const live = new Map([...rename].filter(([from]) => !defines(sg, from)));
    if (live.size === 0) return sg;
    return { ...sg, nodes: renameReads(sg.nodes, live), outputs: sg.outputs.map((o) => (live.has(o.name) ? { ...o, name: live.get(o.name)! } : o)) };
  };
  return nodes.map((n) => {
    const inputs = n.inputs.map(r);
    if (!hasSubgraphs(n)) return sameArray(inputs, n.inputs) ? n : { ...n, inputs };
    const attrs = { ...n.attrs };
    for (const [k, a] of Object.entries(n.attrs)) {
      if (a.kind === 'graph') attrs[k] = { ...a, value: inSubgraph(a.value) };
      else if (a.kind === 'graphs') attrs[k] = { ...a, value: a.value.map(inSubgraph) };
    }
    return { ...n, inputs, attrs };
  });
}

/**
 * A rewritten view back as the subgraph it came from (copy on write for changed outer
 * initializers, see the header), and the outer initializers it no longer reads.
 */
function toSubGraph(sg: SubGraph, v: View, result: Graph, tag: string, fresh: (b: string) => string): { sg: SubGraph; released: string[] } {
  const outerInits = new Map(v.view.initializers.filter((t) => v.outer.has(t.name)).map((t) => [t.name, t]));
  const rename = new Map<string, string>();
  const own: Tensor[] = [];
  for (const t of result.initializers) {
    const o = outerInits.get(t.name);
    if (!o) own.push(t);
    else if (o !== t && (o.data !== t.data || o.dtype !== t.dtype || !sameArray(o.dims.map(String), t.dims.map(String)))) {
      const name = fresh(`${t.name}_${tag}`);
      rename.set(t.name, name);
      own.push({ ...t, name });
    }
  }
  const nodes = renameReads(result.nodes, rename);
  const outputs = sg.outputs.map((o) => (rename.has(o.name) ? { ...o, name: rename.get(o.name)! } : o));
  const unchanged = rename.size === 0 && nodes.length === sg.nodes.length && nodes.every((n, i) => sameNode(n, sg.nodes[i])) && own.length === sg.initializers.length && own.every((t, i) => t === sg.initializers[i]);
  if (unchanged) return { sg, released: [] };
  // NOTE: the body's value_info may name types the rewrite changed (float16); onnxruntime infers them again.
  const out: SubGraph = { ...sg, nodes, outputs, initializers: own, valueInfo: [] };
  const after = new Set(outerReads(out));
  return { sg: out, released: [...outerInits.keys()].filter((n) => !after.has(n)) };
}

/** Runs `rewrite` on `g` (a main graph or a view), then on every subgraph of its result. */
function visit(g: Graph, scope: Scope, rewrite: ScopeRewrite, main: Graph, notes: PassNote[]): Graph {
  const r = rewrite(g, scope);
  for (const n of r.notes) notes.push(scope.path ? { ...n, node: scope.path + n.node } : n);
  const out = r.graph;
  if (!out.nodes.some(hasSubgraphs)) return out;
  const typed = inferShapes(out);
  const types = valueTypes(typed);
  const elem = elementTypes(typed, scope.inputTypes);
  const inits = new Map(out.initializers.map((t) => [t.name, t]));
  const released = new Set<string>();
  const nodes = out.nodes.map((n) => {
    if (!hasSubgraphs(n)) return n;
    let changed = false;
    const one = (sg: SubGraph, attr: string): SubGraph => {
      const v = subgraphView(sg, types, inits, main);
      const inputTypes = new Map<string, DType>();
      for (const x of sg.inputs) {
        const d = carriedElemType(x);
        if (d) inputTypes.set(x.name, d);
      }
      for (const x of v.outer) if (elem.has(x)) inputTypes.set(x, elem.get(x)!);
      const res = visit(v.view, { path: `${scope.path}${n.name}/${attr}/`, outer: { names: v.outer }, fresh: scope.fresh, inputTypes }, rewrite, main, notes);
      const back = toSubGraph(sg, v, res, attr.replace(/\W/g, '_'), scope.fresh);
      back.released.forEach((x) => released.add(x));
      if (back.sg !== sg) changed = true;
      return back.sg;
    };
    const attrs = { ...n.attrs };
    for (const [k, a] of Object.entries(n.attrs)) {
      if (a.kind === 'graph') attrs[k] = { ...a, value: one(a.value, k) };
      else if (a.kind === 'graphs') attrs[k] = { ...a, value: a.value.map((sg, i) => one(sg, `${k}/${i}`)) };
    }
    return changed ? { ...n, attrs } : n;
  });
  // Initializers of this graph that a subgraph stopped reading, and that nothing else reads now.
  const readNow = new Set([...nodes.flatMap(nodeReads), ...out.outputs.map((o) => o.name)]);
  const initializers = out.initializers.filter((t) => !released.has(t.name) || readNow.has(t.name) || scope.outer?.names.has(t.name));
  return { ...out, nodes, initializers };
}

/**
 * Applies a per-graph rewrite to `g` and to every subgraph, at any depth (see the header), and
 * gathers the notes, subgraph nodes named by path. Pure: `g` is left untouched.
 */
export function rewriteScopes(g: Graph, rewrite: ScopeRewrite): PassResult {
  const notes: PassNote[] = [];
  const original = new Set(allInitializerNames(g));
  const graph = visit(g, mainScope(g), rewrite, g, notes);
  return { graph: shareIdenticalTensors(graph, original), notes };
}

/**
 * Visits `g` and every subgraph as views (read only), with their scopes: for analyses that need a
 * whole-model view before they rewrite (magnitude pruning's global threshold).
 */
export function forEachScope(g: Graph, fn: (view: Graph, scope: Scope) => void): void {
  rewriteScopes(g, (view, scope) => {
    fn(view, scope);
    return { graph: view, notes: [] };
  });
}

function allInitializerNames(g: Pick<Graph, 'initializers' | 'nodes'>): string[] {
  const out = g.initializers.map((t) => t.name);
  for (const { node } of everyNode(g)) for (const sg of nodeSubgraphs(node)) out.push(...sg.initializers.map((t) => t.name));
  return out;
}

/** A key equal for two tensors of the same dtype, dims and values. */
function contentKey(t: Tensor): string | undefined {
  if (t.dtype === 'string' || Array.isArray(t.data)) return undefined;
  const d = t.data as ArrayBufferView;
  const hash = createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex');
  return `${t.dtype}|${t.dims.join(',')}|${hash}`;
}

/** Scopes of the model, depth first: the main graph is 0; `chain` runs from the main graph to the scope. */
interface ScopeEntry {
  body: Graph | SubGraph;
  chain: number[];
}

function scopeEntries(g: Graph): ScopeEntry[] {
  const out: ScopeEntry[] = [];
  const walk = (body: Graph | SubGraph, chain: number[]) => {
    const id = out.length;
    out.push({ body, chain: [...chain, id] });
    for (const n of body.nodes) for (const sg of nodeSubgraphs(n)) walk(sg, [...chain, id]);
  };
  walk(g, []);
  return out;
}

/** Stores identical new tensors of several scopes once, in their innermost common enclosing scope (see the header). */
function shareIdenticalTensors(g: Graph, original: ReadonlySet<string>): Graph {
  const scopes = scopeEntries(g);
  if (scopes.length === 1) return g;
  const groups = new Map<string, { scope: number; t: Tensor }[]>();
  scopes.forEach((s, id) => {
    for (const t of s.body.initializers) {
      if (original.has(t.name) || numel(t.dims) <= 1) continue;
      const key = contentKey(t);
      if (!key) continue;
      const list = groups.get(key);
      if (list) list.push({ scope: id, t });
      else groups.set(key, [{ scope: id, t }]);
    }
  });
  const remove = new Map<number, Set<string>>();
  const add = new Map<number, Tensor[]>();
  const rename = new Map<string, string>();
  for (const members of groups.values()) {
    if (new Set(members.map((m) => m.scope)).size < 2) continue;
    const chains = members.map((m) => scopes[m.scope].chain);
    let common = 0;
    while (chains.every((c) => c.length > common && c[common] === chains[0][common])) common++;
    const home = chains[0][common - 1];
    const [keep, ...rest] = members;
    for (const m of members) if (m !== keep || m.scope !== home) (remove.get(m.scope) ?? remove.set(m.scope, new Set()).get(m.scope)!).add(m.t.name);
    if (keep.scope !== home) (add.get(home) ?? add.set(home, []).get(home)!).push(keep.t);
    for (const m of rest) rename.set(m.t.name, keep.t.name);
  }
  if (rename.size === 0 && add.size === 0) return g;
  const ids = new Map(scopes.map((s, i) => [s.body, i]));
  const rebuild = <B extends Graph | SubGraph>(body: B): B => {
    const id = ids.get(body)!;
    const gone = remove.get(id);
    const nodes = body.nodes.map((n) => {
      const inputs = n.inputs.map((x) => rename.get(x) ?? x);
      if (!hasSubgraphs(n)) return inputs.some((x, i) => x !== n.inputs[i]) ? { ...n, inputs } : n;
      const attrs = { ...n.attrs };
      for (const [k, a] of Object.entries(n.attrs)) {
        if (a.kind === 'graph') attrs[k] = { ...a, value: rebuild(a.value) };
        else if (a.kind === 'graphs') attrs[k] = { ...a, value: a.value.map(rebuild) };
      }
      return { ...n, inputs, attrs };
    });
    const initializers = [...body.initializers.filter((t) => !gone?.has(t.name)), ...(add.get(id) ?? [])];
    const outputs = body.outputs.map((o: CarriedValue | ValueInfo) => (rename.has(o.name) ? { ...o, name: rename.get(o.name)! } : o));
    return { ...body, nodes, initializers, outputs };
  };
  return rebuild(g);
}
