/**
 * Per-node profiles and provider fallback.
 *
 * onnxruntime-node writes a Chrome-trace JSON when a session has `enableProfiling`: one
 * `cat: "Node"` event per kernel execution, named `<node>_kernel_time`, with `args.op_name` and
 * `args.provider` (the execution provider that ran it). Summing those per node gives
 * `NodeProfile`s, and the nodes whose provider differs from the one asked for are the fallbacks:
 * an op the EP has no kernel for (or declined, for that type or shape) that ORT quietly ran on CPU.
 *
 * onnxruntime-web has no such output in Node: its WASM profiler writes to the console only, and
 * its WebGPU profiling mode times GPU kernels (all on WebGPU by construction) with no record of the
 * nodes that were assigned to the CPU. Its fallback count is therefore `null`: unknown.
 */
import type { NodeProfile } from './contract.ts';

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

const KERNEL_SUFFIX = '_kernel_time';

/** ORT's name of the execution provider a runtime asks for, as it appears in profiles. */
export const ORT_PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPUExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  wasm: 'CPUExecutionProvider',
};

/** Nodes ORT inserts to move tensors between devices: glue, not fallbacks. */
const TRANSFER_OPS = new Set(['MemcpyToHost', 'MemcpyFromHost']);

export function parseOrtProfile(json: string): NodeProfile[] {
  const events = JSON.parse(json) as TraceEvent[];
  const byNode = new Map<string, { opType: string; provider: string; totalUs: number; calls: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX)) continue;
    const name = e.name.slice(0, -KERNEL_SUFFIX.length);
    const entry = byNode.get(name) ?? { opType: e.args?.op_name ?? '', provider: e.args?.provider ?? '', totalUs: 0, calls: 0 };
    entry.totalUs += e.dur ?? 0;
    entry.calls += 1;
    byNode.set(name, entry);
  }
  return [...byNode].map(([name, n]) => ({ name, opType: n.opType, provider: n.provider, meanUs: n.totalUs / n.calls, calls: n.calls }));
}

/**
 * How many nodes ran on a provider other than `provider` (a runtime's EP name like 'webgpu', or
 * ORT's full provider name). `null` when the profile cannot tell: none, or no node names a provider.
 */
export function countFallbackNodes(profile: readonly NodeProfile[] | null, provider: string): number | null {
  if (!profile || profile.length === 0 || profile.every((n) => n.provider === '')) return null;
  const wanted = ORT_PROVIDER_NAMES[provider] ?? provider;
  return profile.filter((n) => !TRANSFER_OPS.has(n.opType) && n.provider !== wanted).length;
}
