/**
 * Which graph node an ORT profile's kernel belongs to, and so which provider ran each node. ORT
 * names the kernels of nodes it rewrote after them: onnxruntime-node's NCHWc layout pass gives
 * `stem/conv_nchwc`, a BatchNormalization it turned into a Conv `stem/bn_bn_nchwc`, its QDQ fusion
 * `stem/conv_token_1`, and a Gemm it fused with its Relu `fused head/fc1`. So a kernel belongs
 * to the graph node whose name is the longest one it equals or starts with followed by '_' (after
 * a leading 'fused '); kernels of nodes ORT added itself
 * (`ReorderOutput_token_72`, `Transpose`) belong to none. Pure.
 */
import type { NodeProfile } from '../runners/runner.ts';

/** The graph node (of `names`) a profiled kernel belongs to, or undefined for a kernel ORT added. */
export function kernelOwner(kernel: string, names: ReadonlySet<string>): string | undefined {
  if (names.has(kernel)) return kernel;
  if (kernel.startsWith('fused ')) return kernelOwner(kernel.slice('fused '.length), names);
  for (let i = kernel.lastIndexOf('_'); i > 0; i = kernel.lastIndexOf('_', i - 1)) {
    if (names.has(kernel.slice(0, i))) return kernel.slice(0, i);
  }
  return undefined;
}

export function nodeProviders(nodeNames: readonly string[], profile: readonly NodeProfile[]): Map<string, string> {
  const names = new Set(nodeNames);
  const out = new Map<string, string>();
  for (const p of profile) {
    const owner = kernelOwner(p.name, names);
    if (owner && !out.has(owner)) out.set(owner, p.provider);
  }
  return out;
}
