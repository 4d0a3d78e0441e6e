/**
 * Dynamic (weight-only calibrated) quantization, as onnxruntime's quantize_dynamic does it:
 * weights are quantized once, to 8 bits, symmetric; activations are quantized at run time,
 * per tensor, by DynamicQuantizeLinear, and the integer product is rescaled to float.
 *
 * Weights, per output channel c (or one scale for the whole tensor without perChannel):
 *   s_w[c] = max |W[c]| / 127,   q_w = clamp(round_half_even(W / s_w[c]), -127, 127)
 * (-128 is unused so that the range is symmetric; an all-zero channel gets s_w = 1, q_w = 0.)
 * Activations, per run: DynamicQuantizeLinear(x) = (q_x, s_x, z_x) with
 *   s_x = (max(0, max x) - min(0, min x)) / 255,  z_x = round(-min(0, min x) / s_x),  q_x = round(x / s_x) + z_x
 * so that x ~ s_x (q_x - z_x). A Conv or MatMul of x and W then becomes
 *   Y = ConvInteger(q_x, q_w, z_x, z_w) * (s_x * s_w) + B
 * with the int32 product Cast to float32 before the Mul (s_w broadcast along the output
 * channel axis: [M, 1, 1] for a 2-D Conv, [N] for a MatMul), and the float bias Added after.
 * Gemm(A, B, C; alpha, beta, transB) is rewritten as MatMulInteger(A, B') with B' = B^T when
 * transB, alpha folded into s_w and beta into the bias. Because the per-channel scale is applied
 * in float after the integer op, the integer op itself only ever sees one zero point.
 *
 * Weight element type (`weightType`): ONNX allows int8 or uint8 weights. q_w in int8 with
 * z_w = 0 is the natural form; the same values stored as uint8 q_w + 128 with z_w = 128 are
 * mathematically identical. Found by running (onnxruntime-node 1.30 CPU on x86-64 AVX2 without
 * VNNI, onnxruntime-web 1.30 WASM): both runtimes accept ConvInteger and MatMulInteger with
 * uint8 x int8 and uint8 x uint8. But ORT's x86 CPU kernels for uint8 x int8 multiply with
 * VPMADDUBSW, which adds pairs of products into int16 with saturation: 255 * 127 * 2 = 64770
 * overflows, and an all-255 x all-127 MatMulInteger of depth 64 returns 1048544 instead of
 * 2072640 on CPU (exact on WASM). ORT's documentation names the same remedy: U8U8 (or 7-bit
 * weights). So the default is 'uint8', exact on every runtime tried; 'int8' is there to
 * measure the U8S8 kernels (meant for VNNI/ARM; on AVX2 without VNNI they were also slower than
 * float32 on the zoo ResNet, where uint8 weights were faster than float32).
 * Where a runtime has no kernel for these ops, ORT's session creation fails and the caller
 * turns that into an "unsupported" row (benchmarks/quant-support.ts prints the matrix).
 *
 * Which nodes: Conv, Gemm and MatMul whose weight is an initializer, in the main graph and in every
 * subgraph (If branches, Loop and Scan bodies: scopes.ts), whether the weight is the subgraph's own
 * or an enclosing graph's. Anything else stays float; a matching node that cannot be quantized gets
 * a note saying why, and each quantized node a note saying what it became (pass.ts), subgraph nodes
 * named by path. A DynamicQuantizeLinear is shared by all quantized nodes of one graph that read
 * the same activation. NOTE: inside a subgraph melbench often cannot type the activation; ONNX
 * binds Conv's, Gemm's and MatMul's data input and weight to one type T, so the weight's float32
 * stands for the input's there.
 */
import { EXIT, UserError } from '../../errors.ts';
import { inferShapes } from '../../graph/infer.ts';
import { type Graph, type Node, type Tensor, valueTypes } from '../../graph/ir.ts';
import { META } from '../../graph/metadata-keys.ts';
import { attrsOf, toAttrs } from '../../graph/ops/attrs.ts';
import { Gemm } from '../../graph/ops/gemm.ts';
import { traitsOf } from '../../graph/ops/index.ts';
import { ONNX_ELEM_TYPE } from '../../graph/dtype.ts';
import { Cast, DynamicQuantizeLinear } from '../../graph/ops/quant-dynamic.ts';
import { initializerMap, requireOpset, withoutUnusedInitializers } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';
import { quantizeWeight } from './quant-params.ts';
import { everyNode, namedIn, rewriteScopes, type Scope } from './scopes.ts';

export type WeightType = 'int8' | 'uint8';

export interface DynamicQuantOptions {
  /** Node names (or op types) to leave in float. */
  exclude?: string[];
  /** One weight scale per output channel (default true); false: one scale per tensor. */
  perChannel?: boolean;
  /** Weight storage type (default 'uint8', exact on ORT's x86 CPU kernels; see the header). */
  weightType?: WeightType;
}


/** The uint8 form of symmetric int8 weights: the same values shifted by 128, read with zero point 128. */
export function asUint8Weights(q: Int8Array): Uint8Array {
  return Uint8Array.from(q, (v) => v + 128);
}

const f32 = (name: string, dims: number[], data: Float32Array): Tensor => ({ name, dtype: 'float32', dims, data });

export function quantizeDynamic(g: Graph, options: DynamicQuantOptions = {}): PassResult {
  if (!everyNode(g).some(({ node }) => traitsOf(node).dynamicQuant)) {
    throw new UserError(`model '${g.name}' has no Conv, Gemm or MatMul node to quantize dynamically`, EXIT.badModel);
  }
  requireOpset(g, DynamicQuantizeLinear, 'dynamic quantization');
  const perChannel = options.perChannel ?? true;
  const dtype = options.weightType ?? 'uint8';
  const r = rewriteScopes(g, (view, scope) => quantizeDynamicScope(view, options, scope));
  const metadata = { ...r.graph.metadata, [META.quantization]: 'dynamic', [META.quantPerChannel]: String(perChannel), [META.quantWeightType]: dtype };
  return { graph: { ...r.graph, metadata }, notes: r.notes };
}

/** One graph (the model or a subgraph view) quantized: the header's rewrite. */
function quantizeDynamicScope(g: Graph, options: DynamicQuantOptions, scope: Scope): PassResult {
  const perChannel = options.perChannel ?? true;
  const dtype = options.weightType ?? 'uint8';
  const exclude = new Set(options.exclude ?? []);
  const src = inferShapes(g);
  const types = valueTypes(src);
  const inits = initializerMap(src);
  const fresh = scope.fresh;
  const nodes: Node[] = [];
  const added: Tensor[] = [];
  const quantizedInputs = new Map<string, [string, string, string]>();
  const notes: PassNote[] = [];

  const node = (opType: string, name: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): void => {
    nodes.push({ name: fresh(name), opType, domain: '', inputs, outputs, attrs });
  };
  /** The run-time quantization of activation x, shared by its quantized readers. */
  const quantizedInput = (x: string): [string, string, string] => {
    let q = quantizedInputs.get(x);
    if (!q) {
      q = [fresh(`${x}_quantized`), fresh(`${x}_scale`), fresh(`${x}_zero_point`)];
      node('DynamicQuantizeLinear', `${x}/dynamic_quantize`, [x], q);
      quantizedInputs.set(x, q);
    }
    return q;
  };

  /** Why node n cannot be quantized, or undefined when it can. */
  const refusal = (n: Node): string | undefined => {
    if (namedIn(exclude, n, scope, true)) return 'excluded by the caller';
    const w = inits.get(n.inputs[1]);
    if (!w) return 'its weight is not an initializer (dynamic quantization quantizes constant weights only)';
    if (w.dtype !== 'float32') return `its weight is ${w.dtype}, not float32`;
    const x = types.get(n.inputs[0])?.dtype ?? w.dtype; // NOTE: one type T for input and weight (see the header)
    if (x !== 'float32') return `its input is ${x}, not float32`;
    const bias = n.inputs[2] ? inits.get(n.inputs[2]) : undefined;
    if (n.inputs[2] && !bias) return 'its bias is not an initializer';
    const kind = traitsOf(n).dynamicQuant;
    if (kind === 'gemm' && attrsOf(Gemm, n).transA !== 0) return 'transA=1 is not supported';
    if (kind === 'matmul' && w.dims.length !== 2) return `its weight has rank ${w.dims.length}; only 2-D MatMul weights are quantized`;
    return undefined;
  };

  for (const n of src.nodes) {
    // Which ops it rewrites, and how, is each op's `dynamicQuant` trait (src/graph/ops/op.ts).
    const kind = traitsOf(n).dynamicQuant;
    if (!kind) {
      nodes.push(n);
      continue;
    }
    const why = refusal(n);
    if (why) {
      nodes.push(n);
      notes.push(keptNote(n, why));
      continue;
    }
    const w = inits.get(n.inputs[1])!;
    const isConv = kind === 'conv';
    let wData = w.data as Float32Array;
    let wDims = w.dims;
    let alpha = 1;
    let beta = 1;
    if (kind === 'gemm') {
      const a = attrsOf(Gemm, n);
      alpha = a.alpha;
      beta = a.beta;
      if (a.transB === 1) {
        const [rows, cols] = w.dims;
        wData = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) wData[c * rows + r] = (w.data as Float32Array)[r * cols + c];
        wDims = [cols, rows];
      }
    }
    // Conv weights are [M, C/g, k...] (channels on axis 0); MatMul weights are [K, N] (channels are columns, axis 1).
    const channels = isConv ? wDims[0] : wDims[1];
    const qw = quantizeWeight({ ...w, dims: wDims, data: wData }, perChannel ? (isConv ? 0 : 1) : undefined);
    const base = n.name || n.outputs[0];
    const wq: Tensor = { name: fresh(`${w.name}_quantized`), dtype, dims: [...wDims], data: dtype === 'uint8' ? asUint8Weights(qw.q) : qw.q };
    added.push(wq);
    const zpInputs: string[] = [];
    if (dtype === 'uint8') {
      const zp: Tensor = { name: fresh(`${w.name}_zero_point`), dtype, dims: [], data: Uint8Array.of(128) };
      added.push(zp);
      zpInputs.push(zp.name);
    }
    // The scale broadcasts along the output channel axis: [M, 1, ...] for Conv, [N] for MatMul.
    // NOTE: a Conv's output has its weight's rank; read from the weight, since an imported model's inferred types may be unknown.
    const outRank = w.dims.length;
    const channelDims = (len: number) => (isConv ? [len, ...Array(outRank - 2).fill(1)] : [len]);
    const wScale = qw.params.scale.map((s) => s * alpha);
    const wScaleT = f32(fresh(`${w.name}_scale`), perChannel ? channelDims(channels) : [], wScale);
    added.push(wScaleT);

    notes.push(changedNote(n, `quantized: ${isConv ? 'ConvInteger' : 'MatMulInteger'} with ${dtype} weights${perChannel ? ' per channel' : ''}, the input quantized at run time`));
    const [xq, xs, xzp] = quantizedInput(n.inputs[0]);
    const intOut = fresh(`${base}_int32`);
    const intInputs = [xq, wq.name, xzp, ...zpInputs];
    if (isConv) node('ConvInteger', `${base}/conv_integer`, intInputs, [intOut], n.attrs);
    else node('MatMulInteger', `${base}/matmul_integer`, intInputs, [intOut]);
    const floatOut = fresh(`${base}_float`);
    node('Cast', `${base}/cast`, [intOut], [floatOut], toAttrs(Cast.attrs, { to: ONNX_ELEM_TYPE.float32 }));
    const scale = fresh(`${base}_scale`);
    node('Mul', `${base}/scale`, [xs, wScaleT.name], [scale]);
    const bias = n.inputs[2] ? inits.get(n.inputs[2]) : undefined;
    const scaledOut = bias ? fresh(`${base}_scaled`) : n.outputs[0];
    node('Mul', `${base}/rescale`, [floatOut, scale], [scaledOut]);
    if (bias) {
      const b = bias.data as Float32Array;
      // A Conv bias [M] becomes [M, 1, ...] to broadcast over the spatial axes; Gemm's C keeps its shape, times beta.
      const bT = isConv ? f32(fresh(`${bias.name}_channels`), channelDims(b.length), b) : f32(fresh(`${bias.name}_scaled`), [...bias.dims], b.map((v) => v * beta));
      added.push(bT);
      node('Add', `${base}/bias`, [scaledOut, bT.name], [n.outputs[0]]);
    }
  }

  // Float weights and biases that only the quantized nodes read are dropped.
  const graph = inferShapes(withoutUnusedInitializers({ ...src, nodes, initializers: [...src.initializers, ...added], valueInfo: [] }));
  return { graph, notes };
}
