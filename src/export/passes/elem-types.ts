/**
 * Element types where shape inference stops. melbench's inference (src/graph/infer.ts) types a
 * value only with its whole shape; a chain through an op it does not model (ConstantOfShape,
 * Shape...) leaves everything downstream untyped, and inside imported subgraphs that is most of
 * the body (silero VAD's branches: 2 of 55 values typed). But the element type alone follows from
 * ONNX's type constraints, op by op, whatever the shapes:
 *
 *   most ops                       every output has the type of input 0, the data (type variable
 *                                  T shared by it and the outputs: Conv, Pad, Slice, Relu,
 *                                  Reshape, Gather, LSTM ...); Add, Sub, Mul, Div, Mod, PRelu,
 *                                  Max, Min, Sum, Mean and Concat, whose inputs all share T, that
 *                                  of any typed input
 *   Shape, Size, NonZero, ArgMax/Min, NonMaxSuppression   int64
 *   Equal, Greater, Less(OrEqual), And, Or, Xor, Not, IsNaN, IsInf   bool
 *   Cast (to), ConstantOfShape (value, float32 by default), Constant (value), CastLike (input 1),
 *   Where (input 1), QuantizeLinear (its zero point, uint8 without), DequantizeLinear (float32),
 *   ConvInteger / MatMulInteger (int32), DynamicQuantizeLinear (uint8, float32, uint8),
 *   MaxPool / TopK / Unique (int64 indices after the first output), Dropout (bool mask)
 *   If                             the then-branch's output types: declared, else by these rules
 *   Loop                           carried outputs the type of the carried inputs
 * An op of another domain, or a value these rules cannot reach, stays untyped: a caller that needs
 * a type (calibration exposing float activations) leaves such values alone.
 *
 * NOTE: like lift-constants' fold table, this names ops melbench does not model (Shape,
 * ConstantOfShape...): it exists to read imported models through them. Were those ops registered,
 * these facts would be their OpDefs' (ops/op.ts), and inference would type the values itself.
 */
import { type DType, dtypeOfOnnx } from '../../graph/dtype.ts';
import { type CarriedValue, type Graph, type Node, valueTypes } from '../../graph/ir.ts';
import onnxProto from 'onnx-proto';

/** The element type a subgraph's value declares; undefined when the model gave none (ONNX lets a body leave types out). */
export function carriedElemType(v: CarriedValue): DType | undefined {
  const tt = v.type ? onnxProto.onnx.TypeProto.decode(v.type).tensorType : undefined;
  return tt?.elemType ? dtypeOfOnnx(tt.elemType) : undefined;
}

const intAttr = (n: Node, name: string) => (n.attrs[name]?.kind === 'int' ? (n.attrs[name].value as number) : undefined);

/** The element types of a node's outputs, from its inputs' (see the header); undefined where no rule applies. */
function outputTypes(n: Node, typeOf: (name: string) => DType | undefined): (DType | undefined)[] {
  const k = n.outputs.length;
  const all = (d: DType | undefined) => Array<DType | undefined>(k).fill(d);
  if (n.domain !== '' && n.domain !== 'ai.onnx') return all(undefined);
  // NOTE: input 0 holds the data for most ops (Gather, Reshape, Slice, Pad take int64 companions).
  const data = n.inputs[0] ? typeOf(n.inputs[0]) : undefined;
  const anyInput = () => n.inputs.map((i) => (i ? typeOf(i) : undefined)).find((d) => d !== undefined);
  switch (n.opType) {
    case 'Shape':
    case 'Size':
    case 'NonZero':
    case 'ArgMax':
    case 'ArgMin':
    case 'NonMaxSuppression':
      return all('int64');
    case 'Equal':
    case 'Greater':
    case 'GreaterOrEqual':
    case 'Less':
    case 'LessOrEqual':
    case 'And':
    case 'Or':
    case 'Xor':
    case 'Not':
    case 'IsNaN':
    case 'IsInf':
      return all('bool');
    // Every input shares T with the outputs: any typed one will do.
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Mod':
    case 'PRelu':
    case 'Max':
    case 'Min':
    case 'Sum':
    case 'Mean':
    case 'Concat':
      return all(anyInput());
    case 'Cast': {
      const to = intAttr(n, 'to');
      return all(to === undefined ? undefined : dtypeOfOnnx(to));
    }
    case 'CastLike':
      return all(typeOf(n.inputs[1]));
    case 'Where':
      return all(typeOf(n.inputs[1]) ?? typeOf(n.inputs[2]));
    case 'Constant':
    case 'ConstantOfShape': {
      const v = n.attrs.value;
      if (v?.kind === 'tensor') return all(v.value.dtype);
      if (n.attrs.value_float || n.attrs.value_floats) return all('float32');
      if (n.attrs.value_int || n.attrs.value_ints) return all('int64');
      // ConstantOfShape's value defaults to a float32 zero.
      return all(n.inputs.length ? 'float32' : undefined);
    }
    case 'QuantizeLinear':
      return all(n.inputs[2] ? typeOf(n.inputs[2]) : 'uint8');
    case 'DequantizeLinear':
      return all(typeOf(n.inputs[1]) ?? 'float32');
    case 'DynamicQuantizeLinear':
      return ['uint8', 'float32', 'uint8'].slice(0, k) as DType[];
    case 'ConvInteger':
    case 'MatMulInteger':
      return all('int32');
    case 'Dropout':
      return ([data, 'bool'] as (DType | undefined)[]).slice(0, k);
    case 'MaxPool':
    case 'TopK':
    case 'Unique':
      return n.outputs.map((_, i) => (i === 0 ? data : 'int64'));
    case 'If': {
      const then = n.attrs.then_branch;
      if (then?.kind !== 'graph') return all(undefined);
      // Undeclared: the then-branch's own values, typed by the same rules (outer names read through typeOf).
      const inner = new Map<string, DType>(then.value.initializers.map((t) => [t.name, t.dtype]));
      propagate(then.value.nodes, inner, (x) => inner.get(x) ?? typeOf(x));
      return n.outputs.map((_, i) => {
        const o = then.value.outputs[i];
        return o ? (carriedElemType(o) ?? inner.get(o.name) ?? typeOf(o.name)) : undefined;
      });
    }
    case 'Loop':
      // Outputs: the carried values' finals (typed as the carried inputs 2...), then scan outputs.
      return n.outputs.map((_, i) => (i < n.inputs.length - 2 ? typeOf(n.inputs[i + 2]) : undefined));
    case 'Scan':
    case 'SequenceAt':
    case 'SplitToSequence':
    case 'SequenceConstruct':
      return all(undefined);
    default:
      return all(data);
  }
}

/**
 * Every value's element type in `g` (a model or a subgraph view): inferred where inference typed
 * it, else by the rules of the header, in graph order; untyped values are absent. `inputs` gives
 * the element types of inputs that the graph's signature does not type (a view's outer values and
 * body inputs: their `dtype` there is a placeholder when they are `shapeUnknown`).
 */
export function elementTypes(g: Graph, inputs: ReadonlyMap<string, DType> = new Map(g.inputs.map((v) => [v.name, v.dtype]))): Map<string, DType> {
  const out = new Map<string, DType>(inputs);
  for (const [name, t] of valueTypes(g)) out.set(name, t.dtype);
  propagate(g.nodes, out, (name) => (name ? out.get(name) : undefined));
  return out;
}

/** Types the outputs of `nodes`, in order, into `out` where it has none. */
function propagate(nodes: readonly Node[], out: Map<string, DType>, typeOf: (name: string) => DType | undefined): void {
  for (const n of nodes) {
    const ts = outputTypes(n, typeOf);
    n.outputs.forEach((o, i) => {
      if (o && !out.has(o) && ts[i]) out.set(o, ts[i]!);
    });
  }
}
