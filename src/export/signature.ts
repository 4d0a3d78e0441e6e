/**
 * A model's signature, read from the ModelProto itself: every graph input (that is not an
 * initializer) and output, with its element type and dims as the file states them: a number, a
 * symbolic name ('batch', 'T'), or null for an unnamed free dim. It needs nothing but the protobuf
 * decode, so it works for models whose ops melbench's IR cannot import, and bench can time them.
 */
import { externalLocations } from './external-data.ts';
import onnxProto from 'onnx-proto';
import { EXIT, UserError } from '../errors.ts';
import { type DType, dtypeOfOnnx } from '../graph/dtype.ts';
import type { Graph } from '../graph/ir.ts';

const { onnx } = onnxProto;
type Long = { toNumber(): number };

/** A dim as the file states it: fixed, named (symbolic) or unnamed (null). */
export type SigDim = number | string | null;

export interface SigValue {
  name: string;
  /** melbench's element type, or undefined for one it does not handle (then `onnxType` says which). */
  dtype: DType | undefined;
  /** The ONNX element type's name, e.g. 'int64', 'double', 'string'. */
  onnxType: string;
  /** Undefined when the file gives no shape at all (rank unknown). */
  dims: SigDim[] | undefined;
}

export interface Signature {
  inputs: SigValue[];
  outputs: SigValue[];
  metadata: Record<string, string>;
  /** Files the initializers' external data lives in (`location`), relative to the model's folder, each once. */
  externalFiles?: string[];
}

/** ONNX TensorProto.DataType names, for messages about the types melbench lacks. */
const ONNX_TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

const toNum = (v: number | Long): number => (typeof v === 'number' ? v : v.toNumber());

function valueOf(v: onnxProto.onnx.IValueInfoProto): SigValue {
  const t = v.type?.tensorType;
  const code = t?.elemType ?? 0;
  const dims = t?.shape ? (t.shape.dim ?? []).map((d): SigDim => (d.dimValue !== undefined && d.dimValue !== null && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : d.dimParam ? d.dimParam : null)) : undefined;
  return { name: v.name ?? '', dtype: dtypeOfOnnx(code), onnxType: t ? (ONNX_TYPE_NAMES[code] ?? `type ${code}`) : 'not a tensor', dims };
}

/** The signature of ONNX bytes; `source` names the file in errors (exit 3 for bytes that are not a model). */
export function readSignature(bytes: Uint8Array, source = 'model'): Signature {
  let m: onnxProto.onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${source} is not an ONNX model (${(e as Error).message.split('\n')[0]})`, EXIT.badInput);
  }
  const g = m.graph;
  if (!g || !(g.output ?? []).length) throw new UserError(`${source} is not an ONNX model (no graph or no outputs)`, EXIT.badInput);
  // NOTE: models from older exporters list initializers among the inputs too; they are not feeds.
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  // NOTE: every tensor's, not only the main graph's initializers: a Constant node's or a branch's tensor is read from disk as well.
  const external = new Set(externalLocations(m));
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(valueOf),
    outputs: (g.output ?? []).map(valueOf),
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
    ...(external.size ? { externalFiles: [...external] } : {}),
  };
}

/** The signature of a graph built or imported into the IR (its symbolic dims are names). */
export function signatureOfGraph(g: Graph): Signature {
  const value = (v: Graph['inputs'][number]): SigValue => ({ name: v.name, dtype: v.dtype, onnxType: v.dtype, dims: v.shape.map((d) => (typeof d === 'number' ? d : d || null)) });
  return { inputs: g.inputs.map(value), outputs: g.outputs.map(value), metadata: { ...g.metadata } };
}

/** A shape as text: [N, 1, 64, ?] with '?' for an unnamed dim, '[?]' for an unknown rank. */
export function sigShapeText(dims: SigDim[] | undefined): string {
  return dims ? `[${dims.map((d) => d ?? '?').join(', ')}]` : '[?]';
}
