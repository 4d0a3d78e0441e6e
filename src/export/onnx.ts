/**
 * IR <-> ONNX ModelProto bytes through onnx-proto (protobufjs).
 *
 * Export writes opset `graph.opset` (17 by default) at IR version 8, named inputs and outputs with
 * their (symbolic) shapes, value_info for every intermediate value, tensors as little-endian
 * raw_data, and the graph's metadata as metadata_props. Import accepts any model whose ops
 * melbench's IR knows, and re-infers shapes so an imported graph is checked like a built one.
 */
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { DTYPES, dtypeOfOnnx, ONNX_ELEM_TYPE } from '../graph/dtype.ts';
import { type Attr, type DType, type Dim, type Graph, type Node, type Tensor, type TensorData, trimOptionalInputs, type ValueInfo } from '../graph/ir.ts';
import { inferShapes } from '../graph/infer.ts';

const { onnx } = onnxProto;
type Long = { toNumber(): number };

export const PRODUCER_NAME = 'melbench';
export const PRODUCER_VERSION = '0.1.0';
const IR_VERSION = 8;

const toNum = (v: number | Long): number => (typeof v === 'number' ? v : v.toNumber());

function tensorToProto(t: Tensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  // NOTE: copy, because protobufjs keeps a reference and the typed array may be a view on a larger buffer.
  return { name: t.name, dataType: ONNX_ELEM_TYPE[t.dtype], dims: t.dims, rawData: bytes.slice() };
}

function valueInfoToProto(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_ELEM_TYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attrToProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorToProto(a.value) };
  }
}

function nodeToProto(n: Node): onnxProto.onnx.INodeProto {
  return {
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    input: trimOptionalInputs(n.inputs),
    output: n.outputs,
    attribute: Object.entries(n.attrs).map(([k, a]) => attrToProto(k, a)),
  };
}

/**
 * The default-domain opset, plus version 1 of every other domain the nodes use (com.microsoft's
 * contrib ops: QLinearAdd, QGemm...), which onnxruntime requires to resolve their kernels.
 */
function opsetImports(g: Graph): onnxProto.onnx.IOperatorSetIdProto[] {
  const domains = [...new Set(g.nodes.map((n) => n.domain).filter((d) => d !== ''))].sort();
  return [{ domain: '', version: g.opset }, ...domains.map((domain) => ({ domain, version: 1 }))];
}

/** Serialises a graph to ONNX bytes. */
export function toOnnx(g: Graph): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    opsetImport: opsetImports(g),
    metadataProps: Object.entries(g.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map(nodeToProto),
      initializer: g.initializers.map(tensorToProto),
      input: g.inputs.map(valueInfoToProto),
      output: g.outputs.map(valueInfoToProto),
      valueInfo: g.valueInfo.map(valueInfoToProto),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---- import -----------------------------------------------------------------------------------

function dtypeFrom(code: number | null | undefined, where: string): DType {
  const d = dtypeOfOnnx(code ?? 0);
  if (!d) throw new UserError(`${where}: tensor element type ${code} is not supported (float32, float16, int8, uint8, int32, int64, bool are)`, EXIT.badInput);
  return d;
}

function tensorFromProto(t: onnxProto.onnx.ITensorProto, where: string): Tensor {
  const dtype = dtypeFrom(t.dataType, where);
  const dims = (t.dims ?? []).map(toNum);
  const n = dims.reduce((a, b) => a * b, 1);
  let data: TensorData;
  if (t.rawData && t.rawData.length) {
    // NOTE: copy into a fresh buffer: decoded bytes are a Buffer view (unaligned, shared pool).
    const raw = new Uint8Array(t.rawData);
    if (raw.byteLength % DTYPES[dtype].bytes !== 0) throw new UserError(`${where}: tensor '${t.name}' has ${raw.byteLength} bytes, not a multiple of ${dtype}`, EXIT.badInput);
    data = new DTYPES[dtype].array(raw.buffer);
  } else if (dtype === 'float32') data = Float32Array.from(t.floatData ?? []);
  else if (dtype === 'int64') data = BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNum(v))));
  else {
    // int8/uint8/int32/float16/bool are stored in int32_data when not raw.
    const Ctor = DTYPES[dtype].array as unknown as { from(xs: number[]): TensorData };
    data = Ctor.from(t.int32Data ?? []);
  }
  if (data.length !== n) throw new UserError(`${where}: tensor '${t.name}' has ${data.length} values for dims [${dims}]`, EXIT.badInput);
  return { name: t.name ?? '', dtype, dims, data };
}

function attrFromProto(a: onnxProto.onnx.IAttributeProto, where: string): Attr {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return { kind: 'int', value: toNum(a.i ?? 0) };
    case T.INTS:
      return { kind: 'ints', value: (a.ints ?? []).map(toNum) };
    case T.FLOAT:
      return { kind: 'float', value: a.f ?? 0 };
    case T.FLOATS:
      return { kind: 'floats', value: [...(a.floats ?? [])] };
    case T.STRING:
      return { kind: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case T.TENSOR:
      return { kind: 'tensor', value: tensorFromProto(a.t ?? {}, where) };
    default:
      throw new UserError(`${where}: attribute '${a.name}' has an unsupported type ${a.type}`, EXIT.badInput);
  }
}

function valueInfoFromProto(v: onnxProto.onnx.IValueInfoProto, where: string): ValueInfo {
  const tt = v.type?.tensorType;
  if (!tt) throw new UserError(`${where}: value '${v.name}' is not a tensor`, EXIT.badInput);
  const shape: Dim[] = (tt.shape?.dim ?? []).map((d, i) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNum(d.dimValue) : `${v.name}_d${i}`));
  return { name: v.name ?? '', dtype: dtypeFrom(tt.elemType, where), shape };
}

/**
 * Parses ONNX bytes into the IR. `source` names the file in errors.
 * Throws UserError(EXIT.badInput) for bytes that are not an ONNX model.
 */
export function fromOnnx(bytes: Uint8Array, source = 'model'): Graph {
  let m: onnxProto.onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${source} is not an ONNX model (${(e as Error).message.split('\n')[0]}); export one with 'melbench export <model> -o file.onnx'`, EXIT.badInput);
  }
  const g = m.graph;
  const irVersion = toNum(m.irVersion ?? 0);
  if (!g || irVersion <= 0 || !(m.opsetImport ?? []).length) {
    throw new UserError(`${source} is not an ONNX model (no graph, IR version or opset); export one with 'melbench export <model> -o file.onnx'`, EXIT.badInput);
  }
  const opset = toNum((m.opsetImport ?? []).find((o) => !o.domain)?.version ?? 0);
  const initializers = (g.initializer ?? []).map((t) => tensorFromProto(t, source));
  const initNames = new Set(initializers.map((t) => t.name));
  const graph: Graph = {
    name: g.name ?? 'graph',
    // NOTE: models from older exporters list initializers among the inputs too; they are not feeds.
    inputs: (g.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map((v) => valueInfoFromProto(v, source)),
    outputs: (g.output ?? []).map((v) => valueInfoFromProto(v, source)),
    initializers,
    nodes: (g.node ?? []).map((n, i) => ({
      name: n.name || `${n.opType}_${i}`,
      opType: n.opType ?? '',
      domain: n.domain ?? '',
      inputs: trimOptionalInputs(n.input ?? []),
      outputs: [...(n.output ?? [])],
      attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', attrFromProto(a, `${source}: node '${n.name}'`)])),
    })),
    valueInfo: [],
    opset,
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
  return inferShapes(graph);
}

/**
 * The same ONNX bytes with every node's trailing empty ('') optional inputs dropped, or the very
 * array passed in when no node has one. Works on any model, including ops the IR does not know.
 * An empty trailing name means "absent" in ONNX, but some runtimes read it as a present tensor of
 * empty shape (ORT-web 1.30's WebGPU Conv: "ReduceShapeByComponents ... input shape must not be
 * empty"), and ORT's CPU graph optimizer skips Conv+BatchNormalization fusion for it.
 */
export function withoutEmptyTrailingInputs(bytes: Uint8Array): Uint8Array {
  let m: onnxProto.onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch {
    return bytes; // not ONNX: the runtime reports it in its own words
  }
  let changed = false;
  for (const n of m.graph?.node ?? []) {
    const trimmed = trimOptionalInputs(n.input ?? []);
    if (trimmed.length !== (n.input ?? []).length) {
      n.input = trimmed;
      changed = true;
    }
  }
  return changed ? onnx.ModelProto.encode(m).finish() : bytes;
}
