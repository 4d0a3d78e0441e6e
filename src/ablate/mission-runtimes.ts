/**
 * The main job's runtimes: "every available runtime", where a WebGPU row is worth its cost.
 *
 * cpu and wasm always. The two WebGPU runtimes (both on Dawn) join only when the adapter Dawn
 * finds is real hardware. On a software adapter (SwiftShader, which melbench finds by itself when
 * Debian's chromium is installed) each session spends 30-100 s compiling shaders and its rows are
 * correctness checks, never speed, so they are left out, as they are with no adapter at all; one
 * line says why and how to add them.
 */
import { availableIsolated } from '../runners/isolate.ts';
import type { Availability, RuntimeName } from '../runners/runner.ts';

export const BASE_RUNTIMES: readonly RuntimeName[] = ['cpu', 'wasm'];
export const WEBGPU_RUNTIMES: readonly RuntimeName[] = ['webgpu', 'webgpu-web'];

export interface MissionRuntimes {
  runtimes: RuntimeName[];
  /** Why the WebGPU runtimes are left out, and how to add them; absent when they are in. */
  note?: string;
}

/** The runtimes, given what the `webgpu` runtime's availability check saw. */
export function missionRuntimes(webgpu: Availability): MissionRuntimes {
  if (webgpu.ok && webgpu.software !== true) return { runtimes: [...BASE_RUNTIMES, ...WEBGPU_RUNTIMES] };
  const why = webgpu.ok
    ? `the WebGPU adapter is software (${webgpu.device ?? 'unknown device'}): 30-100 s of shader compilation per session, correctness rows only`
    : `WebGPU is unavailable: ${webgpu.reason ?? 'no adapter'}`;
  return { runtimes: [...BASE_RUNTIMES], note: `${WEBGPU_RUNTIMES.join(' and ')} left out: ${why}; add them with --runtimes ${[...BASE_RUNTIMES, ...WEBGPU_RUNTIMES].join(',')}` };
}

/** Asks a child process (with the Vulkan settings a measurement child gets) what WebGPU adapter there is. */
export async function probeMissionRuntimes(timeoutMs: number): Promise<MissionRuntimes> {
  return missionRuntimes(await availableIsolated('webgpu', timeoutMs));
}
