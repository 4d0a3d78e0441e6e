/**
 * The 'webgpu-web' runtime: onnxruntime-web's WebGPU execution provider in Node, on the `webgpu`
 * package's Dawn (see dawn.ts for the globals and the writeBuffer shim it needs). The adapter
 * Dawn gives is handed to ORT through `env.webgpu.adapter`, so `device` names the very adapter
 * the sessions run on. Models lose trailing empty ('') optional inputs first (see open()).
 */
import { errorLine } from '../errors.ts';
import { withoutEmptyTrailingInputs } from '../export/onnx.ts';
import { dawnAdapter, dawnAdapterDetails } from './dawn.ts';
import { loadOrtWeb, openOrtWeb, ortWebVersion } from './ort-web.ts';
import type { Availability, OpenOptions, Runner, Session } from './contract.ts';

let availability: Promise<Availability> | undefined;

async function probe(): Promise<Availability> {
  const base = { runtime: 'webgpu-web', provider: 'webgpu' } as const;
  let version = 'unknown';
  try {
    const ort = await loadOrtWeb('webgpu');
    version = ortWebVersion(ort);
    const dawn = await dawnAdapter();
    if (!dawn.ok) return { ...base, version, ok: false, reason: dawn.reason };
    ort.env.webgpu.adapter = dawn.adapter;
    return { ...base, version, ok: true, device: dawn.info.device, software: dawn.info.software };
  } catch (e) {
    return { ...base, version, ok: false, reason: errorLine(e) };
  }
}

export const webgpuWebRunner: Runner = {
  name: 'webgpu-web',
  provider: 'webgpu',

  available(): Promise<Availability> {
    availability ??= probe();
    return availability;
  },

  adapter: dawnAdapterDetails,

  async open(model: Uint8Array, options?: OpenOptions): Promise<Session> {
    const a = await webgpuWebRunner.available();
    if (!a.ok) throw new Error(`webgpu-web unavailable: ${a.reason}`);
    // NOTE: ORT-web 1.30's WebGPU Conv takes an empty '' bias name for a present tensor of empty
    // shape and fails in ReduceShapeByComponents; dropping the name is exact ('' means absent).
    return openOrtWeb(withoutEmptyTrailingInputs(model), 'webgpu', { executionProviders: ['webgpu'] }, options);
  },
};
