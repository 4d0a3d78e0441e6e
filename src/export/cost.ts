/**
 * Size and cost of a model, as the CSV reports them. What counts is in each op's traits
 * (src/graph/ops/op.ts): `learned` inputs are parameters, `macs` says how its MACs are counted.
 *   params          elements of learned initializers: Conv/Gemm/MatMul weights and biases, BN scale and shift
 *                   (BN running statistics, reshape targets and clip bounds are not parameters)
 *   nonzeroParams   those that are not exactly zero (what unstructured pruning reduces)
 *   macs            multiply-accumulates per sample of Conv (out_elems * C_in/group * prod(kernel)),
 *                   Gemm and MatMul (out_elems * K); elementwise ops, pools and BN are not counted,
 *                   following the convention of the DCASE low-complexity track
 *   bytes, gzipBytes  the serialised ONNX file, and its gzip -9 size (dense zeros compress; this shows pruning)
 */
import { gzipSync } from 'node:zlib';
import { ShapeError } from '../errors.ts';
import { isKnown } from '../graph/dims.ts';
import { inferShapes } from '../graph/infer.ts';
import { type Graph, numel, valueTypes } from '../graph/ir.ts';
import { attrsOf } from '../graph/ops/attrs.ts';
import { Gemm } from '../graph/ops/gemm.ts';
import { findOp, traitsOf } from '../graph/ops/index.ts';
import { describeNode } from '../graph/ir.ts';
import { hasSubgraphs } from '../graph/reads.ts';

export interface ModelCost {
  params: number;
  nonzeroParams: number;
  macs: number;
  bytes: number;
  gzipBytes: number;
}

/**
 * Names of the initializers that hold learned parameters: the inputs each op's `learned` trait
 * names (for quantized forms, the integer weights and QLinearConv's int32 bias; scales and zero
 * points are not counted).
 */
export function learnedParamNames(g: Graph): Set<string> {
  const inits = new Set(g.initializers.map((t) => t.name));
  const names = new Set<string>();
  for (const n of g.nodes) for (const i of traitsOf(n).learned ?? []) if (inits.has(n.inputs[i])) names.add(n.inputs[i]);
  return names;
}

/** Learned parameters (see `learnedParamNames`) and those of them that are not exactly zero. */
export function countParams(g: Graph): { params: number; nonzeroParams: number } {
  let params = 0;
  let nonzeroParams = 0;
  const learned = learnedParamNames(g);
  for (const t of g.initializers) {
    if (!learned.has(t.name)) continue;
    params += t.data.length;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== 0) nonzeroParams++;
  }
  return { params, nonzeroParams };
}

/**
 * Nodes whose cost melbench cannot count: nodes with subgraphs (If, Loop, Scan), and ops it carries
 * opaquely (LSTM, GRU, an imported model's contrib ops) that read a floating-point weight, an
 * initializer of more than one element. Their weights and MACs sit where the traits do not reach,
 * so a model with any has no honest params or MACs total. Opaque ops without weights (Shape,
 * Gather of indices, Constant, Gelu...) cost nothing by the convention above and do not count.
 */
export function uncountedNodes(g: Graph): string[] {
  const weights = new Set(g.initializers.filter((t) => FLOATING.has(t.dtype) && t.data.length > 1).map((t) => t.name));
  return g.nodes.filter((n) => hasSubgraphs(n) || (!findOp(n.opType, n.domain) && n.inputs.some((i) => weights.has(i)))).map(describeNode);
}

const FLOATING = new Set<string>(['float32', 'float16', 'float64', 'bfloat16']);

/** Binds every symbolic input dim (batch, frames) to the given concrete input shape and re-infers. */
export function bindInputShape(g: Graph, shape: number[]): Graph {
  if (g.inputs.length !== 1) throw new ShapeError(`model '${g.name}' has ${g.inputs.length} inputs; cost needs exactly one`);
  const [input] = g.inputs;
  if (input.shape.length !== shape.length) throw new ShapeError(`input shape [${shape}] does not match the model's rank ${input.shape.length}`);
  input.shape.forEach((d, i) => {
    if (isKnown(d) && d !== shape[i]) throw new ShapeError(`input shape [${shape}] does not match the model's [${input.shape}] at axis ${i}`);
  });
  return inferShapes({ ...g, inputs: [{ ...input, shape }] });
}

export function countMacs(g: Graph): number {
  const types = valueTypes(g);
  let macs = 0;
  for (const n of g.nodes) {
    const out = types.get(n.outputs[0])?.shape;
    if (!out || !out.every(isKnown)) continue;
    const outElems = numel(out as number[]) / (out[0] as number); // per sample
    // How an op's MACs are counted is its `macs` trait (src/graph/ops/op.ts).
    const { macs: rule, weight } = traitsOf(n);
    if (rule === 'window' && weight !== undefined) {
      const w = types.get(n.inputs[weight])!.shape as number[];
      macs += outElems * numel(w.slice(1));
    } else if (rule === 'matmul') {
      const a = types.get(n.inputs[0])!.shape;
      const transA = n.opType === Gemm.opType && n.domain === Gemm.domain && attrsOf(Gemm, n).transA === 1;
      const k = transA ? a[a.length - 2] : a[a.length - 1];
      macs += outElems * (k as number);
    }
  }
  return macs;
}

export function modelCost(g: Graph, bytes: Uint8Array, inputShape: number[]): ModelCost {
  return {
    ...countParams(g),
    macs: countMacs(bindInputShape(g, inputShape)),
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
  };
}
