/**
 * A WebGPU adapter as melbench names it, from the `GPUAdapterInfo` that Dawn for Node and a
 * browser's `navigator.gpu` both report. A leaf of plain functions, so that the browser page
 * (src/runners/browser/page-entry.ts) and the Node runtimes describe adapters alike.
 */

export interface AdapterInfo {
  /** "vendor / architecture / device / description", the parts the adapter reports. */
  device: string;
  /** SwiftShader, llvmpipe, lavapipe or any adapter flagged as a fallback (CPU) adapter. */
  software: boolean;
}

/** The adapter's details, for the adapter columns. */
export interface AdapterDetails {
  vendor: string;
  architecture: string;
  /** The adapter's description: on Vulkan the driver's name and version. */
  driver: string;
  software: boolean;
}

export type AdapterFields = Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>;

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|cpu/i;

export function describeAdapter(info: AdapterFields, isFallback: boolean): AdapterInfo {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((p) => p && p.length > 0);
  const device = parts.length > 0 ? parts.join(' / ') : 'unnamed adapter';
  return { device, software: isFallback || SOFTWARE_ADAPTER.test(device) };
}

export function adapterDetails(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'description'>, software: boolean): AdapterDetails {
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', driver: info.description ?? '', software };
}

/** `isFallbackAdapter`, which newer WebGPU puts on the info and older on the adapter. */
export function isFallbackAdapter(adapter: GPUAdapter): boolean {
  return (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
}
