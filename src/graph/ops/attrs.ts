/**
 * Typed attributes: the one place where a node's tagged attributes are read or written.
 *
 * An OpDef declares `attrs: { strides: ints([1, 1]), group: int(1) }` and its shape and gradient
 * rules receive `{ strides: number[]; group: number }`: defaults are applied here, in one place,
 * and no rule ever casts an untyped bag.
 *   reader  attrsOf(Conv, node)            -> { group: number, pads: number[] | undefined, ... }
 *   writer  toAttrs(Conv.attrs, { group }) -> { group: { kind: 'int', value: group } }
 * The writer takes the tag from the schema, so a value can only be written as the kind its op
 * declares; the builder runs it on every node it adds (b.apply('Flatten', [x], { axis: 1 })).
 */
import { invariant, ShapeError } from '../../errors.ts';
import { type Attr, type AttrKind, describeNode, type Node, type SparseTensor, type SubGraph, type Tensor } from '../ir.ts';

interface KindValue {
  int: number;
  ints: number[];
  float: number;
  floats: number[];
  string: string;
  strings: string[];
  tensor: Tensor;
  tensors: Tensor[];
  graph: SubGraph;
  graphs: SubGraph[];
  sparse_tensor: SparseTensor;
  sparse_tensors: SparseTensor[];
  type_proto: Uint8Array;
  type_protos: Uint8Array[];
}

/** An attribute's plain value, as rules and DSL calls write it. */
export type AttrValue = KindValue[AttrKind];
/** Plain attribute values by name, tagged by `toAttrs`; undefined entries are left out. */
export type AttrValues = Readonly<Record<string, AttrValue | undefined>>;

export interface AttrSpec<K extends AttrKind = AttrKind> {
  kind: K;
  /** Absent default and not optional: the attribute is required. */
  default?: KindValue[K];
  optional?: boolean;
}

export type AttrSchema = Record<string, AttrSpec>;

/** The typed attribute record a schema describes; optional attributes may be undefined. */
export type AttrsOf<S extends AttrSchema> = {
  [K in keyof S]: S[K] extends AttrSpec<infer Kind>
    ? S[K]['optional'] extends true
      ? KindValue[Kind] | undefined
      : KindValue[Kind]
    : never;
};

const spec =
  <K extends AttrKind>(kind: K) =>
  (def?: KindValue[K]): AttrSpec<K> => ({ kind, default: def });
const optionalSpec =
  <K extends AttrKind>(kind: K) =>
  (): AttrSpec<K> & { optional: true } => ({ kind, optional: true });

export const int = spec('int');
export const ints = spec('ints');
export const float = spec('float');
export const floats = spec('floats');
export const string = spec('string');
export const optInts = optionalSpec('ints');
export const optFloat = optionalSpec('float');

/** Reads tagged attributes against a schema: applies defaults, rejects unknown or mistyped ones. */
export function readAttrs<S extends AttrSchema>(schema: S, attrs: Record<string, Attr>, where: string): AttrsOf<S> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(attrs)) {
    if (!(name in schema)) throw new ShapeError(`${where}: unsupported attribute '${name}'`);
  }
  for (const [name, s] of Object.entries(schema)) {
    const a = attrs[name];
    if (a === undefined) {
      if (s.default === undefined && !s.optional) throw new ShapeError(`${where}: missing required attribute '${name}'`);
      out[name] = s.default;
    } else if (a.kind !== s.kind) {
      throw new ShapeError(`${where}: attribute '${name}' must be ${s.kind}, got ${a.kind}`);
    } else {
      out[name] = a.value;
    }
  }
  return out as AttrsOf<S>;
}

/**
 * The attributes of `node` as its OpDef types them, defaults applied: the reader for passes.
 *
 * @example
 *   const { transB } = attrsOf(Gemm, node); // 0 when the node does not set it
 */
export function attrsOf<S extends AttrSchema>(def: { opType: string; domain: string; attrs: S }, node: Node): AttrsOf<S> {
  invariant(node.opType === def.opType && node.domain === def.domain, () => `attrsOf: ${describeNode(node)} read with the schema of ${def.opType}`);
  return readAttrs(def.attrs, node.attrs, describeNode(node));
}

const isInt = (v: unknown) => Number.isInteger(v);
const isTensor = (v: unknown) => typeof v === 'object' && v !== null && 'dims' in v && 'data' in v;
const isGraph = (v: unknown) => typeof v === 'object' && v !== null && 'nodes' in v && 'outputs' in v;
const isSparse = (v: unknown) => typeof v === 'object' && v !== null && 'values' in v && 'indices' in v;
const isNum = (v: unknown) => typeof v === 'number';
const FITS: Record<AttrKind, (v: unknown) => boolean> = {
  int: isInt,
  float: isNum,
  ints: (v) => Array.isArray(v) && v.every(isInt),
  floats: (v) => Array.isArray(v) && v.every(isNum),
  string: (v) => typeof v === 'string',
  tensor: isTensor,
  tensors: (v) => Array.isArray(v) && v.every(isTensor),
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  graph: isGraph,
  graphs: (v) => Array.isArray(v) && v.every(isGraph),
  sparse_tensor: isSparse,
  sparse_tensors: (v) => Array.isArray(v) && v.every(isSparse),
  type_proto: (v) => v instanceof Uint8Array,
  type_protos: (v) => Array.isArray(v) && v.every((x) => x instanceof Uint8Array),
};

/**
 * The attribute writer: plain values tagged with the kinds the schema declares, in the order
 * given (ONNX export writes attributes in this order, so it is part of the model's bytes).
 * Undefined values are left out. NOTE: floats are rounded to float32, as ONNX stores them, so a
 * node equals its own round trip through ONNX bytes.
 */
export function toAttrs<S extends AttrSchema>(schema: S, values: Partial<AttrsOf<S>> | AttrValues, where = 'toAttrs'): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const s = schema[name];
    if (!s) throw new ShapeError(`${where}: unsupported attribute '${name}'`);
    if (!FITS[s.kind](v)) throw new ShapeError(`${where}: attribute '${name}' must be ${s.kind}, got ${JSON.stringify(v)}`);
    const value = s.kind === 'float' ? Math.fround(v as number) : s.kind === 'floats' ? (v as number[]).map(Math.fround) : v;
    out[name] = { kind: s.kind, value } as Attr;
  }
  return out;
}
