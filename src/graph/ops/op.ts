/**
 * One OpDef per ONNX op, holding everything melbench knows about it (../shared/STYLE.md §1):
 * its schema (name, domain, since-version, inputs, outputs), its typed attributes with defaults,
 * its shape rule, its gradient rule, and its traits: the facts the passes, the cost model and the
 * trainer ask about it. A pass asks the registry (ops/index.ts) for a node's traits; an op that is
 * not registered has none, and every pass leaves it alone.
 */
import type { DType, Node, Tensor, Value, ValueType } from '../ir.ts';
import type { AttrSchema, AttrsOf, AttrValues } from './attrs.ts';

export interface ShapeContext {
  /** "Conv 'block1/conv1'": prefix for error messages. */
  where: string;
  /** The constant value of an input when it is an initializer (Reshape's shape, Clip's bounds). */
  constant(index: number): Tensor | undefined;
}

/**
 * Where gradient rules write their nodes. ModelBuilder implements it; the ops side defines it, so
 * that no op module depends on the builder. Attributes are plain values, tagged by the emitted
 * op's schema (attrs.ts `toAttrs`).
 */
export interface Emitter {
  /** Adds one node of a registered op and returns its typed outputs. */
  op(opType: string, inputs: (Value | undefined)[], attrs?: AttrValues, opts?: { name?: string; outputs?: number }): Value[];
  /** Adds one single-output node of a registered op. */
  apply(opType: string, inputs: (Value | undefined)[], attrs?: AttrValues, name?: string): Value;
  /** Adds a node with the op, domain and attributes of `node`, on new inputs. */
  copy(node: Node, inputs: (Value | undefined)[], opts?: { name?: string; outputs?: number }): Value[];
  /** A float32 (or int64) scalar constant. */
  scalar(value: number, dtype?: 'float32' | 'int64'): Value;
  /** A 1-D int64 constant: axes, shapes, starts. */
  int64s(values: readonly number[], base?: string): Value;
  constant(base: string, dtype: DType, dims: number[], data: Tensor['data']): Value;
  /** The initializer behind a value, if it is one. */
  constantOf(name: string): Tensor | undefined;
}

/**
 * What a gradient rule sees, in the names of ONNX Runtime's gradient builders:
 * I(i) is forward input i, O(i) forward output i, GO(i) the gradient flowing into output i.
 */
export interface GradContext<S extends AttrSchema = AttrSchema> {
  /** Emits the backward nodes (standard ONNX ops only, so every runtime can run them). */
  b: Emitter;
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

/**
 * How channel indices flow through an op, for channel pruning (src/export/passes/channel-groups.ts):
 *   conv       a group-1 Conv starts new channels (its weight's rows); a depthwise one keeps them
 *   gemm       starts new channels: its output features
 *   batchnorm  keeps them, with per-channel parameters that are resliced along
 *   concat     lays its inputs' channels end to end (axis 1)
 *   flatten    spreads each channel over the spatial size (feature f = c * H * W + s)
 *   matmul     MatMul by a constant 2-D weight [K, N]: starts N new channels on the output's
 *              last axis, and reads its input's channels on the last axis (a Linear layer)
 *   keep       keeps every channel where it is: elementwise on its first input, other inputs
 *              scalar constants (Relu, Clip)
 *   pool       keeps the channels on axis 1, pooling over the axes after it (MaxPool, GAP): a
 *              value whose channels are on its last axis (after a MatMul) is mixed, not kept
 *   tie        elementwise over several tensors: their channels must be pruned together (Add);
 *              a per-channel constant [C] on a last-axis value is resliced with them (a bias)
 * Absent: the op is opaque to the analysis, and the channels that reach it stay.
 */
export type ChannelFlow = 'conv' | 'gemm' | 'matmul' | 'batchnorm' | 'concat' | 'flatten' | 'keep' | 'pool' | 'tie';

/** How a statically quantized node computes (src/export/passes/quantize-static.ts has the math). */
export type QuantKind = 'conv' | 'gemm' | 'matmul' | 'add' | 'gap' | 'concat' | 'passthrough';

/**
 * Static quantization:
 *   { kind }          the op has a quantized form of that kind; `absorbsClamp`: a Relu or Clip(0, hi)
 *                     that only it feeds folds into its output's quantization range
 *   { clamp }         the op is such a clamp: at 0 ('zero', Relu), or at its constant min and max
 *                     inputs ('inputs', Clip)
 * Absent: the op has no quantized form and stays float.
 */
export type StaticQuantTrait = { kind: QuantKind; absorbsClamp?: boolean } | { clamp: 'zero' | 'inputs' };

/** The facts about an op that passes, the cost model and the trainer ask; see each field. */
export interface OpTraits {
  /** Channel pruning: how channels flow through it. */
  channels?: ChannelFlow;
  /** Static quantization (QDQ and QOperator). */
  staticQuant?: StaticQuantTrait;
  /**
   * Dynamic quantization rewrites it with a constant weight at input 1: 'conv' as ConvInteger,
   * 'gemm' (transB, alpha, beta folded) and 'matmul' as MatMulInteger.
   */
  dynamicQuant?: 'conv' | 'gemm' | 'matmul';
  /** The input that holds its weight, when it has one (Conv's W, Gemm's B, QLinearConv's w). */
  weight?: number;
  /** Unstructured magnitude pruning zeroes its weight (input `weight`). */
  magnitudePrune?: boolean;
  /**
   * Inputs that hold learned parameters when they are initializers: the cost model counts their
   * elements, the trainer feeds and updates them (for a quantized op, its integer weights and bias).
   */
  learned?: readonly number[];
  /**
   * Multiply-accumulates per sample (src/export/cost.ts):
   *   window  out_elems * prod(W.dims[1:]), W its `weight` (Conv: C_in/group * prod(kernel))
   *   matmul  out_elems * K, K the inner axis of its first input (transA read for Gemm)
   *   recurrent  seq_len * (numel(W) + numel(R)), W and R inputs 1 and 2 (LSTM, GRU, RNN: opaque-traits.ts)
   * Absent: not counted (elementwise ops, pools and BN, by the DCASE low-complexity convention).
   */
  macs?: 'window' | 'matmul' | 'recurrent';
  /**
   * The cost model: a weight passes through it unchanged in value on its way to the op that learns
   * it (an exporter slices LSTMCell's weight_ih into gates and concatenates them into W), from its
   * first input or from all of them (Concat). The initializer at the start of the chain is the
   * parameter, counted once.
   */
  carriesWeight?: 'first' | 'all';
  /**
   * Evaluated over constant inputs (src/export/const-eval.ts): lift-constants folds it into an
   * initializer, and the cost model propagates it to learn shapes and If conditions.
   */
  constantFold?: true;
  /**
   * The cost model: how its subgraphs cost (src/export/cost.ts macCount): 'branches' (If: the
   * larger), 'loop' (body * constant trip count), 'scan' (body * scanned length).
   */
  body?: 'branches' | 'loop' | 'scan';
  /**
   * float16 keeps it in float32 by default, for this reason (none so far: every zoo op loads and
   * runs in float16 on the runtimes tried; see src/export/passes/float16.ts).
   */
  keepFloat32?: string;
  /** Outputs the training graph computes even where the inference node omits them: its gradient reads them (MaxPool's Indices). */
  trainingOutputs?: number;
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
  /** What passes may do with it; absent fields mean "leave it alone". */
  traits?: OpTraits;
}

/** Identity function that fixes the schema's type parameter, so rules see typed attributes. */
export function defineOp<S extends AttrSchema>(def: OpDef<S>): OpDef<S> {
  return def;
}

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float16'];
