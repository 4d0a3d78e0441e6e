/**
 * Size and cost of a model, as the CSV reports them. What counts is in each op's traits
 * (src/graph/ops/op.ts; ops with no OpDef in src/graph/ops/opaque-traits.ts): `learned` inputs are
 * parameters, `macs` says how its MACs are counted, `body` how a control-flow node's bodies count.
 *   params          elements of learned initializers: Conv/Gemm/MatMul weights and biases, BN scale and shift,
 *                   LSTM/GRU/RNN W, R, B (and LSTM's peepholes P); read in the graph or inside any If/Loop/Scan
 *                   body, directly or through Slice/Concat/Reshape... (`carriesWeight`), each initializer once
 *                   (BN running statistics, reshape targets and clip bounds are not parameters)
 *   nonzeroParams   those that are not exactly zero (what unstructured pruning reduces)
 *   macs            multiply-accumulates per sample of Conv (out_elems * C_in/group * prod(kernel)),
 *                   Gemm and MatMul (out_elems * K), LSTM/GRU/RNN (seq * (numel(W) + numel(R)): per step
 *                   and direction 4H(I+H), 3H(I+H), H(I+H)); If: the larger branch, Loop: body * constant
 *                   trip count, Scan: body * scanned length (`macCount`); elementwise ops, pools, BN, gate
 *                   nonlinearities and biases are not counted, following the DCASE low-complexity track
 *   bytes, gzipBytes  the serialised ONNX file, and its gzip -9 size (dense zeros compress; this shows pruning)
 */
import { gzipSync } from 'node:zlib';
import { ShapeError } from '../errors.ts';
import { isKnown } from '../graph/dims.ts';
import { inferShapes } from '../graph/infer.ts';
import { type Graph, type Node, numel, type SubGraph, type Tensor, type ValueType, valueTypes } from '../graph/ir.ts';
import { attrsOf } from '../graph/ops/attrs.ts';
import { Gemm } from '../graph/ops/gemm.ts';
import { findOp, traitsOf } from '../graph/ops/index.ts';
import { describeNode } from '../graph/ir.ts';
import { hasSubgraphs, nodeSubgraphs } from '../graph/reads.ts';
import { evalConstant, foldable } from './const-eval.ts';

export interface ModelCost {
  params: number;
  nonzeroParams: number;
  macs: number;
  bytes: number;
  gzipBytes: number;
}

/**
 * Names of the initializers that hold learned parameters: the inputs each op's `learned` trait
 * names (for quantized forms, the integer weights and QLinearConv's int32 bias; scales and zero
 * points are not counted).
 */
export function learnedParamNames(g: Graph): Set<string> {
  const inits = new Set(g.initializers.map((t) => t.name));
  const names = new Set<string>();
  for (const n of g.nodes) for (const i of traitsOf(n).learned ?? []) if (inits.has(n.inputs[i])) names.add(n.inputs[i]);
  return names;
}

/** The initializers of the graph and of every subgraph at any depth (ONNX names are unique across them). */
function allInitializers(g: Graph): Map<string, Tensor> {
  const out = new Map(g.initializers.map((t) => [t.name, t]));
  const walk = (sg: SubGraph) => {
    for (const t of sg.initializers) out.set(t.name, t);
    for (const n of sg.nodes) nodeSubgraphs(n).forEach(walk);
  };
  for (const n of g.nodes) nodeSubgraphs(n).forEach(walk);
  return out;
}

/** The graph's nodes and those of every subgraph at any depth, each once. */
function allNodes(g: Pick<Graph, 'nodes'>): Node[] {
  return g.nodes.flatMap((n) => [n, ...nodeSubgraphs(n).flatMap(allNodes)]);
}

/**
 * The initializers counted as parameters: those a `learned` input reads, in the graph or inside any
 * If/Loop/Scan body (a branch may read an outer-scope initializer), directly or through a chain of
 * ops that carry a weight unchanged (`carriesWeight`: Slice, Concat, Reshape...), each once.
 */
export function paramTensors(g: Graph): Tensor[] {
  const inits = allInitializers(g);
  const nodes = allNodes(g);
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const found = new Set<string>();
  const seen = new Set<string>();
  const trace = (name: string) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    if (inits.has(name)) return void found.add(name);
    const p = producer.get(name);
    const carries = p ? traitsOf(p).carriesWeight : undefined;
    if (carries === 'first') trace(p!.inputs[0]);
    else if (carries === 'all') p!.inputs.forEach(trace);
  };
  for (const n of nodes) for (const i of traitsOf(n).learned ?? []) trace(n.inputs[i] ?? '');
  return [...found].map((name) => inits.get(name)!);
}

/** Learned parameters (see `paramTensors`) and those of them that are not exactly zero. */
export function countParams(g: Graph): { params: number; nonzeroParams: number } {
  let params = 0;
  let nonzeroParams = 0;
  for (const t of paramTensors(g)) {
    params += t.data.length;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== 0) nonzeroParams++;
  }
  return { params, nonzeroParams };
}

/**
 * Nodes whose cost melbench cannot count: ops it carries opaquely with no cost traits (an
 * imported model's contrib ops) that read a floating-point weight, an initializer of more than
 * one element, in the graph or inside any subgraph, and nodes with subgraphs other than If, Loop
 * and Scan. Their weights and MACs sit where the traits do not reach, so a model with any has no
 * honest params or MACs total. Opaque ops without weights (Shape, Gather of indices, Constant,
 * Gelu...) cost nothing by the convention above and do not count; LSTM, GRU and RNN have traits
 * (src/graph/ops/opaque-traits.ts) and are counted.
 */
export function uncountedNodes(g: Graph): string[] {
  const weights = new Set([...allInitializers(g).values()].filter((t) => FLOATING.has(t.dtype) && t.data.length > 1).map((t) => t.name));
  const costless = (n: Node) => findOp(n.opType, n.domain) !== undefined || traitsOf(n).macs !== undefined;
  return allNodes(g)
    .filter((n) => (hasSubgraphs(n) ? traitsOf(n).body === undefined : !costless(n) && n.inputs.some((i) => weights.has(i))))
    .map(describeNode);
}

const FLOATING = new Set<string>(['float32', 'float16', 'float64', 'bfloat16']);

/** Binds every symbolic input dim (batch, frames) to the given concrete input shape and re-infers. */
export function bindInputShape(g: Graph, shape: number[]): Graph {
  if (g.inputs.length !== 1) throw new ShapeError(`model '${g.name}' has ${g.inputs.length} inputs; cost needs exactly one`);
  const [input] = g.inputs;
  if (input.shape.length !== shape.length) throw new ShapeError(`input shape [${shape}] does not match the model's rank ${input.shape.length}`);
  input.shape.forEach((d, i) => {
    if (isKnown(d) && d !== shape[i]) throw new ShapeError(`input shape [${shape}] does not match the model's [${input.shape}] at axis ${i}`);
  });
  return inferShapes({ ...g, inputs: [{ ...input, shape }] });
}

/** MACs per sample, with what was counted less than exactly (notes) and the nodes it could not count. */
export interface MacCount {
  macs: number;
  /** How a count was made where it is not exact: If branches that differ, a Loop counted once. */
  notes: string[];
  /** Nodes with a MACs rule whose shapes are unknown: the total leaves them out, so it is no total. */
  uncounted: string[];
}

/**
 * MACs per sample of a graph whose input shapes are bound (`bindInputShape`, or inferShapes at
 * concrete shapes), inside subgraphs too. Shapes inside If/Loop/Scan bodies are inferred here, at
 * the types their node sees (melbench's import infers none there, see src/graph/ir.ts):
 *   If    the larger branch (a note says so when they differ)
 *   Loop  body * trip count when the trip count is a constant (its condition may end it sooner:
 *         an upper bound then); otherwise the body once, and a note says so
 *   Scan  body * the scanned axis' length when known; otherwise once, with a note
 * Inside bodies a node's MACs are those at the bound shapes, not divided by a leading dim (see nodeMacs).
 */
export function macCount(g: Graph): MacCount {
  const acc: MacCount = { macs: 0, notes: [], uncounted: [] };
  const seed = new Map<string, ValueType | undefined>();
  for (const v of g.inputs) seed.set(v.name, v.shapeUnknown ? undefined : v);
  const declared = new Map<string, ValueType>();
  for (const v of [...g.valueInfo, ...g.outputs]) if (!v.shapeUnknown) declared.set(v.name, v);
  acc.macs = scopeMacs({ nodes: g.nodes, initializers: g.initializers }, seed, new Map(), declared, g, acc, true).macs;
  return acc;
}

/** MACs per sample of the nodes melbench can count (see `macCount`; nodes of unknown shape are left out). */
export function countMacs(g: Graph): number {
  return macCount(g).macs;
}

/** Value types in scope; a name defined there whose type is unknown maps to undefined. */
type Scope = ReadonlyMap<string, ValueType | undefined>;

interface ScopeCost {
  macs: number;
  types: Map<string, ValueType | undefined>;
}

/**
 * One scope (the graph, or a body): its value types by shape inference, control-flow nodes'
 * output types from their bodies (so what follows an If is shaped too), then the MACs of its
 * nodes. `outer` holds the values in scope, `outerConsts` the initializers visible from outside.
 */
function scopeMacs(
  scope: { nodes: Node[]; initializers: Tensor[] },
  outer: Scope,
  outerConsts: ReadonlyMap<string, Tensor>,
  declared: Map<string, ValueType>,
  g: Graph,
  acc: MacCount,
  main = false,
): ScopeCost {
  const consts = new Map([...outerConsts, ...scope.initializers.map((t) => [t.name, t] as const)]);
  const controls = scope.nodes.filter((n) => hasSubgraphs(n));
  const done = new Map<Node, { macs: number; notes: string[]; uncounted: string[] }>();
  let types = new Map<string, ValueType | undefined>();
  // NOTE: each round shapes at least one more control-flow node's outputs, or stops.
  for (;;) {
    const synth: Graph = {
      name: g.name,
      inputs: [...outer].filter(([name]) => !consts.has(name)).map(([name, t]) => (t ? { name, dtype: t.dtype, shape: t.shape } : { name, dtype: 'float32', shape: [], shapeUnknown: true })),
      initializers: [...consts.values()],
      nodes: scope.nodes,
      outputs: [],
      valueInfo: [...declared].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
      opset: g.opset,
      metadata: {},
      // NOTE: a model (imported or not): a rule stricter than onnxruntime makes a node opaque instead of refusing.
      model: g.model ?? { irVersion: 8, opsets: [{ domain: '', version: g.opset }] },
    };
    types = new Map([...outer, ...scope.nodes.flatMap((n) => n.outputs.filter((o) => o).map((o) => [o, undefined] as const)), ...valueTypes(inferShapes(synth))]);
    let progress = false;
    // Values computable from constants and known shapes (Shape -> Gather -> Equal, pads built by
    // Concat/Slice) become constants: the next round's inference reads them, and an If whose
    // condition is one counts the branch it takes.
    for (const n of scope.nodes) {
      const out = n.outputs[0];
      if (!out || consts.has(out) || !foldable(n)) continue;
      const t = evalConstant(n, consts, (name) => types.get(name));
      if (typeof t === 'string') continue;
      consts.set(out, t);
      progress = true;
    }
    for (const n of scope.nodes) {
      if (traitsOf(n).macs !== 'recurrent' || n.outputs.every((o) => !o || declared.has(o))) continue;
      const outs = recurrentOutputs(n, types);
      outs.forEach((t, i) => {
        if (t && n.outputs[i]) declared.set(n.outputs[i], t);
      });
      progress ||= outs.some((t, i) => t && n.outputs[i]);
    }
    for (const n of controls) {
      if (done.has(n) || n.inputs.some((i) => i !== '' && !types.get(i))) continue;
      const local: MacCount = { macs: 0, notes: [], uncounted: [] };
      const out = controlMacs(n, types, consts, g, local);
      done.set(n, local);
      local.macs = out.macs;
      out.outputs.forEach((t, i) => {
        if (t && n.outputs[i]) declared.set(n.outputs[i], t);
      });
      progress = true;
      // NOTE: one per round, in graph order: a later If's bodies read this one's outputs from outer scope.
      break;
    }
    if (!progress) break;
  }
  let macs = 0;
  for (const n of scope.nodes) {
    if (hasSubgraphs(n)) {
      let c = done.get(n);
      if (!c) {
        // Inputs of unknown shape: the bodies are counted at what is known, and say what is not.
        c = { macs: 0, notes: [], uncounted: [] };
        c.macs = controlMacs(n, types, consts, g, c).macs;
      }
      macs += c.macs;
      acc.notes.push(...c.notes);
      acc.uncounted.push(...c.uncounted);
      continue;
    }
    const m = nodeMacs(n, types, main);
    if (m === undefined) acc.uncounted.push(describeNode(n));
    else macs += m;
  }
  return { macs, types };
}

/** A body's cost, seeded with its inputs' types. */
function bodyMacs(sg: SubGraph, inputs: (ValueType | undefined)[], outer: Scope, consts: ReadonlyMap<string, Tensor>, g: Graph, acc: MacCount) {
  const seed = new Map(outer);
  sg.inputs.forEach((v, i) => {
    seed.set(v.name, inputs[i]);
  });
  const r = scopeMacs(sg, seed, consts, new Map(), g, acc);
  return { macs: r.macs, outputs: sg.outputs.map((o) => r.types.get(o.name)) };
}

function graphAttr(n: Node, name: string): SubGraph | undefined {
  const a = n.attrs[name];
  return a?.kind === 'graph' ? a.value : undefined;
}

function intsAttr(n: Node, name: string): number[] | undefined {
  const a = n.attrs[name];
  return a?.kind === 'ints' ? a.value : undefined;
}

const known = (t: ValueType | undefined): t is ValueType & { shape: number[] } => t !== undefined && t.shape.every(isKnown);

/** The common type of two branch outputs: a dim they disagree on becomes a symbol. */
function joinTypes(a: ValueType | undefined, b: ValueType | undefined, where: string): ValueType | undefined {
  if (!a || !b || a.dtype !== b.dtype || a.shape.length !== b.shape.length) return undefined;
  return { dtype: a.dtype, shape: a.shape.map((d, i) => (d === b.shape[i] ? d : `${where}#${i}`)) };
}

/** A control-flow node's MACs per sample and its outputs' types. */
function controlMacs(n: Node, types: Scope, consts: ReadonlyMap<string, Tensor>, g: Graph, acc: MacCount): { macs: number; outputs: (ValueType | undefined)[] } {
  const where = describeNode(n);
  const then = graphAttr(n, 'then_branch');
  const otherwise = graphAttr(n, 'else_branch');
  const body = graphAttr(n, 'body');
  const kind = traitsOf(n).body;
  if (kind === 'branches' && then && otherwise) {
    const cond = consts.get(n.inputs[0] ?? '');
    if (cond && cond.data.length === 1) {
      // NOTE: a constant condition (a rank or shape check) takes one branch: only it runs, only it counts.
      const taken = bodyMacs(Number(cond.data[0]) ? then : otherwise, [], types, consts, g, acc);
      return { macs: taken.macs, outputs: taken.outputs };
    }
    const a = bodyMacs(then, [], types, consts, g, acc);
    const b = bodyMacs(otherwise, [], types, consts, g, acc);
    if (a.macs !== b.macs) acc.notes.push(`${where}: branches differ (then ${a.macs}, else ${b.macs} MACs), the larger counted`);
    return { macs: Math.max(a.macs, b.macs), outputs: a.outputs.map((t, i) => joinTypes(t, b.outputs[i], where)) };
  }
  if (kind === 'loop' && body) {
    // Loop(M, cond, v...): body(iter, cond, v...) -> (cond, v..., scan outputs...)
    const carried = n.inputs.slice(2).map((i) => types.get(i));
    const r = bodyMacs(body, [{ dtype: 'int64', shape: [] }, { dtype: 'bool', shape: [] }, ...carried], types, consts, g, acc);
    const m = consts.get(n.inputs[0] ?? '');
    const trips = m && m.data.length === 1 ? Number(m.data[0]) : undefined;
    if (trips === undefined) acc.notes.push(`${where}: trip count not a constant, its body counted once`);
    else if (n.inputs[1]) acc.notes.push(`${where}: body counted ${trips} times (its trip count); its condition may end it sooner`);
    const k = carried.length;
    const scanOuts = r.outputs.slice(1 + k).map((t) => (t && trips !== undefined ? { dtype: t.dtype, shape: [trips, ...t.shape] } : undefined));
    return { macs: r.macs * (trips ?? 1), outputs: [...r.outputs.slice(1, 1 + k), ...scanOuts] };
  }
  if (kind === 'scan' && body) {
    const m = n.attrs.num_scan_inputs?.kind === 'int' ? n.attrs.num_scan_inputs.value : 0;
    const states = n.inputs.slice(0, n.inputs.length - m).map((i) => types.get(i));
    const scanned = n.inputs.slice(n.inputs.length - m).map((i) => types.get(i));
    const axes = intsAttr(n, 'scan_input_axes') ?? scanned.map(() => 0);
    const first = scanned[0];
    const axis0 = first ? (axes[0] + first.shape.length) % first.shape.length : 0;
    const len = first && isKnown(first.shape[axis0]) ? (first.shape[axis0] as number) : undefined;
    const elems = scanned.map((t, i) => {
      if (!t) return undefined;
      const ax = (axes[i] + t.shape.length) % t.shape.length;
      return { dtype: t.dtype, shape: t.shape.filter((_, j) => j !== ax) };
    });
    const r = bodyMacs(body, [...states, ...elems], types, consts, g, acc);
    if (len === undefined) acc.notes.push(`${where}: scanned length unknown, its body counted once`);
    const outAxes = intsAttr(n, 'scan_output_axes');
    const scanOuts = r.outputs.slice(states.length).map((t, i) => {
      if (!t || len === undefined) return undefined;
      const ax = outAxes ? (outAxes[i] + t.shape.length + 1) % (t.shape.length + 1) : 0;
      return { dtype: t.dtype, shape: [...t.shape.slice(0, ax), len, ...t.shape.slice(ax)] };
    });
    return { macs: r.macs * (len ?? 1), outputs: [...r.outputs.slice(0, states.length), ...scanOuts] };
  }
  acc.uncounted.push(where);
  return { macs: 0, outputs: [] };
}

/**
 * The output types of an opaque recurrent op (LSTM, GRU, RNN; src/graph/ops/opaque-traits.ts),
 * so that what reads them (a second layer) is shaped: H the hidden_size, D 2 when bidirectional,
 *   layout 0: X [seq, batch, I] -> Y [seq, D, batch, H], Y_h (and LSTM's Y_c) [D, batch, H]
 *   layout 1: X [batch, seq, I] -> Y [batch, seq, D, H], Y_h [batch, D, H]
 */
function recurrentOutputs(n: Node, types: Scope): (ValueType | undefined)[] {
  const x = types.get(n.inputs[0] ?? '');
  const h = n.attrs.hidden_size?.kind === 'int' ? n.attrs.hidden_size.value : undefined;
  if (!x || x.shape.length !== 3 || h === undefined) return [];
  const d = n.attrs.direction?.kind === 'string' && n.attrs.direction.value === 'bidirectional' ? 2 : 1;
  const layout = n.attrs.layout?.kind === 'int' ? n.attrs.layout.value : 0;
  const [seq, batch] = layout === 1 ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const y = layout === 1 ? [batch, seq, d, h] : [seq, d, batch, h];
  const state = layout === 1 ? [batch, d, h] : [d, batch, h];
  return [{ dtype: x.dtype, shape: y }, { dtype: x.dtype, shape: state }, { dtype: x.dtype, shape: state }];
}

/** One node's MACs per sample by its `macs` trait; 0 without one, undefined when its shapes are unknown. */
function nodeMacs(n: Node, types: Scope, perSample: boolean): number | undefined {
  // How an op's MACs are counted is its `macs` trait (src/graph/ops/op.ts).
  const { macs: rule, weight } = traitsOf(n);
  if (!rule || (rule === 'window' && weight === undefined)) return 0;
  if (rule === 'recurrent') {
    // Per sample: seq_len * (numel(W) + numel(R)); X is [seq, batch, I], or [batch, seq, I] with layout 1.
    const [x, w, r] = [0, 1, 2].map((i) => types.get(n.inputs[i] ?? ''));
    if (!known(x) || !known(w) || !known(r)) return undefined;
    const layout = n.attrs.layout?.kind === 'int' ? n.attrs.layout.value : 0;
    return x.shape[layout === 1 ? 1 : 0] * (numel(w.shape) + numel(r.shape));
  }
  const out = types.get(n.outputs[0]);
  if (!known(out) || out.shape[0] === 0) return undefined;
  // NOTE: in the graph, per sample: out_elems / batch (dim 0). A body's tensors need not lead with the
  // batch (a Scan element has lost its axis): there, out_elems at the bound (batch-1) shapes.
  const outElems = perSample ? numel(out.shape) / out.shape[0] : numel(out.shape);
  if (rule === 'window') {
    const w = types.get(n.inputs[weight!]);
    return known(w) ? outElems * numel((w.shape as number[]).slice(1)) : undefined;
  }
  const a = types.get(n.inputs[0]);
  if (!known(a)) return undefined;
  const transA = n.opType === Gemm.opType && n.domain === Gemm.domain && attrsOf(Gemm, n).transA === 1;
  return outElems * (transA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1]);
}

export function modelCost(g: Graph, bytes: Uint8Array, inputShape: number[]): ModelCost {
  return {
    ...countParams(g),
    macs: countMacs(bindInputShape(g, inputShape)),
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
  };
}
