/**
 * IR <-> ONNX ModelProto bytes through onnx-proto (protobufjs).
 *
 * Export writes opset `graph.opset` (17 by default) at IR version 8, named inputs and outputs with
 * their (symbolic) shapes, value_info for every intermediate value, tensors as little-endian
 * raw_data (never external data), and the graph's metadata as metadata_props. A graph imported
 * from a file keeps its model's IR version, opset imports (with their real versions: ai.onnx.ml 3
 * stays 3), doc strings, model-local functions and sparse initializers.
 *
 * Import carries any model onnxruntime runs: ops the IR does not model stay as opaque nodes
 * (op type, domain, every attribute, subgraphs with their outer-scope references; see
 * onnx-nodes.ts), every element type but complex and 4-bit ones (src/graph/dtype.ts), external
 * data read from beside the model (external-data.ts), and shapes re-inferred where melbench can
 * (src/graph/infer.ts). It refuses with exit 3 what is not a model (bad bytes, bad tensors,
 * unsafe external data), and with exit 4 a valid model melbench cannot use (non-tensor graph
 * inputs or outputs, complex or 4-bit tensors).
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { ONNX_ELEM_TYPE } from '../graph/dtype.ts';
import { inferShapes } from '../graph/infer.ts';
import { type Dim, type Graph, type ModelInfo, type Node, trimOptionalInputs, type ValueInfo } from '../graph/ir.ts';
import { nodeSubgraphs } from '../graph/reads.ts';
import { resolveExternalData } from './external-data.ts';
import { nodeFromProto, nodeToProto } from './onnx-nodes.ts';
import { dtypeFrom, sparseFromProto, sparseToProto, tensorFromProto, tensorToProto, toNum } from './onnx-tensor.ts';

const { onnx } = onnxProto;

export const PRODUCER_NAME = 'melbench';
export const PRODUCER_VERSION = '0.1.0';
const IR_VERSION = 8;

function valueInfoToProto(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_ELEM_TYPE[v.dtype],
        ...(v.shapeUnknown ? {} : { shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } }),
      },
    },
  };
}

/** Every domain the nodes use, subgraphs included. */
function usedDomains(nodes: readonly Node[], out = new Set<string>()): Set<string> {
  for (const n of nodes) {
    if (n.domain !== '') out.add(n.domain);
    for (const sg of nodeSubgraphs(n)) usedDomains(sg.nodes, out);
  }
  return out;
}

/**
 * The opset imports. A built graph: the default-domain opset, plus version 1 of every other
 * domain the nodes use (com.microsoft's contrib ops: QLinearAdd, QGemm...), which onnxruntime
 * requires to resolve their kernels. An imported graph: its model's own imports in their order,
 * the default domain at `g.opset`, plus version 1 of any domain a pass added.
 */
function opsetImports(g: Graph): onnxProto.onnx.IOperatorSetIdProto[] {
  const used = [...usedDomains(g.nodes)].sort();
  if (!g.model) return [{ domain: '', version: g.opset }, ...used.map((domain) => ({ domain, version: 1 }))];
  const own = g.model.opsets.map((o) => ({ domain: o.domain, version: o.domain === '' ? g.opset : o.version }));
  if (!own.some((o) => o.domain === '') && g.opset > 0) own.unshift({ domain: '', version: g.opset });
  const have = new Set(own.map((o) => o.domain));
  return [...own, ...used.filter((d) => !have.has(d)).map((domain) => ({ domain, version: 1 }))];
}

/** Serialises a graph to ONNX bytes. */
export function toOnnx(g: Graph): Uint8Array {
  const m = g.model;
  const inputs = g.inputs.map(valueInfoToProto);
  // NOTE: before IR version 4 every initializer had to be listed among the graph inputs too.
  if (m && m.irVersion < 4) for (const t of g.initializers) inputs.push(valueInfoToProto({ name: t.name, dtype: t.dtype, shape: t.dims }));
  const model = onnx.ModelProto.create({
    irVersion: m?.irVersion ?? IR_VERSION,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    ...(m?.domain ? { domain: m.domain } : {}),
    ...(m?.modelVersion ? { modelVersion: m.modelVersion } : {}),
    ...(m?.docString ? { docString: m.docString } : {}),
    opsetImport: opsetImports(g),
    metadataProps: Object.entries(g.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map(nodeToProto),
      initializer: g.initializers.map(tensorToProto),
      ...(g.sparseInitializers?.length ? { sparseInitializer: g.sparseInitializers.map(sparseToProto) } : {}),
      ...(g.docString ? { docString: g.docString } : {}),
      input: inputs,
      output: g.outputs.map(valueInfoToProto),
      valueInfo: g.valueInfo.map(valueInfoToProto),
    },
    ...(m?.functions?.length ? { functions: m.functions.map((f) => onnx.FunctionProto.decode(f)) } : {}),
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---- import -----------------------------------------------------------------------------------

function dims(v: onnxProto.onnx.IValueInfoProto, tt: onnxProto.onnx.TypeProto.ITensor): Dim[] {
  return (tt.shape?.dim ?? []).map((d, i) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNum(d.dimValue) : `${v.name}_d${i}`));
}

/** A graph input or output: a tensor, or exit 4 (ORT runs sequence or map I/O; melbench feeds and reads tensors). */
function signatureFromProto(v: onnxProto.onnx.IValueInfoProto, where: string): ValueInfo {
  const tt = v.type?.tensorType;
  if (!tt) throw new UserError(`${where}: graph input or output '${v.name}' is not a tensor (${v.type ? Object.keys(onnx.TypeProto.toObject(onnx.TypeProto.fromObject(v.type))).join(', ') || 'no type' : 'no type'}), so this model cannot be used`, EXIT.badModel);
  const dtype = dtypeFrom(tt.elemType, `${where}: value '${v.name}'`);
  return tt.shape ? { name: v.name ?? '', dtype, shape: dims(v, tt) } : { name: v.name ?? '', dtype, shape: [], shapeUnknown: true };
}

/** The model's own value_info entries that melbench can state: tensors of a carried type with a shape. */
function declaredFromProto(v: onnxProto.onnx.IValueInfoProto, where: string): ValueInfo[] {
  const tt = v.type?.tensorType;
  if (!tt || !tt.shape || !tt.elemType) return [];
  try {
    return [{ name: v.name ?? '', dtype: dtypeFrom(tt.elemType, where), shape: dims(v, tt) }];
  } catch {
    return []; // a type melbench does not carry: onnxruntime infers it again
  }
}

export interface FromOnnxOptions {
  /** The model's directory: where its external data files are read from. */
  dir?: string;
}

/**
 * Parses ONNX bytes into the IR. `source` names the file in errors.
 * Throws UserError(EXIT.badInput) for bytes that are not an ONNX model, and UserError(EXIT.badModel)
 * for a valid model melbench cannot use.
 */
export function fromOnnx(bytes: Uint8Array, source = 'model', opts: FromOnnxOptions = {}): Graph {
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
  resolveExternalData(m, opts.dir, source);
  const opsets = (m.opsetImport ?? []).map((o) => ({ domain: o.domain === 'ai.onnx' ? '' : (o.domain ?? ''), version: toNum(o.version ?? 0) }));
  const opset = opsets.find((o) => o.domain === '')?.version ?? 0;
  const initializers = (g.initializer ?? []).map((t) => tensorFromProto(t, source));
  const initNames = new Set(initializers.map((t) => t.name));
  const sparse = (g.sparseInitializer ?? []).map((s) => sparseFromProto(s, source));
  const model: ModelInfo = {
    irVersion,
    opsets,
    ...(m.domain ? { domain: m.domain } : {}),
    ...(toNum(m.modelVersion ?? 0) ? { modelVersion: toNum(m.modelVersion ?? 0) } : {}),
    ...(m.docString ? { docString: m.docString } : {}),
    ...(m.functions?.length ? { functions: m.functions.map((f) => onnx.FunctionProto.encode(f).finish().slice()) } : {}),
  };
  const nodes = (g.node ?? []).map((n, i) => nodeFromProto(n, i, source));
  const graph: Graph = {
    name: g.name ?? 'graph',
    // NOTE: models from older exporters list initializers among the inputs too; they are not feeds.
    inputs: (g.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map((v) => signatureFromProto(v, source)),
    outputs: (g.output ?? []).map((v) => signatureFromProto(v, source)),
    initializers,
    ...(sparse.length ? { sparseInitializers: sparse } : {}),
    nodes,
    // The model's own types: inference keeps them for the values it cannot reach.
    valueInfo: (g.valueInfo ?? []).flatMap((v) => declaredFromProto(v, source)),
    opset,
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
    ...(g.docString ? { docString: g.docString } : {}),
  };
  // NOTE: a file melbench wrote, whose header export writes anyway, imports to the very graph that
  // was exported (no `model`); its graph is checked as a built one (src/graph/infer.ts).
  const ownHeader = m.producerName === PRODUCER_NAME && JSON.stringify(model) === JSON.stringify({ irVersion: IR_VERSION, opsets: opsetImports({ ...graph, model: undefined }) });
  return inferShapes(ownHeader ? graph : { ...graph, model });
}

/** Reads an ONNX file and imports it, with its external data read from beside it. */
export function fromOnnxFile(path: string): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.badInput);
  }
  return fromOnnx(bytes, path, { dir: dirname(path) });
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
  // Subgraphs too (a Conv inside an If branch), at any depth.
  const visit = (nodes: onnxProto.onnx.INodeProto[]) => {
    for (const n of nodes) {
      const trimmed = trimOptionalInputs(n.input ?? []);
      if (trimmed.length !== (n.input ?? []).length) {
        n.input = trimmed;
        changed = true;
      }
      for (const a of n.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) visit(g.node ?? []);
    }
  };
  visit(m.graph?.node ?? []);
  return changed ? onnx.ModelProto.encode(m).finish() : bytes;
}
