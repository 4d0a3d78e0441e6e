/**
 * The intermediate representation: plain, serializable data that mirrors ONNX's ModelProto.
 *
 * A Graph is a list of Nodes in topological order, connected by value names. Values carry a
 * dtype and a shape whose dims are numbers or symbols (e.g. 'N' for batch, 'T' for frames).
 * No closures live on the IR: passes are functions from IR to IR, and the IR round-trips
 * through ONNX bytes unchanged (src/export/onnx.ts).
 *
 * Imported models carry what the IR does not model as plain data too. Subgraphs (If, Loop, Scan)
 * are `SubGraph`s whose nodes are ordinary IR nodes, not opaque bytes: a usage scan must see the
 * outer-scope names a branch reads (src/graph/reads.ts), and a pass that renames or adds a value
 * must be able to see and avoid the names inside. Their signatures and value_info, though, keep
 * the model's encoded TypeProtos (`CarriedValue`), because ONNX lets them be absent, partial or
 * non-tensor, and melbench infers no shapes inside subgraphs (onnxruntime does): re-deriving them
 * could only lose information. Likewise type_proto attributes are their encoded bytes.
 */

import type { DType, TypedArrayOf } from './dtype.ts';

export type { DType } from './dtype.ts';

/** A dimension: a known size, or a symbol such as 'N' or an expression such as 'floor((T-1)/2)+1'. */
export type Dim = number | string;
export type Shape = Dim[];

export interface ValueType {
  dtype: DType;
  shape: Shape;
}

export interface ValueInfo extends ValueType {
  name: string;
  /**
   * The model declares this tensor's element type but no shape (rank unknown): `shape` is [] and
   * means nothing; export writes no shape. Only on imported graphs' inputs and outputs.
   */
  shapeUnknown?: true;
}

/** A typed value of a graph being built: what the DSL and gradient rules pass around. */
export interface Value extends ValueType {
  readonly name: string;
}

/** Element values: a typed array for every dtype but 'string', whose tensors hold JS strings. */
export type TensorData = TypedArrayOf | string[];

/** A constant tensor (an initializer or a tensor attribute). float16 data is stored as raw Uint16 bits. */
export interface Tensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorData;
  docString?: string;
}

/** ONNX SparseTensorProto: `values` [NNZ] at `indices` ([NNZ] linear or [NNZ, rank]) of a dense tensor of `dims`. */
export interface SparseTensor {
  values: Tensor;
  indices: Tensor;
  dims: number[];
}

/**
 * A value of a subgraph's signature or value_info, as the model wrote it. Subgraph types are
 * optional in ONNX (a Loop body's inputs often have none) and may be sequences or optionals, so
 * they are carried verbatim: `type` is the encoded TypeProto, absent when the model gave none.
 */
export interface CarriedValue {
  name: string;
  type?: Uint8Array;
  docString?: string;
}

/**
 * The body of an If, Loop or Scan (ONNX GraphProto inside an attribute). Its nodes are IR nodes,
 * so the usage scans (reads.ts) and passes can walk into them; their inputs may name values of
 * any enclosing graph (outer-scope references), which is how a branch reads the model's state.
 * No shapes are inferred in it: onnxruntime does that; melbench carries it.
 */
export interface SubGraph {
  name: string;
  inputs: CarriedValue[];
  outputs: CarriedValue[];
  initializers: Tensor[];
  sparseInitializers?: SparseTensor[];
  nodes: Node[];
  valueInfo: CarriedValue[];
  docString?: string;
}

/**
 * Node attributes as a tagged union, one tag per ONNX AttributeType. Subgraphs are IR SubGraphs
 * (walkable); type protos are carried as their encoded bytes (plain data, read by no pass).
 */
export type Attr = (
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'tensors'; value: Tensor[] }
  | { kind: 'graph'; value: SubGraph }
  | { kind: 'graphs'; value: SubGraph[] }
  | { kind: 'sparse_tensor'; value: SparseTensor }
  | { kind: 'sparse_tensors'; value: SparseTensor[] }
  | { kind: 'type_proto'; value: Uint8Array }
  | { kind: 'type_protos'; value: Uint8Array[] }
) & {
  /** Inside a model-local function: the caller's attribute this one refers to (ONNX ref_attr_name). */
  refAttrName?: string;
  docString?: string;
};

export type AttrKind = Attr['kind'];

export interface Node {
  name: string;
  opType: string;
  /** '' is the default ONNX domain. */
  domain: string;
  /** Value names; '' marks an omitted optional input, as in ONNX. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
  docString?: string;
}

/** "Conv 'block1/conv1'": how messages name a node. */
export function describeNode(node: Pick<Node, 'opType' | 'name'>): string {
  return `${node.opType} '${node.name}'`;
}

export interface Graph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Tensor[];
  nodes: Node[];
  /** Inferred types of intermediate values. */
  valueInfo: ValueInfo[];
  /** The default-domain opset the graph targets. */
  opset: number;
  /** Free-form provenance: zoo entry, variant, seed... Exported as ONNX metadata_props. */
  metadata: Record<string, string>;
  /** ONNX sparse_initializer (imported models only). */
  sparseInitializers?: SparseTensor[];
  docString?: string;
  /** The ModelProto fields of an imported model that export keeps; absent on graphs built here. */
  model?: ModelInfo;
}

/**
 * What an imported model said about itself beyond its graph. Export writes the model's own IR
 * version and opset imports (domains in their order, the default domain at `Graph.opset`), plus
 * version 1 of any domain a pass added; model-local functions are carried as encoded FunctionProtos.
 */
export interface ModelInfo {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  domain?: string;
  modelVersion?: number;
  docString?: string;
  functions?: Uint8Array[];
}

/** Number of elements of a fully known shape. */
export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Every value name in the graph mapped to its type: inputs, initializers, inferred values; values of unknown type are absent. */
export function valueTypes(g: Graph): Map<string, ValueType> {
  const m = new Map<string, ValueType>();
  for (const v of g.inputs) if (!v.shapeUnknown) m.set(v.name, v);
  for (const t of g.initializers) m.set(t.name, { dtype: t.dtype, shape: t.dims });
  for (const s of g.sparseInitializers ?? []) m.set(s.values.name, { dtype: s.values.dtype, shape: s.dims });
  for (const v of g.valueInfo) m.set(v.name, v);
  for (const v of g.outputs) if (!v.shapeUnknown) m.set(v.name, v);
  return m;
}

/**
 * Whether the graph knows the type (dtype and full-rank shape) of a value. Shape inference leaves
 * a value unknown when it comes from an op melbench does not model and the model declares no
 * type for it (src/graph/infer.ts); such values are absent from `valueTypes`.
 */
export function isKnownType(g: Graph, name: string): boolean {
  return valueTypes(g).has(name);
}

/**
 * A node's inputs without trailing omitted ('') optional inputs: the same node to ONNX, but ORT
 * 1.30 skips its Conv+BatchNormalization fusion for a Conv whose bias input is present and
 * empty (measured: the trained ResNet ran 0.71x as long once they were dropped). The builder and
 * the ONNX import and export all keep inputs in this form.
 */
export function trimOptionalInputs(inputs: readonly string[]): string[] {
  let n = inputs.length;
  while (n > 0 && inputs[n - 1] === '') n--;
  return inputs.slice(0, n);
}
