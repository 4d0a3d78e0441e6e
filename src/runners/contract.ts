/**
 * The runner contract: one `Runner` per runtime, each able to say whether it can run here
 * (`available`) and to open a model from bytes into a `Session` that runs, profiles and closes.
 *
 * Every runtime sees the same `HostTensor` feeds (plain typed arrays, no ORT objects), so rows
 * from different runtimes are comparable and feeds can cross process boundaries unchanged.
 *
 * A leaf: the runtimes implement it, and the registry (runner.ts) that knows them all sits above.
 */
import type { HostDType, TypedArrayOf } from '../graph/dtype.ts';
import type { AdapterDetails } from './adapter-info.ts';

/** Runtimes in a headless Chromium page (src/runners/browser): onnxruntime-web as browsers run it. */
export type BrowserRuntimeName = 'browser-wasm' | 'browser-webgpu' | 'browser-webnn';
export type RuntimeName = 'cpu' | 'wasm' | 'webgpu' | 'webgpu-web' | BrowserRuntimeName;

export const BROWSER_RUNTIMES: readonly BrowserRuntimeName[] = ['browser-wasm', 'browser-webgpu', 'browser-webnn'];
/** The runtimes inside Node: `bench`'s default (a browser runtime starts Chromium, so it is asked for by name). */
export const NODE_RUNTIMES: readonly RuntimeName[] = ['cpu', 'wasm', 'webgpu', 'webgpu-web'];
export const RUNTIMES: readonly RuntimeName[] = [...NODE_RUNTIMES, ...BROWSER_RUNTIMES];

export function isBrowserRuntime(name: string): name is BrowserRuntimeName {
  return (BROWSER_RUNTIMES as readonly string[]).includes(name);
}

/** `nonfinite`: the run finished but an output holds NaN or ±Inf; never `ok`. */
export type RowStatus = 'ok' | 'unavailable' | 'unsupported' | 'crashed' | 'timeout' | 'error' | 'nonfinite';

/** The element types a host tensor carries (src/graph/dtype.ts): ORT's type names. */
export type TensorType = HostDType;

/** A tensor in host memory. float16 data is the raw IEEE half bits in a Uint16Array. */
export interface HostTensor {
  type: TensorType;
  data: TypedArrayOf;
  dims: number[];
}

export type Feeds = Record<string, HostTensor>;

export interface Availability {
  ok: boolean;
  reason?: string;
  runtime: RuntimeName;
  /** The ORT execution provider this runtime asks for: 'cpu', 'wasm' or 'webgpu'. */
  provider: string;
  /** Version of the ORT package behind this runtime. */
  version: string;
  /** Adapter or CPU description, e.g. "google / swiftshader / SwiftShader Device (Subzero)". */
  device?: string;
  /** True for SwiftShader or any CPU-emulated GPU: correctness only, never a speed claim. */
  software?: boolean;
}

/**
 * What was in force while a row was timed, read from inside the runtime rather than from the
 * request (a page that is not cross-origin isolated silently runs ORT-web on one thread).
 */
export interface Validity {
  /** performance.now()'s smallest step where the row was timed (timer-resolution.ts). */
  timerResolutionUs: number;
  /** ORT-web's `env.wasm.numThreads` once initialised; absent where the runtime does not say. */
  threadsUsed?: number;
  /** WebAssembly SIMD available to the wasm build; absent for runtimes that are not WebAssembly. */
  simd?: boolean;
  /** Browser runtimes: the page's `crossOriginIsolated`. */
  crossOriginIsolated?: boolean;
  /** Browser runtimes: e.g. 'chromium 156.0.8078.129'. */
  browser?: string;
}

export interface OpenOptions {
  /** Intra-op threads; wasm is always 1 in Node; browser-wasm's `env.wasm.numThreads`. Unset: the runtime's default. */
  threads?: number;
  /** Collect per-node timings for `Session.profile()`. Slows runs down: never time with it on. */
  profile?: boolean;
  /** The model's external-data files, by the `location` its initializers name (a model opened from bytes has no folder). */
  externalData?: { path: string; data: Uint8Array }[];
}

export interface NodeProfile {
  name: string;
  opType: string;
  /** Execution provider the node ran on, e.g. 'CPUExecutionProvider'; '' when unknown. */
  provider: string;
  meanUs: number;
  calls: number;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Feeds): Promise<Record<string, HostTensor>>;
  /** Per-node timings of the runs so far; requires `open(..., { profile: true })`. Ends profiling. */
  profile(): Promise<NodeProfile[]>;
  close(): Promise<void>;
}

export interface Runner {
  readonly name: RuntimeName;
  readonly provider: string;
  /** Never throws: a runtime that cannot run here answers `{ ok: false, reason }`. */
  available(): Promise<Availability>;
  open(model: Uint8Array, options?: OpenOptions): Promise<Session>;
  /** The GPU adapter the sessions run on (WebGPU runtimes); never throws. */
  adapter?(): Promise<AdapterDetails | undefined>;
  /** What the runtime has in force once initialised (threads, SIMD, isolation): see `Validity`. */
  inForce?(): Promise<Omit<Validity, 'timerResolutionUs'>>;
}

export function isRuntimeName(name: string): name is RuntimeName {
  return (RUNTIMES as readonly string[]).includes(name);
}
