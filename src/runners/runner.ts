/**
 * The runtime registry: `getRunner(name)` for each of `RUNTIMES`. It sits above every runtime's
 * module, which implement the contract in contract.ts (re-exported here for callers) and never
 * import this file. Implementations load their ORT package lazily: asking for one runtime never
 * loads another.
 */
import { invariant } from '../errors.ts';
import { browserRunner } from './browser/browser-runner.ts';
import { cpuRunner } from './cpu.ts';
import { isRuntimeName, type Runner, RUNTIMES } from './contract.ts';
import { wasmRunner } from './wasm.ts';
import { webgpuRunner } from './webgpu.ts';
import { webgpuWebRunner } from './webgpu-web.ts';

export * from './contract.ts';

/** The runner of a runtime; every command checks runtime names first, so an unknown one here is a bug. */
export function getRunner(name: string): Runner {
  invariant(isRuntimeName(name), () => `unknown runtime "${name}": use one of ${RUNTIMES.join(', ')}`);
  switch (name) {
    case 'cpu':
      return cpuRunner;
    case 'wasm':
      return wasmRunner;
    case 'webgpu':
      return webgpuRunner;
    case 'webgpu-web':
      return webgpuWebRunner;
    default:
      return browserRunner(name);
  }
}
