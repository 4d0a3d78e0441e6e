/**
 * Unstructured magnitude pruning: the weights of smallest |w| are set to exactly zero.
 *
 *   layer   each Conv/Gemm weight tensor W_l with n_l elements loses its k_l = round(s * n_l)
 *           smallest |w| (so each layer is at sparsity s within half an element)
 *   global  one threshold over all weights: the k = round(s * sum_l n_l) smallest |w| of the whole
 *           model are zeroed, so layers with many small weights lose more (the usual "global
 *           magnitude" baseline of Han et al. 2015 / Blalock et al. 2020)
 *
 * Ties at the threshold are broken by position (the first ones are zeroed), so the count is exact.
 * Only Conv, Gemm and MatMul weights are pruned (the ops whose OpDef has the `magnitudePrune` trait): biases, BN parameters and every other constant stay.
 * Zeros stay in the dense tensor: the model computes as many MACs as before, but its non-zero
 * parameter count and its gzip size drop (src/export/cost.ts), which is what the table reports.
 * Each pruned layer gets a note with its count, e.g. "conv1 (Conv): zeroed 230 of 576 weights of
 * 'conv1.weight'"; a Conv/Gemm whose weight is not a float32 initializer gets a note saying so.
 *
 * Subgraphs (If branches, Loop and Scan bodies) are pruned with the rest (scopes.ts): their
 * layers are layers, and the global threshold runs over every weight of the model. A tensor is
 * pruned once, where it is stored, whoever reads it: a weight of the main graph read by a Conv in
 * a branch is zeroed in the main graph, and every reader (another branch, a node of the main
 * graph) reads the same pruned tensor, as it read the same trained one. Notes name subgraph
 * layers by path (If_0/then_branch/conv3).
 */
import { UserError } from '../../errors.ts';
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { traitsOf } from '../../graph/ops/index.ts';
import { initializerMap } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';
import { forEachScope, rewriteScopes } from './scopes.ts';

export type MagnitudeScope = 'global' | 'layer';

export interface PruneMagnitudeOptions {
  /** Fraction of weights to zero, in (0, 1). */
  sparsity: number;
  scope: MagnitudeScope;
}


/**
 * Zeroes the k entries of smallest |w| across `tensors` (read as one concatenation, in order):
 * everything strictly below the k-th smallest magnitude, then ties at it by position.
 */
function zeroSmallest(tensors: Float32Array[], k: number): void {
  if (k <= 0) return;
  const total = tensors.reduce((s, t) => s + t.length, 0);
  const abs = new Float32Array(total);
  let off = 0;
  for (const t of tensors) {
    for (let i = 0; i < t.length; i++) abs[off + i] = Math.abs(t[i]);
    off += t.length;
  }
  const threshold = abs.sort()[k - 1];
  let left = k;
  for (const t of tensors) for (let i = 0; i < t.length; i++) if (Math.abs(t[i]) < threshold) (t[i] = 0), left--;
  for (const t of tensors) for (let i = 0; i < t.length && left > 0; i++) if (Math.abs(t[i]) === threshold) (t[i] = 0), left--;
}

export function pruneMagnitude(g: Graph, o: PruneMagnitudeOptions): PassResult {
  if (!(o.sparsity > 0 && o.sparsity < 1)) throw new UserError(`sparsity must be in (0, 1), got ${o.sparsity}`);
  if (o.scope !== 'global' && o.scope !== 'layer') throw new UserError(`magnitude pruning scope must be 'global' or 'layer', got '${o.scope}'`);
  // Every layer of every scope; a tensor is known by identity, since a view holds the same Tensor as the graph that stores it.
  const targets: { layer: Node; path: string; t: Tensor & { data: Float32Array } }[] = [];
  const notes: PassNote[] = [];
  const seen = new Set<Tensor>();
  forEachScope(g, (view, scope) => {
    const inits = initializerMap(view);
    const note = (n: PassNote) => notes.push({ ...n, node: scope.path + n.node });
    for (const n of view.nodes) {
      // Which ops lose weights is their `magnitudePrune` trait, and which input is their `weight`.
      const { magnitudePrune, weight } = traitsOf(n);
      if (!magnitudePrune || weight === undefined) continue;
      const t = inits.get(n.inputs[weight]);
      if (!t || t.dtype !== 'float32' || !(t.data instanceof Float32Array)) {
        note(keptNote(n, 'its weight is not a float32 initializer'));
        continue;
      }
      if (seen.has(t)) {
        note(keptNote(n, `its weight '${t.name}' is shared with an earlier node, pruned there`));
        continue;
      }
      seen.add(t);
      targets.push({ layer: n, path: scope.path, t: t as Tensor & { data: Float32Array } });
    }
  });
  if (!targets.length) throw new UserError(`model '${g.name}' has no float32 Conv, Gemm or MatMul weights to prune`);

  const pruned = new Map<Tensor, Float32Array>(targets.map(({ t }) => [t, Float32Array.from(t.data)]));
  if (o.scope === 'layer') {
    for (const data of pruned.values()) zeroSmallest([data], Math.round(o.sparsity * data.length));
  } else {
    const all = [...pruned.values()];
    zeroSmallest(all, Math.round(o.sparsity * all.reduce((s, t) => s + t.length, 0)));
  }

  for (const { layer, path, t } of targets) {
    const data = pruned.get(t)!;
    const zeros = data.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
    notes.push(changedNote({ ...layer, name: path + layer.name }, `zeroed ${zeros} of ${data.length} weights of '${t.name}'`));
  }
  // Each tensor is replaced where it is stored (an enclosing graph's weight, read in a view, is left to that graph).
  const { graph } = rewriteScopes(g, (view, scope) => ({
    graph: { ...view, initializers: view.initializers.map((t) => (pruned.has(t) && !scope.outer?.names.has(t.name) ? { ...t, data: pruned.get(t)! } : t)) },
    notes: [],
  }));
  return { graph, notes };
}
