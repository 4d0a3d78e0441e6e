/**
 * The 'webgpu' runtime: onnxruntime-node's WebGPU execution provider (Dawn built into ORT).
 *
 * ORT-node does not say which adapter its Dawn picked, so `device` is the adapter that the
 * `webgpu` package's Dawn offers under the same Vulkan ICD and the same high-performance
 * preference: the same device on single-GPU machines and on SwiftShader.
 * Availability is proven by running a one-node model, because ORT only looks for an adapter
 * when a session is created. Bias-less convolutions get explicit zero biases (see below).
 */
import { errorLine } from '../errors.ts';
import { fromOnnx, toOnnx } from '../export/onnx.ts';
import { withExplicitConvBias } from '../export/passes/explicit-conv-bias.ts';
import type { Graph } from '../graph/ir.ts';
import { dawnAdapter, dawnAdapterDetails } from './dawn.ts';
import { loadOrtNode, openOrtNode, ortNodeVersion } from './ort-node.ts';
import { PROBE_EXPECTED, PROBE_INPUT, probeModel } from './probe-model.ts';
import type { Availability, OpenOptions, Runner, Session } from './contract.ts';
import { noAdapterReason, useSoftwareVulkanIfNoDriverChosen } from './vulkan-env.ts';

const ADAPTER_FAILURE = /Failed to get a WebGPU adapter: ?([^\n]*)/;

let availability: Promise<Availability> | undefined;

/**
 * NOTE: ORT 1.30's native WebGPU EP segfaults on a Conv without a bias input, so every such Conv
 * gets an explicit zero bias first (exact; see src/export/passes/explicit-conv-bias.ts). A model
 * our IR cannot read is passed on unchanged.
 */
function withZeroBiases(model: Uint8Array): Uint8Array {
  let graph: Graph;
  try {
    graph = fromOnnx(model);
  } catch {
    return model;
  }
  const fixed = withExplicitConvBias(graph).graph;
  return fixed === graph ? model : toOnnx(fixed);
}

async function probe(): Promise<Availability> {
  useSoftwareVulkanIfNoDriverChosen();
  const base = { runtime: 'webgpu', provider: 'webgpu' } as const;
  let version = 'unknown';
  try {
    const ort = await loadOrtNode();
    version = ortNodeVersion(ort);
    const backend = ort.listSupportedBackends().find((b) => b.name === 'webgpu');
    if (!backend?.bundled) return { ...base, version, ok: false, reason: `onnxruntime-node ${version} has no bundled WebGPU provider on ${process.platform}-${process.arch}` };
    const session = await openOrtNode(probeModel(), 'webgpu');
    try {
      const y = (await session.run({ x: { type: 'float32', data: PROBE_INPUT, dims: [PROBE_INPUT.length] } })).y;
      if (!y || [...y.data].some((v, i) => v !== PROBE_EXPECTED[i])) return { ...base, version, ok: false, reason: 'WebGPU provider returned wrong values for Relu' };
    } finally {
      await session.close();
    }
  } catch (e) {
    const adapter = ADAPTER_FAILURE.exec(e instanceof Error ? e.message : String(e));
    return { ...base, version, ok: false, reason: adapter ? noAdapterReason(`onnxruntime-node: ${adapter[1].trim()}`) : errorLine(e) };
  }
  const dawn = await dawnAdapter();
  return dawn.ok
    ? { ...base, version, ok: true, device: dawn.info.device, software: dawn.info.software }
    : { ...base, version, ok: true, device: 'unknown (onnxruntime-node does not name its adapter)' };
}

export const webgpuRunner: Runner = {
  name: 'webgpu',
  provider: 'webgpu',

  available(): Promise<Availability> {
    availability ??= probe();
    return availability;
  },

  adapter: dawnAdapterDetails,

  open(model: Uint8Array, options?: OpenOptions): Promise<Session> {
    useSoftwareVulkanIfNoDriverChosen();
    return openOrtNode(withZeroBiases(model), 'webgpu', options);
  },
};
