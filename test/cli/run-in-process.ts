/**
 * Runs one melbench command line in this process (src/cli.ts's `main`) and captures what it
 * writes to stdout and stderr: the quantize and prune tests run many short commands, and a child
 * process per command would cost seconds each.
 */
import { vi } from 'vitest';
import { main } from '../../src/cli.ts';

export async function melbenchInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  process.exitCode = undefined;
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}
