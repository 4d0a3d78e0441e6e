/**
 * Channel groups: which tensors must lose the same channels when a channel is pruned.
 *
 * A channel index is born in the output of a Conv (or Gemm) and then flows, unchanged, through
 * BatchNormalization, activations (Relu, Clip/ReLU6, LeakyRelu...), pooling (MaxPool, AveragePool,
 * GlobalAveragePool), and depthwise convolutions (group = C, one filter per channel: their input and
 * output channel c are the same channel). Add/Sub/Mul/Div of two such tensors ties their channels:
 * a residual `x + f(x)` makes f's last conv and whatever produced x one group (union-find).
 * The first Conv/Gemm/MatMul that reads a channel ends its flow: it is a *consumer*, whose weights lose
 * the matching input slice. Which of these roles an op plays is its OpDef's `channels` trait
 * (src/graph/ops/op.ts); an op without one, registered or not, is opaque to the analysis.
 *
 * A MatMul by a constant 2-D weight [K, N] (a Linear layer, as PyTorch exports it on [N, T, D]
 * activations) starts channels on its output's *last* axis, and reads its input's channels there:
 * MatMul -> Add(bias [N]) -> Relu -> MatMul is a group whose bias is resliced with it. Such a value
 * (of rank > 2, where the last axis is not axis 1) flows only through elementwise ops (`keep`,
 * `tie`) into another MatMul; pooling, BatchNormalization, Conv, Flatten and Concat read axis 1 and
 * keep its channels. LayerNormalization, Softmax and attention's Reshape/Transpose have no channel
 * trait, so a Linear feeding them keeps its channels, and the note says which node stopped it.
 *
 * Each tracked value has a *layout*: its channel axis as a list of segments, each a group seen
 * with a spread S (S = 1 normally; S = H*W after Flatten, where feature f = c*S + s). Concat on
 * axis 1 lays its inputs' segments end to end. So GAP -> Flatten -> Gemm reads features = channels,
 * and MaxPool -> Flatten -> Gemm reads each channel's H*W block.
 *
 * A group is prunable only if every tensor in it comes from a Conv/Gemm/MatMul with constant weights
 * (its producers), and none of its values reaches the model's input or output, an op this analysis
 * does not understand (Reshape, Softmax, Transpose...), a grouped (non-depthwise) conv, or an
 * elementwise op with a per-channel constant. Each such reason is kept, in words.
 *
 * Groups never cross a subgraph boundary: a value that a subgraph reads (an If branch reading a
 * Conv's output) or that a body takes from outside or gives back (its inputs, outer-scope values,
 * its outputs) keeps its channels, since the holder (If, Loop, Scan) ties them to the other side,
 * which this analysis of one graph cannot reslice. Inside a body, groups whose tensors all live
 * there are pruned like the main graph's (prune-channels.ts runs the analysis per scope).
 */
import { isKnown } from '../../graph/dims.ts';
import { describeNode, inferShapes } from '../../graph/infer.ts';
import { type Graph, numel, valueTypes } from '../../graph/ir.ts';
import { attrsOf } from '../../graph/ops/attrs.ts';
import { Conv } from '../../graph/ops/conv.ts';
import { Gemm } from '../../graph/ops/gemm.ts';
import { traitsOf } from '../../graph/ops/index.ts';
import { Concat, Flatten } from '../../graph/ops/data-movement.ts';
import { hasSubgraphs, subgraphReads } from '../../graph/reads.ts';
import { consumers, initializerMap } from './graph-util.ts';

/** A run of channels on a value's channel axis: all channels of `group`, each repeated `spread` times. */
export interface Segment {
  group: number;
  spread: number;
}

export interface ChannelGroup {
  id: number;
  /** Producers' names joined by '+', for reports; the first value's name when it has none. */
  name: string;
  channels: number;
  /** Conv/Gemm/MatMul nodes whose output channels are this group's channels. */
  producers: string[];
  /** Depthwise Convs whose input and output channels are this group's channels. */
  depthwise: string[];
  /** BatchNormalizations over this group's channels. */
  batchNorms: string[];
  /** Per-channel constants [C] added or multiplied onto the group's last-axis values (a MatMul's bias), resliced along 0. */
  perChannel: string[];
  /** Why the group must keep every channel; undefined when it can be pruned. */
  fixed?: string;
}

export interface ChannelAnalysis {
  groups: ChannelGroup[];
  /** The channel layout of each tracked value (groups by id into `groups`). */
  layouts: Map<string, Segment[]>;
}

class Groups {
  private parent: number[] = [];
  readonly info: { channels: number; producers: string[]; depthwise: string[]; batchNorms: string[]; perChannel: string[]; fixed: string[]; firstValue: string }[] = [];

  create(channels: number, firstValue: string): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.info.push({ channels, producers: [], depthwise: [], batchNorms: [], perChannel: [], fixed: [], firstValue });
    return id;
  }

  find(a: number): number {
    while (this.parent[a] !== a) a = this.parent[a] = this.parent[this.parent[a]];
    return a;
  }

  union(a: number, b: number): number {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra === rb) return ra;
    const [keep, drop] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[drop] = keep;
    const k = this.info[keep];
    const d = this.info[drop];
    k.producers.push(...d.producers);
    k.depthwise.push(...d.depthwise);
    k.batchNorms.push(...d.batchNorms);
    k.perChannel.push(...d.perChannel);
    k.fixed.push(...d.fixed);
    if (k.channels !== d.channels) k.fixed.push(`channel counts ${k.channels} and ${d.channels} meet (broadcasting)`);
    return keep;
  }

  at(a: number) {
    return this.info[this.find(a)];
  }
}

/** Why a boundary value keeps its channels, in a subgraph (see the header). */
const BOUNDARY = 'channel pruning does not cross a subgraph boundary';

/** The channel groups of a graph; `subgraph`: the graph is a subgraph's view (scopes.ts), whose inputs and outputs are a boundary. */
export function analyzeChannels(graph: Graph, subgraph = false): ChannelAnalysis {
  const g = inferShapes(graph);
  const types = valueTypes(g);
  const inits = initializerMap(g);
  const cons = consumers(g);
  const groups = new Groups();
  const layouts = new Map<string, Segment[]>();
  /** An initializer read by one node only: a pass may reslice it for that node. */
  const ownConstant = (name: string | undefined) => name !== undefined && name !== '' && inits.has(name) && (cons.get(name)?.length ?? 0) === 1;
  const channelsOf = (v: string) => types.get(v)?.shape[1];
  const fix = (layout: Segment[] | undefined, reason: string) => layout?.forEach((s) => groups.at(s.group).fixed.push(reason));
  const single = (layout: Segment[] | undefined) => layout && layout.length === 1 && layout[0].spread === 1;
  /** Values whose channels are on the last axis (a MatMul's output and what follows it elementwise). */
  const lastAxis = new Set<string>();
  const rankOf = (v: string) => types.get(v)?.shape.length;
  /** A last-axis value of rank > 2: its channels are not on axis 1, where every op but MatMul and elementwise ones reads them. */
  const offAxis1 = (v: string) => lastAxis.has(v) && (rankOf(v) ?? 0) > 2;

  for (const input of g.inputs) {
    const c = input.shape[1];
    if (input.shape.length >= 2 && typeof c === 'number') {
      const id = groups.create(c, input.name);
      groups.at(id).fixed.push(subgraph ? `it comes into the subgraph as '${input.name}' (a body input or an outer-scope value): ${BOUNDARY}` : `it holds the channels of the model input '${input.name}'`);
      layouts.set(input.name, [{ group: id, spread: 1 }]);
    }
  }

  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => (i ? layouts.get(i) : undefined));
    const opaque = (why = `it reaches ${describeNode(n)}, which this pass cannot reslice`) => ins.forEach((l) => fix(l, why));
    const x = ins[0];
    if (hasSubgraphs(n)) {
      const why = `it reaches ${describeNode(n)}, whose subgraphs read it: ${BOUNDARY}`;
      opaque(why);
      for (const v of subgraphReads(n)) fix(layouts.get(v), why);
      continue;
    }
    // How channels flow through each op is its `channels` trait (src/graph/ops/op.ts).
    const flow = traitsOf(n).channels;
    if (flow !== undefined && flow !== 'matmul' && flow !== 'keep' && flow !== 'tie' && n.inputs.some((i) => i && layouts.has(i) && offAxis1(i))) {
      opaque(`it reaches ${describeNode(n)}, which reads axis 1, while its channels are on the last axis (a MatMul's output)`);
      continue;
    }
    switch (flow) {
      case 'conv': {
        const w = inits.get(n.inputs[1]);
        const hasBias = !!n.inputs[2];
        if (!w || w.dtype !== 'float32' || w.dims.length < 3 || !ownConstant(w.name) || (hasBias && !ownConstant(n.inputs[2]))) {
          opaque(`it reaches ${describeNode(n)}, whose weight or bias is not a constant of its own`);
          // Its output channels are fixed too, and said so (a weight read by another node or from inside a subgraph).
          if (w && w.dims.length >= 3 && typeof w.dims[0] === 'number') {
            const id = groups.create(w.dims[0], n.outputs[0]);
            groups.at(id).producers.push(n.name);
            groups.at(id).fixed.push(`its weight or bias is not a constant of its own (another node${cons.get(w.name)?.some(hasSubgraphs) ? ', or a subgraph,' : ''} reads it too), so it cannot be resliced`);
            layouts.set(n.outputs[0], [{ group: id, spread: 1 }]);
          }
          break;
        }
        const { group } = attrsOf(Conv, n);
        const cin = channelsOf(n.inputs[0]);
        if (group === 1) {
          if (x && !(x.reduce((s, seg) => s + groups.at(seg.group).channels * seg.spread, 0) === w.dims[1])) opaque();
          const id = groups.create(w.dims[0], n.outputs[0]);
          groups.at(id).producers.push(n.name);
          layouts.set(n.outputs[0], [{ group: id, spread: 1 }]);
        } else if (group === cin && w.dims[0] === cin && single(x)) {
          groups.at(x![0].group).depthwise.push(n.name);
          layouts.set(n.outputs[0], x!);
        } else {
          opaque(`it reaches the grouped ${describeNode(n)} (group ${group}), which this pass does not reslice`);
          const id = groups.create(w.dims[0], n.outputs[0]);
          groups.at(id).fixed.push(`it is the output of the grouped ${describeNode(n)}`);
          layouts.set(n.outputs[0], [{ group: id, spread: 1 }]);
        }
        break;
      }
      case 'gemm': {
        const w = inits.get(n.inputs[1]);
        const bias = n.inputs[2] ? inits.get(n.inputs[2]) : undefined;
        const out = types.get(n.outputs[0])?.shape[1];
        const biasOk = !n.inputs[2] || (bias && ownConstant(bias.name) && bias.dims.length === 1);
        if (!w || w.dtype !== 'float32' || !ownConstant(w.name) || attrsOf(Gemm, n).transA !== 0 || !biasOk || typeof out !== 'number') {
          opaque(`it reaches ${describeNode(n)}, whose weight is not its own constant, or which uses transA or a non-vector bias`);
          break;
        }
        const id = groups.create(out, n.outputs[0]);
        groups.at(id).producers.push(n.name);
        layouts.set(n.outputs[0], [{ group: id, spread: 1 }]);
        break;
      }
      case 'matmul': {
        const w = inits.get(n.inputs[1]);
        const cin = x?.reduce((a, seg) => a + groups.at(seg.group).channels * seg.spread, 0);
        const readsLast = !x || lastAxis.has(n.inputs[0]) || rankOf(n.inputs[0]) === 2;
        // Channels on another axis (a model input [N, T, D] tracked on axis 1) are not what it reads: they stay.
        if (x && (!readsLast || cin !== w?.dims[0])) opaque(`it reaches ${describeNode(n)}, which reads its input's last axis, not these channels`);
        if (!w || w.dtype !== 'float32' || w.dims.length !== 2 || !ownConstant(w.name)) {
          opaque(`it reaches ${describeNode(n)}, whose weight is not a 2-D float32 constant of its own`);
          if (w && w.dims.length === 2 && !ownConstant(w.name) && inits.has(n.inputs[1])) {
            const id = groups.create(w.dims[1], n.outputs[0]);
            groups.at(id).producers.push(n.name);
            groups.at(id).fixed.push(`its weight '${w.name}' is read by another node too (a tied weight), so it cannot be resliced for this one`);
            layouts.set(n.outputs[0], [{ group: id, spread: 1 }]);
            lastAxis.add(n.outputs[0]);
          }
          break;
        }
        const id = groups.create(w.dims[1], n.outputs[0]);
        groups.at(id).producers.push(n.name);
        layouts.set(n.outputs[0], [{ group: id, spread: 1 }]);
        lastAxis.add(n.outputs[0]);
        break;
      }
      case 'batchnorm': {
        if (!single(x) || !n.inputs.slice(1).every(ownConstant)) {
          opaque(`it reaches ${describeNode(n)}, whose parameters are not constants of its own`);
          break;
        }
        groups.at(x![0].group).batchNorms.push(n.name);
        layouts.set(n.outputs[0], x!);
        break;
      }
      case 'concat': {
        const rank = types.get(n.outputs[0])?.shape.length;
        const { axis } = attrsOf(Concat, n);
        if (rank !== undefined && (axis === 1 || axis === 1 - rank) && ins.every((l) => l !== undefined)) layouts.set(n.outputs[0], ins.flatMap((l) => l!));
        else opaque();
        break;
      }
      case 'flatten': {
        const shape = types.get(n.inputs[0])?.shape;
        if (!x || attrsOf(Flatten, n).axis !== 1 || !shape || !shape.slice(2).every(isKnown)) {
          opaque();
          break;
        }
        const spatial = numel(shape.slice(2) as number[]);
        layouts.set(n.outputs[0], x.map((s) => ({ group: s.group, spread: s.spread * spatial })));
        break;
      }
      case 'keep': {
        // Clip's bounds and the like must be scalars; anything else is not per-element.
        if (x && n.inputs.slice(1).every((i) => !i || (inits.has(i) && numel(inits.get(i)!.dims) === 1))) {
          layouts.set(n.outputs[0], x);
          if (lastAxis.has(n.inputs[0])) lastAxis.add(n.outputs[0]);
        } else opaque();
        break;
      }
      case 'pool': {
        if (x) layouts.set(n.outputs[0], x);
        break;
      }
      case 'tie': {
        const tracked = n.inputs.filter((_, i) => ins[i]);
        if (!tracked.length) break;
        // A bias (or scale): one last-axis value of a single group and a constant [C] of its own, broadcast
        // along the last axis: elementwise, so channel c meets c[c] only, and c is resliced with the group.
        const other = n.inputs.find((_, i) => !ins[i]);
        const bias = other !== undefined ? inits.get(other) : undefined;
        const v = tracked[0];
        if (tracked.length === 1 && n.inputs.length === 2 && bias && (lastAxis.has(v) || rankOf(v) === 2) && single(layouts.get(v))) {
          const seg = layouts.get(v)![0];
          if (bias.dims.length === 1 && bias.dims[0] === groups.at(seg.group).channels && bias.dims[0] > 1 && ownConstant(bias.name)) {
            groups.at(seg.group).perChannel.push(bias.name);
            layouts.set(n.outputs[0], layouts.get(v)!);
            lastAxis.add(n.outputs[0]);
            break;
          }
        }
        const scalarsOnly = n.inputs.every((name, i) => ins[i] || (inits.has(name) && numel(inits.get(name)!.dims) === 1));
        const layoutsOf = ins.filter((l): l is Segment[] => l !== undefined);
        const rank = types.get(n.outputs[0])?.shape.length;
        const sameRank = tracked.every((t) => types.get(t)?.shape.length === rank);
        if (!scalarsOnly || !sameRank || !layoutsOf.every((l) => l.length === layoutsOf[0].length && l.every((s, j) => s.spread === layoutsOf[0][j].spread))) {
          opaque(`it meets a tensor of other channels in ${describeNode(n)}`);
          break;
        }
        if (!tracked.every((t) => lastAxis.has(t) === lastAxis.has(tracked[0]))) {
          opaque(`it meets, in ${describeNode(n)}, a tensor whose channels are on another axis`);
          break;
        }
        for (const l of layoutsOf.slice(1)) l.forEach((s, j) => groups.union(layoutsOf[0][j].group, s.group));
        layouts.set(n.outputs[0], layoutsOf[0]);
        if (lastAxis.has(tracked[0])) lastAxis.add(n.outputs[0]);
        break;
      }
      default:
        // No `channels` trait, or an op melbench does not model: the channels that reach it stay.
        opaque();
    }
  }
  for (const o of g.outputs) fix(layouts.get(o.name), subgraph ? `it leaves the subgraph as its output '${o.name}': ${BOUNDARY}` : `it reaches the model output '${o.name}'`);

  // Number the union-find roots densely and resolve every layout to them.
  const ids = new Map<number, number>();
  const result: ChannelGroup[] = [];
  groups.info.forEach((_, i) => {
    const root = groups.find(i);
    if (ids.has(root)) return;
    const info = groups.info[root];
    ids.set(root, result.length);
    if (!info.producers.length) info.fixed.push('no Conv, Gemm or MatMul produces it');
    result.push({
      id: result.length,
      name: info.producers.length ? info.producers.join('+') : info.firstValue,
      channels: info.channels,
      producers: info.producers,
      depthwise: info.depthwise,
      batchNorms: info.batchNorms,
      perChannel: info.perChannel,
      fixed: info.fixed[0],
    });
  });
  const resolved = new Map<string, Segment[]>();
  for (const [v, l] of layouts) resolved.set(v, l.map((s) => ({ group: ids.get(groups.find(s.group))!, spread: s.spread })));
  return { groups: result, layouts: resolved };
}
