/**
 * Sessions on onnxruntime-web inside Node, shared by the 'wasm' and 'webgpu-web' runtimes.
 *
 * Two builds of the package are used, each loaded once per process: the Node build
 * (`onnxruntime-web`, plain SIMD WASM) for 'wasm', and the WebGPU bundle
 * (`onnxruntime-web/webgpu`, the asyncify WASM with ORT's WebGPU EP) for 'webgpu-web', so the
 * WASM timings carry no asyncify overhead. Both run single-threaded: ORT-web turns WASM threads
 * off in Node, and `numThreads = 1` is set before first use to say so (it also keeps the
 * WebGPU bundle from probing `node:os`, which fails there).
 *
 * Models are passed as bytes: given a path, ORT-web calls `fetch`, which fails in Node.
 *
 * Profiling: ORT-web's WASM profiler prints each trace event as a line of JSON on stdout through
 * Emscripten's `fs.writeSync(1, ...)`. While a profiled session is open those lines are taken
 * out of stdout (trace-lines.ts) and kept for `profile()`; they carry `args.provider` like ORT-node's files. The
 * capture is per process: two profiled ORT-web sessions open at once would share lines.
 * Running, profiling and closing are ort-session.ts's; this file says where the profile is.
 */
import fs from 'node:fs';
import type { InferenceSession } from 'onnxruntime-web';
import type { OpenOptions, Session } from './contract.ts';
import { CollectedTraceSession, type OrtInferenceSession } from './ort-session.ts';
import type { OrtTensorCtor } from './tensors.ts';
import { TraceLines } from './trace-lines.ts';

export type OrtWeb = typeof import('onnxruntime-web');
export type OrtWebBuild = 'wasm' | 'webgpu';

const builds = new Map<OrtWebBuild, Promise<OrtWeb>>();

export function loadOrtWeb(build: OrtWebBuild): Promise<OrtWeb> {
  let p = builds.get(build);
  if (!p) {
    p = (build === 'wasm' ? import('onnxruntime-web') : import('onnxruntime-web/webgpu')).then((m) => {
      const ort = ((m as { default?: OrtWeb }).default ?? m) as OrtWeb;
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'error';
      return ort;
    });
    builds.set(build, p);
  }
  return p;
}

export function ortWebVersion(ort: OrtWeb): string {
  return ort.env.versions?.web ?? ort.env.versions?.common ?? 'unknown';
}

const collectors = new Set<string[]>();
let originalWriteSync: typeof fs.writeSync | undefined;
const traceLines = new TraceLines((event) => {
  for (const c of collectors) c.push(event);
});

function startCapture(lines: string[]): void {
  collectors.add(lines);
  if (originalWriteSync) return;
  const original = fs.writeSync;
  originalWriteSync = original;
  fs.writeSync = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]): number {
    if (fd === 1 && (typeof data === 'string' || data instanceof Uint8Array) && collectors.size > 0) {
      const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
      const left = traceLines.take(text);
      if (left.trim().length === 0) return typeof data === 'string' ? data.length : data.byteLength;
      (original as (...a: unknown[]) => number).call(fs, fd, left + '\n');
      return typeof data === 'string' ? data.length : data.byteLength;
    }
    return (original as (...a: unknown[]) => number).call(fs, fd, data, ...rest);
  } as typeof fs.writeSync;
}

function stopCapture(lines: string[]): void {
  collectors.delete(lines);
  if (collectors.size === 0 && originalWriteSync) {
    fs.writeSync = originalWriteSync;
    originalWriteSync = undefined;
    traceLines.finish();
  }
}

export async function openOrtWeb(
  model: Uint8Array,
  build: OrtWebBuild,
  sessionOptions: InferenceSession.SessionOptions,
  options: OpenOptions = {},
): Promise<Session> {
  const ort = await loadOrtWeb(build);
  const trace = options.profile ? [] : undefined;
  if (trace) startCapture(trace);
  try {
    const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', ...sessionOptions, ...(trace ? { enableProfiling: true } : {}), ...(options.externalData ? { externalData: options.externalData } : {}) });
    const collected = trace ? { events: trace, flush: () => traceLines.finish(), stop: () => stopCapture(trace) } : undefined;
    return new CollectedTraceSession(session as unknown as OrtInferenceSession, ort.Tensor as unknown as OrtTensorCtor, collected);
  } catch (e) {
    if (trace) stopCapture(trace);
    throw e;
  }
}
