/**
 * Gives every Conv and ConvTranspose without a bias an explicit all-zero bias:
 *   Conv(X, W)          -> Conv(X, W, 0[M])            M = W.shape[0]
 *   ConvTranspose(X, W) -> ConvTranspose(X, W, 0[M])   M = W.shape[1] * group
 * Adding 0.0 is exact; a kernel's bias path may sum in another order (a few ulps). The webgpu runner applies it because
 * onnxruntime-node 1.30's native WebGPU execution provider segfaults in session.run on any Conv
 * that has no bias input (reproduced with a single-node model on SwiftShader; the same node with a
 * bias runs). A Conv whose output-channel count is symbolic is left as it is, with a note.
 * With nothing to add, the result's graph is `g` itself.
 */
import type { Graph, Node, Tensor } from '../../graph/ir.ts';
import { valueTypes } from '../../graph/ir.ts';
import { attrsOf } from '../../graph/ops/attrs.ts';
import { ConvTranspose } from '../../graph/ops/conv.ts';
import { nameAllocator } from './graph-util.ts';
import { changedNote, keptNote, type PassNote, type PassResult } from './pass.ts';

export function withExplicitConvBias(g: Graph): PassResult {
  const types = valueTypes(g);
  const fresh = nameAllocator(g);
  const added: Tensor[] = [];
  const notes: PassNote[] = [];
  const nodes = g.nodes.map((n): Node => {
    if ((n.opType !== 'Conv' && n.opType !== 'ConvTranspose') || n.domain !== '' || n.inputs[2]) return n;
    const wt = types.get(n.inputs[1]);
    const w = wt?.shape;
    const m = n.opType === 'Conv' ? w?.[0] : typeof w?.[1] === 'number' ? w[1] * attrsOf(ConvTranspose, n).group : undefined;
    if (typeof m !== 'number') {
      notes.push(keptNote(n, 'its output-channel count is not known, so no bias of that length can be added'));
      return n;
    }
    // float16 zeros are all-zero bits too
    const half = wt?.dtype === 'float16';
    const bias: Tensor = { name: fresh(`${n.name}_zero_bias`), dtype: half ? 'float16' : 'float32', dims: [m], data: half ? new Uint16Array(m) : new Float32Array(m) };
    added.push(bias);
    notes.push(changedNote(n, `gets the all-zero bias '${bias.name}'`));
    return { ...n, inputs: [n.inputs[0], n.inputs[1], bias.name] };
  });
  return { graph: added.length ? { ...g, nodes, initializers: [...g.initializers, ...added] } : g, notes };
}
