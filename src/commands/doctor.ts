/**
 * `melbench doctor`: which runtimes can run on this machine, on what, and why not.
 *
 * Each runtime is probed in a child process, exactly as a benchmark runs it (with the Vulkan
 * settings of src/runners/vulkan-env.ts), so doctor's answer is the sweep's answer. Unavailable
 * runtimes are a finding, not a failure: the command exits 0.
 */
import { fitTable, terminalWidth, wrapList, wrapText } from '../report/terminal-table.ts';
import { type EnvironmentInfo, environmentInfo, fingerprintParts } from '../runners/environment.ts';
import { availableAt, releaseRuntimes } from '../runners/run-job.ts';
import { RUNTIMES, type Availability } from '../runners/runner.ts';
import type { RegisterCommand } from './command.ts';

/**
 * The table of runtimes, then the software note and the environment fingerprint, no line wider
 * than `width`; the fingerprint breaks only between its parts (terminal-table.ts's `wrapList`).
 */
export function doctorText(runtimes: readonly Availability[], env: EnvironmentInfo, width: number): string {
  const head = [{ head: 'runtime' }, { head: 'available' }, { head: 'provider', drop: 2 }, { head: 'version', drop: 1 }, { head: 'device / adapter', wrap: true }, { head: 'software' }, { head: 'reason', note: true }];
  const cells = runtimes.map((a) => [a.runtime, a.ok ? 'yes' : 'no', a.provider, a.version, a.device ?? '', a.software ? 'yes' : 'no', a.reason ?? '']);
  const note = runtimes.some((a) => a.software) ? 'software: a CPU-emulated GPU (e.g. SwiftShader): its rows check correctness, never speed' : '';
  const lines = [...(note ? wrapText(note, width) : []), ...wrapList('environment:', fingerprintParts(env), width)];
  return `${fitTable(head, cells, width)}${lines.map((l) => `${l}\n`).join('')}`;
}

export const register: RegisterCommand = (program) => {
  program
    .command('doctor')
    .description('check each runtime (cpu, wasm, webgpu, webgpu-web and the browser-* runtimes) and print the environment fingerprint')
    .option('--json', 'print JSON instead of a table')
    .action(async (o: { json?: boolean }) => {
      const runtimes: Availability[] = [];
      try {
        for (const r of RUNTIMES) runtimes.push(await availableAt(r, { isolate: true }, 60_000));
      } finally {
        await releaseRuntimes();
      }
      const adapter = runtimes.find((a) => a.ok && a.provider === 'webgpu' && a.device)?.device;
      const env = await environmentInfo(adapter);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ runtimes, environment: env }, null, 2)}\n`);
        return;
      }
      process.stdout.write(doctorText(runtimes, env, terminalWidth()));
    });
};
