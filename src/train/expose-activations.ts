/**
 * The calibration copy of a model: every float32 activation made a model output, so that one
 * session run returns them all (src/train/calibrate.ts collects their statistics). The timed
 * model is never changed; only this copy runs.
 *
 * In the main graph every float32 value a node computes becomes an extra output (typed by
 * inference, else by the element-type rules of src/export/passes/elem-types.ts). A value inside a
 * subgraph cannot be a model output: it is carried out through its holder, level by level:
 *
 *   If    a value v of one branch: Identity(v) -> v' is added as an output of that branch, and the
 *         other branch outputs an empty float32 tensor [0] at the same place (an Identity of an
 *         empty initializer); the If gets an output for the pair. Whichever branch runs, that
 *         output holds v or nothing, and calibration skips empty tensors: a branch that never ran
 *         has no statistics, so the quantizer leaves it float, saying why.
 *   Loop  v is added as a scan output of the body (after its own outputs), so the Loop's new
 *         output stacks v over the iterations, [trips, ...shape]: every iteration's values, which
 *         is what a range needs. A Loop's carried body inputs are exposed the same way.
 *   Scan  likewise, as scan outputs (`scan_output_axes` / `scan_output_directions`, when given,
 *         get 0 for each new one: stacked on axis 0, forward).
 *
 * NOTE: values of an If inside a Loop or Scan body are not exposed: the empty tensor of the branch
 * not taken would change the stacked shape from one iteration to the next, which Loop refuses.
 * Each exposed output is collected under the inner value's own name, the name the quantizer looks
 * its range up by.
 */
import { carriedElemType, elementTypes } from '../export/passes/elem-types.ts';
import { nameAllocator } from '../export/passes/graph-util.ts';
import { subgraphView, tensorTypeBytes } from '../export/passes/scopes.ts';
import type { DType } from '../graph/dtype.ts';
import { ONNX_ELEM_TYPE } from '../graph/dtype.ts';
import { inferShapes } from '../graph/infer.ts';
import { type Attr, type CarriedValue, type Graph, type Node, type SubGraph, type Tensor, type ValueInfo, type ValueType, valueTypes } from '../graph/ir.ts';
import { hasSubgraphs } from '../graph/reads.ts';

/** A model output of the calibration copy and the value whose statistics it carries. */
export interface ExposedValue {
  output: string;
  value: string;
}

export interface ExposedActivations {
  graph: Graph;
  exposed: ExposedValue[];
}

interface Context {
  main: Graph;
  fresh: (base: string) => string;
}

/** What a scope knows about the values in it, for building its subgraphs' views. */
interface ScopeTypes {
  types: ReadonlyMap<string, ValueType>;
  inits: ReadonlyMap<string, Tensor>;
  elem: ReadonlyMap<string, DType>;
}

const FLOAT_TYPE = () => tensorTypeBytes(ONNX_ELEM_TYPE.float32);
const identity = (name: string, input: string, output: string): Node => ({ name, opType: 'Identity', domain: '', inputs: [input], outputs: [output], attrs: {} });
const carried = (name: string): CarriedValue => ({ name, type: FLOAT_TYPE() });

/** A body with its float32 values made outputs-to-be: Identity nodes added, and what each carries. */
interface Instrumented {
  sg: SubGraph;
  /** New body outputs (names in the body) in order, with the value each carries. */
  exposed: ExposedValue[];
}

/** `sg` with Identity copies of its float32 values (its own, its inputs', its nested holders' new outputs). */
function instrumentBody(sg: SubGraph, outer: ScopeTypes, ctx: Context, inLoop: boolean): Instrumented {
  const { view, outer: outerNames } = subgraphView(sg, outer.types, outer.inits, ctx.main);
  const inputTypes = new Map<string, DType>();
  for (const v of sg.inputs) {
    const d = carriedElemType(v);
    if (d) inputTypes.set(v.name, d);
  }
  for (const name of outerNames) {
    const d = outer.elem.get(name);
    if (d) inputTypes.set(name, d);
  }
  const typed = inferShapes(view);
  const scope: ScopeTypes = { types: valueTypes(typed), inits: new Map(view.initializers.map((t) => [t.name, t])), elem: elementTypes(typed, inputTypes) };
  const values: ExposedValue[] = [];
  for (const v of sg.inputs) if (scope.elem.get(v.name) === 'float32') values.push({ output: v.name, value: v.name });
  const nodes: Node[] = [];
  for (const n of sg.nodes) {
    for (const o of n.outputs) if (o && scope.elem.get(o) === 'float32') values.push({ output: o, value: o });
    if (!hasSubgraphs(n)) {
      nodes.push(n);
      continue;
    }
    const h = instrumentHolder(n, scope, ctx, inLoop);
    nodes.push(h.node);
    values.push(...h.exposed);
  }
  const exposed: ExposedValue[] = [];
  for (const v of values) {
    const out = ctx.fresh(`${v.output}_calibration`);
    nodes.push(identity(ctx.fresh(`${v.output}/calibration`), v.output, out));
    exposed.push({ output: out, value: v.value });
  }
  return { sg: { ...sg, nodes }, exposed };
}

function graphAttr(n: Node, name: string): SubGraph | undefined {
  const a = n.attrs[name];
  return a?.kind === 'graph' ? a.value : undefined;
}

/** A holder (If, Loop, Scan) with outputs that carry its bodies' float32 values out (see the header). */
function instrumentHolder(n: Node, scope: ScopeTypes, ctx: Context, inLoop: boolean): { node: Node; exposed: ExposedValue[] } {
  const unchanged = { node: n, exposed: [] };
  if (n.domain !== '') return unchanged;
  const withGraph = (name: string, sg: SubGraph): Record<string, Attr> => ({ [name]: { ...(n.attrs[name] as Extract<Attr, { kind: 'graph' }>), value: sg } });
  // ONNX's control flow, by the graphs a node holds: If's two branches, Loop's and Scan's body.
  const then = graphAttr(n, 'then_branch');
  const els = graphAttr(n, 'else_branch');
  const body = graphAttr(n, 'body');
  if (then && els) {
    if (inLoop) return unchanged;
    const t = instrumentBody(then, scope, ctx, inLoop);
    const e = instrumentBody(els, scope, ctx, inLoop);
    /** The branch's outputs for its own values and empty tensors where the other branch's go. */
    const assemble = (b: Instrumented, before: number, after: number): SubGraph => {
      if (before + after === 0) return { ...b.sg, outputs: [...b.sg.outputs, ...b.exposed.map((x) => carried(x.output))] };
      const empty: Tensor = { name: ctx.fresh('calibration_empty'), dtype: 'float32', dims: [0], data: new Float32Array(0) };
      const pads = (k: number) => Array.from({ length: k }, () => ctx.fresh('calibration_empty_out'));
      const [pre, post] = [pads(before), pads(after)];
      const fill = [...pre, ...post].map((o) => identity(ctx.fresh(`${o}/calibration`), empty.name, o));
      return {
        ...b.sg,
        initializers: [...b.sg.initializers, empty],
        nodes: [...b.sg.nodes, ...fill],
        outputs: [...b.sg.outputs, ...pre.map(carried), ...b.exposed.map((x) => carried(x.output)), ...post.map(carried)],
      };
    };
    // Then-branch values first, then the else-branch's: the then-branch pads after, the else-branch before.
    const thenSg = assemble(t, 0, e.exposed.length);
    const elseSg = assemble(e, t.exposed.length, 0);
    const all = [...t.exposed, ...e.exposed];
    const outs = all.map((x) => ctx.fresh(`${x.value}_calibration`));
    return { node: { ...n, outputs: [...n.outputs, ...outs], attrs: { ...n.attrs, ...withGraph('then_branch', thenSg), ...withGraph('else_branch', elseSg) } }, exposed: all.map((x, i) => ({ output: outs[i], value: x.value })) };
  }
  if (body) {
    // Loop's body outputs are [cond, carried..., scan...], Scan's [state..., scan...]: appended ones are scan outputs.
    const b = instrumentBody(body, scope, ctx, true);
    const outs = b.exposed.map((x) => ctx.fresh(`${x.value}_calibration`));
    const attrs: Record<string, Attr> = { ...n.attrs, ...withGraph('body', { ...b.sg, outputs: [...b.sg.outputs, ...b.exposed.map((x) => carried(x.output))] }) };
    for (const k of ['scan_output_axes', 'scan_output_directions']) {
      const a = n.attrs[k];
      if (a?.kind === 'ints') attrs[k] = { ...a, value: [...a.value, ...outs.map(() => 0)] };
    }
    return { node: { ...n, outputs: [...n.outputs, ...outs], attrs }, exposed: b.exposed.map((x, i) => ({ output: outs[i], value: x.value })) };
  }
  return unchanged;
}

/** The calibration copy of `g` (see the header) and its exposed outputs, the model's own float32 outputs first. */
export function exposeActivations(g: Graph): ExposedActivations {
  const ctx: Context = { main: g, fresh: nameAllocator(g) };
  const typed = inferShapes(g);
  const types = valueTypes(typed);
  const scope: ScopeTypes = { types, inits: new Map(g.initializers.map((t) => [t.name, t])), elem: elementTypes(typed) };
  const outputNames = new Set(g.outputs.map((o) => o.name));
  const exposed: ExposedValue[] = g.outputs.filter((o) => scope.elem.get(o.name) === 'float32').map((o) => ({ output: o.name, value: o.name }));
  const extra: ValueInfo[] = [];
  const add = (output: string, value: string) => {
    const t = types.get(output);
    extra.push(t ? { name: output, dtype: t.dtype, shape: t.shape } : { name: output, dtype: 'float32', shape: [], shapeUnknown: true });
    exposed.push({ output, value });
  };
  const nodes = g.nodes.map((n) => {
    for (const o of n.outputs) if (o && !outputNames.has(o) && scope.elem.get(o) === 'float32') add(o, o);
    if (!hasSubgraphs(n)) return n;
    const h = instrumentHolder(n, scope, ctx, false);
    for (const x of h.exposed) add(x.output, x.value);
    return h.node;
  });
  return { graph: { ...g, nodes, outputs: [...g.outputs, ...extra] }, exposed };
}
