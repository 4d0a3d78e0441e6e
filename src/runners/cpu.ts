/**
 * The 'cpu' runtime: onnxruntime-node with its CPU execution provider, the fp32 reference that
 * every other runtime's outputs are compared with.
 */
import { errorLine } from '../errors.ts';
import { cpuModel } from './environment.ts';
import { loadOrtNode, openOrtNode, ortNodeVersion } from './ort-node.ts';
import type { Availability, OpenOptions, Runner, Session } from './contract.ts';

export const cpuRunner: Runner = {
  name: 'cpu',
  provider: 'cpu',

  async available(): Promise<Availability> {
    const base = { runtime: 'cpu', provider: 'cpu', device: cpuModel(), software: false } as const;
    try {
      const ort = await loadOrtNode();
      return { ...base, ok: true, version: ortNodeVersion(ort) };
    } catch (e) {
      return { ...base, ok: false, version: 'unknown', reason: `onnxruntime-node cannot load: ${errorLine(e)} (run npm install)` };
    }
  },

  open(model: Uint8Array, options?: OpenOptions): Promise<Session> {
    return openOrtNode(model, 'cpu', options);
  },
};
