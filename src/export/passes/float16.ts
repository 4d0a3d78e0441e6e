/**
 * float16: weights and compute in IEEE half precision.
 *
 * Every float32 initializer read by a float16 node is stored as float16 (round to nearest even,
 * src/export/passes/fp16-bits.ts; finite values beyond the half range are clamped to +-65504
 * rather than becoming infinities). Every node computes in float16 except those kept in
 * float32 (below); where a value crosses between the two precisions a Cast is inserted, once
 * per value and direction. Scalars and constants (Clip's bounds, Pow's exponent, the input
 * standardisation's mean and std) follow the precision of the node that reads them, so a node
 * never mixes float16 and float32 operands; an initializer read by nodes of both precisions is
 * kept twice.
 *
 * Relative error: a half has an 11-bit significand, so each rounding is off by at most
 * 2^-11 ~ 4.9e-4 of its value; weights and every intermediate value are rounded, and errors of
 * that order compound over the depth of the network (a few 1e-3 on the logits of the zoo's
 * ResNets, far below what changes an argmax on all but near-tied clips).
 *
 * keepIo (the default): the graph's inputs and outputs stay float32, with Casts at the
 * boundary, so the same float32 feeds and comparisons work for every variant. keepIo=false makes
 * them float16 too (feeds are then raw half bits, see src/runners/tensors.ts).
 *
 * Kept in float32 by default: the ops whose OpDef has the `keepFloat32` trait, none so far. Every op of the zoo loads and runs in float16 on the
 * runtimes tried (onnxruntime-node CPU 1.30, onnxruntime-web WASM 1.30; benchmarks/quant-support.ts
 * prints the matrix). NOTE: neither has float16 kernels for Conv, BatchNormalization, MaxPool,
 * Gemm or Softmax on x86. ORT does not fail: at session creation its InsertCastTransformer
 * wraps such nodes in Casts to float32 and then drops the back-to-back Cast pairs (the profile
 * shows 'InsertedPrecisionFreeCast_*' nodes), so on CPU and WASM the model computes in float32
 * from float16-rounded weights: float16 buys size there, not speed. Keeping those ops in float32
 * in the file would change nothing on CPU and take float16 compute away from WebGPU, which has
 * it (shader-f16). Callers can keep any node in float32 by name or by op type (`keepFloat32`),
 * e.g. a reduction that must accumulate in float32 on a runtime that accumulates in half.
 *
 * Subgraphs (If branches, Loop and Scan bodies) are converted node by node like the main graph
 * (scopes.ts). Their boundary stays float32 whatever keepIo says: a body's inputs and outputs
 * carry the holder's types (an If's outputs, a Loop's carried values), and values a body reads
 * from an enclosing graph are read under their float32 name; Casts sit just inside the body. A
 * float32 weight of an enclosing graph that the body reads in half gets a float16 copy in the body
 * (or one shared copy, when several bodies make the same one). The holder (If, Loop, Scan) itself
 * is noted as kept float32 at its boundary.
 */
import { ShapeError, UserError } from '../../errors.ts';
import { describeNode, inferNode, inferShapes } from '../../graph/infer.ts';
import { hasSubgraphs, subgraphReads } from '../../graph/reads.ts';
import { type DType, type Graph, type Node, type Tensor, type ValueInfo, type ValueType, valueTypes } from '../../graph/ir.ts';
import { META } from '../../graph/metadata-keys.ts';
import { attrsOf, toAttrs } from '../../graph/ops/attrs.ts';
import { findOp, traitsOf } from '../../graph/ops/index.ts';
import { ONNX_ELEM_TYPE } from '../../graph/dtype.ts';
import { Cast } from '../../graph/ops/quant-dynamic.ts';
import { HALF_MAX, toHalfBits } from './fp16-bits.ts';
import { elementTypes } from './elem-types.ts';
import { consumers, initializerMap } from './graph-util.ts';
import { keptNote, type PassNote, type PassResult } from './pass.ts';
import { namedIn, rewriteScopes, type Scope } from './scopes.ts';

/** Why an op melbench does not model stays float32. */
const OPAQUE_WHY = 'op not modelled by melbench (carried opaquely): its float16 support is unknown, kept float32';

export interface Float16Options {
  /** Keep the graph's float inputs and outputs float32, casting at the boundary (default true). */
  keepIo?: boolean;
  /** Node names or op types to keep computing in float32. */
  keepFloat32?: string[];
}


/** A float32 tensor's values as float16 bits, clamping finite values beyond the half range. */
export function tensorToHalf(t: Tensor, name = t.name): Tensor {
  if (t.dtype !== 'float32') throw new Error(`tensorToHalf: ${t.name} is ${t.dtype}, not float32`);
  const src = t.data as Float32Array;
  const bits = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    // NOTE: a weight beyond 65504 would become inf and poison every sum it enters; clamp it.
    bits[i] = toHalfBits(Number.isFinite(v) ? Math.max(-HALF_MAX, Math.min(HALF_MAX, v)) : v);
  }
  return { name, dtype: 'float16', dims: [...t.dims], data: bits };
}

const castNode = (name: string, input: string, output: string, to: DType): Node => ({
  name,
  opType: 'Cast',
  domain: '',
  inputs: [input],
  outputs: [output],
  attrs: toAttrs(Cast.attrs, { to: ONNX_ELEM_TYPE[to] }),
});

/** Every float node computes in float16, except those kept in float32: each of those gets a note. */
export function toFloat16(g: Graph, options: Float16Options = {}): PassResult {
  const r = rewriteScopes(g, (view, scope) => float16Scope(view, options, scope));
  const keepIo = options.keepIo ?? true;
  return { graph: { ...r.graph, metadata: { ...r.graph.metadata, [META.precision]: 'float16', [META.float16KeepIo]: String(keepIo) } }, notes: r.notes };
}

/** One graph (the model or a subgraph view) in float16; a subgraph keeps its boundary float32 (see the header). */
function float16Scope(g: Graph, options: Float16Options, scope: Scope): PassResult {
  const keepIo = scope.outer ? true : (options.keepIo ?? true);
  const keep = new Set(options.keepFloat32 ?? []);
  const kept = (n: Node) => namedIn(keep, n, scope, true);
  const src = inferShapes(g);
  const types = valueTypes(src);
  // NOTE: which values are float32 needs their element type only, known where inference stops (elem-types.ts).
  const elem = elementTypes(src, scope.inputTypes);
  const isF32 = (name: string) => name !== '' && elem.get(name) === 'float32';
  const touchesFloat = (n: Node) => [...n.inputs, ...n.outputs].some(isF32);
  // Values that a subgraph (an If branch, a Loop body) reads from this graph by name: they must stay float32 under their name.
  const outerRead = new Map<string, Node>();
  for (const n of src.nodes) for (const v of subgraphReads(n)) if (!outerRead.has(v)) outerRead.set(v, n);
  /**
   * Why a node stays float32 on an imported model, or undefined. NOTE: an op melbench does not model
   * (carried opaquely) may have no float16 kernel, and its attributes or subgraphs expect what they
   * expect; a node reading a value of unknown type cannot be given matching operands; and a node
   * whose output a subgraph reads must keep that output float32.
   */
  const importedWhy = (n: Node): string | undefined => {
    if (hasSubgraphs(n)) return `its own inputs and outputs stay float32; the nodes of its subgraphs are converted on their own (notes under '${scope.path}${n.name}/')`;
    if (!findOp(n.opType, n.domain)) return OPAQUE_WHY;
    const unknown = n.inputs.find((i) => i !== '' && !elem.has(i));
    if (unknown !== undefined) return `it reads '${unknown}', whose type melbench does not know: kept float32`;
    const read = n.outputs.find((o) => outerRead.has(o));
    if (read !== undefined) return `its output '${read}' is read inside a subgraph of ${describeNode(outerRead.get(read)!)}: kept float32 under its name`;
    return undefined;
  };
  // An op whose OpDef has the `keepFloat32` trait stays float32 by default (none so far, see the header).
  const inHalf = (n: Node) => !kept(n) && !traitsOf(n).keepFloat32 && importedWhy(n) === undefined;

  const fresh = scope.fresh;
  const inits = initializerMap(src);
  const readers = consumers(src);
  const outputNames = new Set(src.outputs.map((o) => o.name));
  const ioDtype: DType = keepIo ? 'float32' : 'float16';

  // Initializers: converted in place when every float reader computes in half, duplicated when both precisions read them.
  const newInits: Tensor[] = [];
  const halfInit = new Map<string, string>();
  for (const t of src.initializers) {
    const rs = readers.get(t.name) ?? [];
    const half = t.dtype === 'float32' && rs.some(inHalf);
    const full = t.dtype !== 'float32' || rs.some((n) => !inHalf(n)) || outputNames.has(t.name);
    if (half && !full) {
      newInits.push(tensorToHalf(t));
      halfInit.set(t.name, t.name);
    } else {
      newInits.push(t);
      if (half) {
        const name = fresh(`${t.name}_fp16`);
        newInits.push(tensorToHalf(t, name));
        halfInit.set(t.name, name);
      }
    }
  }

  // Where each float32 value of the source graph now lives, and in which precision.
  const live = new Map<string, { name: string; dtype: DType }>();
  const newTypes = new Map<string, ValueType>();
  const inputs: ValueInfo[] = src.inputs.map((v) => (v.dtype === 'float32' ? { ...v, dtype: ioDtype } : v));
  for (const v of inputs) {
    newTypes.set(v.name, v);
    if (isF32(v.name)) live.set(v.name, { name: v.name, dtype: v.dtype });
  }
  for (const t of newInits) newTypes.set(t.name, { dtype: t.dtype, shape: t.dims });
  const casts = new Map<string, string>();
  const nodes: Node[] = [];
  const constants = new Map(newInits.map((t) => [t.name, t]));
  /** Adds a node and records its output types: inferred, or for an opaque node those of `source`'s outputs in the source graph. */
  const emit = (n: Node, source: Node = n) => {
    nodes.push(n);
    const declared = () => source.outputs.map((o) => types.get(o));
    let outs: (ValueType | undefined)[];
    if (!findOp(n.opType, n.domain) || n.inputs.some((i) => i !== '' && !newTypes.has(i))) outs = declared();
    else {
      try {
        outs = inferNode(n, newTypes, constants);
      } catch (e) {
        // NOTE: as inferShapes does, a rule stricter than onnxruntime does not refuse an imported model.
        if (!(e instanceof ShapeError) || src.model === undefined) throw e;
        outs = declared();
      }
    }
    outs.forEach((t, i) => t && newTypes.set(n.outputs[i], t));
  };

  /** The name under which source value `name` is available in `dtype`, casting once if needed. */
  const valueIn = (name: string, dtype: DType): string => {
    if (inits.has(name)) return dtype === 'float16' ? halfInit.get(name)! : name;
    const at = live.get(name);
    if (!at) throw new Error(`float16: value '${name}' is read before it is produced`);
    if (at.dtype === dtype) return at.name;
    const key = `${name}->${dtype}`;
    let cast = casts.get(key);
    if (!cast) {
      cast = fresh(`${name}_${dtype === 'float16' ? 'fp16' : 'fp32'}`);
      emit(castNode(fresh(`${name}/cast_${dtype === 'float16' ? 'fp16' : 'fp32'}`), at.name, cast, dtype));
      casts.set(key, cast);
    }
    return cast;
  };

  const notes: PassNote[] = [];
  for (const n of src.nodes) {
    if (!touchesFloat(n)) {
      emit(n);
      continue;
    }
    const half = inHalf(n);
    if (!half) notes.push(keptNote(n, kept(n) ? 'excluded by the caller' : (importedWhy(n) ?? traitsOf(n).keepFloat32 ?? 'kept in float32')));
    const dtype: DType = half ? 'float16' : 'float32';
    const nodeInputs = n.inputs.map((i) => (isF32(i) ? valueIn(i, dtype) : i));
    const attrs = { ...n.attrs };
    if (n.opType === Cast.opType && n.domain === Cast.domain && half && attrsOf(Cast, n).to === ONNX_ELEM_TYPE.float32) {
      Object.assign(attrs, toAttrs(Cast.attrs, { to: ONNX_ELEM_TYPE.float16 }));
    }
    // A graph output computed in the other precision than the IO's is renamed here and cast back to its name below.
    const renamed = n.outputs.map((o) => (outputNames.has(o) && isF32(o) && dtype !== ioDtype ? fresh(`${o}_${half ? 'fp16' : 'fp32'}`) : o));
    emit({ ...n, inputs: nodeInputs, outputs: renamed, attrs }, n);
    n.outputs.forEach((o, i) => {
      if (!isF32(o)) return;
      // NOTE: an opaque op's output may have no inferred type; kept in float32, it stays float32.
      const got = newTypes.get(renamed[i])?.dtype ?? dtype;
      live.set(o, { name: renamed[i], dtype: got });
      if (renamed[i] !== o) {
        emit(castNode(fresh(`${o}/cast_${ioDtype === 'float16' ? 'fp16' : 'fp32'}`), renamed[i], o, ioDtype));
        casts.set(`${o}->${ioDtype}`, o);
      }
    });
  }
  // NOTE: a subgraph output may name an outer value or an initializer directly; it stays float32 under its name.
  for (const o of scope.outer ? [] : src.outputs) {
    if (inits.has(o.name) || src.inputs.some((v) => v.name === o.name)) {
      throw new UserError(`float16: graph output '${o.name}' is a graph input or initializer; the pass handles outputs computed by nodes only`);
    }
  }

  const graph = inferShapes({ ...src, inputs, initializers: newInits, nodes, valueInfo: [] });
  return { graph, notes };
}
