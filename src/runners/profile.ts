/**
 * Per-node profiles and provider fallback.
 *
 * onnxruntime-node writes a Chrome-trace JSON when a session has `enableProfiling`: one
 * `cat: "Node"` event per kernel execution, named `<node>_kernel_time`, with `args.op_name` and
 * `args.provider` (the execution provider that ran it). Summing those per node gives
 * `NodeProfile`s, and the nodes whose provider differs from the one asked for are the fallbacks:
 * an op the EP has no kernel for (or declined, for that type or shape) that ORT quietly ran on CPU.
 *
 * Time per run: each `cat: "Session"` event named `model_run` spans one `session.run`; a node's
 * kernel events inside that span (by `ts`) are its time in that run (a node inside a Loop body may
 * run several times per run: summed). `meanUs` is the mean over the runs after the first when the
 * trace holds several runs, since the first pays one-off costs (allocation, shader compilation);
 * with one run it is that run. A trace without `model_run` events counts each call as a run.
 *
 * onnxruntime-web writes the same events as lines of JSON on stdout, which ort-web.ts captures
 * and hands to the same parser, so wasm and webgpu-web rows get per-node profiles too.
 */
import type { NodeProfile } from './contract.ts';

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

const KERNEL_SUFFIX = '_kernel_time';

/** ORT's name of the execution provider a runtime asks for, as it appears in profiles. */
export const ORT_PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPUExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  wasm: 'CPUExecutionProvider',
  webnn: 'WebNNExecutionProvider',
};

/** Nodes ORT inserts to move tensors between devices: glue, not fallbacks. */
const TRANSFER_OPS = new Set(['MemcpyToHost', 'MemcpyFromHost']);

export function parseOrtProfile(json: string): NodeProfile[] {
  const events = JSON.parse(json) as TraceEvent[];
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run' && e.ts !== undefined)
    .map((e) => ({ start: e.ts!, end: e.ts! + (e.dur ?? 0) }))
    .sort((a, b) => a.start - b.start);
  const runOf = (ts: number | undefined): number => (ts === undefined ? -1 : runs.findIndex((r) => ts >= r.start && ts <= r.end));
  const byNode = new Map<string, { opType: string; provider: string; perRun: Map<number, number>; calls: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX)) continue;
    const name = e.name.slice(0, -KERNEL_SUFFIX.length);
    const entry = byNode.get(name) ?? { opType: e.args?.op_name ?? '', provider: e.args?.provider ?? '', perRun: new Map<number, number>(), calls: 0 };
    // NOTE: without model_run spans (or outside them) each call is its own run, numbered after the spans.
    const run = runs.length > 0 && runOf(e.ts) >= 0 ? runOf(e.ts) : runs.length + entry.calls;
    entry.perRun.set(run, (entry.perRun.get(run) ?? 0) + (e.dur ?? 0));
    entry.calls += 1;
    byNode.set(name, entry);
  }
  return [...byNode].map(([name, n]) => {
    const times = [...n.perRun].sort((a, b) => a[0] - b[0]).map(([, us]) => us);
    const steady = times.length > 1 ? times.slice(1) : times;
    return { name, opType: n.opType, provider: n.provider, meanUs: steady.reduce((a, b) => a + b, 0) / steady.length, calls: n.calls };
  });
}

/** Whether `node` ran on a provider other than `provider` (a runtime's EP name or ORT's full name); device copies never count. */
export function isFallbackNode(node: NodeProfile, provider: string): boolean {
  const wanted = ORT_PROVIDER_NAMES[provider] ?? provider;
  return !TRANSFER_OPS.has(node.opType) && node.provider !== wanted;
}

/**
 * How many nodes ran on a provider other than `provider` (a runtime's EP name like 'webgpu', or
 * ORT's full provider name). `null` when the profile cannot tell: none, or no node names a provider.
 */
export function countFallbackNodes(profile: readonly NodeProfile[] | null, provider: string): number | null {
  if (!profile || profile.length === 0 || profile.every((n) => n.provider === '')) return null;
  return profile.filter((n) => isFallbackNode(n, provider)).length;
}
