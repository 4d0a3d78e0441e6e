/**
 * Nodes, attributes and subgraphs between the IR and ONNX NodeProto / AttributeProto / GraphProto.
 *
 * Every AttributeType is carried: subgraphs (If's branches, Loop's and Scan's bodies) become IR
 * SubGraphs whose nodes are IR nodes (so usage scans see their outer-scope reads, src/graph/reads.ts),
 * with their signatures' types kept as encoded TypeProtos (ONNX lets them be absent or non-tensor);
 * type_proto attributes are carried as encoded bytes. Attribute order is kept: it is part of the bytes.
 */
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { type Attr, type CarriedValue, type Node, type SubGraph, trimOptionalInputs } from '../graph/ir.ts';
import { sparseFromProto, sparseToProto, tensorFromProto, tensorToProto, toNum } from './onnx-tensor.ts';

const { onnx } = onnxProto;
const T = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder();
const utf8Enc = new TextEncoder();

/** Encoded bytes of a protobuf message, copied out of protobufjs's shared buffer. */
const typeBytes = (t: onnxProto.onnx.ITypeProto): Uint8Array => onnx.TypeProto.encode(t).finish().slice();

function attrToProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const head: onnxProto.onnx.IAttributeProto = { name, ...(a.refAttrName ? { refAttrName: a.refAttrName } : {}), ...(a.docString ? { docString: a.docString } : {}) };
  switch (a.kind) {
    case 'int':
      return { ...head, type: T.INT, i: a.value };
    case 'ints':
      return { ...head, type: T.INTS, ints: a.value };
    case 'float':
      return { ...head, type: T.FLOAT, f: a.value };
    case 'floats':
      return { ...head, type: T.FLOATS, floats: a.value };
    case 'string':
      return { ...head, type: T.STRING, s: utf8Enc.encode(a.value) };
    case 'strings':
      return { ...head, type: T.STRINGS, strings: a.value.map((s) => utf8Enc.encode(s)) };
    case 'tensor':
      return { ...head, type: T.TENSOR, t: tensorToProto(a.value) };
    case 'tensors':
      return { ...head, type: T.TENSORS, tensors: a.value.map(tensorToProto) };
    case 'graph':
      return { ...head, type: T.GRAPH, g: subgraphToProto(a.value) };
    case 'graphs':
      return { ...head, type: T.GRAPHS, graphs: a.value.map(subgraphToProto) };
    case 'sparse_tensor':
      return { ...head, type: T.SPARSE_TENSOR, sparseTensor: sparseToProto(a.value) };
    case 'sparse_tensors':
      return { ...head, type: T.SPARSE_TENSORS, sparseTensors: a.value.map(sparseToProto) };
    case 'type_proto':
      return { ...head, type: T.TYPE_PROTO, tp: onnx.TypeProto.decode(a.value) };
    case 'type_protos':
      return { ...head, type: T.TYPE_PROTOS, typeProtos: a.value.map((b) => onnx.TypeProto.decode(b)) };
  }
}

export function nodeToProto(n: Node): onnxProto.onnx.INodeProto {
  return {
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    input: trimOptionalInputs(n.inputs),
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([k, a]) => attrToProto(k, a)),
    ...(n.docString ? { docString: n.docString } : {}),
  };
}

function carriedToProto(v: CarriedValue): onnxProto.onnx.IValueInfoProto {
  return { name: v.name, ...(v.type ? { type: onnx.TypeProto.decode(v.type) } : {}), ...(v.docString ? { docString: v.docString } : {}) };
}

export function subgraphToProto(g: SubGraph): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map(nodeToProto),
    initializer: g.initializers.map(tensorToProto),
    sparseInitializer: (g.sparseInitializers ?? []).map(sparseToProto),
    input: g.inputs.map(carriedToProto),
    output: g.outputs.map(carriedToProto),
    valueInfo: g.valueInfo.map(carriedToProto),
    ...(g.docString ? { docString: g.docString } : {}),
  };
}

// ---- import -----------------------------------------------------------------------------------

/**
 * The attribute's type: its `type` field, or for old writers that left it UNDEFINED, the one
 * field that is set (the ONNX checker's own rule for IR version < 3).
 */
function attrType(a: onnxProto.onnx.IAttributeProto): number {
  if (a.type) return a.type;
  if (a.g) return T.GRAPH;
  if (a.t) return T.TENSOR;
  if (a.sparseTensor) return T.SPARSE_TENSOR;
  if (a.tp) return T.TYPE_PROTO;
  if (a.graphs?.length) return T.GRAPHS;
  if (a.tensors?.length) return T.TENSORS;
  if (a.sparseTensors?.length) return T.SPARSE_TENSORS;
  if (a.typeProtos?.length) return T.TYPE_PROTOS;
  if (a.strings?.length) return T.STRINGS;
  if (a.floats?.length) return T.FLOATS;
  if (a.ints?.length) return T.INTS;
  if (a.s?.length) return T.STRING;
  if (a.f) return T.FLOAT;
  return T.INT;
}

function attrFromProto(a: onnxProto.onnx.IAttributeProto, where: string, depth: number): Attr {
  const w = `${where}: attribute '${a.name}'`;
  const tail = { ...(a.refAttrName ? { refAttrName: a.refAttrName } : {}), ...(a.docString ? { docString: a.docString } : {}) };
  const sub = (g: onnxProto.onnx.IGraphProto) => subgraphFromProto(g, w, depth + 1);
  switch (attrType(a)) {
    case T.INT:
      return { kind: 'int', value: toNum(a.i ?? 0), ...tail };
    case T.INTS:
      return { kind: 'ints', value: (a.ints ?? []).map(toNum), ...tail };
    case T.FLOAT:
      return { kind: 'float', value: a.f ?? 0, ...tail };
    case T.FLOATS:
      return { kind: 'floats', value: [...(a.floats ?? [])], ...tail };
    case T.STRING:
      return { kind: 'string', value: utf8.decode(a.s ?? new Uint8Array()), ...tail };
    case T.STRINGS:
      return { kind: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)), ...tail };
    case T.TENSOR:
      return { kind: 'tensor', value: tensorFromProto(a.t ?? {}, w), ...tail };
    case T.TENSORS:
      return { kind: 'tensors', value: (a.tensors ?? []).map((t) => tensorFromProto(t, w)), ...tail };
    case T.GRAPH:
      return { kind: 'graph', value: sub(a.g ?? {}), ...tail };
    case T.GRAPHS:
      return { kind: 'graphs', value: (a.graphs ?? []).map(sub), ...tail };
    case T.SPARSE_TENSOR:
      return { kind: 'sparse_tensor', value: sparseFromProto(a.sparseTensor ?? {}, w), ...tail };
    case T.SPARSE_TENSORS:
      return { kind: 'sparse_tensors', value: (a.sparseTensors ?? []).map((s) => sparseFromProto(s, w)), ...tail };
    case T.TYPE_PROTO:
      return { kind: 'type_proto', value: typeBytes(a.tp ?? {}), ...tail };
    case T.TYPE_PROTOS:
      return { kind: 'type_protos', value: (a.typeProtos ?? []).map(typeBytes), ...tail };
    default:
      throw new UserError(`${w} has type ${a.type}, which is not an ONNX attribute type`, EXIT.badInput);
  }
}

/** Subgraphs nest at most this deep: deeper is a corrupt or hostile file, not a model. */
export const MAX_SUBGRAPH_DEPTH = 64;

export function nodeFromProto(n: onnxProto.onnx.INodeProto, i: number, where: string, depth = 0): Node {
  const name = n.name || `${n.opType}_${i}`;
  const attrs: Record<string, Attr> = {};
  for (const a of n.attribute ?? []) attrs[a.name ?? ''] = attrFromProto(a, `${where}: node '${name}'`, depth);
  return {
    name,
    opType: n.opType ?? '',
    domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
    inputs: trimOptionalInputs(n.input ?? []),
    outputs: [...(n.output ?? [])],
    attrs,
    ...(n.docString ? { docString: n.docString } : {}),
  };
}

function carriedFromProto(v: onnxProto.onnx.IValueInfoProto): CarriedValue {
  return { name: v.name ?? '', ...(v.type ? { type: typeBytes(v.type) } : {}), ...(v.docString ? { docString: v.docString } : {}) };
}

export function subgraphFromProto(g: onnxProto.onnx.IGraphProto, where: string, depth: number): SubGraph {
  if (depth > MAX_SUBGRAPH_DEPTH) throw new UserError(`${where}: subgraphs nest deeper than ${MAX_SUBGRAPH_DEPTH}`, EXIT.badInput);
  const sparse = (g.sparseInitializer ?? []).map((s) => sparseFromProto(s, where));
  return {
    name: g.name ?? '',
    inputs: (g.input ?? []).map(carriedFromProto),
    outputs: (g.output ?? []).map(carriedFromProto),
    initializers: (g.initializer ?? []).map((t) => tensorFromProto(t, where)),
    ...(sparse.length ? { sparseInitializers: sparse } : {}),
    nodes: (g.node ?? []).map((n, i) => nodeFromProto(n, i, where, depth)),
    valueInfo: (g.valueInfo ?? []).map(carriedFromProto),
    ...(g.docString ? { docString: g.docString } : {}),
  };
}
