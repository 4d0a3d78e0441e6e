/**
 * Typed attribute schemas. An OpDef declares `attrs: { strides: ints([1, 1]), group: int(1) }`
 * and receives `{ strides: number[]; group: number }` in its shape (and later gradient) rules:
 * defaults are applied here, in one place, and no rule ever casts an untyped bag.
 */
import { ShapeError } from '../../errors.ts';
import type { Attr, AttrKind, Tensor } from '../ir.ts';

interface KindValue {
  int: number;
  ints: number[];
  float: number;
  floats: number[];
  string: string;
  tensor: Tensor;
}

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

/** Reads a node's attributes against a schema: applies defaults, rejects unknown or mistyped ones. */
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

/** Converts plain values into tagged attributes, using the schema for the tag. Undefined values are dropped. */
export function toAttrs<S extends AttrSchema>(schema: S, values: Partial<AttrsOf<S>>): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const s = schema[name];
    if (!s) throw new ShapeError(`unknown attribute '${name}'`);
    out[name] = { kind: s.kind, value: v } as Attr;
  }
  return out;
}
