/**
 * The QOperator format of static quantization: each quantized node becomes one integer operator
 * that takes and returns integer tensors with explicit scales and zero points (the math is in
 * quantize-static.ts, which plans; this file only emits):
 *   Conv              -> QLinearConv(x, s_x, z_x, w, s_w, z_w, s_y, z_y, bias_int32)
 *   Gemm              -> com.microsoft QGemm(A, s_a, z_a, B, s_b, z_b, C_int32[, s_y, z_y]); without
 *                        s_y its output is float32 (the classifier feeding Softmax)
 *   MatMul            -> QLinearMatMul
 *   Add               -> com.microsoft QLinearAdd
 *   GlobalAveragePool -> com.microsoft QLinearGlobalAveragePool (NCHW)
 *   Concat            -> com.microsoft QLinearConcat
 *   MaxPool, Flatten, Reshape -> the same op on the integer tensor (ORT's CPU and WASM kernels take
 *                        int8 and uint8), with the input's scale and zero point
 * Between a float node and an integer one sits a QuantizeLinear or a DequantizeLinear, inserted
 * once per value where a reader needs the other form. Float value names are kept; integer values
 * are named '<value>_quantized'. A subgraph that reads a value by name (an If branch reading a
 * quantized Conv's output, or the full-int input) reads its float form, dequantized once. The plan is only read: the full-int output's parameters go into a
 * copy of its parameter map.
 */
import { inferShapes } from '../../graph/infer.ts';
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { META } from '../../graph/metadata-keys.ts';
import { MS_DOMAIN } from '../../graph/ops/quant.ts';
import { hasSubgraphs, subgraphReads } from '../../graph/reads.ts';
import { renameReads } from './scopes.ts';
import { initializerMap, nameAllocator, withoutUnusedInitializers } from './graph-util.ts';
import { ioMetadata, paramTensors, qdqNode, quantMetadata } from './quant-emit.ts';
import type { QuantParams } from './quant-params.ts';
import type { QuantizeStaticOptions, QuantPlan } from './quant-plan.ts';

export function emitQOperator(plan: QuantPlan, o: QuantizeStaticOptions, fresh: (base: string) => string = nameAllocator(plan.graph)): Graph {
  const g = plan.graph;
  const inits = initializerMap(g);
  const newInits: Tensor[] = [];
  const nodes: Node[] = [];
  /** value -> integer tensor name; value -> float tensor name (where each form exists) */
  const intOf = new Map<string, string>();
  const floatOf = new Map<string, string>();
  const params = new Map(plan.params); // NOTE: a copy; the full-int output's parameters are added below
  const paramCache = new Map<QuantParams, { scale: Tensor; zeroPoint: Tensor }>();
  const tensorsOf = (p: QuantParams, base: string) => {
    let t = paramCache.get(p);
    if (!t) {
      t = paramTensors(p, base, fresh);
      newInits.push(t.scale, t.zeroPoint);
      paramCache.set(p, t);
    }
    return t;
  };
  const sz = (value: string) => {
    const t = tensorsOf(params.get(value)!, value);
    return [t.scale.name, t.zeroPoint.name];
  };
  const asInt = (value: string): string => {
    let q = intOf.get(value);
    if (!q) {
      const t = tensorsOf(params.get(value)!, value);
      q = fresh(`${value}_quantized`);
      nodes.push(qdqNode('QuantizeLinear', fresh(`${value}/QuantizeLinear`), floatOf.get(value) ?? value, t.scale, t.zeroPoint, q));
      intOf.set(value, q);
    }
    return q;
  };
  const asFloat = (value: string): string => {
    if (!value || inits.has(value)) return value;
    let f = floatOf.get(value);
    if (!f) {
      const q = intOf.get(value)!;
      const t = tensorsOf(params.get(value)!, value);
      f = fresh(`${value}_dequantized`);
      nodes.push(qdqNode('DequantizeLinear', fresh(`${value}/DequantizeLinear`), q, t.scale, t.zeroPoint, f));
      floatOf.set(value, f);
    }
    return f;
  };
  const intInit = (base: string, dtype: 'int8' | 'int32', dims: number[], data: Int8Array | Int32Array) => {
    const t: Tensor = { name: fresh(base), dtype, dims, data };
    newInits.push(t);
    return t.name;
  };

  const inName = g.inputs[0].name;
  let inputs = g.inputs;
  if (plan.io) {
    const q = fresh(`${inName}_quantized`);
    intOf.set(inName, q);
    inputs = [{ ...g.inputs[0], name: q, dtype: plan.io.input.dtype }];
  } else {
    for (const v of g.inputs) floatOf.set(v.name, v.name);
  }

  for (const n of g.nodes) {
    const kind = plan.kinds.get(n.name);
    if (!kind) {
      // NOTE: a subgraph reads values by name: one that exists only as an integer tensor (a quantized
      // node's output, the full-int input) is read under the name of its float form.
      const reads = new Map<string, string>();
      for (const v of subgraphReads(n)) {
        if (!intOf.has(v)) continue;
        const f = asFloat(v);
        if (f !== v) reads.set(v, f);
      }
      nodes.push({ ...renameReads([n], reads)[0], inputs: n.inputs.map(asFloat) });
      for (const out of n.outputs) floatOf.set(out, out);
      continue;
    }
    const y = n.outputs[0];
    const yInt = plan.floatOutput.has(n.name) ? undefined : fresh(`${y}_quantized`);
    const w = plan.weights.get(n.name);
    const weightInputs = () => {
      const wInit = inits.get(n.inputs[1])!;
      const wt = tensorsOf(w!.params, wInit.name);
      return [intInit(`${wInit.name}_quantized`, 'int8', wInit.dims, w!.q), wt.scale.name, wt.zeroPoint.name];
    };
    const bias = () => (w?.bias ? intInit(`${n.inputs[2]}_quantized`, 'int32', [w.bias.q.length], w.bias.q) : '');
    let q: Node;
    const base = { name: n.name, domain: '', outputs: [yInt ?? y] };
    switch (kind) {
      case 'conv':
        q = { ...base, opType: 'QLinearConv', inputs: [asInt(n.inputs[0]), ...sz(n.inputs[0]), ...weightInputs(), ...sz(y), bias()].filter((x, i) => i < 8 || x), attrs: n.attrs };
        break;
      case 'gemm':
        q = {
          ...base,
          opType: 'QGemm',
          domain: MS_DOMAIN,
          inputs: [asInt(n.inputs[0]), ...sz(n.inputs[0]), ...weightInputs(), bias(), ...(yInt ? sz(y) : [])],
          attrs: Object.fromEntries(Object.entries(n.attrs).filter(([k]) => k === 'transB')),
        };
        break;
      case 'matmul':
        q = { ...base, opType: 'QLinearMatMul', inputs: [asInt(n.inputs[0]), ...sz(n.inputs[0]), ...weightInputs(), ...sz(y)], attrs: {} };
        break;
      case 'add':
        q = { ...base, opType: 'QLinearAdd', domain: MS_DOMAIN, inputs: [asInt(n.inputs[0]), ...sz(n.inputs[0]), asInt(n.inputs[1]), ...sz(n.inputs[1]), ...sz(y)], attrs: {} };
        break;
      case 'gap':
        q = { ...base, opType: 'QLinearGlobalAveragePool', domain: MS_DOMAIN, inputs: [asInt(n.inputs[0]), ...sz(n.inputs[0]), ...sz(y)], attrs: {} };
        break;
      case 'concat':
        q = { ...base, opType: 'QLinearConcat', domain: MS_DOMAIN, inputs: [...sz(y), ...n.inputs.flatMap((x) => [asInt(x), ...sz(x)])], attrs: n.attrs };
        break;
      case 'passthrough':
        q = { ...base, opType: n.opType, inputs: [asInt(n.inputs[0]), ...n.inputs.slice(1)], attrs: n.attrs };
        break;
    }
    nodes.push(q);
    if (yInt) intOf.set(y, yInt);
    else floatOf.set(y, y);
  }

  // Graph outputs keep their names: float ones get a DequantizeLinear that writes the name;
  // with fullInt the integer result is renamed to the output's name.
  const rename = new Map<string, string>();
  let outputs = g.outputs;
  if (plan.io) {
    const outName = g.outputs[0].name;
    params.set(outName, plan.io.output);
    const q = asInt(outName);
    rename.set(q, outName);
    if (floatOf.get(outName) === outName) rename.set(outName, fresh(`${outName}_float`));
    outputs = [{ ...g.outputs[0], dtype: plan.io.output.dtype }];
  } else {
    for (const v of g.outputs) {
      // A float output computed under its own name stays; one a quantized node computes is dequantized into its name.
      if (floatOf.get(v.name) === v.name) continue;
      const f = asFloat(v.name);
      rename.set(f, v.name);
      rename.set(v.name, fresh(`${v.name}_unused`));
    }
  }
  if (plan.io) rename.set(intOf.get(inName)!, inName);
  const r = (x: string) => rename.get(x) ?? x;
  // Subgraphs read by name too: their reads follow the renames (once: renameReads' own input renaming is replaced).
  const renamed = nodes.map((n) => ({ ...(hasSubgraphs(n) ? renameReads([n], rename)[0] : n), inputs: n.inputs.map(r), outputs: n.outputs.map(r) }));
  return inferShapes(
    withoutUnusedInitializers({
      ...g,
      inputs: inputs.map((v) => ({ ...v, name: r(v.name) })),
      outputs,
      nodes: renamed,
      initializers: [...g.initializers, ...newInits],
      valueInfo: [],
      metadata: { ...g.metadata, [META.quantization]: 'static-qoperator', ...(plan.io ? ioMetadata(plan.io) : {}), ...quantMetadata(o) },
    }),
  );
}
