/**
 * Weights wherever an exporter put them become initializers, before any count or pass reads the
 * model (../shared/DESIGN.md, "Imported models are normalized once"), as onnxoptimizer's
 * `extract_constant_to_initializer` and ORT's `quant_pre_process` do:
 *
 * - a `Constant` node (`value`, `value_float(s)`, `value_int(s)`) becomes the initializer of its
 *   output's name (paddle2onnx writes every weight this way, with no initializers at all);
 * - a node of FOLDED over constants only is evaluated once:
 *     Identity(c)            -> c itself: its readers read c (a weight tied through Identity
 *                               stays one tensor), or a copy where a subgraph reads the name
 *     Transpose(c, perm)     -> y[i_perm(0), ..., i_perm(r-1)] = c[i_0, ..., i_(r-1)]
 *     Reshape(c, s)          -> c with dims s (0 copies the input dim unless allowzero, -1 infers)
 *     Unsqueeze / Squeeze    -> c with unit dims inserted / removed (axes from the attribute
 *                               before opset 13, from the second input after)
 *     Cast(c, to)            -> c converted (float -> integer truncates toward zero, as ORT's cast)
 *   and chains of them fold in one pass, in graph order.
 *
 * Subgraphs (If / Loop / Scan bodies) are normalized the same way, their own Constant nodes
 * becoming their own initializers, with the outer graph's constants visible to their folds.
 * A node whose output is a graph output is kept (its name must stay a node's output). Numbers
 * never change: every fold is exact. The result's metadata says what was done
 * (`META.normalized`), and each node lifted or folded has a note; with nothing to do, the result's
 * graph is `g` itself.
 */
import type { DType, Graph, Node, SubGraph, Tensor, TensorData } from '../../graph/ir.ts';
import { DTYPES, dtypeOfOnnx, isNumericDType } from '../../graph/dtype.ts';
import { META } from '../../graph/metadata-keys.ts';
import { outerReads } from '../../graph/reads.ts';
import { fromHalfArray, toHalfArray } from './fp16-bits.ts';
import { withoutUnusedInitializers } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';

/** Ops folded when all their data inputs are constants. */
export const FOLDED = ['Identity', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Cast'] as const;

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

const intsOf = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
const attrInts = (n: Node, name: string): number[] | undefined => (n.attrs[name]?.kind === 'ints' ? (n.attrs[name].value as number[]) : undefined);
const attrInt = (n: Node, name: string): number | undefined => (n.attrs[name]?.kind === 'int' ? (n.attrs[name].value as number) : undefined);
const numel = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function transpose(t: Tensor, perm: number[], name: string): Tensor {
  const r = t.dims.length;
  const dims = perm.map((p) => t.dims[p]);
  const inStrides = new Array<number>(r);
  for (let i = r - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= t.dims[i];
  }
  const src = t.data as TensorData & ArrayLike<unknown>;
  const out = (Array.isArray(src) ? new Array(src.length) : new (src.constructor as new (n: number) => typeof src)(src.length)) as unknown as unknown[];
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let k = 0; k < r; k++) from += idx[k] * inStrides[perm[k]];
    out[o] = (src as unknown[])[from];
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return { name, dtype: t.dtype, dims, data: out as unknown as TensorData };
}

/** Reshape's target dims: 0 copies the input's dim (unless allowzero), one -1 takes the rest. */
function reshapeDims(from: readonly number[], spec: number[], allowZero: boolean): number[] | undefined {
  const dims = spec.map((d, i) => (d === 0 && !allowZero ? from[i] : d));
  const free = dims.filter((d) => d === -1).length;
  if (free > 1 || dims.some((d) => d === undefined || d < -1)) return undefined;
  const known = numel(dims.filter((d) => d !== -1));
  const total = numel(from);
  if (free) {
    if (known === 0 || total % known) return undefined;
    return dims.map((d) => (d === -1 ? total / known : d));
  }
  return known === total ? dims : undefined;
}

const CASTABLE = new Set<DType>(['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64']);

function cast(t: Tensor, to: DType, name: string): Tensor | undefined {
  if (!CASTABLE.has(t.dtype) || !CASTABLE.has(to)) return undefined;
  const values: number[] = t.dtype === 'float16' ? Array.from(fromHalfArray(t.data as Uint16Array)) : Array.from(t.data as ArrayLike<number | bigint>, Number);
  const isFloat = to === 'float32' || to === 'float64' || to === 'float16';
  // NOTE: float -> integer truncates toward zero, as ORT's Cast does (static_cast).
  const ints = isFloat ? values : values.map((v) => Math.trunc(v));
  let data: TensorData;
  if (to === 'float16') data = toHalfArray(ints);
  else if (to === 'int64') data = BigInt64Array.from(ints.map((v) => BigInt(v)));
  else data = (DTYPES[to as Exclude<DType, 'string'>].array as unknown as { from(xs: number[]): TensorData }).from(ints);
  return { name, dtype: to, dims: t.dims, data };
}

/** The axes of an Unsqueeze / Squeeze: its attribute (opset < 13) or its constant second input. */
function axesOf(n: Node, consts: ReadonlyMap<string, Tensor>): number[] | undefined {
  if (n.inputs[1]) {
    const a = consts.get(n.inputs[1]);
    return a ? intsOf(a) : undefined;
  }
  return attrInts(n, 'axes');
}

/** The folded tensor of `n` over constant inputs, or why it cannot be folded. */
function fold(n: Node, consts: ReadonlyMap<string, Tensor>): Tensor | string {
  const x = consts.get(n.inputs[0]);
  const name = n.outputs[0];
  if (!x) return 'its input is not a constant';
  if (x.dtype === 'string' && n.opType !== 'Identity') return 'its input holds strings';
  switch (n.opType) {
    case 'Identity':
      return { ...x, name };
    case 'Transpose': {
      const r = x.dims.length;
      const perm = attrInts(n, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) return `its perm [${perm.join(', ')}] does not fit a rank-${r} input`;
      return transpose(x, perm, name);
    }
    case 'Reshape': {
      const s = consts.get(n.inputs[1] ?? '');
      if (!s) return 'its shape input is not a constant';
      const dims = reshapeDims(x.dims, intsOf(s), attrInt(n, 'allowzero') === 1);
      return dims ? { ...x, name, dims } : `shape [${intsOf(s).join(', ')}] does not fit its input [${x.dims.join(', ')}]`;
    }
    case 'Unsqueeze': {
      const axes = axesOf(n, consts);
      if (!axes) return 'its axes are not constant';
      const r = x.dims.length + axes.length;
      const at = new Set(axes.map((a) => (a < 0 ? a + r : a)));
      const dims: number[] = [];
      for (let i = 0, k = 0; i < r; i++) dims.push(at.has(i) ? 1 : x.dims[k++]);
      return dims.length === r && at.size === axes.length ? { ...x, name, dims } : `axes [${axes.join(', ')}] do not fit its input`;
    }
    case 'Squeeze': {
      const axes = axesOf(n, consts) ?? x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
      const at = new Set(axes.map((a) => (a < 0 ? a + x.dims.length : a)));
      if ([...at].some((a) => x.dims[a] !== 1)) return `axes [${axes.join(', ')}] are not unit dims of [${x.dims.join(', ')}]`;
      return { ...x, name, dims: x.dims.filter((_, i) => !at.has(i)) };
    }
    case 'Cast': {
      const to = dtypeOfOnnx(attrInt(n, 'to') ?? -1);
      if (!to || !isNumericDType(to)) return 'its target type is not one melbench converts';
      return cast(x, to, name) ?? `a cast from ${x.dtype} to ${to} is not one melbench folds`;
    }
  }
  return 'not an op melbench folds';
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
    const isFolded = n.domain === '' && (FOLDED as readonly string[]).includes(n.opType) && n.outputs.length === 1;
    if ((!isConstant && !isFolded) || !out) {
      kept.push(withSubgraphs(n, consts, `${path}${n.name}/`, notes));
      continue;
    }
    if (s.outputs.has(out)) {
      if (isConstant || n.inputs.every((i) => !i || consts.has(i))) notes.push(keptNote(named(n), 'its output is a graph output, so it stays a node'));
      kept.push(n);
      continue;
    }
    const t = isConstant ? constantValue(n) : fold(n, consts);
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
