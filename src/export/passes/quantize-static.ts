/**
 * Post-training static quantization from calibrated activation ranges, in ONNX Runtime's QDQ
 * format (this file) or its QOperator format (quantize-qoperator.ts), optionally full-int.
 *
 * The math (quant-params.ts): every quantized activation t gets (s_t, z_t) from its range,
 * weights are symmetric int8 (per output channel or per tensor), biases int32 at s_x * s_w.
 * A quantized node computes its float op on dequantized inputs and requantizes its output:
 *   Conv / Gemm / MatMul   y = s_x s_w (sum (q_x - z_x) q_w + q_b), then q_y = Q(y; s_y, z_y)
 *   Add                    q_c = Q(s_a (q_a - z_a) + s_b (q_b - z_b); s_c, z_c)
 *   GlobalAveragePool      q_y = Q(s_x (mean q_x - z_x); s_y, z_y)
 *   Concat                 each input requantized to (s_y, z_y)
 *   MaxPool, Flatten, Reshape   exact on the integers: the output reuses the input's (s, z)
 *
 * Activation fusion: with asymmetric activations, a Relu (or Clip(0, hi)) that is the only reader
 * of a quantized Conv/Gemm/MatMul/Add output is dropped, and the producer's output is quantized
 * with the Relu's output range forced to start at 0, so z = qmin: Q itself clamps negatives to 0
 * exactly, as ORT's quantizer does. Not when the Relu's output is a graph output or read inside a
 * subgraph: those read the value by name, and the name would hold the unclamped float. With symmetric activations (z = 0 or 128) the clamp is not
 * free, and the Relu stays in float between a DequantizeLinear and a QuantizeLinear.
 *
 * QDQ layout (what ORT's quantize_static emits, and what its CPU graph optimizer fuses into
 * QLinearConv, QGemm, QLinearAdd, QLinearGlobalAveragePool, QLinearConcat, integer MaxPool):
 * every quantized activation t is followed by Q(t) -> DQ -> t_dq and every reader reads t_dq;
 * weights and biases are integer initializers read through a DequantizeLinear. A Gemm whose
 * output feeds only float ops (the classifier before Softmax) leaves its output unquantized.
 *
 * Full-int (`fullInt`): the graph input and output become integer tensors of the activation type,
 * and the metadata records `input_scale`, `input_zero_point`, `input_dtype` (and `output_*`) so
 * that a caller can quantize log-mel features itself: q = clamp(round(mel / s) + z). The input's
 * parameters come from its calibrated range; `naiveInputScale` instead assumes [-1, 1], the
 * uncalibrated choice of a converter that expects normalised inputs. Raw log-mel is in dB (here
 * about -30 .. +20), so nearly every value saturates: seed 001's "Full int" row collapsed to
 * F1 0.0001 for exactly this reason. The option exists to reproduce that failure, not to use.
 *
 * Subgraphs (If branches, Loop and Scan bodies) are planned and emitted like the main graph, each
 * on its own (scopes.ts): a Conv in a branch is quantized when calibration saw its input and output
 * (src/train/calibrate.ts exposes values inside subgraphs in its calibration copy), whether its
 * weight is the branch's or the main graph's. Full-int applies to the main graph's input and
 * output only. A branch that calibration never ran (an If whose condition was always true) has no
 * ranges, so its nodes stay float, each with a note.
 *
 * Ops with no quantized form (Softmax, BatchNormalization left unfolded, Sub/Div of the input
 * standardisation, LeakyRelu...) stay float, each with a note saying why (pass.ts); each fused
 * Relu/Clip gets a note too, and each quantized node one saying so; subgraph nodes are named by
 * path (If_0/then_branch/conv3). Fold BatchNormalization into its Conv first (foldBatchNorm), then
 * calibrate, then quantize. The plan (planStaticQuantization) is pure and both emitters only read it.
 */
import { UserError } from '../../errors.ts';
import { inferShapes } from '../../graph/infer.ts';
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { META } from '../../graph/metadata-keys.ts';
import { attrsOf } from '../../graph/ops/attrs.ts';
import { Gemm } from '../../graph/ops/gemm.ts';
import { traitsOf } from '../../graph/ops/index.ts';
import { DequantizeLinear } from '../../graph/ops/quant.ts';
import { hasSubgraphs } from '../../graph/reads.ts';
import { consumers, initializerMap, isGraphOutput, producers, requireOpset, withoutUnusedInitializers } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';
import { ioMetadata, paramTensors, qdqNode, quantMetadata } from './quant-emit.ts';
import { activationParams, type QuantParams, quantizeBias, quantizeWeight, type Range } from './quant-params.ts';
import type { PlannedWeight, QuantizeStaticOptions, QuantKind, QuantPlan } from './quant-plan.ts';
import { emitQOperator } from './quantize-qoperator.ts';
import { everyNode, mainScope, namedIn, renameReads, rewriteScopes, type Scope } from './scopes.ts';

export type { QuantizeStaticOptions, QuantPlan } from './quant-plan.ts';

/** The op's quantized kind (passthrough included), from its `staticQuant` trait; undefined: it stays float. */
const kindOf = (n: Node): QuantKind | undefined => {
  const t = traitsOf(n).staticQuant;
  return t && 'kind' in t ? t.kind : undefined;
};
/** Where a clamp op (Relu, Clip) takes its bounds, from its `staticQuant` trait. */
const clampOf = (n: Node): 'zero' | 'inputs' | undefined => {
  const t = traitsOf(n).staticQuant;
  return t && 'clamp' in t ? t.clamp : undefined;
};
/** Whether a clamp that only this node feeds folds into its output range. */
const absorbsClamp = (n: Node): boolean => {
  const t = traitsOf(n).staticQuant;
  return !!t && 'kind' in t && !!t.absorbsClamp;
};

/** Clip bounds when both are constants; undefined bounds are absent (no clamp on that side). */
function clipBounds(n: Node, inits: Map<string, Tensor>): { lo?: number; hi?: number } | undefined {
  const read = (i: number) => {
    if (!n.inputs[i]) return { ok: true, v: undefined };
    const t = inits.get(n.inputs[i]);
    return t && t.data.length === 1 ? { ok: true, v: Number(t.data[0]) } : { ok: false, v: undefined };
  };
  const lo = read(1);
  const hi = read(2);
  return lo.ok && hi.ok ? { lo: lo.v, hi: hi.v } : undefined;
}

/** Why a compute node cannot be quantized, or undefined when it can. */
function refusal(n: Node, kind: QuantKind, inits: Map<string, Tensor>, ranges: ReadonlyMap<string, Range>): string | undefined {
  const f32Init = (name: string) => inits.get(name)?.dtype === 'float32';
  if (kind === 'conv') {
    if (!f32Init(n.inputs[1])) return 'its weight is not a float32 initializer';
    if (n.inputs[2] && !f32Init(n.inputs[2])) return 'its bias is not a float32 initializer';
  }
  if (kind === 'gemm') {
    if (!f32Init(n.inputs[1])) return 'its B is not a float32 initializer';
    const a = attrsOf(Gemm, n);
    if (a.transA !== 0 || a.alpha !== 1 || a.beta !== 1) return 'only transA=0, alpha=beta=1 is quantized';
    const c = n.inputs[2] ? inits.get(n.inputs[2]) : undefined;
    const units = inits.get(n.inputs[1])!.dims[a.transB ? 0 : 1];
    if (n.inputs[2] && (!c || c.dtype !== 'float32' || c.dims.length !== 1 || c.dims[0] !== units)) return `its bias C must be a float32 initializer of shape [${units}]`;
  }
  if (kind === 'matmul' && (!f32Init(n.inputs[1]) || inits.get(n.inputs[1])!.dims.length !== 2)) return 'its B is not a 2-D float32 initializer';
  const acts = kind === 'add' || kind === 'concat' ? n.inputs : [n.inputs[0]];
  for (const a of acts) {
    if (inits.has(a)) return `input '${a}' is a constant, not an activation`;
    if (!ranges.has(a)) return `no calibration range for its input '${a}'`;
  }
  if (kind !== 'gemm' && !ranges.has(n.outputs[0])) return `no calibration range for its output '${n.outputs[0]}'`;
  return undefined;
}

function checkInputs(g: Graph, ranges: ReadonlyMap<string, Range>, o: QuantizeStaticOptions): void {
  if (g.metadata[META.trained] !== 'true' && !o.allowUntrained) {
    throw new UserError(`model '${g.name}' is not trained (its metadata lacks trained=true): quantizing random weights measures nothing; train it first (melbench train), or pass allowUntrained for a test`);
  }
  if (ranges.size === 0) throw new UserError('no calibration ranges: calibrate on training clips first (collectActivations, then calibrationRanges)');
  // A subgraph node may be named by its own name or by its path (If_0/then_branch/conv3).
  const names = new Set(everyNode(g).flatMap(({ node, path }) => [node.name, path + node.name]));
  const unknown = (o.exclude ?? []).filter((e) => !names.has(e));
  if (unknown.length) throw new UserError(`exclude names nodes that are not in '${g.name}': ${unknown.join(', ')} (node names look like ${g.nodes.slice(0, 3).map((n) => `'${n.name}'`).join(', ')})`);
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    if (o.fullInt) throw new UserError(`full-int quantization needs one input and one output; '${g.name}' has ${g.inputs.length} and ${g.outputs.length}`);
  }
  for (const v of [...g.inputs, ...g.outputs]) if (o.fullInt && v.dtype !== 'float32') throw new UserError(`full-int quantization needs float32 graph inputs and outputs; '${v.name}' is ${v.dtype}`);
}

/** Decides what runs quantized in the main graph and with which parameters. Pure; shared by both formats. */
export function planStaticQuantization(g0: Graph, ranges0: ReadonlyMap<string, Range>, o: QuantizeStaticOptions = {}): QuantPlan {
  checkInputs(g0, ranges0, o);
  return planScope(g0, ranges0, o, mainScope(g0));
}

/** The plan of one graph: the model, or a subgraph view (no full-int there). */
function planScope(g0: Graph, ranges0: ReadonlyMap<string, Range>, o0: QuantizeStaticOptions, scope: Scope): QuantPlan {
  const o = scope.outer ? { ...o0, fullInt: false } : o0;
  const act = o.activations ?? 'uint8';
  const symmetric = o.symmetric ?? false;
  const exclude = new Set(o.exclude ?? []);
  const excluded = (n: Node) => namedIn(exclude, n, scope);
  const inits = initializerMap(g0);
  const ranges = new Map(ranges0);
  const notes: PassNote[] = [];

  // 1. Which compute nodes can be quantized.
  const compute = new Map<string, QuantKind>();
  for (const n of g0.nodes) {
    const kind = kindOf(n);
    if (!kind || kind === 'passthrough') continue;
    if (excluded(n)) continue;
    const why = refusal(n, kind, inits, ranges);
    if (why) notes.push(keptNote(n, why));
    else compute.set(n.name, kind);
  }

  // 2. Fuse Relu / Clip(0, hi) into a quantized producer (asymmetric activations only).
  const prod = producers(g0);
  const cons = consumers(g0);
  const dropped = new Map<string, Node>(); // relu name -> its producer
  const renameOutput = new Map<string, string>(); // producer name -> relu output name
  if (!symmetric) {
    for (const n of g0.nodes) {
      const clamp = clampOf(n);
      if (!clamp || excluded(n)) continue;
      const p = prod.get(n.inputs[0]);
      if (!p || !compute.has(p.name) || !absorbsClamp(p)) continue;
      if ((cons.get(n.inputs[0]) ?? []).length !== 1 || isGraphOutput(g0, n.inputs[0]) || !ranges.has(n.outputs[0])) continue;
      // NOTE: fused, the clamp's output name holds the producer's unclamped float value (only its
      // Q->DQ is clamped): a graph output or a subgraph, which read that name, would miss the clamp.
      if (isGraphOutput(g0, n.outputs[0]) || (cons.get(n.outputs[0]) ?? []).some(hasSubgraphs)) {
        notes.push(keptNote(n, `its output '${n.outputs[0]}' leaves the graph or is read inside a subgraph, so it stays a float ${n.opType} after the quantized ${p.opType}`));
        continue;
      }
      let hi = Infinity;
      if (clamp === 'inputs') {
        const b = clipBounds(n, inits);
        if (!b || b.lo !== 0) continue;
        hi = b.hi ?? Infinity;
      }
      const r = ranges.get(n.outputs[0])!;
      ranges.set(n.outputs[0], { min: 0, max: Math.min(Math.max(r.max, 0), hi) });
      dropped.set(n.name, p);
      renameOutput.set(p.name, n.outputs[0]);
      notes.push(changedNote(n, `fused into the output range of ${p.name} (${p.opType})`));
    }
  }
  const graph = inferShapes({
    ...g0,
    nodes: g0.nodes.filter((n) => !dropped.has(n.name)).map((n) => (renameOutput.has(n.name) ? { ...n, outputs: [renameOutput.get(n.name)!, ...n.outputs.slice(1)] } : n)),
    valueInfo: [],
  });

  // 3. Kinds on the fused graph: compute nodes, and passthrough ops whose input is already integer.
  const kinds = new Map<string, QuantKind>();
  const intProduced = new Set<string>();
  if (o.fullInt) intProduced.add(graph.inputs[0].name);
  for (const n of graph.nodes) {
    const kind = compute.get(n.name) ?? (kindOf(n) === 'passthrough' && !excluded(n) && intProduced.has(n.inputs[0]) && n.outputs.length === 1 ? 'passthrough' : undefined);
    if (kind) {
      kinds.set(n.name, kind);
      intProduced.add(n.outputs[0]);
      if (kind !== 'passthrough') notes.push(changedNote(n, `quantized (${o.format ?? 'qdq'})`));
    } else if (!excluded(n) && !dropped.has(n.name) && !notes.some((k) => k.node === n.name)) {
      const why =
        n.opType === 'BatchNormalization'
          ? 'no quantized form; fold it into the preceding Conv first (foldBatchNorm)'
          : kindOf(n) === 'passthrough'
            ? 'its input is float, so it runs in float'
            : clampOf(n) && symmetric
              ? 'symmetric activations: a zero point of 0 cannot absorb the clamp'
              : hasSubgraphs(n)
                ? `runs in float; the nodes of its subgraphs are quantized on their own (notes under '${scope.path}${n.name}/')`
                : 'no quantized form';
      notes.push(keptNote(n, why));
    }
  }
  for (const n of graph.nodes) if (excluded(n)) notes.push(keptNote(n, 'excluded'));

  // 4. Activation parameters, in graph order (a passthrough output shares its input's).
  const cons2 = consumers(graph);
  const params = new Map<string, QuantParams>();
  const paramsOf = (t: string): QuantParams => {
    let p = params.get(t);
    if (!p) {
      const r = ranges.get(t);
      if (!r) throw new Error(`internal: no range for '${t}'`);
      p = activationParams(r, act, symmetric);
      params.set(t, p);
    }
    return p;
  };
  let io: QuantPlan['io'];
  if (o.fullInt) {
    const inName = graph.inputs[0].name;
    const inRange = o.naiveInputScale ? { min: -1, max: 1 } : ranges.get(inName);
    if (!inRange) throw new UserError(`full-int needs a calibrated range of the input '${inName}' (calibrate with collectActivations) or naiveInputScale`);
    params.set(inName, activationParams(inRange, act, symmetric));
    const outName = graph.outputs[0].name;
    const outRange = ranges.get(outName);
    if (!outRange) throw new UserError(`full-int needs a calibrated range of the output '${outName}'`);
    io = { input: params.get(inName)!, output: activationParams(outRange, act, symmetric) };
  }
  const floatOutput = new Set<string>();
  const weights = new Map<string, PlannedWeight>();
  for (const n of graph.nodes) {
    const kind = kinds.get(n.name);
    if (!kind) continue;
    if (kind === 'passthrough') {
      params.set(n.outputs[0], paramsOf(n.inputs[0]));
      continue;
    }
    const acts = kind === 'add' || kind === 'concat' ? n.inputs : [n.inputs[0]];
    acts.forEach(paramsOf);
    const readers = cons2.get(n.outputs[0]) ?? [];
    if (kind === 'gemm' && !readers.some((r) => kinds.has(r.name)) && !(o.fullInt && isGraphOutput(graph, n.outputs[0]))) floatOutput.add(n.name);
    else paramsOf(n.outputs[0]);
    if (kind === 'conv' || kind === 'gemm' || kind === 'matmul') {
      const w = inits.get(n.inputs[1])!;
      const axis = o.weights === 'per-tensor' ? undefined : kind === 'conv' ? 0 : kind === 'gemm' && attrsOf(Gemm, n).transB ? 0 : 1;
      const { q, params: wp } = quantizeWeight(w, axis, o.reduceRange ?? true);
      const b = n.inputs[2] ? inits.get(n.inputs[2]) : undefined;
      weights.set(n.name, { q, params: wp, bias: b ? quantizeBias(b.data as Float32Array, params.get(n.inputs[0])!.scale[0], wp.scale) : undefined });
    }
  }
  return { graph, kinds, params, weights, floatOutput, notes, io };
}

// ---- QDQ ------------------------------------------------------------------------------------------

function emitQdq(plan: QuantPlan, o: QuantizeStaticOptions, fresh: (base: string) => string): Graph {
  const g = plan.graph;
  const inits = initializerMap(g);
  const newInits: Tensor[] = [];
  const nodes: Node[] = [];
  /** activation name -> its Q->DQ output */
  const dqOf = new Map<string, string>();
  const addParams = (p: QuantParams, base: string) => {
    const t = paramTensors(p, base, fresh);
    newInits.push(t.scale, t.zeroPoint);
    return t;
  };
  const quantizeActivation = (t: string) => {
    const p = plan.params.get(t);
    if (!p || dqOf.has(t)) return;
    const { scale, zeroPoint } = addParams(p, t);
    const q = fresh(`${t}_quantized`);
    const dq = fresh(`${t}_dequantized`);
    nodes.push(qdqNode('QuantizeLinear', fresh(`${t}/QuantizeLinear`), t, scale, zeroPoint, q), qdqNode('DequantizeLinear', fresh(`${t}/DequantizeLinear`), q, scale, zeroPoint, dq));
    dqOf.set(t, dq);
  };

  const inName = g.inputs[0].name;
  let inputs = g.inputs;
  if (plan.io) {
    // The integer input keeps the graph's input name; readers get its dequantized value.
    const { scale, zeroPoint } = addParams(plan.io.input, inName);
    const dq = fresh(`${inName}_dequantized`);
    nodes.push(qdqNode('DequantizeLinear', fresh(`${inName}/DequantizeLinear`), inName, scale, zeroPoint, dq));
    dqOf.set(inName, dq);
    inputs = [{ ...g.inputs[0], dtype: plan.io.input.dtype }];
  } else {
    for (const v of g.inputs) quantizeActivation(v.name);
  }
  const read = (name: string) => dqOf.get(name) ?? name;

  for (const n of g.nodes) {
    const w = plan.weights.get(n.name);
    let inputsOut = n.inputs.map(read);
    if (w) {
      const wInit = inits.get(n.inputs[1])!;
      const wq: Tensor = { name: fresh(`${wInit.name}_quantized`), dtype: 'int8', dims: wInit.dims, data: w.q };
      // NOTE: weights are symmetric and biases int32 at zero point 0, so their DQ nodes omit the
      // optional zero point (ONNX's default is 0): C + 4C bytes and two initializers less per layer.
      const wt = paramTensors(w.params, wInit.name, fresh);
      newInits.push(wq, wt.scale);
      const wdq = fresh(`${wInit.name}_dequantized`);
      nodes.push(qdqNode('DequantizeLinear', fresh(`${wInit.name}/DequantizeLinear`), wq.name, wt.scale, undefined, wdq, w.params.axis));
      inputsOut[1] = wdq;
      if (w.bias) {
        const bInit = inits.get(n.inputs[2])!;
        const bq: Tensor = { name: fresh(`${bInit.name}_quantized`), dtype: 'int32', dims: bInit.dims, data: w.bias.q };
        const perChannel = w.bias.scale.length > 1;
        const bs: Tensor = { name: fresh(`${bInit.name}_scale`), dtype: 'float32', dims: perChannel ? [w.bias.scale.length] : [], data: w.bias.scale };
        newInits.push(bq, bs);
        const bdq = fresh(`${bInit.name}_dequantized`);
        nodes.push(qdqNode('DequantizeLinear', fresh(`${bInit.name}/DequantizeLinear`), bq.name, bs, undefined, bdq, perChannel ? 0 : undefined));
        inputsOut[2] = bdq;
      }
    }
    if (!plan.kinds.has(n.name)) inputsOut = n.inputs.map(read);
    nodes.push({ ...n, inputs: inputsOut });
    for (const out of n.outputs) quantizeActivation(out);
  }

  let outputs = g.outputs;
  if (plan.io) {
    // The float result is renamed; a final QuantizeLinear writes the integer output under its name.
    const outName = g.outputs[0].name;
    const floatName = fresh(`${outName}_float`);
    for (const n of nodes) {
      n.outputs = n.outputs.map((x) => (x === outName ? floatName : x));
      n.inputs = n.inputs.map((x) => (x === outName ? floatName : x));
    }
    const { scale, zeroPoint } = addParams(plan.io.output, outName);
    nodes.push(qdqNode('QuantizeLinear', fresh(`${outName}/QuantizeLinear`), floatName, scale, zeroPoint, outName));
    outputs = [{ ...g.outputs[0], dtype: plan.io.output.dtype }];
    // NOTE: a subgraph reads values by name, and the input's and output's names now hold integers: it reads the float ones.
    const floats = new Map([
      [inName, dqOf.get(inName)!],
      [outName, floatName],
    ]);
    nodes.forEach((n, i) => {
      if (hasSubgraphs(n)) nodes[i] = renameReads([n], floats)[0];
    });
  }
  return inferShapes(
    withoutUnusedInitializers({
      ...g,
      inputs,
      outputs,
      nodes,
      initializers: [...g.initializers, ...newInits],
      valueInfo: [],
      metadata: { ...g.metadata, [META.quantization]: `static-qdq`, ...(plan.io ? ioMetadata(plan.io) : {}), ...quantMetadata(o) },
    }),
  );
}

/**
 * Static quantization of `g` with calibrated activation ranges (calibrationRanges in
 * src/train/calibrate.ts). Pure: `g` is left untouched.
 *
 * @example
 *   const stats = await collectActivations(folded, clips, dims);
 *   const { graph, notes } = quantizeStatic(folded, calibrationRanges(stats, 'entropy'), { format: 'qdq' });
 */
export function quantizeStatic(g: Graph, ranges: ReadonlyMap<string, Range>, o: QuantizeStaticOptions = {}): PassResult {
  const format = o.format ?? 'qdq';
  if (format !== 'qdq' && format !== 'qoperator') throw new UserError(`unknown quantization format '${format}': use qdq or qoperator`);
  if (o.activations && o.activations !== 'uint8' && o.activations !== 'int8') throw new UserError(`activations must be uint8 or int8, got '${o.activations}'`);
  if (o.weights && o.weights !== 'per-channel' && o.weights !== 'per-tensor') throw new UserError(`weights must be per-channel or per-tensor, got '${o.weights}'`);
  if (o.naiveInputScale && !o.fullInt) throw new UserError('naiveInputScale only applies with fullInt');
  if (format === 'qdq') requireOpset(g, DequantizeLinear, 'static QDQ quantization (per-axis scales)');
  checkInputs(g, ranges, o);
  return rewriteScopes(g, (view, scope) => {
    const plan = planScope(view, ranges, o, scope);
    const graph = format === 'qdq' ? emitQdq(plan, o, scope.fresh) : emitQOperator(plan, o, scope.fresh);
    return { graph, notes: plan.notes };
  });
}
