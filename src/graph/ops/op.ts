/**
 * One OpDef per ONNX op: its schema (name, domain, since-version, inputs, outputs), its typed
 * attributes with defaults, and its shape rule. Gradient rules join them here (see STYLE.md §1).
 */
import type { DType, Tensor, ValueType } from '../ir.ts';
import type { AttrSchema, AttrsOf } from './attrs.ts';

export interface ShapeContext {
  /** "Conv 'block1/conv1'": prefix for error messages. */
  where: string;
  /** The constant value of an input when it is an initializer (Reshape's shape, Clip's bounds). */
  constant(index: number): Tensor | undefined;
}

export interface OpDef<S extends AttrSchema = AttrSchema> {
  opType: string;
  domain: string;
  /** Opset version of the definition implemented here. */
  since: number;
  /** Input names; a trailing '?' marks an optional input. */
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: S;
  /** Output types from input types; `undefined` entries are omitted optional inputs. Throws ShapeError. */
  inferShape(inputs: (ValueType | undefined)[], attrs: AttrsOf<S>, ctx: ShapeContext): ValueType[];
}

/** Identity function that fixes the schema's type parameter, so rules see typed attributes. */
export function defineOp<S extends AttrSchema>(def: OpDef<S>): OpDef<S> {
  return def;
}

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float16'];
