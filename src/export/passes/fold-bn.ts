/**
 * Batch-norm folding: an inference-mode BatchNormalization that directly follows a Conv or a Gemm
 * is an affine map per output channel m, so it merges into that op's weights and bias:
 *
 *   s[m] = gamma[m] / sqrt(var[m] + eps)
 *   Conv:  W'[m, ...] = W[m, ...] * s[m]                 b'[m] = (b[m] - mean[m]) * s[m] + beta[m]
 *   Gemm:  B'[:, m]   = B[:, m] * s[m]  (row m if transB)   C'[m] = (beta_g * C[m] - mean[m]) * s[m] + beta[m]
 *          (alpha stays on A B'; the Gemm's own beta_g is folded into C', which then takes beta = 1)
 *
 * with b = 0 (C = 0) when the op had no bias. The Conv/Gemm then writes the BN's output name, so
 * downstream nodes and graph outputs keep their names, and the BN disappears.
 *
 * A BN is folded only when it is safe; otherwise it stays and its note (pass.ts) says why:
 * its input is not produced by a Conv/Gemm, that output has another reader or is a graph output,
 * a parameter is not a constant initializer, or the weight is shared with another node.
 *
 * Inside subgraphs (If branches, Loop and Scan bodies) BNs are folded the same way (scopes.ts); a
 * Conv in a body whose weight belongs to an enclosing graph gets its folded weight as a copy in the
 * body, so the enclosing graph's other readers keep the original.
 */
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { describeNode, inferShapes } from '../../graph/infer.ts';
import { attrsOf } from '../../graph/ops/attrs.ts';
import { BatchNormalization } from '../../graph/ops/batchnorm.ts';
import { Gemm } from '../../graph/ops/gemm.ts';
import { subgraphReads } from '../../graph/reads.ts';
import { consumers, initializerMap, isGraphOutput, producers, withoutUnusedInitializers } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';
import { rewriteScopes, type Scope } from './scopes.ts';

function isFloat32Init(t: Tensor | undefined): t is Tensor & { data: Float32Array } {
  return t !== undefined && t.dtype === 'float32' && t.data instanceof Float32Array;
}

export function foldBatchNorm(g: Graph): PassResult {
  return rewriteScopes(g, foldScope);
}

/** One graph (the model or a subgraph view) with its BNs folded. */
function foldScope(g: Graph, scope: Scope): PassResult {
  const prod = producers(g);
  const cons = consumers(g);
  const inits = initializerMap(g);
  const fresh = scope.fresh;
  /** How many node inputs read each initializer (a shared weight cannot be rescaled for one reader). */
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const i of [...n.inputs, ...subgraphReads(n)]) if (inits.has(i)) readers.set(i, (readers.get(i) ?? 0) + 1);

  const replaced = new Map<string, Node>(); // original Conv/Gemm name -> folded node
  const removed = new Set<string>(); // BN names
  const newInits = new Map<string, Tensor>(); // name -> tensor (new or replacing)
  const notes: PassNote[] = [];

  for (const bn of g.nodes) {
    if (bn.opType !== 'BatchNormalization') continue;
    const why = (reason: string) => notes.push(keptNote(bn, reason));
    if (attrsOf(BatchNormalization, bn).training_mode !== 0) {
      why('is in training mode');
      continue;
    }
    const x = bn.inputs[0];
    const op = prod.get(x);
    if (!op || (op.opType !== 'Conv' && op.opType !== 'Gemm')) {
      why(`its input '${x}' comes from ${op ? describeNode(op) : 'a graph input or constant'}, not a Conv or Gemm`);
      continue;
    }
    if (replaced.has(op.name)) {
      why(`${describeNode(op)} already absorbed another BN`);
      continue;
    }
    const readersOfX = cons.get(x) ?? [];
    if (readersOfX.length !== 1 || isGraphOutput(g, x)) {
      why(`the output of ${describeNode(op)} is also read elsewhere (${readersOfX.length} readers${isGraphOutput(g, x) ? ', a graph output' : ''}), so it must stay unnormalised`);
      continue;
    }
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((n) => inits.get(n));
    if (![gamma, beta, mean, variance].every(isFloat32Init)) {
      why('its scale, bias, mean and variance must all be float32 initializers');
      continue;
    }
    const w = inits.get(op.inputs[1]);
    const bias = op.inputs[2] ? inits.get(op.inputs[2]) : undefined;
    if (!isFloat32Init(w) || (op.inputs[2] && !isFloat32Init(bias))) {
      why(`the weight and bias of ${describeNode(op)} must be float32 initializers`);
      continue;
    }
    if ((readers.get(w.name) ?? 0) > 1 || (bias && (readers.get(bias.name) ?? 0) > 1)) {
      why(`the weight or bias of ${describeNode(op)} is shared with another node`);
      continue;
    }
    const c = gamma!.data.length;
    const eps = attrsOf(BatchNormalization, bn).epsilon;
    const s = new Float64Array(c);
    for (let m = 0; m < c; m++) s[m] = (gamma!.data[m] as number) / Math.sqrt((variance!.data[m] as number) + eps);

    let wData: Float32Array;
    let b0 = new Float64Array(c); // the op's effective bias per output channel, before the BN
    let attrs = op.attrs;
    if (op.opType === 'Conv') {
      if (w.dims[0] !== c) {
        why(`${describeNode(op)} has ${w.dims[0]} output channels, the BN ${c}`);
        continue;
      }
      const per = w.data.length / c;
      wData = new Float32Array(w.data.length);
      for (let m = 0; m < c; m++) for (let i = 0; i < per; i++) wData[m * per + i] = w.data[m * per + i] * s[m];
      if (bias) b0 = Float64Array.from(bias.data as Float32Array);
    } else {
      const gemm = attrsOf(Gemm, op);
      if (gemm.transA !== 0 || w.dims.length !== 2) {
        why(`${describeNode(op)} uses transA, which this pass does not fold`);
        continue;
      }
      const transB = gemm.transB === 1;
      const [rows, cols] = w.dims;
      if ((transB ? rows : cols) !== c) {
        why(`${describeNode(op)} has ${transB ? rows : cols} output features, the BN ${c}`);
        continue;
      }
      if (bias && !(bias.data.length === c && (bias.dims.length === 1 || (bias.dims.length === 2 && bias.dims[0] === 1)))) {
        why(`the bias C of ${describeNode(op)} has shape [${bias.dims}]; only [${c}] or [1, ${c}] can be folded`);
        continue;
      }
      wData = new Float32Array(w.data.length);
      for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) wData[r * cols + k] = w.data[r * cols + k] * s[transB ? r : k];
      const betaG = gemm.beta;
      if (bias) for (let m = 0; m < c; m++) b0[m] = betaG * (bias.data[m] as number);
      const { beta: _beta, ...rest } = op.attrs;
      attrs = rest;
    }
    const bData = new Float32Array(c);
    for (let m = 0; m < c; m++) bData[m] = (b0[m] - (mean!.data[m] as number)) * s[m] + (beta!.data[m] as number);

    newInits.set(w.name, { ...w, data: wData });
    const biasName = bias ? bias.name : fresh(`${op.name}.bias`);
    newInits.set(biasName, { name: biasName, dtype: 'float32', dims: [c], data: bData });
    replaced.set(op.name, { ...op, attrs, inputs: [op.inputs[0], op.inputs[1], biasName], outputs: [bn.outputs[0]] });
    removed.add(bn.name);
    notes.push(changedNote(bn, `folded into ${describeNode(op)}`));
  }

  // Drop BN parameters that nothing reads any more; keep everything else, replacing rescaled tensors.
  const nodes = g.nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
  const bnParams = new Set(g.nodes.filter((n) => removed.has(n.name)).flatMap((n) => n.inputs.slice(1)));
  const initializers = [...g.initializers.map((t) => newInits.get(t.name) ?? t), ...[...newInits.values()].filter((t) => !inits.has(t.name))];
  const graph = inferShapes(withoutUnusedInitializers({ ...g, nodes, initializers, valueInfo: [] }, bnParams));
  return { graph, notes };
}
