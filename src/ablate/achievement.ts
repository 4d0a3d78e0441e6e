/**
 * What a compression of a model file asked for beside what it achieved, so that `quantize` and
 * `prune` never exit 0 after doing far less than asked (a model whose weights the passes cannot
 * see, a model whose layers have no quantized form):
 *
 *   quantize (fp16, dynamic, static)  nodes with a weight (Conv, Gemm, MatMul: the ops whose
 *                                     OpDef has the `dynamicQuant` trait), in the graph and its
 *                                     subgraphs, that the pass converted, of all of them; the
 *                                     others are the pass's own notes, grouped by op and reason
 *   magnitude pruning                 sparsity reached = weights newly zeroed / all weights of the
 *                                     ops that magnitude pruning covers (the `magnitudePrune`
 *                                     trait), each tensor once, against the asked ratio
 *   channel pruning                   output channels removed from the nodes that start channels
 *                                     (the `channels` trait conv, gemm, matmul: Conv, Gemm, a
 *                                     MatMul by a 2-D weight) / all of theirs, against the ratio
 *
 * `enough` is false when nothing was converted, or when pruning reached less than half the ratio:
 * the commands then refuse to write the result unless `--allow-partial`.
 */
import type { Graph, Node, SubGraph, Tensor } from '../graph/ir.ts';
import { traitsOf } from '../graph/ops/index.ts';
import { nodeSubgraphs } from '../graph/reads.ts';
import type { PassNote } from '../export/passes/pass.ts';
import type { VariantSpec } from './variants.ts';

export interface Achievement {
  /** 'quantize Conv/Gemm/MatMul nodes', 'sparsity 0.5'. */
  asked: string;
  /** '18 of 20 quantized', 'sparsity 0.498 of the weights'. */
  achieved: string;
  /** Achieved over asked, in [0, 1]. */
  fraction: number;
  enough: boolean;
  /** Why the rest was not done, one line per (op, reason): 'MatMul x12: its weight is not an initializer'. */
  reasons: string[];
}

/** Every node of `g` and of its subgraphs, depth first. */
function allNodes(g: Pick<Graph | SubGraph, 'nodes'>): Node[] {
  return g.nodes.flatMap((n) => [n, ...nodeSubgraphs(n).flatMap(allNodes)]);
}

/** Every initializer of `g` and of its subgraphs, by name. */
function allInitializers(g: Graph): Map<string, Tensor> {
  const out = new Map(g.initializers.map((t) => [t.name, t]));
  const visit = (sg: SubGraph) => {
    for (const t of sg.initializers) if (!out.has(t.name)) out.set(t.name, t);
    sg.nodes.flatMap(nodeSubgraphs).forEach(visit);
  };
  g.nodes.flatMap(nodeSubgraphs).forEach(visit);
  return out;
}

/** The pass's notes on nodes it left alone, grouped: 'MatMul x12: its weight is not an initializer'. */
export function keptReasons(notes: readonly PassNote[], ops?: ReadonlySet<string>): string[] {
  const by = new Map<string, number>();
  for (const n of notes) if (n.kind === 'kept' && (!ops || ops.has(n.op))) by.set(`${n.op}\u0000${n.why}`, (by.get(`${n.op}\u0000${n.why}`) ?? 0) + 1);
  return [...by].map(([k, count]) => {
    const [op, why] = k.split('\u0000');
    return `${op}${count > 1 ? ` x${count}` : ''}: ${why}`;
  });
}

const zeros = (t: Tensor | undefined) => (t ? Array.from(t.data as ArrayLike<number | bigint>).filter((v) => v === 0 || v === 0n).length : 0);

function quantized(before: Graph, notes: readonly PassNote[], verb: string): Achievement {
  const weighted = allNodes(before).filter((n) => traitsOf(n).dynamicQuant !== undefined);
  const ops = new Set(weighted.map((n) => n.opType));
  const kept = notes.filter((n) => n.kind === 'kept' && ops.has(n.op)).length;
  const total = weighted.length;
  const done = Math.max(0, total - kept);
  const names = [...ops].sort().join('/') || 'Conv/Gemm/MatMul';
  return {
    asked: `${verb} every ${names} node`,
    achieved: `${done} of ${total} ${names} node(s) ${verb === 'quantize' ? 'quantized' : 'in float16'}`,
    fraction: total ? done / total : 0,
    enough: done > 0,
    reasons: total ? keptReasons(notes, ops) : ['the model has no Conv, Gemm or MatMul node'],
  };
}

function magnitude(before: Graph, after: Graph, ratio: number, notes: readonly PassNote[]): Achievement {
  const b = allInitializers(before);
  const a = allInitializers(after);
  const names = new Set<string>();
  for (const n of allNodes(before)) {
    const { magnitudePrune, weight } = traitsOf(n);
    const t = magnitudePrune && weight !== undefined ? b.get(n.inputs[weight]) : undefined;
    if (t?.dtype === 'float32') names.add(t.name);
  }
  let total = 0;
  let zeroed = 0;
  for (const name of names) {
    total += b.get(name)!.data.length;
    zeroed += zeros(a.get(name)) - zeros(b.get(name));
  }
  const reached = total ? zeroed / total : 0;
  return {
    asked: `sparsity ${ratio}`,
    achieved: `sparsity ${reached.toFixed(3)} of ${total.toLocaleString('en')} weights`,
    fraction: Math.min(1, reached / ratio),
    enough: reached >= ratio / 2,
    reasons: keptReasons(notes),
  };
}

/** Output channels of a node that starts channels (Conv, Gemm, MatMul by a 2-D weight), by its weight's dims. */
function outChannelsOf(n: Node, w: Tensor | undefined): number | undefined {
  if (!w) return undefined;
  switch (traitsOf(n).channels) {
    case 'conv':
      return w.dims[0];
    case 'gemm':
      return n.attrs.transB?.kind === 'int' && n.attrs.transB.value === 1 ? w.dims[0] : w.dims[1];
    case 'matmul':
      return w.dims.length === 2 ? w.dims[1] : undefined;
  }
  return undefined;
}

function channels(before: Graph, after: Graph, ratio: number, notes: readonly PassNote[]): Achievement {
  const outChannels = (g: Graph) => {
    const inits = allInitializers(g);
    const out = new Map<string, number>();
    for (const n of allNodes(g)) {
      const c = outChannelsOf(n, inits.get(n.inputs[1]));
      if (c !== undefined) out.set(n.name, c);
    }
    return out;
  };
  const b = outChannels(before);
  const a = outChannels(after);
  let total = 0;
  let removed = 0;
  for (const [name, c] of b) {
    total += c;
    removed += c - (a.get(name) ?? c);
  }
  const reached = total ? removed / total : 0;
  return {
    asked: `remove ${ratio} of the channels`,
    achieved: `${removed.toLocaleString('en')} of ${total.toLocaleString('en')} Conv/Gemm/MatMul output channels removed (${reached.toFixed(3)})`,
    fraction: Math.min(1, reached / ratio),
    enough: reached >= ratio / 2,
    reasons: total ? keptReasons(notes) : ['the model has no Conv, Gemm or MatMul node with a weight initializer'],
  };
}

/** What `spec` asked of `before` and what `after` shows was done; undefined for variants that ask nothing (fp32, fold-bn). */
export function achievement(spec: VariantSpec, before: Graph, after: Graph, notes: readonly PassNote[]): Achievement | undefined {
  switch (spec.kind) {
    case 'fp16':
      return quantized(before, notes, 'convert');
    case 'dynamic':
    case 'static':
      return quantized(before, notes, 'quantize');
    case 'magnitude':
      return magnitude(before, after, spec.ratio, notes);
    case 'channels':
      return channels(before, after, spec.ratio, notes);
    default:
      return undefined;
  }
}
