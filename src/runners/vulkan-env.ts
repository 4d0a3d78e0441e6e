/**
 * Where WebGPU finds a GPU when there is none: both WebGPU runtimes run on Dawn, whose Linux
 * backend is Vulkan. With no Vulkan driver, Debian's `chromium` package ships SwiftShader, a
 * software Vulkan ICD, which Dawn accepts (mesa's lavapipe it does not).
 *
 * `useSoftwareVulkanIfNoDriverChosen` points the Vulkan loader at SwiftShader when the user chose
 * no ICD. Setting `process.env` at run time is enough for both onnxruntime-node's Dawn and the
 * `webgpu` package's Dawn (verified: the loader reads the variable when Dawn creates its Vulkan
 * instance, on the first adapter request, not when the library is loaded), as long as it happens
 * before that first request.
 *
 * The loader itself (libvulkan.so.1) is found by the dynamic linker, whose search path is fixed
 * when the process starts: when the system has no libvulkan1, a child process can borrow the
 * copy inside /usr/lib/chromium through LD_LIBRARY_PATH (`gpuChildEnv`); this process cannot.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = join(CHROMIUM_DIR, 'vk_swiftshader_icd.json');

const LOADER = 'libvulkan.so.1';
const SYSTEM_LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];

/** Says where the Vulkan ICD choice comes from, for availability reasons. */
export function vulkanIcdSource(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VK_ICD_FILENAMES) return `VK_ICD_FILENAMES=${env.VK_ICD_FILENAMES}`;
  if (env.VK_DRIVER_FILES) return `VK_DRIVER_FILES=${env.VK_DRIVER_FILES}`;
  return 'the system Vulkan drivers';
}

/** Sets VK_ICD_FILENAMES to SwiftShader when no ICD was chosen and chromium's copy exists. */
export function useSoftwareVulkanIfNoDriverChosen(env: NodeJS.ProcessEnv = process.env): void {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return;
  if (existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

export function vulkanLoaderFound(env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...SYSTEM_LIB_DIRS];
  return dirs.some((d) => existsSync(join(d, LOADER)));
}

/** The environment for a child process that will use WebGPU: SwiftShader and a Vulkan loader if needed. */
export function gpuChildEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  useSoftwareVulkanIfNoDriverChosen(out);
  if (!vulkanLoaderFound(out) && existsSync(join(CHROMIUM_DIR, LOADER))) {
    // NOTE: appended, so a loader the user put on LD_LIBRARY_PATH still wins.
    out.LD_LIBRARY_PATH = [out.LD_LIBRARY_PATH, CHROMIUM_DIR].filter(Boolean).join(':');
  }
  return out;
}

/** Turns Dawn's adapter failure into one line that says what to do. */
export function noAdapterReason(detail: string, env: NodeJS.ProcessEnv = process.env): string {
  const hints: string[] = [];
  if (!vulkanLoaderFound(env)) hints.push(`no Vulkan loader (${LOADER}): apt-get install libvulkan1`);
  if (!existsSync(SWIFTSHADER_ICD)) hints.push('for software WebGPU (SwiftShader): apt-get install chromium');
  else hints.push(`Vulkan drivers from ${vulkanIcdSource(env)}`);
  return `no WebGPU adapter (${detail}); ${hints.join('; ')}`;
}
