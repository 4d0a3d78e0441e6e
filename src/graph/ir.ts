/**
 * The intermediate representation: plain, serializable data that mirrors ONNX's ModelProto.
 *
 * A Graph is a list of Nodes in topological order, connected by value names. Values carry a
 * dtype and a shape whose dims are numbers or symbols (e.g. 'N' for batch, 'T' for frames).
 * No closures live on the IR: passes are functions from IR to IR, and the IR round-trips
 * through ONNX bytes unchanged (src/export/onnx.ts).
 */

import type { DType } from './dtype.ts';

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
}

/** A typed value of a graph being built: what the DSL and gradient rules pass around. */
export interface Value extends ValueType {
  readonly name: string;
}

export type TensorData = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A constant tensor (an initializer or a tensor attribute). float16 data is stored as raw Uint16 bits. */
export interface Tensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorData;
}

/** Node attributes as a tagged union, one tag per ONNX AttributeType that melbench uses. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: Tensor };

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
}

/** Number of elements of a fully known shape. */
export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Every value name in the graph mapped to its type: inputs, initializers, inferred values. */
export function valueTypes(g: Graph): Map<string, ValueType> {
  const m = new Map<string, ValueType>();
  for (const v of g.inputs) m.set(v.name, v);
  for (const t of g.initializers) m.set(t.name, { dtype: t.dtype, shape: t.dims });
  for (const v of g.valueInfo) m.set(v.name, v);
  for (const v of g.outputs) m.set(v.name, v);
  return m;
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
