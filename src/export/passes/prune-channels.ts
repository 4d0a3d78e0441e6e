/**
 * Structured channel pruning that really removes channels, so the model gets smaller and faster.
 *
 * Channels are pruned per group (src/export/passes/channel-groups.ts): all tensors that must lose
 * the same channels. Each prunable group of C channels loses its k = round(ratio * C) least
 * important channels, ranked by
 *
 *   l1        I(c) = sum over the group's producers p of ||W_p[c]||_1  (the L1 norm of the filter
 *             that writes channel c; a Gemm's or MatMul's weights for output feature c)
 *   bn-gamma  I(c) = sum over the group's BatchNormalizations of |gamma[c]|  (network slimming,
 *             Liu et al. 2017, seed 004: train with an L1 penalty on gamma, then cut the small ones)
 *
 * Ties keep the lower channel index. Per group, not one global threshold: filter norms and BN
 * scales differ in scale from layer to layer, so a global threshold would empty some layers and
 * spare others, and the per-group rule keeps the cost cut predictable (about 1-(1-ratio)^2 of the
 * MACs of a conv whose input and output groups are both pruned).
 *
 * Rewiring, for kept channel set K of each group:
 *   producer Conv       W[K, :, ...], b[K]               producer Gemm  W[K, :] (transB) or W[:, K], C[K]
 *   BatchNormalization  gamma[K], beta[K], mean[K], var[K]
 *   depthwise Conv      W[K, :, ...], b[K], group = |K|   (its in and out channels are the group's)
 *   producer MatMul     W[:, K], and its per-channel constants b[K] (an Add, Mul... by a constant [C])
 *   consumer Conv       W[:, K', ...]                     consumer Gemm  W[:, K'] (transB) or W[K', :]
 *   consumer MatMul     W[K', :]
 * where K' are the consumer's input features: its input layout's segments with their kept channels,
 * each channel c of a segment of spread S standing for features c*S ... c*S + S - 1.
 *
 * Notes (pass.ts) are per group, named by the group (its producers joined by '+') and its
 * producers' op types: "stage1/expand (Conv): kept 32 of 64 channels", or why it was left whole.
 *
 * Subgraphs (If branches, Loop and Scan bodies) are analysed and pruned each on its own
 * (scopes.ts): a group whose tensors all live in one body is pruned there; one that crosses the
 * body's boundary is left whole, its note saying so (channel-groups.ts). A Conv in a body whose
 * weight belongs to an enclosing graph gets its resliced weight as a copy in the body. Notes name
 * a body's groups by path (If_0/then_branch/conv3).
 */
import { UserError } from '../../errors.ts';
import { inferShapes } from '../../graph/infer.ts';
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { attrsOf, toAttrs } from '../../graph/ops/attrs.ts';
import { Conv } from '../../graph/ops/conv.ts';
import { Gemm } from '../../graph/ops/gemm.ts';
import { analyzeChannels, type ChannelAnalysis, type ChannelGroup, type Segment } from './channel-groups.ts';
import { initializerMap } from './graph-util.ts';
import type { PassNote, PassResult } from './pass.ts';
import { rewriteScopes, type Scope } from './scopes.ts';

export type ChannelCriterion = 'l1' | 'bn-gamma';

export interface PruneChannelsOptions {
  /** Fraction of each group's channels to remove, in (0, 1). */
  ratio: number;
  criterion: ChannelCriterion;
}


/** The entries of `t` whose index along `axis` is in `idx`, in that order. */
export function takeAlongAxis(t: Tensor, axis: number, idx: readonly number[]): Tensor {
  const data = t.data as Float32Array;
  const outer = t.dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = t.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const n = t.dims[axis];
  const out = new Float32Array(outer * idx.length * inner);
  for (let o = 0; o < outer; o++)
    idx.forEach((k, j) => out.set(data.subarray((o * n + k) * inner, (o * n + k + 1) * inner), (o * idx.length + j) * inner));
  const dims = [...t.dims];
  dims[axis] = idx.length;
  return { ...t, dims, data: out };
}

/** Per-channel importance of a group under the criterion; undefined when it cannot be ranked. */
function importance(group: ChannelGroup, criterion: ChannelCriterion, nodes: Map<string, Node>, inits: Map<string, Tensor>): Float64Array | undefined {
  const score = new Float64Array(group.channels);
  if (criterion === 'bn-gamma') {
    if (!group.batchNorms.length) return undefined;
    for (const name of group.batchNorms) {
      const gamma = inits.get(nodes.get(name)!.inputs[1])!.data as Float32Array;
      for (let c = 0; c < score.length; c++) score[c] += Math.abs(gamma[c]);
    }
    return score;
  }
  for (const name of group.producers) {
    const n = nodes.get(name)!;
    const w = inits.get(n.inputs[1])!;
    const data = w.data as Float32Array;
    // Output channel axis: 0 for Conv and transposed Gemm weights, 1 for a plain Gemm or a MatMul [K, N].
    const outAxis = n.opType === 'MatMul' || (n.opType === 'Gemm' && attrsOf(Gemm, n).transB === 0) ? 1 : 0;
    const [rows, cols] = [w.dims[0], data.length / w.dims[0]];
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) score[outAxis === 0 ? r : k] += Math.abs(data[r * cols + k]);
  }
  return score;
}

/** The features of a value with this layout that survive, or undefined when none of its groups is pruned. */
function keptFeatures(layout: Segment[] | undefined, analysis: ChannelAnalysis, keep: Map<number, number[]>): number[] | undefined {
  if (!layout?.some((s) => keep.has(s.group))) return undefined;
  const out: number[] = [];
  let offset = 0;
  for (const s of layout) {
    const channels = analysis.groups[s.group].channels;
    const kept = keep.get(s.group) ?? [...Array(channels).keys()];
    for (const c of kept) for (let j = 0; j < s.spread; j++) out.push(offset + c * s.spread + j);
    offset += channels * s.spread;
  }
  return out;
}

/** A note on a channel group: named by the group, with its producers' op types. */
function groupNote(group: ChannelGroup, nodes: Map<string, Node>, kind: PassNote['kind'], why: string): PassNote {
  const op = [...new Set(group.producers.map((p) => nodes.get(p)!.opType))].join('+') || 'no producer';
  return { node: group.name, op, kind, why };
}

export function pruneChannels(g: Graph, o: PruneChannelsOptions): PassResult {
  if (!(o.ratio > 0 && o.ratio < 1)) throw new UserError(`channel pruning ratio must be in (0, 1), got ${o.ratio}`);
  if (o.criterion !== 'l1' && o.criterion !== 'bn-gamma') throw new UserError(`channel pruning criterion must be 'l1' or 'bn-gamma', got '${o.criterion}'`);
  return rewriteScopes(g, (view, scope) => pruneScope(view, o, scope));
}

/** One graph (the model or a subgraph view) with its prunable groups pruned. */
function pruneScope(g: Graph, o: PruneChannelsOptions, scope: Scope): PassResult {
  const analysis = analyzeChannels(g, scope.outer !== undefined);
  const inits = initializerMap(g);
  const nodes = new Map(g.nodes.map((n) => [n.name, n]));

  const keep = new Map<number, number[]>();
  const notes: PassNote[] = [];
  for (const group of analysis.groups) {
    if (group.fixed) {
      if (group.producers.length) notes.push(groupNote(group, nodes, 'kept', group.fixed));
      continue;
    }
    const score = importance(group, o.criterion, nodes, inits);
    if (!score) {
      notes.push(groupNote(group, nodes, 'kept', 'no BatchNormalization follows it, so bn-gamma cannot rank its channels'));
      continue;
    }
    const k = Math.round(o.ratio * group.channels);
    if (k >= group.channels) {
      throw new UserError(`pruning ${o.ratio} of the ${group.channels} channels of '${group.name}' would remove all of them; use a smaller ratio`);
    }
    const order = [...score.keys()].sort((a, b) => score[b] - score[a] || a - b);
    const kept = order.slice(0, group.channels - k).sort((a, b) => a - b);
    notes.push(groupNote(group, nodes, 'changed', `kept ${kept.length} of ${group.channels} channels`));
    if (k > 0) keep.set(group.id, kept);
  }

  const replaced = new Map<string, Tensor>();
  const slice = (name: string, axis: number, idx: number[] | undefined) => {
    if (!name || !idx) return;
    replaced.set(name, takeAlongAxis(replaced.get(name) ?? inits.get(name)!, axis, idx));
  };
  const groupKeep = (value: string) => {
    const l = analysis.layouts.get(value);
    return l && l.length === 1 ? keep.get(l[0].group) : undefined;
  };
  const newNodes = g.nodes.map((n) => {
    const out = groupKeep(n.outputs[0]);
    if (n.opType === 'Conv' && analysis.layouts.has(n.outputs[0])) {
      const depthwise = attrsOf(Conv, n).group > 1;
      if (depthwise) {
        if (!out || analysis.groups.every((gr) => !gr.depthwise.includes(n.name))) return n;
        slice(n.inputs[1], 0, out);
        slice(n.inputs[2], 0, out);
        return { ...n, attrs: { ...n.attrs, ...toAttrs(Conv.attrs, { group: out.length }) } };
      }
      slice(n.inputs[1], 0, out);
      slice(n.inputs[2], 0, out);
      slice(n.inputs[1], 1, keptFeatures(analysis.layouts.get(n.inputs[0]), analysis, keep));
    } else if (n.opType === 'Gemm' && analysis.layouts.has(n.outputs[0])) {
      const transB = attrsOf(Gemm, n).transB === 1;
      slice(n.inputs[1], transB ? 0 : 1, out);
      slice(n.inputs[2], 0, out);
      slice(n.inputs[1], transB ? 1 : 0, keptFeatures(analysis.layouts.get(n.inputs[0]), analysis, keep));
    } else if (n.opType === 'MatMul' && analysis.layouts.has(n.outputs[0])) {
      slice(n.inputs[1], 1, out);
      slice(n.inputs[1], 0, keptFeatures(analysis.layouts.get(n.inputs[0]), analysis, keep));
    } else if (n.opType === 'BatchNormalization' && analysis.layouts.has(n.outputs[0])) {
      for (const p of n.inputs.slice(1)) slice(p, 0, out);
    }
    return n;
  });
  for (const group of analysis.groups) for (const name of group.perChannel) slice(name, 0, keep.get(group.id));
  const initializers = g.initializers.map((t) => replaced.get(t.name) ?? t);
  const graph = inferShapes({ ...g, nodes: newNodes, initializers, valueInfo: [] });
  return { graph, notes };
}
