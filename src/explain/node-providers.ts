/**
 * Which execution provider ran each node of a graph, from ORT's profile of it. ORT names the
 * kernels of nodes it rewrote after them: onnxruntime-node's NCHWc layout pass gives
 * `stem/conv_nchwc`, a BatchNormalization it turned into a Conv `stem/bn_bn_nchwc`. So a profiled
 * kernel belongs to the graph node whose name is the longest one it equals or starts with followed
 * by '_'; kernels of nodes ORT added itself (`ReorderOutput_token_72`) belong to none. Pure.
 */
import type { NodeProfile } from '../runners/runner.ts';

export function nodeProviders(nodeNames: readonly string[], profile: readonly NodeProfile[]): Map<string, string> {
  const names = new Set(nodeNames);
  const out = new Map<string, string>();
  for (const p of profile) {
    let owner: string | undefined;
    if (names.has(p.name)) owner = p.name;
    else {
      for (let i = p.name.lastIndexOf('_'); i > 0 && !owner; i = p.name.lastIndexOf('_', i - 1)) {
        if (names.has(p.name.slice(0, i))) owner = p.name.slice(0, i);
      }
    }
    if (owner && !out.has(owner)) out.set(owner, p.provider);
  }
  return out;
}
