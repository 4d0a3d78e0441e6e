/**
 * Dawn for Node (the `webgpu` npm package): the WebGPU implementation onnxruntime-web runs on
 * outside a browser, and the way melbench names the adapter a WebGPU runtime gets.
 *
 * One `GPU` object per process, created after the Vulkan ICD is chosen (see vulkan-env.ts).
 * Installing it publishes Dawn's globals and `navigator.gpu`, as a browser would, and patches
 * `GPUQueue.writeBuffer`: Dawn's binding rejects views on a SharedArrayBuffer ("Invalid
 * argument"), and onnxruntime-web's WASM heap is one, so such views are copied first.
 */
import { errorLine } from '../errors.ts';
import { type AdapterDetails, type AdapterInfo, adapterDetails, describeAdapter, isFallbackAdapter } from './adapter-info.ts';
import { noAdapterReason, useSoftwareVulkanIfNoDriverChosen } from './vulkan-env.ts';

export type AdapterProbe = { ok: true; adapter: GPUAdapter; info: AdapterInfo } | { ok: false; reason: string };

let gpuPromise: Promise<GPU> | undefined;

export function dawnGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    useSoftwareVulkanIfNoDriverChosen();
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    patchWriteBuffer((globals as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype);
    const gpu = create([]);
    const nav = (globalThis as { navigator?: object }).navigator ?? {};
    Object.defineProperty(globalThis, 'navigator', { value: Object.assign(nav, { gpu }), configurable: true, writable: true });
    return gpu;
  })();
  return gpuPromise;
}

function patchWriteBuffer(proto: GPUQueue): void {
  const original = proto.writeBuffer;
  if ((original as { melbenchShim?: true }).melbenchShim) return;
  const shim = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const view = data as unknown as Uint8Array;
      // NOTE: dataOffset and size count elements of the view's type; slicing keeps that type.
      const start = dataOffset ?? 0;
      const copy = view.slice(start, size === undefined ? undefined : start + size);
      return original.call(this, buffer, offset, copy);
    }
    if (data instanceof SharedArrayBuffer) {
      const start = dataOffset ?? 0;
      const copy = new Uint8Array(data).slice(start, size === undefined ? undefined : start + size);
      return original.call(this, buffer, offset, copy);
    }
    return original.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  };
  Object.assign(shim, { melbenchShim: true });
  proto.writeBuffer = shim as GPUQueue['writeBuffer'];
}

let adapterPromise: Promise<AdapterProbe> | undefined;

/** The adapter Dawn offers this process (high-performance preference, as ORT asks), never throws. */
export function dawnAdapter(): Promise<AdapterProbe> {
  adapterPromise ??= (async (): Promise<AdapterProbe> => {
    try {
      const gpu = await dawnGpu();
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return { ok: false, reason: noAdapterReason('Dawn: No supported adapters') };
      return { ok: true, adapter, info: describeAdapter(adapter.info, isFallbackAdapter(adapter)) };
    } catch (e) {
      return { ok: false, reason: noAdapterReason(`Dawn: ${errorLine(e)}`) };
    }
  })();
  return adapterPromise;
}

/** The adapter's details for the row's adapter columns, or undefined when Dawn offers none. */
export async function dawnAdapterDetails(): Promise<AdapterDetails | undefined> {
  const probe = await dawnAdapter();
  return probe.ok ? adapterDetails(probe.adapter.info, probe.info.software) : undefined;
}
