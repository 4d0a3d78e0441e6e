/**
 * Why is variant b not faster than model a? Their per-node profiles on one runtime, joined by the
 * float node each of b's nodes stands for. Each profiled kernel is charged to its graph node
 * (node-providers.ts's rule), each of a's nodes to a layer: the node of b with its name (a QDQ
 * variant keeps the float model's node names), or, for a node b folded away (a BatchNormalization
 * and Relu after a Conv), the layer of the node it reads from. What b runs that stands for no node
 * of a (QuantizeLinear, DequantizeLinear, layout Transposes and reorders ORT adds) is `added`, and
 * what a runs that b does not (a's own reorders) is `dropped`. Pure.
 */
import type { Graph } from '../graph/ir.ts';
import type { NodeProfile } from '../runners/runner.ts';
import { kernelOwner } from './node-providers.ts';

export interface LayerTime {
  /** b's node (or a's, where b has none of that name). */
  layer: string;
  opA: string;
  opB: string;
  /** Mean time per run of the layer's kernels, microseconds. */
  usA: number;
  usB: number;
}

export interface NodeTime {
  name: string;
  opType: string;
  us: number;
}

export interface TimeJoin {
  layers: LayerTime[];
  added: NodeTime[];
  dropped: NodeTime[];
  totalA: number;
  totalB: number;
}

export function joinProfiles(ga: Graph, gb: Graph, profA: readonly NodeProfile[], profB: readonly NodeProfile[]): TimeJoin {
  const namesA = new Set(ga.nodes.map((n) => n.name));
  const namesB = new Set(gb.nodes.map((n) => n.name));
  const producer = new Map<string, (typeof ga.nodes)[number]>();
  for (const n of ga.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const weights = new Set(ga.initializers.map((t) => t.name));
  const layerOf = new Map<string, string | undefined>();
  // NOTE: nodes in topological order, so a folded node's input's layer is known when it is asked.
  for (const n of ga.nodes) {
    if (namesB.has(n.name)) layerOf.set(n.name, n.name);
    else {
      const from = n.inputs.find((i) => i && !weights.has(i) && producer.has(i));
      layerOf.set(n.name, from ? layerOf.get(producer.get(from)!.name) : undefined);
    }
  }
  const opOf = (g: Graph) => new Map(g.nodes.map((n) => [n.name, n.opType]));
  const opA = opOf(ga);
  const opB = opOf(gb);
  const layers = new Map<string, LayerTime>();
  const layer = (name: string) => {
    let l = layers.get(name);
    if (!l) layers.set(name, (l = { layer: name, opA: opA.get(name) ?? '', opB: opB.get(name) ?? '', usA: 0, usB: 0 }));
    return l;
  };
  const added = new Map<string, NodeTime>();
  const dropped = new Map<string, NodeTime>();
  const extra = (m: Map<string, NodeTime>, name: string, opType: string, us: number) => {
    const t = m.get(name) ?? { name, opType, us: 0 };
    t.us += us;
    m.set(name, t);
  };
  let totalA = 0;
  let totalB = 0;
  for (const k of profA) {
    totalA += k.meanUs;
    const owner = kernelOwner(k.name, namesA);
    const l = owner ? layerOf.get(owner) : undefined;
    if (l) layer(l).usA += k.meanUs;
    else extra(dropped, owner ?? k.name, k.opType, k.meanUs);
  }
  for (const k of profB) {
    totalB += k.meanUs;
    const owner = kernelOwner(k.name, namesB);
    if (owner && namesA.has(owner) && layerOf.get(owner) === owner) layer(owner).usB += k.meanUs;
    else extra(added, owner ?? k.name, k.opType, k.meanUs);
  }
  const byCost = (x: NodeTime, y: NodeTime) => y.us - x.us;
  return { layers: [...layers.values()].sort((x, y) => y.usB - y.usA - (x.usB - x.usA)), added: [...added.values()].sort(byCost), dropped: [...dropped.values()].sort(byCost), totalA, totalB };
}
