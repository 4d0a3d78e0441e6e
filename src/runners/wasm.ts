/**
 * The 'wasm' runtime: onnxruntime-web's WASM execution provider in Node, one thread (Node cannot
 * run ORT-web's threaded WASM; a crossOriginIsolated browser page can).
 */
import { errorLine } from '../errors.ts';
import { loadOrtWeb, openOrtWeb, ortWebVersion } from './ort-web.ts';
import type { Availability, OpenOptions, Runner, Session } from './contract.ts';
import { wasmFeatures } from './wasm-features.ts';

export const wasmRunner: Runner = {
  name: 'wasm',
  provider: 'wasm',

  async available(): Promise<Availability> {
    const base = { runtime: 'wasm', provider: 'wasm', device: 'WebAssembly SIMD, 1 thread', software: false } as const;
    try {
      const ort = await loadOrtWeb('wasm');
      return { ...base, ok: true, version: ortWebVersion(ort) };
    } catch (e) {
      return { ...base, ok: false, version: 'unknown', reason: `onnxruntime-web cannot load: ${errorLine(e)} (run npm install)` };
    }
  },

  async inForce() {
    const ort = await loadOrtWeb('wasm');
    return { threadsUsed: ort.env.wasm.numThreads ?? 1, simd: (await wasmFeatures()).simd };
  },

  open(model: Uint8Array, options?: OpenOptions): Promise<Session> {
    // NOTE: options.threads is ignored: ORT-web's WASM is single-threaded in Node.
    return openOrtWeb(model, 'wasm', { executionProviders: ['wasm'] }, options);
  },
};
