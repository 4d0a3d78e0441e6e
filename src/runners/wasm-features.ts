/**
 * What the WebAssembly engine offers, asked the engine itself through wasm-feature-detect
 * (GoogleChromeLabs: it validates the smallest module that uses each feature): the same check in
 * Node and in a browser page. ORT-web 1.30 ships SIMD builds only and refuses to start without
 * SIMD; its threads need shared memory, which a page has only when cross-origin isolated.
 */
import { simd, threads } from 'wasm-feature-detect';

export interface WasmFeatures {
  simd: boolean;
  /** Shared memory and atomics (SharedArrayBuffer): what ORT-web's threaded WASM needs. */
  threads: boolean;
}

export async function wasmFeatures(): Promise<WasmFeatures> {
  const [s, t] = await Promise.all([simd(), threads()]);
  return { simd: s, threads: t };
}
