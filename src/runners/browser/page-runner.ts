/**
 * A browser runtime's `Runner` as the page sees it (this file runs in Chromium, bundled by
 * page-bundle.ts): onnxruntime-web's browser build, loaded as an ES module from the static server,
 * on the execution provider the runtime names. measure.ts runs on it unchanged, so a browser row
 * is timed by the same protocol as a Node row.
 *
 * Builds: browser-wasm loads `ort.wasm.min.mjs` (plain SIMD WASM, threaded where the page may share
 * memory), browser-webgpu `ort.webgpu.min.mjs` (the asyncify build with ORT's WebGPU EP, as
 * webgpu-web in Node), browser-webnn `ort.all.min.mjs` (the JSEP build, the one with WebNN).
 *
 * Threads: `env.wasm.numThreads` is set before ORT initialises: `--threads` or, unset, the cores
 * the page reports (`navigator.hardwareConcurrency`; ORT-web's own default would be
 * min(4, ceil(cores / 2))). ORT-web falls back to one thread, with a console warning only, where
 * the page is not cross-origin isolated; `inForce()` reads the value back after initialisation.
 *
 * Profiling: ORT-web prints its trace events through Emscripten's `out`, which in a page is
 * `console.log` bound when the WASM module is created. So `console.log` is wrapped before ORT
 * loads, and while a profiled session is open its trace lines are taken out (trace-lines.ts).
 */
import { type AdapterDetails, adapterDetails, describeAdapter, isFallbackAdapter } from '../adapter-info.ts';
import type { Availability, BrowserRuntimeName, OpenOptions, Runner, Session } from '../contract.ts';
import { CollectedTraceSession, type OrtInferenceSession } from '../ort-session.ts';
import type { OrtTensorCtor } from '../tensors.ts';
import { TraceLines } from '../trace-lines.ts';
import { wasmFeatures } from '../wasm-features.ts';

type OrtWeb = typeof import('onnxruntime-web');

/** What Node tells the page about its runtime (run-in-browser.ts). */
export interface PageSetup {
  runtime: BrowserRuntimeName;
  /** URL of the ORT-web ES module for this runtime. */
  ortUrl: string;
  /** URL prefix of ORT-web's .mjs and .wasm files. */
  wasmPrefix: string;
  /** e.g. 'chromium 156.0.8078.129' */
  browser: string;
  /** The flags the browser was started with (named in an unavailable reason). */
  flags: readonly string[];
  /** `--threads`; absent or 0: the cores the page reports. */
  threads?: number;
}

export const BROWSER_PROVIDERS: Record<BrowserRuntimeName, 'wasm' | 'webgpu' | 'webnn'> = {
  'browser-wasm': 'wasm',
  'browser-webgpu': 'webgpu',
  'browser-webnn': 'webnn',
};

const ORT_BUILDS: Record<BrowserRuntimeName, string> = {
  'browser-wasm': 'ort.wasm.min.mjs',
  'browser-webgpu': 'ort.webgpu.min.mjs',
  'browser-webnn': 'ort.all.min.mjs',
};

/** ORT-web's files a runtime's page loads: its ES module and the WASM build that module imports. */
export const ORT_FILES: Record<BrowserRuntimeName, readonly string[]> = {
  'browser-wasm': [ORT_BUILDS['browser-wasm'], 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'],
  'browser-webgpu': [ORT_BUILDS['browser-webgpu'], 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'],
  'browser-webnn': [ORT_BUILDS['browser-webnn'], 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'],
};

export function ortBuildFile(runtime: BrowserRuntimeName): string {
  return ORT_BUILDS[runtime];
}

const collectors = new Set<string[]>();
const traceLines = new TraceLines((event) => {
  for (const c of collectors) c.push(event);
});
let consoleWrapped = false;

/** Routes console.log through the trace reader; done once, before ORT creates its WASM module. */
function wrapConsole(): void {
  if (consoleWrapped) return;
  consoleWrapped = true;
  const original = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    if (collectors.size === 0) return original(...args);
    const left = traceLines.take(args.map(String).join(' '));
    if (left.trim().length > 0) original(left);
  };
}

type WebGpuAdapter = { adapter: GPUAdapter; details: AdapterDetails; device: string } | { reason: string };

/** A page's runner for `setup.runtime`. ORT is imported on first use, once per page. */
export function pageRunner(setup: PageSetup): Runner {
  const provider = BROWSER_PROVIDERS[setup.runtime];
  let ortPromise: Promise<OrtWeb> | undefined;
  let gpu: Promise<WebGpuAdapter> | undefined;
  let availability: Promise<Availability> | undefined;
  const tried = `${setup.browser} with ${setup.flags.filter((f) => f.startsWith('--enable')).join(' ') || 'no feature flags'}`;

  const loadOrt = (): Promise<OrtWeb> => {
    ortPromise ??= (async () => {
      wrapConsole();
      const m = (await import(/* @vite-ignore */ setup.ortUrl)) as OrtWeb & { default?: OrtWeb };
      const ort = m.default ?? m;
      ort.env.logLevel = 'error';
      ort.env.wasm.wasmPaths = setup.wasmPrefix;
      ort.env.wasm.numThreads = setup.threads && setup.threads > 0 ? setup.threads : navigator.hardwareConcurrency || 1;
      return ort;
    })();
    return ortPromise;
  };

  const webgpuAdapter = (): Promise<WebGpuAdapter> => {
    gpu ??= (async () => {
      if (!('gpu' in navigator) || !navigator.gpu) return { reason: `navigator.gpu is missing in ${tried}` };
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) return { reason: `navigator.gpu.requestAdapter() gave no adapter in ${tried}` };
      const named = describeAdapter(adapter.info, isFallbackAdapter(adapter));
      return { adapter, device: named.device, details: adapterDetails(adapter.info, named.software) };
    })();
    return gpu;
  };

  const probe = async (): Promise<Availability> => {
    const base = { runtime: setup.runtime, provider } as const;
    let version = 'unknown';
    try {
      const features = await wasmFeatures();
      if (!features.simd) return { ...base, version, ok: false, reason: `WebAssembly SIMD is missing in ${setup.browser}, and onnxruntime-web needs it` };
      const ort = await loadOrt();
      version = ort.env.versions?.web ?? ort.env.versions?.common ?? 'unknown';
      if (setup.runtime === 'browser-wasm') {
        const threads = crossOriginIsolated && features.threads ? ort.env.wasm.numThreads : 1;
        return { ...base, version, ok: true, device: `WebAssembly SIMD, ${threads} thread${threads === 1 ? '' : 's'} asked`, software: false };
      }
      if (setup.runtime === 'browser-webgpu') {
        const a = await webgpuAdapter();
        if ('reason' in a) return { ...base, version, ok: false, reason: a.reason };
        // NOTE: ORT is handed this very adapter, so `device` names the one the sessions run on.
        (ort.env.webgpu as { adapter?: GPUAdapter }).adapter = a.adapter;
        return { ...base, version, ok: true, device: a.device, software: a.details.software };
      }
      const ml = (navigator as Navigator & { ml?: { createContext(o?: object): Promise<unknown> } }).ml;
      if (!ml) return { ...base, version, ok: false, reason: `navigator.ml is missing in ${tried}` };
      try {
        await ml.createContext({});
      } catch (e) {
        return { ...base, version, ok: false, reason: `navigator.ml.createContext() failed in ${tried}: ${String(e).split('\n')[0]}` };
      }
      return { ...base, version, ok: true, device: 'WebNN default context', software: false };
    } catch (e) {
      return { ...base, version, ok: false, reason: `onnxruntime-web did not load in ${setup.browser}: ${String(e).split('\n')[0]}` };
    }
  };

  return {
    name: setup.runtime,
    provider,
    available() {
      availability ??= probe();
      return availability;
    },
    async adapter() {
      if (setup.runtime !== 'browser-webgpu') return undefined;
      const a = await webgpuAdapter();
      return 'reason' in a ? undefined : a.details;
    },
    async inForce() {
      const ort = await loadOrt();
      const features = await wasmFeatures();
      return { threadsUsed: ort.env.wasm.numThreads ?? 1, simd: features.simd, crossOriginIsolated, browser: setup.browser };
    },
    async open(model: Uint8Array, options: OpenOptions = {}): Promise<Session> {
      const ort = await loadOrt();
      const trace = options.profile ? [] : undefined;
      if (trace) collectors.add(trace);
      try {
        const session = await ort.InferenceSession.create(model, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(trace ? { enableProfiling: true } : {}),
          ...(options.externalData ? { externalData: options.externalData } : {}),
        });
        const collected = trace ? { events: trace, flush: () => traceLines.finish(), stop: () => collectors.delete(trace) } : undefined;
        return new CollectedTraceSession(session as unknown as OrtInferenceSession, ort.Tensor as unknown as OrtTensorCtor, collected);
      } catch (e) {
        if (trace) collectors.delete(trace);
        throw e;
      }
    },
  };
}
