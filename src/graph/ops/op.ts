/**
 * One OpDef per ONNX op: its schema (name, domain, since-version, inputs, outputs), its typed
 * attributes with defaults, and its shape rule. Gradient rules join them here (see STYLE.md §1).
 */
import type { ModelBuilder, Value } from '../builder.ts';
import type { DType, Node, Tensor, ValueType } from '../ir.ts';
import type { AttrSchema, AttrsOf } from './attrs.ts';

export interface ShapeContext {
  /** "Conv 'block1/conv1'": prefix for error messages. */
  where: string;
  /** The constant value of an input when it is an initializer (Reshape's shape, Clip's bounds). */
  constant(index: number): Tensor | undefined;
}

/**
 * What a gradient rule sees, in the names of ONNX Runtime's gradient builders:
 * I(i) is forward input i, O(i) forward output i, GO(i) the gradient flowing into output i.
 */
export interface GradContext<S extends AttrSchema = AttrSchema> {
  /** Emits the backward nodes (standard ONNX ops only, so every runtime can run them). */
  b: ModelBuilder;
  node: Node;
  attrs: AttrsOf<S>;
  where: string;
  I(i: number): Value;
  O(i: number): Value;
  /** undefined when no gradient flows into output i (e.g. MaxPool's indices). */
  GO(i: number): Value | undefined;
  /** Whether input i is present and needs a gradient: rules skip the work for the others. */
  wants(i: number): boolean;
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
  /**
   * Reverse-mode rule: one entry per input, the gradient of the loss with respect to it, or null
   * for "no gradient" (an integer input, a constant, an input not wanted). Absent: the op cannot
   * be differentiated, and autodiff says so naming the node.
   */
  grad?(ctx: GradContext<S>): (Value | null)[];
}

/** Identity function that fixes the schema's type parameter, so rules see typed attributes. */
export function defineOp<S extends AttrSchema>(def: OpDef<S>): OpDef<S> {
  return def;
}

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float16'];
